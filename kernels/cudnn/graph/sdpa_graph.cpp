// cuDNN SDPA forward through cudnn-frontend's graph API (the minimal path of the frontend's
// samples/cpp/sdpa/fp16_fwd.cpp, written for our tensors): Q [B,Hq,Nq,D], K/V [B,Hkv,Nk,D], O like Q,
// all contiguous (BHSD strides), the fp32 log-sum-exp as cuDNN's "Stats" output [B,Hq,Nq,1].
// libcudnn is opened here at run time (NV_CUDNN_FRONTEND_USE_DYNAMIC_LOADING), so a missing cuDNN
// greys one backend instead of stopping the program from starting.

#include <cuda_runtime.h>
#include <cudnn_frontend.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "cudnn/cudnn_sdpa.hpp"
#include "cuda/dynamic_library.hpp"

// The frontend's dynamic loading looks every cuDNN symbol up in this handle.
namespace cudnn_frontend {
void* cudnn_dlhandle = nullptr;
}

namespace attnscope::cudnn_sdpa {
namespace fe = cudnn_frontend;
namespace {

enum Uid : int64_t { kQ = 1, kK, kV, kO, kStats };

// "GRAPH_NOT_SUPPORTED" (the frontend prints it as a JSON array: ["GRAPH_NOT_SUPPORTED"]).
std::string code_name(fe::error_code_t c) {
  std::ostringstream s;
  s << c;
  std::string out;
  for (char ch : s.str())
    if (ch != '[' && ch != ']' && ch != '"') out += ch;
  return out;
}

Verdict verdict_of(fe::error_t e) {
  if (e.is_good()) return {};
  return {false, code_name(e.get_code()), e.get_message()};
}

std::vector<int64_t> bhsd_strides(int64_t h, int64_t s, int64_t d) { return {h * s * d, s * d, d, 1}; }

// The graph of one problem, without plans. `sm` pins the architecture the frontend's rules judge.
std::shared_ptr<fe::graph::Graph> make_graph(const Problem& p, bool lse, int sm) {
  auto g = std::make_shared<fe::graph::Graph>();
  g->set_io_data_type(p.dtype == DType::BF16 ? fe::DataType_t::BFLOAT16
                      : p.dtype == DType::F16 ? fe::DataType_t::HALF
                                              : fe::DataType_t::FLOAT)
      .set_intermediate_data_type(fe::DataType_t::FLOAT)
      .set_compute_data_type(fe::DataType_t::FLOAT);
  if (sm > 0) g->set_sm_version(sm);
  const int64_t b = p.batch, hq = p.q_heads, hk = p.kv_heads, nq = p.q_len, nk = p.kv_len, d = p.head_dim;
  auto tensor = [&](const char* name, int64_t uid, int64_t h, int64_t s) {
    return g->tensor(fe::graph::Tensor_attributes().set_name(name).set_uid(uid).set_dim({b, h, s, d})
                         .set_stride(bhsd_strides(h, s, d)));
  };
  auto q = tensor("Q", kQ, hq, nq), k = tensor("K", kK, hk, nk), v = tensor("V", kV, hk, nk);
  auto opts = fe::graph::SDPA_attributes().set_name("sdpa").set_generate_stats(lse)
                  .set_attn_scale(float(p.softmax_scale()));
  // Our causal convention is bottom-right: query i sees key j iff j ≤ i + kv_len − q_len.
  if (p.causal) opts.set_causal_mask_bottom_right(true);
  auto [o, stats] = g->sdpa(q, k, v, opts);
  o->set_output(true).set_uid(kO).set_dim({b, hq, nq, d}).set_stride(bhsd_strides(hq, nq, d));
  if (lse) stats->set_output(true).set_uid(kStats).set_data_type(fe::DataType_t::FLOAT)
               .set_dim({b, hq, nq, 1}).set_stride({hq * nq, nq, 1, 1});
  return g;
}

using Key = std::tuple<int, std::string, bool>;  // device, problem, lse
std::string problem_key(const Problem& p) { return p.describe() + " scale=" + std::to_string(p.softmax_scale()); }
Key key_of(int device, const Problem& p, bool lse) { return {device, problem_key(p), lse}; }

struct Built {
  std::shared_ptr<fe::graph::Graph> graph;
  Plans plans;
  std::vector<int64_t> index_in_graph;  // per entry of plans.names
  std::vector<bool> plan_built;
};

struct State {
  std::mutex mu;
  std::map<int, cudnnHandle_t> handles;  // one per CUDA device
  std::map<Key, Built> graphs;
};
State& state() {
  static State s;
  return s;
}

int current_device() {
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) throw std::runtime_error("cudnn: no current CUDA device");
  return dev;
}

cudnnHandle_t handle_for(State& s, int dev) {
  auto it = s.handles.find(dev);
  if (it != s.handles.end()) return it->second;
  cudnnHandle_t h = nullptr;
  const cudnnStatus_t st = fe::detail::create_handle(&h);
  if (st != CUDNN_STATUS_SUCCESS)
    throw std::runtime_error(std::string("cudnnCreate failed: ") + fe::detail::get_error_string(st));
  return s.handles[dev] = h;
}

Built& built_for(State& s, const Problem& p, bool lse) {
  const int dev = current_device();
  const Key key = key_of(dev, p, lse);
  if (auto it = s.graphs.find(key); it != s.graphs.end()) return it->second;
  Built b;
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, dev);
  b.graph = make_graph(p, lse, prop.major * 10 + prop.minor);
  cudnnHandle_t h = handle_for(s, dev);
  fe::error_t e = b.graph->validate();
  if (e.is_good()) e = b.graph->build_operation_graph(h);
  if (e.is_good()) e = b.graph->create_execution_plans({fe::HeurMode_t::A});
  if (e.is_good()) e = b.graph->check_support();
  if (e.is_good()) e = b.graph->build_plans(fe::BuildPlanPolicy_t::HEURISTICS_CHOICE);
  b.plans.verdict = verdict_of(e);
  if (e.is_good()) {
    std::string chosen;
    if (b.graph->get_plan_name(chosen).is_bad()) chosen.clear();
    const int64_t n = b.graph->get_execution_plan_count();
    for (int64_t i = 0; i < n; ++i) {
      std::string name;
      int64_t ws = 0;
      // The heuristics list engines that then fail the shared-memory or workspace filters: not offered.
      if (b.graph->get_plan_name_at_index(i, name).is_bad()) continue;
      if (b.graph->get_workspace_size_plan_at_index(i, ws).is_bad()) continue;
      const bool is_chosen = name == chosen && b.plans.chosen < 0;
      if (is_chosen) b.plans.chosen = int64_t(b.plans.names.size());
      b.plans.names.push_back(name);
      b.plans.workspace.push_back(ws);
      b.index_in_graph.push_back(i);
      b.plan_built.push_back(is_chosen);
    }
  }
  return s.graphs.emplace(key, std::move(b)).first->second;
}

}  // namespace

