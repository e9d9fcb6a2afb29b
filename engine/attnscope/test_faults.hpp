#pragma once
// Backends that fail on purpose, for the GPU fault tests only: "test-oom" asks for more device memory
// than exists, "test-fault" writes through a null pointer (a sticky illegal-address error), "test-hang"
// launches a kernel that spins (bounded at ten minutes, so a test that forgets it cannot hold the GPU
// for ever). They are registered only when the environment sets ATTNSCOPE_TEST_FAULT_BACKENDS=1 (the
// GPU tests do) and only in a CUDA build: they never appear in a user's backend list.
#include "attnscope/registry.hpp"

namespace attnscope {

inline constexpr const char* kTestFaultBackendsEnv = "ATTNSCOPE_TEST_FAULT_BACKENDS";
void register_test_fault_backends(Registry& reg);

}  // namespace attnscope
