#pragma once
// One sweep over several devices (`run --device cuda:0,cuda:1` or `--device all`): one worker process
// per device, each pinned to its device by its own --device, so no point shares a GPU with another
// point being timed. The coordinator hands out plan items one at a time (a worker holds the item it
// runs and at most one more), so a fast GPU takes more items than a slow one and nobody idles while
// items are left. The workers speak the ordinary `run --stream` protocol (protocol.hpp) and read the
// items to run from stdin (`--items-from-stdin`). A worker that dies gets an error record on the item
// it was running; its other items go back to the queue and a new worker starts on that device.
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "attnscope/protocol.hpp"
#include "attnscope/executor.hpp"

namespace attnscope::cli {

struct ShardWorker {
  std::string device;             // "cuda:1": what its records will say
  std::vector<std::string> argv;  // the whole command line of the worker, argv[0] the executable
};

struct ShardEvents {
  std::function<void(const std::string& device, const StartMessage&)> on_start;
  std::function<void(const ProgressMessage&)> on_progress;  // an item started on some worker
  std::function<void(std::size_t worker, int64_t item, const Record&)> on_record;  // worker: index in the list
  std::function<void(const std::string& device, const std::string& line)> on_stderr;  // a worker's diagnostics
};

// Consecutive deaths of one device's worker with nothing finished before that device is given up.
inline constexpr int kMaxShardRestarts = 3;

// Runs `items` (plan indices, in the order to hand them out) on the workers until every item has a
// record, the run is cancelled (SIGTERM to every worker; their finished records still arrive), or
// every device was given up. Returns the items left without a record.
std::vector<int64_t> run_shards(const std::vector<ShardWorker>& workers, std::deque<int64_t> items,
                                const ShardEvents& events, const CancelToken& cancel);

// The path of the running executable (to start workers of the same build).
std::string self_executable();

}  // namespace attnscope::cli
