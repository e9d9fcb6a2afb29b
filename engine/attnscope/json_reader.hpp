#pragma once
// Typed reading of a JSON object from outside (a result file, a worker line, the eligibility and
// device reports), with the JSON path in every error: `record.memory.peak: expected a byte count >= 0`.
// The one reader the result files and the worker protocol share, so both sides agree on what a field
// may hold and say it the same way.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attnscope/json_input.hpp"
#include "attnscope/results.hpp"

namespace attnscope {

[[noreturn]] inline void bad_json(const std::string& path, const std::string& what) {
  throw FormatError(path + ": " + what);
}

class JsonReader {
 public:
  JsonReader(const nlohmann::json& j, std::string path) : j_(j), path_(std::move(path)) {
    if (!j_.is_object()) bad_json(path_.empty() ? "(root)" : path_, "expected an object, found " + describe(j_));
  }
  const nlohmann::json& at(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end()) bad_json(sub(key), "missing");
    return *it;
  }
  // Present and not null: an absent optional field and an explicit null read the same.
  bool has(const char* key) const { return j_.contains(key) && !j_.at(key).is_null(); }
  std::string sub(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

  int64_t integer(const char* key) const {
    const nlohmann::json& v = at(key);
    // Only integers that fit: a double such as 1e300 would be undefined behaviour to convert.
    if (!v.is_number_integer()) bad_json(sub(key), "expected an integer, found " + describe(v));
    if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
      bad_json(sub(key), "is " + v.dump() + "; at most " + std::to_string(std::numeric_limits<int64_t>::max()));
    return v.get<int64_t>();
  }
  int64_t integer_or(const char* key, int64_t fallback) const { return has(key) ? integer(key) : fallback; }
  // A field stored as int: a larger value is an error, not a silent truncation.
  int int32(const char* key) const {
    const int64_t v = integer(key);
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
      bad_json(sub(key), "is " + std::to_string(v) + "; outside the range of this field");
    return int(v);
  }
  uint64_t bytes(const char* key) const {
    const int64_t v = integer(key);
    if (v < 0) bad_json(sub(key), "expected a byte count >= 0, found " + std::to_string(v));
    return uint64_t(v);
  }
  double number(const char* key) const {
    const nlohmann::json& v = at(key);
    if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();  // JSON has no NaN/Inf
    if (!v.is_number()) bad_json(sub(key), "expected a number, found " + describe(v));
    return v.get<double>();
  }
  bool boolean(const char* key) const {
    const nlohmann::json& v = at(key);
    if (!v.is_boolean()) bad_json(sub(key), "expected true or false, found " + describe(v));
    return v.get<bool>();
  }
  bool boolean_or(const char* key, bool fallback) const { return has(key) ? boolean(key) : fallback; }
  std::string text(const char* key) const {
    const nlohmann::json& v = at(key);
    if (!v.is_string()) bad_json(sub(key), "expected a string, found " + describe(v));
    return v.get<std::string>();
  }
  std::string text_or(const char* key, std::string fallback) const { return has(key) ? text(key) : fallback; }
  const nlohmann::json& array(const char* key) const {
    const nlohmann::json& v = at(key);
    if (!v.is_array()) bad_json(sub(key), "expected an array, found " + describe(v));
    return v;
  }
  // An array of strings; absent reads as empty.
  std::vector<std::string> texts_or_empty(const char* key) const {
    std::vector<std::string> out;
    if (!has(key)) return out;
    const nlohmann::json& a = array(key);
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_string())
        bad_json(sub(key) + "[" + std::to_string(i) + "]", "expected a string, found " + describe(a[i]));
      out.push_back(a[i].get<std::string>());
    }
    return out;
  }

 private:
  static std::string describe(const nlohmann::json& v) { return describe_json_value(v); }
  const nlohmann::json& j_;
  std::string path_;
};

}  // namespace attnscope
