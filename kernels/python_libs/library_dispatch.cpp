#include "python_libs/library_dispatch.hpp"

#include "attnscope/build_info.hpp"
#include "attnscope/python_host.hpp"
#include "attnscope/results.hpp"

namespace attnscope {

nlohmann::json library_dispatch(const Problem& p, const DeviceInfo& d) {
  nlohmann::json out{{"note", ""}, {"libraries", nlohmann::json::array()}};
  if (d.kind == DeviceKind::Profile) {
    out["note"] = "the libraries choose on the GPU they run on; a what-if profile has none to ask";
    return out;
  }
  if (d.kind != DeviceKind::Cuda || !build::with_cuda()) {
    out["note"] = "the libraries choose among CUDA kernels; " + d.id + " is not a CUDA GPU";
    return out;
  }
  const python::HostStatus& st = python::host_status();
  if (!st.ready) {
    out["note"] = st.problem;
    return out;
  }
  try {
    const auto colon = d.id.find(':');
    out["libraries"] = python::call(
        "dispatch", {{"problem", to_json(p)}, {"device", colon == std::string::npos ? -1 : std::stoi(d.id.substr(colon + 1))}});
  } catch (const python::PythonError& e) {
    out["note"] = std::string("the libraries could not be asked: ") + e.what();
  }
  return out;
}

}  // namespace attnscope
