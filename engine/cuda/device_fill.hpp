#pragma once
// Inputs generated on the device, bit-identical to the host's make_input (random_fill.hpp), and
// poisoning of outputs so an element a kernel never writes is caught.
#include <cuda_runtime.h>

#include <cstdint>

#include "attnscope/dtype.hpp"
#include "attnscope/problem.hpp"
#include "attnscope/random_fill.hpp"

namespace attnscope::cuda {

// dst[i] = round_to(t, random_input(seed, id, i)) for i < count, on stream s.
void fill_random(void* dst, DType t, uint64_t count, TensorId id, uint64_t seed, cudaStream_t s);
// Q, K and V of problem p (layouts [B,H,N,D]).
void fill_inputs(const Problem& p, void* q, void* k, void* v, uint64_t seed, cudaStream_t s);

// Poison: a NaN with a payload no arithmetic produces (canonical NaNs differ), so "left unwritten" can
// be told apart from "computed a NaN".
inline constexpr uint32_t kPoisonF32 = 0x7FC0DEADu;
inline constexpr uint16_t kPoisonF16 = 0x7E5Au;
inline constexpr uint16_t kPoisonBF16 = 0x7FA5u;
void poison(void* dst, DType t, uint64_t count, cudaStream_t s);
// Counts poisoned elements in a host copy of a buffer of type t.
int64_t count_poisoned(const void* host, DType t, uint64_t count);

}  // namespace attnscope::cuda
