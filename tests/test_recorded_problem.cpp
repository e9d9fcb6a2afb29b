// recorded_problem(): a result file's command line read back by the CLI's own problem options, as typed.
#include <gtest/gtest.h>

#include "attnscope/problem.hpp"
#include "recorded_problem.hpp"

using attnscope::cli::recorded_problem;

TEST(RecordedProblem, TheBenchmarkGridKeepsItsSweepsAsTypedAndPassesOverTheRunsOtherOptions) {
  const auto t = recorded_problem({"build-gpu/bin/attnscope-cli", "run", "--device", "cuda:0", "--tokens", "16384", "--hidden",
                                   "2048", "--seq", "512:16384:x2", "--head-dim", "64,128", "--dtype", "float16,bfloat16",
                                   "--backends", "naive,flash2", "--min-samples", "10", "--max-time", "3", "--stream", "--causal"});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->q_len, "512:16384:x2");
  EXPECT_TRUE(t->kv_len.empty());
  EXPECT_EQ(t->head_dim, "64,128");
  EXPECT_EQ(t->dtype, "float16,bfloat16");
  EXPECT_TRUE(t->causal);
  EXPECT_EQ(t->tokens, 16384);
  EXPECT_EQ(t->hidden, 2048);
  EXPECT_FALSE(t->scale);
}

TEST(RecordedProblem, DecodeHasItsOwnKeyLengthsAndHeads) {
  const auto t = recorded_problem({"attnscope-cli", "run", "--batch", "4", "--heads", "32", "--kv-heads", "8", "--q-len", "1",
                                   "--kv-len", "8192:131072:x2", "--head-dim", "128", "--dtype", "bfloat16", "--scale", "0.125"});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->batch, 4);
  EXPECT_EQ(t->heads, 32);
  EXPECT_EQ(t->kv_heads, 8);
  EXPECT_EQ(t->q_len, "1");
  EXPECT_EQ(t->kv_len, "8192:131072:x2");
  EXPECT_EQ(t->scale, 0.125);
  EXPECT_FALSE(t->tokens);
}

TEST(RecordedProblem, DefaultsAreProblemsAndAnythingElseIsNoProblem) {
  const auto plain = recorded_problem({"attnscope-cli", "run"});
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->batch, attnscope::Problem{}.batch);
  EXPECT_EQ(plain->kv_heads, plain->heads);
  EXPECT_EQ(plain->q_len, std::to_string(attnscope::Problem{}.q_len));
  EXPECT_FALSE(recorded_problem({}));
  EXPECT_FALSE(recorded_problem({"attnscope-cli", "devices", "--json"}));
  EXPECT_FALSE(recorded_problem({"attnscope-cli", "run", "--seq", "0"}));          // invalid, as the run would have said
  EXPECT_FALSE(recorded_problem({"attnscope-cli", "run", "--heads", "6", "--kv-heads", "4"}));  // GQA must divide
}
