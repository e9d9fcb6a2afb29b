#include <gtest/gtest.h>

#include "attnscope/sweep.hpp"

using namespace attnscope;

TEST(Sweep, SingleListAndRanges) {
  EXPECT_EQ(parse_int_sweep("4096", "seq"), (std::vector<int64_t>{4096}));
  EXPECT_EQ(parse_int_sweep("64, 128", "head_dim"), (std::vector<int64_t>{64, 128}));
  EXPECT_EQ(parse_int_sweep("512:16384:x2", "seq"),
            (std::vector<int64_t>{512, 1024, 2048, 4096, 8192, 16384}));
  EXPECT_EQ(parse_int_sweep("100:1000:x3", "seq"), (std::vector<int64_t>{100, 300, 900}));
  EXPECT_EQ(parse_int_sweep("128:512:+128", "seq"), (std::vector<int64_t>{128, 256, 384, 512}));
  EXPECT_EQ(parse_int_sweep("1,512:2048:x2", "seq"), (std::vector<int64_t>{1, 512, 1024, 2048}));
}

TEST(Sweep, MalformedTextNamesTheField) {
  for (const char* bad : {"", "abc", "0", "-8", "2048", "10:5:x2", "1:8:x1", "1:8:*2", "1:8", "4:8:+0", "8.5"}) {
    try {
      parse_int_sweep(bad, "head_dim");
      FAIL() << "accepted '" << bad << "'";
    } catch (const InvalidInput& e) {
      ASSERT_EQ(e.errors().size(), 1u);
      EXPECT_EQ(e.errors()[0].field, "head_dim") << bad;
      EXPECT_NE(std::string(e.what()).find("head_dim"), std::string::npos) << e.what();
    }
  }
}

TEST(Sweep, OutOfRangeStatesTheAllowedRange) {
  try {
    parse_int_sweep("-8", "head_dim");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_STREQ(e.what(), "head_dim is -8; allowed range is 1 to 1024");
  }
}

TEST(Sweep, ExpansionIsBounded) {
  EXPECT_THROW(parse_int_sweep("1:100000:+1", "seq"), InvalidInput);
}

TEST(Sweep, DtypeList) {
  EXPECT_EQ(parse_dtype_list("fp16,bf16,float32"), (std::vector<DType>{DType::F16, DType::BF16, DType::F32}));
  try {
    parse_dtype_list("fp13");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.errors()[0].field, "dtype");
    EXPECT_NE(std::string(e.what()).find("fp13"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("float16"), std::string::npos);
  }
}

TEST(Sweep, CartesianOrderLengthFastest) {
  SweepSpec s;
  s.q_lens = {128, 256};
  s.head_dims = {64, 128};
  s.dtypes = {DType::F16, DType::BF16};
  const auto points = expand(s);
  ASSERT_EQ(points.size(), 8u);
  EXPECT_EQ(points[0].q_len, 128);
  EXPECT_EQ(points[1].q_len, 256);
  EXPECT_EQ(points[1].head_dim, 64);
  EXPECT_EQ(points[2].head_dim, 128);
  EXPECT_EQ(points[4].dtype, DType::BF16);
  for (const auto& p : points) EXPECT_EQ(p.kv_len, p.q_len);  // self-attention by default
}

TEST(Sweep, StandardGridKeepsTokensAndHiddenConstant) {
  SweepSpec s;
  s.base.q_heads = 32;
  s.base.kv_heads = 8;  // GQA ratio 4 carried over
  s.q_lens = parse_int_sweep("512:16384:x2", "seq");
  s.head_dims = {64, 128};
  s.total_tokens = 16384;
  s.hidden = 2048;
  for (const auto& p : expand(s)) {
    EXPECT_EQ(p.batch * p.q_len, 16384);
    EXPECT_EQ(p.q_heads * p.head_dim, 2048);
    EXPECT_EQ(p.q_heads / p.kv_heads, 4);
  }
}

TEST(Sweep, InvalidPointIsRejected) {
  SweepSpec s;
  s.base.q_heads = 12;
  s.base.kv_heads = 5;
  EXPECT_THROW(expand(s), InvalidInput);
}
