#include "attnscope/json_input.hpp"

#include "attnscope/results.hpp"

namespace attnscope {

using nlohmann::json;

json parse_bounded_json(std::string_view text, const std::string& where) {
  // The callback sees every container before it is built and every string after it is read, so the
  // depth check happens on the way in: nothing deeper than max_depth ever exists as a value.
  auto check = [&](int depth, json::parse_event_t event, json& parsed) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= JsonBounds::max_depth)
      throw FormatError(where + ": nested deeper than " + std::to_string(JsonBounds::max_depth) +
                        " levels (result files nest about 5)");
    if ((event == json::parse_event_t::key || event == json::parse_event_t::value) && parsed.is_string() &&
        parsed.get_ref<const std::string&>().size() > JsonBounds::max_string)
      throw FormatError(where + ": a string of " + std::to_string(parsed.get_ref<const std::string&>().size()) +
                        " bytes; at most " + std::to_string(JsonBounds::max_string) + " are read");
    return true;
  };
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) throw FormatError(where + ": is empty");
  try {
    return json::parse(text.begin(), text.end(), check);
  } catch (const json::parse_error& e) {
    throw FormatError(where + ": not valid JSON (" + e.what() + ")");
  } catch (const json::out_of_range&) {
    // nlohmann reports 1e400 without a position; say what it is.
    throw FormatError(where + ": a number is outside the range of a double (such as 1e400)");
  }
}

std::string describe_json_value(const json& v) {
  switch (v.type()) {
    case json::value_t::object: return "an object with " + std::to_string(v.size()) + " member(s)";
    case json::value_t::array: return "an array of " + std::to_string(v.size()) + " element(s)";
    case json::value_t::string: {
      const std::string& s = v.get_ref<const std::string&>();
      return "string \"" + (s.size() > 40 ? s.substr(0, 37) + "..." : s) + "\"";
    }
    case json::value_t::null: return "null";
    default: return std::string(v.type_name()) + " " + v.dump();  // a scalar: short, no recursion
  }
}

}  // namespace attnscope
