#include <gtest/gtest.h>

#include <cmath>

#include "attnscope/half.hpp"
#include "attnscope/reference.hpp"

using namespace attnscope;

TEST(Half, KnownEncodings) {
  EXPECT_EQ(float_to_half_bits(1.0f), 0x3C00);
  EXPECT_EQ(float_to_half_bits(-2.0f), 0xC000);
  EXPECT_EQ(float_to_half_bits(65504.0f), 0x7BFF);
  EXPECT_EQ(float_to_half_bits(65520.0f), 0x7C00);          // rounds to inf
  EXPECT_EQ(float_to_half_bits(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(float_to_half_bits(1.0f + std::ldexp(1.0f, -11)), 0x3C00);  // tie → even
  EXPECT_EQ(float_to_half_bits(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  EXPECT_EQ(float_to_bf16_bits(1.0f), 0x3F80);
  EXPECT_EQ(float_to_bf16_bits(1.0f + std::ldexp(1.0f, -8)), 0x3F80);  // tie → even
  EXPECT_TRUE(std::isnan(half_bits_to_float(float_to_half_bits(NAN))));
}

TEST(Half, RoundTripIsIdempotent) {
  for (float f : {0.1f, -0.7f, 3.14159f, 1e-5f, 1234.5f}) {
    for (DType t : all_dtypes()) {
      const float r = round_to(t, f);
      EXPECT_EQ(round_to(t, r), r);
      EXPECT_NEAR(r, f, std::abs(f) * (t == DType::BF16 ? 4e-3 : 1e-3) + 1e-7);
    }
  }
}

TEST(Half, InputsAreSeededNonZeroAndInRange) {
  Problem p;
  p.batch = 1;
  p.q_heads = p.kv_heads = 2;
  p.q_len = p.kv_len = 64;
  p.head_dim = 32;
  p.dtype = DType::F32;
  const auto a = make_input(p, TensorId::Q, 1);
  const auto b = make_input(p, TensorId::Q, 1);
  const auto c = make_input(p, TensorId::Q, 2);
  const auto k = make_input(p, TensorId::K, 1);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, k);
  double sum = 0;
  for (float x : a) {
    EXPECT_NE(x, 0.0f);
    EXPECT_GE(x, -1.0f);
    EXPECT_LT(x, 1.0f);
    sum += x;
  }
  EXPECT_LT(std::abs(sum / a.size()), 0.1);  // centred
}
