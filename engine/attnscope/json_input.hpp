#pragma once
// Reading JSON from outside (result files, worker lines) within fixed bounds. A result file may come
// from another machine or another person: its nesting, string lengths, size and record count are
// checked while it is parsed, before anything walks the value recursively, so a crafted file gets a
// clear FormatError instead of exhausting the stack or the memory.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace attnscope {

struct JsonBounds {
  static constexpr int max_depth = 64;                        // real files nest 5 deep
  static constexpr std::size_t max_string = 64 * 1024;        // bytes in one string or key
  static constexpr std::uintmax_t max_file = 256ull << 20;    // bytes in one result file
  static constexpr std::size_t max_line = 16u << 20;          // bytes in one JSON line (worker protocol)
  static constexpr std::size_t max_records = 1'000'000;       // records in one document or stream
};

// Parses `text`; throws FormatError "WHERE: …" for invalid JSON (with line and column), nesting deeper
// than max_depth, a string longer than max_string, or a number outside the range of a double.
nlohmann::json parse_bounded_json(std::string_view text, const std::string& where);

// "array", "object", "string", "number 1.5", "true": what a value is, for "expected X, found Y"
// messages. Never serialises a container (a deep one would recurse), quotes at most 40 characters.
std::string describe_json_value(const nlohmann::json& v);

}  // namespace attnscope
