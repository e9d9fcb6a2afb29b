#pragma once
// Element types a problem can use. Names follow PyTorch ("float16"), aliases are accepted on input.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

enum class DType { F32, F16, BF16 };

std::string_view to_string(DType t);            // "float32", "float16", "bfloat16"
std::optional<DType> parse_dtype(std::string_view text);  // also "fp32","f32","fp16","half","bf16",...
std::size_t size_of(DType t);                    // 4, 2, 2
const std::vector<DType>& all_dtypes();          // {F32, F16, BF16}

}  // namespace attnscope
