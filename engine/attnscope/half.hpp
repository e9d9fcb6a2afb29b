#pragma once
// Host-side float16 / bfloat16 conversion (round to nearest even), bit-identical to CUDA's
// __float2half_rn / __float2bfloat16_rn, so host and device inputs agree exactly.
#include <cstdint>
#include <cstring>

#include "attnscope/dtype.hpp"

namespace attnscope {

uint16_t float_to_half_bits(float f);
float half_bits_to_float(uint16_t h);
uint16_t float_to_bf16_bits(float f);
float bf16_bits_to_float(uint16_t h);

// The value a float becomes after storing it in `t` (identity for F32).
float round_to(DType t, float f);
// Read element i of a buffer of type t as float; write a float into element i.
float load_as_float(DType t, const void* base, std::size_t i);
void store_from_float(DType t, void* base, std::size_t i, float f);

}  // namespace attnscope
