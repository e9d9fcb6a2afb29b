#include "attnscope/half.hpp"

#include <cmath>

namespace attnscope {
namespace {
uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float float_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
}  // namespace

uint16_t float_to_half_bits(float f) {
  const uint32_t x = bits_of(f);
  const uint16_t sign = uint16_t((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7FFFFFFFu;
  if (abs > 0x7F800000u) return uint16_t(sign | 0x7E00u);  // NaN
  if (abs >= 0x477FF000u) return uint16_t(sign | 0x7C00u); // rounds to ±inf (>= 65520)
  if (abs < 0x38800000u) {                                  // result is subnormal or zero
    // Scale so the 10-bit subnormal mantissa lands in the integer part, then round half to even.
    const float scaled = float_of(abs) * 16777216.0f;  // 2^24: one unit = smallest fp16 subnormal
    const float r = std::nearbyint(scaled);            // default rounding mode: nearest even
    return uint16_t(sign | uint16_t(r));
  }
  // Normal: rebias exponent (127 → 15) and round the 13 dropped mantissa bits to nearest even.
  const uint32_t rebias = abs - 0x38000000u;
  const uint32_t lsb = (rebias >> 13) & 1u;
  return uint16_t(sign | uint16_t((rebias + 0x0FFFu + lsb) >> 13));
}

float half_bits_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  const uint32_t man = h & 0x3FFu;
  if (exp == 0) {
    const float v = float(man) * (1.0f / 16777216.0f);  // man · 2^-24
    return sign ? -v : v;
  }
  if (exp == 31) return float_of(sign | 0x7F800000u | (man << 13));
  return float_of(sign | ((exp + 112u) << 23) | (man << 13));
}

uint16_t float_to_bf16_bits(float f) {
  const uint32_t x = bits_of(f);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return uint16_t((x >> 16) | 0x40u);  // quiet NaN
  const uint32_t lsb = (x >> 16) & 1u;
  return uint16_t((x + 0x7FFFu + lsb) >> 16);
}

float bf16_bits_to_float(uint16_t h) { return float_of(uint32_t(h) << 16); }

float round_to(DType t, float f) {
  switch (t) {
    case DType::F32: return f;
    case DType::F16: return half_bits_to_float(float_to_half_bits(f));
    case DType::BF16: return bf16_bits_to_float(float_to_bf16_bits(f));
  }
  return f;
}

float load_as_float(DType t, const void* base, std::size_t i) {
  switch (t) {
    case DType::F32: return static_cast<const float*>(base)[i];
    case DType::F16: return half_bits_to_float(static_cast<const uint16_t*>(base)[i]);
    case DType::BF16: return bf16_bits_to_float(static_cast<const uint16_t*>(base)[i]);
  }
  return 0;
}

void store_from_float(DType t, void* base, std::size_t i, float f) {
  switch (t) {
    case DType::F32: static_cast<float*>(base)[i] = f; break;
    case DType::F16: static_cast<uint16_t*>(base)[i] = float_to_half_bits(f); break;
    case DType::BF16: static_cast<uint16_t*>(base)[i] = float_to_bf16_bits(f); break;
  }
}

}  // namespace attnscope
