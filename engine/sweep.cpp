#include "attnscope/sweep.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <string>
#include <tuple>
#include <utility>

namespace attnscope {
namespace {

[[noreturn]] void fail(std::string_view field, const std::string& message) {
  // "head_dim is -8; ..." reads as a sentence; other messages follow a colon.
  const std::string sep = message.starts_with("is ") ? " " : ": ";
  throw InvalidInput({FieldError{std::string(field), std::string(field) + sep + message}});
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int64_t parse_int(std::string_view text, std::string_view field, std::string_view whole) {
  text = trim(text);
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    fail(field, "'" + std::string(text) + "' in '" + std::string(whole) +
                    "' is not an integer (expected N, A,B,C, START:STOP:xFACTOR or START:STOP:+STEP)");
  return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return parts;
}

// The largest value a field may take (validation repeats it per problem; checking here lets the error
// name the field as the user typed it).
int64_t max_for_field(std::string_view field) {
  using L = ProblemLimits;
  if (field == "seq" || field == "q_len" || field == "kv_len" || field == "tokens") return L::max_len;
  if (field == "head_dim") return L::max_head_dim;
  if (field == "batch") return L::max_batch;
  if (field == "heads" || field == "q_heads" || field == "kv_heads") return L::max_heads;
  return std::numeric_limits<int64_t>::max();
}

}  // namespace

std::vector<int64_t> parse_int_sweep(std::string_view text, std::string_view field, int64_t min_value,
                                     std::size_t max_count) {
  if (trim(text).empty()) fail(field, "is empty (expected N, A,B,C, START:STOP:xFACTOR or START:STOP:+STEP)");
  std::vector<int64_t> values;
  const int64_t max_value = max_for_field(field);
  const std::string range = max_value == std::numeric_limits<int64_t>::max()
                                ? "must be at least " + std::to_string(min_value)
                                : "allowed range is " + std::to_string(min_value) + " to " + std::to_string(max_value);
  auto push = [&](int64_t v) {
    if (v < min_value || v > max_value) fail(field, "is " + std::to_string(v) + "; " + range);
    if (values.size() >= max_count) fail(field, "'" + std::string(text) + "' expands to more than " +
                                                    std::to_string(max_count) + " values");
    values.push_back(v);
  };
  for (std::string_view item : split(text, ',')) {
    item = trim(item);
    const auto parts = split(item, ':');
    if (parts.size() == 1) {
      push(parse_int(parts[0], field, text));
      continue;
    }
    if (parts.size() != 3)
      fail(field, "range '" + std::string(item) + "' must be START:STOP:xFACTOR or START:STOP:+STEP");
    const int64_t start = parse_int(parts[0], field, text);
    const int64_t stop = parse_int(parts[1], field, text);
    const std::string_view step = trim(parts[2]);
    if (start < min_value) fail(field, "range starts at " + std::to_string(start) + "; " + range);
    if (stop < start) fail(field, "range '" + std::string(item) + "' stops before it starts");
    if (step.size() < 2 || (step[0] != 'x' && step[0] != '+'))
      fail(field, "step '" + std::string(step) + "' must be xFACTOR (geometric) or +STEP (arithmetic)");
    const int64_t by = parse_int(step.substr(1), field, text);
    if (step[0] == 'x') {
      if (by < 2) fail(field, "factor in '" + std::string(item) + "' must be at least 2");
      if (start < 1) fail(field, "a geometric range must start at 1 or more");
      for (int64_t v = start; v <= stop; v *= by) {
        push(v);
        if (v > stop / by) break;  // next step would overflow or pass stop
      }
    } else {
      if (by < 1) fail(field, "step in '" + std::string(item) + "' must be at least 1");
      for (int64_t v = start; v <= stop; v += by) {
        push(v);
        if (v > stop - by) break;  // next step would pass stop (or overflow int64)
      }
    }
  }
  return values;
}

std::vector<DType> parse_dtype_list(std::string_view text) {
  std::vector<DType> out;
  if (trim(text).empty()) fail("dtype", "is empty; allowed: float32, float16, bfloat16");
  for (std::string_view item : split(text, ',')) {
    item = trim(item);
    const auto t = parse_dtype(item);
    if (!t)
      throw InvalidInput({FieldError{"dtype", "dtype: '" + std::string(item) +
                                                  "' is not a dtype; allowed: float32, float16, bfloat16 "
                                                  "(aliases fp32, fp16, bf16, half)"}});
    // Three dtypes exist: a repeat would only measure the same points again.
    for (DType seen : out)
      if (seen == *t) fail("dtype", "'" + std::string(item) + "' in '" + std::string(text) + "' repeats " +
                                        std::string(to_string(*t)) + "; list each dtype once");
    out.push_back(*t);
  }
  return out;
}

uint64_t count_points(const SweepSpec& s) {
  const uint64_t axes[] = {std::max<uint64_t>(1, s.dtypes.size()), std::max<uint64_t>(1, s.head_dims.size()),
                           std::max<uint64_t>(1, s.q_lens.size()), std::max<uint64_t>(1, s.kv_lens.size())};
  uint64_t n = 1;
  for (uint64_t a : axes) n = n > std::numeric_limits<uint64_t>::max() / a ? std::numeric_limits<uint64_t>::max() : n * a;
  return n;
}

std::vector<Problem> expand(const SweepSpec& s) {
  const std::vector<DType> dtypes = s.dtypes.empty() ? std::vector<DType>{s.base.dtype} : s.dtypes;
  const std::vector<int64_t> dims = s.head_dims.empty() ? std::vector<int64_t>{s.base.head_dim} : s.head_dims;
  const std::vector<int64_t> qs = s.q_lens.empty() ? std::vector<int64_t>{s.base.q_len} : s.q_lens;
  if (s.total_tokens && *s.total_tokens < 1)
    fail("tokens", "is " + std::to_string(*s.total_tokens) + "; must be at least 1");
  if (s.hidden && *s.hidden < 1) fail("hidden", "is " + std::to_string(*s.hidden) + "; must be at least 1");
  // Counted before anything is built: each axis is capped, their product is not.
  if (const uint64_t n = count_points(s); n > kMaxSweepPoints)
    fail("sweep", "has " + std::to_string(n) + " points; at most " + std::to_string(kMaxSweepPoints) +
                      " per run (fewer lengths, head dims or dtypes)");
  std::vector<Problem> out;
  out.reserve(std::size_t(count_points(s)));
  for (DType t : dtypes)
    for (int64_t d : dims)
      for (int64_t q : qs) {
        const std::vector<int64_t> kvs = s.kv_lens.empty() ? std::vector<int64_t>{q} : s.kv_lens;
        for (int64_t kv : kvs) {
          Problem p = s.base;
          p.dtype = t;
          p.head_dim = d;
          p.q_len = q;
          p.kv_len = kv;
          if (s.total_tokens) {
            p.batch = std::max<int64_t>(1, *s.total_tokens / q);
            // Name --tokens, the option the user typed, not the batch it was turned into.
            if (p.batch > ProblemLimits::max_batch)
              fail("tokens", "is " + std::to_string(*s.total_tokens) + ": with q_len " + std::to_string(q) +
                                 " that is batch " + std::to_string(p.batch) + "; batch may be at most " +
                                 std::to_string(ProblemLimits::max_batch));
          }
          if (s.hidden) {
            if (*s.hidden % d != 0)
              fail("hidden", "is " + std::to_string(*s.hidden) + "; must be a multiple of head_dim " + std::to_string(d));
            const int64_t ratio = std::max<int64_t>(1, s.base.q_heads / std::max<int64_t>(1, s.base.kv_heads));
            p.q_heads = *s.hidden / d;
            p.kv_heads = std::max<int64_t>(1, p.q_heads / ratio);
            if (p.q_heads > ProblemLimits::max_heads)
              fail("hidden", "is " + std::to_string(*s.hidden) + ": with head_dim " + std::to_string(d) + " that is " +
                                 std::to_string(p.q_heads) + " heads; heads may be at most " +
                                 std::to_string(ProblemLimits::max_heads));
          }
          require_valid(p);
          out.push_back(p);
        }
      }
  return out;
}

std::vector<Problem> eligibility_probes(const std::vector<Problem>& points) {
  // Group by everything but the lengths; keep the smallest and the largest lengths of each group.
  using Key = std::tuple<int, int64_t, int64_t, int64_t, int64_t>;
  struct Extremes {
    const Problem* smallest = nullptr;
    const Problem* largest = nullptr;
  };
  std::vector<std::pair<Key, Extremes>> groups;
  auto size = [](const Problem& p) { return p.q_len * p.kv_len; };
  for (const Problem& p : points) {
    const Key k{static_cast<int>(p.dtype), p.head_dim, p.batch, p.q_heads, p.kv_heads};
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == k; });
    if (it == groups.end()) {
      groups.push_back({k, {&p, &p}});
      continue;
    }
    if (size(p) < size(*it->second.smallest)) it->second.smallest = &p;
    if (size(p) > size(*it->second.largest)) it->second.largest = &p;
  }
  std::vector<Problem> out;
  for (const auto& [key, e] : groups) {
    out.push_back(*e.smallest);
    if (!(*e.largest == *e.smallest)) out.push_back(*e.largest);
  }
  return out;
}

}  // namespace attnscope
