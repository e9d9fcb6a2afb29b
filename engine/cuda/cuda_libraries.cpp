#include "cuda/cuda_libraries.hpp"

// Set by engine/CMakeLists.txt from the toolkit the build used: its major version (the sonames), its
// version as NVIDIA's package names spell it, and the folders where it found CUPTI and cuBLAS.
#ifndef ATTNSCOPE_CUDA_MAJOR
#error "ATTNSCOPE_CUDA_MAJOR must name the CUDA toolkit's major version"
#endif
#ifndef ATTNSCOPE_CUDA_PACKAGE_VERSION
#error "ATTNSCOPE_CUDA_PACKAGE_VERSION must name the toolkit's version as NVIDIA's packages spell it (13-0)"
#endif
#ifndef ATTNSCOPE_CUPTI_DIR
#define ATTNSCOPE_CUPTI_DIR ""
#endif
#ifndef ATTNSCOPE_CUBLAS_DIR
#define ATTNSCOPE_CUBLAS_DIR ""
#endif

namespace attnscope::cuda_libraries {
namespace {

const std::string kMajor = ATTNSCOPE_CUDA_MAJOR;
const std::string kPackage = ATTNSCOPE_CUDA_PACKAGE_VERSION;  // "13-0"

struct Spec {
  std::string id, name, soname, without, fix;
  std::vector<std::string> dirs;  // where the build found it, tried after the loader's search
};

const Spec& driver_spec() {
  static const Spec s{"cuda-driver", "NVIDIA driver", "libcuda.so.1",
                      "no GPU can be used; the CPU backends still run",
                      "install the NVIDIA driver (Debian: nvidia-driver, which brings libcuda1; NVIDIA's repository: "
                      "cuda-drivers) and reboot",
                      {}};
  return s;
}
const Spec& cupti_spec() {
  static const Spec s{"cupti", "CUPTI", "libcupti.so." + kMajor,
                      "timing falls back to CUDA events (launch overhead included) and peak memory to the tool's "
                      "own allocator (allocations inside cuBLAS/cuDNN unseen)",
                      "install the CUDA toolkit's CUPTI (NVIDIA's package cuda-cupti-" + kPackage +
                          ", or the toolkit) where the loader finds it",
                      {ATTNSCOPE_CUPTI_DIR}};
  return s;
}
const Spec& cublas_spec() {
  static const Spec s{"cublas", "cuBLAS", "libcublas.so." + kMajor, "cublas-math cannot run",
                      "install cuBLAS " + kMajor + " (NVIDIA's package libcublas-" + kPackage +
                          ", or the CUDA toolkit) where the loader finds it",
                      {ATTNSCOPE_CUBLAS_DIR}};
  return s;
}

dynlib::Library open(const Spec& s) { return dynlib::Library::open(dynlib::soname_then_dirs(s.soname, s.dirs)); }

RuntimeLibrary status_of(const Spec& s, const dynlib::Library& lib) {
  return RuntimeLibrary{s.id, s.name, s.soname, lib.loaded(), lib.loaded() ? lib.path() : lib.why_not(), s.without,
                        s.fix};
}

}  // namespace

const dynlib::Library& driver() {
  static const dynlib::Library lib = open(driver_spec());
  return lib;
}
const dynlib::Library& cupti() {
  static const dynlib::Library lib = open(cupti_spec());
  return lib;
}
const dynlib::Library& cublas() {
  static const dynlib::Library lib = open(cublas_spec());
  return lib;
}

std::vector<RuntimeLibrary> status() {
  return {status_of(driver_spec(), driver()), status_of(cupti_spec(), cupti()), status_of(cublas_spec(), cublas())};
}

}  // namespace attnscope::cuda_libraries
