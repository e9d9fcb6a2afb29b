#pragma once
// Text helpers for the CLI's readable output.
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "attnscope/backend.hpp"

namespace attnscope::cli {

std::string fixed(double value, int decimals);
std::string duration_from_us(double us);  // "812 µs", "3.41 ms", "2.05 s"
std::string scientific(double value);     // "3.1e-04"

// Columns padded to their widest cell; the last column is never padded (long reasons stay readable).
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// One unmet rule as `backends` shows it under a greyed backend ("      environment: <reason>" and
// "          fix: <hint>"); `devices` shows a missing run-time library the same way.
void print_rule(std::ostream& out, const RuleResult& r);

std::string json_pretty(const nlohmann::json& j);
// One JSON value on one line; invalid UTF-8 (e.g. in an exception's text) is replaced, never thrown.
std::string json_line(const nlohmann::json& j);

// Display width of UTF-8 text (code points, which is right for the symbols this CLI prints).
std::size_t display_width(const std::string& s);

}  // namespace attnscope::cli
