#include "attnscope/record.hpp"

namespace attnscope {

std::string_view to_string(Status s) {
  switch (s) {
    case Status::Ok: return "ok";
    case Status::Ineligible: return "ineligible";
    case Status::OutOfMemory: return "out-of-memory";
    case Status::Error: return "error";
    case Status::Cancelled: return "cancelled";
  }
  return "unknown";
}

std::optional<Status> parse_status(std::string_view s) {
  for (Status x : {Status::Ok, Status::Ineligible, Status::OutOfMemory, Status::Error, Status::Cancelled})
    if (to_string(x) == s) return x;
  return std::nullopt;
}

}  // namespace attnscope
