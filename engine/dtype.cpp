#include "attnscope/dtype.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace attnscope {

std::string_view to_string(DType t) {
  switch (t) {
    case DType::F32: return "float32";
    case DType::F16: return "float16";
    case DType::BF16: return "bfloat16";
  }
  return "unknown";
}

std::optional<DType> parse_dtype(std::string_view text) {
  std::string s(text);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s.starts_with("torch.")) s.erase(0, 6);
  if (s == "float32" || s == "fp32" || s == "f32" || s == "float") return DType::F32;
  if (s == "float16" || s == "fp16" || s == "f16" || s == "half") return DType::F16;
  if (s == "bfloat16" || s == "bf16") return DType::BF16;
  return std::nullopt;
}

std::size_t size_of(DType t) { return t == DType::F32 ? 4 : 2; }

const std::vector<DType>& all_dtypes() {
  static const std::vector<DType> all{DType::F32, DType::F16, DType::BF16};
  return all;
}

}  // namespace attnscope
