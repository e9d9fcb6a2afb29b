#pragma once
// This process's CUDA primary contexts, through the driver API (libcuda, opened at run time): whether one
// is alive on a device, and a device's memory read without leaving one behind. A context holds ~0.5 GB
// of the GPU for as long as it lives, so a process that only looks at GPUs (device discovery, the
// coordinator of a sharded run) must not keep one while other processes measure on them.
#include <cstddef>
#include <optional>

namespace attnscope::cuda {

// Whether this process holds the primary context of CUDA device `ordinal`; nullopt where the driver
// cannot say (no libcuda, no such device).
std::optional<bool> primary_context_active(int ordinal);

struct DeviceMemory {
  std::size_t free = 0, total = 0;
};
// cuMemGetInfo inside the device's primary context, retained for this call only: a context that did
// not exist before is destroyed again, one that did (the runtime's, an executor's) is left as it was.
std::optional<DeviceMemory> memory_leaving_no_context(int ordinal);

}  // namespace attnscope::cuda
