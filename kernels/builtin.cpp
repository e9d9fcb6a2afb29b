// Every backend built into this binary, registered in one place. The order here is the order users
// see in `attnscope-cli backends`, the GUI list and the run plan: references first, then from the
// simplest GPU kernel to the most specialised one.
#include <memory>

#include "attnscope/registry.hpp"

namespace attnscope {

// Each factory lives next to its backend in kernels/<name>/<name>_backend.cpp.
std::unique_ptr<Backend> make_cpu_reference_backend();
std::unique_ptr<Backend> make_cpu_math_backend();
std::unique_ptr<Backend> make_naive_backend();
std::unique_ptr<Backend> make_cublas_math_backend();
std::unique_ptr<Backend> make_mem_efficient_backend();
std::unique_ptr<Backend> make_mem_efficient_fma_backend();
std::unique_ptr<Backend> make_small_k_backend();
std::unique_ptr<Backend> make_split_kv_decode_backend();
std::unique_ptr<Backend> make_flash2_backend();
std::unique_ptr<Backend> make_flash3_backend();
std::unique_ptr<Backend> make_cudnn_backend();

void register_builtin_backends(Registry& r) {
  // 1. CPU: the fp64 reference, then the BLAS math path.
  r.add(make_cpu_reference_backend());
  r.add(make_cpu_math_backend());
  // 2. GPU, in this order as they land (one line each, factory declared above):
  //    naive, cublas-math, mem-efficient, mem-efficient-fma, small-k, split-kv-decode, flash2.
  r.add(make_naive_backend());
  r.add(make_cublas_math_backend());
  r.add(make_mem_efficient_backend());
  r.add(make_mem_efficient_fma_backend());
  r.add(make_small_k_backend());
  r.add(make_split_kv_decode_backend());
  r.add(make_flash2_backend());
  r.add(make_flash3_backend());
  // 3. Vendor libraries.
  r.add(make_cudnn_backend());
}

}  // namespace attnscope
