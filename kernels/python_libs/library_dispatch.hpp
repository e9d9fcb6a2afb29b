#pragma once
// What the libraries themselves would do with a problem: the backend PyTorch's SDPA would pick, the
// operator xFormers' memory_efficient_attention would pick, or the exact error text when nothing fits.
#include <nlohmann/json.hpp>

#include "attnscope/device.hpp"
#include "attnscope/problem.hpp"

namespace attnscope {

// {"note": why there is no verdict (empty when there is), "libraries": [{"library", "version", "chosen",
// "backend" (our id of the chosen one), "text" (verbatim), "lines"}]}.
nlohmann::json library_dispatch(const Problem& p, const DeviceInfo& d);

}  // namespace attnscope
