#include <gtest/gtest.h>

#include <cmath>

#include "attnscope/problem.hpp"

using namespace attnscope;

namespace {
bool has_field(const std::vector<FieldError>& errors, const std::string& field) {
  for (const auto& e : errors)
    if (e.field == field) return true;
  return false;
}
}  // namespace

TEST(Problem, DefaultIsValidAndScaleIsInverseSqrtHeadDim) {
  Problem p;
  p.head_dim = 64;
  EXPECT_TRUE(validate(p).empty());
  EXPECT_DOUBLE_EQ(p.softmax_scale(), 0.125);
  p.scale = 0.5;
  EXPECT_DOUBLE_EQ(p.softmax_scale(), 0.5);
}

TEST(Problem, EveryBadFieldIsNamedWithItsRange) {
  Problem p;
  p.batch = 0;
  p.q_len = -3;
  p.head_dim = 4096;
  const auto errors = validate(p);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_TRUE(has_field(errors, "batch"));
  EXPECT_TRUE(has_field(errors, "q_len"));
  EXPECT_TRUE(has_field(errors, "head_dim"));
  for (const auto& e : errors) EXPECT_NE(e.message.find("allowed range"), std::string::npos) << e.message;
  EXPECT_NE(errors[1].message.find("-3"), std::string::npos);
}

TEST(Problem, KvHeadsMustDivideQueryHeads) {
  Problem p;
  p.q_heads = 32;
  p.kv_heads = 12;
  const auto errors = validate(p);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "kv_heads");
  EXPECT_NE(errors[0].message.find("divide"), std::string::npos);
  p.kv_heads = 8;
  EXPECT_TRUE(validate(p).empty());
  EXPECT_EQ(p.group_size(), 4);
}

TEST(Problem, SizesThatOverflowAreRejected) {
  Problem p;
  p.batch = ProblemLimits::max_batch;
  p.q_heads = ProblemLimits::max_heads;
  p.kv_heads = 1;
  p.q_len = p.kv_len = ProblemLimits::max_len;
  EXPECT_FALSE(validate(p).empty());
  EXPECT_THROW(require_valid(p), InvalidInput);
}

TEST(Problem, BadScaleIsRejected) {
  Problem p;
  p.scale = -1.0;
  EXPECT_TRUE(has_field(validate(p), "scale"));
  p.scale = std::nan("");
  EXPECT_TRUE(has_field(validate(p), "scale"));
}

TEST(Problem, FlopsCountTwoGemmsAndCausalHalf) {
  Problem p;
  p.batch = 2;
  p.q_heads = p.kv_heads = 16;
  p.q_len = p.kv_len = 1024;
  p.head_dim = 64;
  EXPECT_DOUBLE_EQ(p.flops(), 4.0 * 2 * 16 * 64 * 1024.0 * 1024.0);
  p.causal = true;
  EXPECT_EQ(p.unmasked_pairs(), 1024u * 1025u / 2u);
}

TEST(Problem, CausalIsBottomRightAligned) {
  Problem p;
  p.causal = true;
  p.q_len = 2;
  p.kv_len = 5;  // row 0 sees keys 0..3, row 1 sees 0..4
  EXPECT_EQ(p.unmasked_pairs(), 4u + 5u);
  p.q_len = 5;
  p.kv_len = 2;  // rows 0..2 see nothing, row 3 sees 1 key, row 4 sees 2
  EXPECT_EQ(p.unmasked_pairs(), 3u);
}

TEST(Problem, ByteCounts) {
  Problem p;
  p.batch = 2;
  p.q_heads = 8;
  p.kv_heads = 2;
  p.q_len = 10;
  p.kv_len = 20;
  p.head_dim = 16;
  p.dtype = DType::BF16;
  EXPECT_EQ(p.input_bytes(), (2u * 8 * 10 * 16 + 2 * 2u * 2 * 20 * 16) * 2);
  EXPECT_EQ(p.output_bytes(), 2u * 8 * 10 * 16 * 2);
  EXPECT_EQ(p.bytes_moved(), p.input_bytes() + p.output_bytes());  // Q, K, V in; O out
  EXPECT_EQ(p.lse_bytes(), 2u * 8 * 10 * 4);
}