const Library& library() {
  static const Library lib = [] {
    Library l;
    // ATTNSCOPE_CUDNN_LIBRARY names another file (a pip-installed cuDNN, or a test of its absence).
    const char* env = std::getenv("ATTNSCOPE_CUDNN_LIBRARY");
    const std::string name = env && *env ? env : "libcudnn.so.9";
    // Opened GLOBAL, as this backend always has; cudnn-frontend then looks cuDNN's symbols up in the handle.
    const auto lib = dynlib::Library::open({name}, dynlib::Library::Scope::Global);
    if (!lib.loaded()) {
      l.why_not = lib.why_not();
      return l;
    }
    fe::cudnn_dlhandle = lib.handle();
    try {
      l.version = int64_t(fe::detail::get_backend_version());
    } catch (const std::exception& e) {
      l.why_not = name + " opened but " + e.what();
      return l;
    }
    l.loaded = true;
    // cuDNN 9 numbers its versions major·10000 + minor·100 + patch.
    l.version_text = std::to_string(l.version / 10000) + "." + std::to_string(l.version / 100 % 100) + "." +
                     std::to_string(l.version % 100);
    return l;
  }();
  return lib;
}

std::string frontend_version() { return ATTNSCOPE_CUDNN_FRONTEND_VERSION; }

Verdict validate(const Problem& p, int cc) {
  if (!library().loaded) return {false, "LIBRARY_NOT_LOADED", library().why_not};
  try {
    return verdict_of(make_graph(p, true, cc)->validate());
  } catch (const std::exception& e) {
    return {false, "EXCEPTION", e.what()};
  }
}

const Plans& plans(const Problem& p, int device, bool lse) {
  if (!library().loaded) throw std::runtime_error("cuDNN is not loaded: " + library().why_not);
  State& s = state();
  std::lock_guard lock(s.mu);
  const int previous = current_device();
  if (device < 0 || device == previous) return built_for(s, p, lse).plans;
  // Judge on the device asked for, and leave the caller's current device as it was.
  if (cudaSetDevice(device) != cudaSuccess) throw std::runtime_error("cudnn: cannot select CUDA device " + std::to_string(device));
  struct Restore {
    int dev;
    ~Restore() { cudaSetDevice(dev); }
  } restore{previous};
  return built_for(s, p, lse).plans;
}

const Plans* cached_plans(const Problem& p) {
  State& s = state();
  std::lock_guard lock(s.mu);
  for (const auto& [key, built] : s.graphs)
    if (std::get<1>(key) == problem_key(p) && std::get<2>(key)) return &built.plans;
  return nullptr;
}

void execute(const Problem& p, int64_t index, const Tensors& t, void* workspace, void* stream) {
  if (!library().loaded) throw std::runtime_error("cuDNN is not loaded: " + library().why_not);
  State& s = state();
  std::lock_guard lock(s.mu);
  Built& b = built_for(s, p, t.lse != nullptr);
  if (!b.plans.verdict.ok) throw std::runtime_error("cuDNN: " + b.plans.verdict.message);
  if (index < 0) index = b.plans.chosen;
  if (index < 0 || index >= int64_t(b.plans.names.size()))
    throw std::runtime_error("cudnn: no plan " + std::to_string(index) + " for " + p.describe());
  const int64_t graph_index = b.index_in_graph[std::size_t(index)];
  if (!b.plan_built[std::size_t(index)]) {
    fe::error_t e = b.graph->build_plan_at_index(graph_index);
    if (e.is_bad()) throw std::runtime_error("cuDNN could not build plan " + b.plans.names[std::size_t(index)] + ": " + e.get_message());
    b.plan_built[std::size_t(index)] = true;
  }
  cudnnHandle_t h = handle_for(s, current_device());
  const cudnnStatus_t st = fe::detail::set_stream(h, static_cast<cudaStream_t>(stream));
  if (st != CUDNN_STATUS_SUCCESS) throw std::runtime_error(std::string("cudnnSetStream: ") + fe::detail::get_error_string(st));
  std::unordered_map<int64_t, void*> pack{{kQ, const_cast<void*>(t.q)}, {kK, const_cast<void*>(t.k)},
                                          {kV, const_cast<void*>(t.v)}, {kO, t.o}};
  if (t.lse) pack[kStats] = t.lse;
  fe::error_t e = b.graph->execute_plan_at_index(h, pack, workspace, graph_index);
  if (e.is_bad()) throw std::runtime_error("cuDNN execute (" + b.plans.names[std::size_t(index)] + "): " + e.get_message());
}

}  // namespace attnscope::cudnn_sdpa
