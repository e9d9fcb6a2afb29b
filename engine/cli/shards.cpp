#include "shards.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <thread>

namespace attnscope::cli {
namespace {

constexpr std::size_t kStderrTailBytes = 2048;  // enough for a worker's last error message

struct LiveWorker {
  const ShardWorker* spec = nullptr;
  pid_t pid = -1;
  int to_worker = -1, from_out = -1, from_err = -1;
  std::string out_buf, err_buf, err_tail;
  std::deque<int64_t> assigned;             // sent to it, no record yet; the front runs first
  std::optional<ProgressMessage> running;   // the item it said it started, until its record
  int deaths_in_a_row = 0;                  // deaths with nothing finished since the last record
  bool given_up = false, saw_end = false;

  bool alive() const { return pid > 0; }
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void spawn(LiveWorker& w) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("cannot create a pipe for a worker: ") + std::strerror(errno));
  std::vector<char*> args;
  for (const auto& s : w.spec->argv) args.push_back(const_cast<char*>(s.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("cannot start a worker: ") + std::strerror(errno));
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a coordinator killed with -9 takes its workers along
    std::signal(SIGPIPE, SIG_DFL);       // ignored signals survive exec; the worker wants the default
    ::execv(args[0], args.data());
    const std::string msg = std::string("cannot run ") + args[0] + ": " + std::strerror(errno) + "\n";
    (void)!::write(2, msg.data(), msg.size());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  w.pid = pid;
  w.to_worker = in[1];
  w.from_out = out[0];
  w.from_err = err[0];
  ::fcntl(w.from_out, F_SETFL, O_NONBLOCK);
  ::fcntl(w.from_err, F_SETFL, O_NONBLOCK);
  w.out_buf.clear();
  w.err_buf.clear();
  w.err_tail.clear();
  w.running.reset();
  w.saw_end = false;
}

void send_item(LiveWorker& w, int64_t item) {
  w.assigned.push_back(item);
  if (w.to_worker < 0) return;
  const std::string line = std::to_string(item) + "\n";
  // A worker that died meanwhile fails the write (EPIPE; SIGPIPE is ignored): its death puts the item back.
  for (std::size_t at = 0; at < line.size();) {
    const ssize_t n = ::write(w.to_worker, line.data() + at, line.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    at += std::size_t(n);
  }
}

std::string how_it_ended(int status) {
  if (WIFSIGNALED(status))
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return "exited with code " + std::to_string(WEXITSTATUS(status));
}

// Reads what is there; false once the pipe is closed.
bool drain(int fd, std::string& buf) {
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      buf.append(chunk, std::size_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

class Coordinator {
 public:
  Coordinator(const std::vector<ShardWorker>& specs, std::deque<int64_t> items, const ShardEvents& ev,
              const CancelToken& cancel)
      : items_(std::move(items)), ev_(ev), cancel_(cancel) {
    for (const auto& s : specs) {
      workers_.emplace_back();
      workers_.back().spec = &s;
    }
  }

  std::vector<int64_t> run() {
    for (auto& w : workers_) spawn(w);
    dispatch();
    while (std::any_of(workers_.begin(), workers_.end(), [](const LiveWorker& w) { return w.alive(); })) {
      if (cancel_.cancelled() && !cancel_sent_) cancel_all();
      poll_once();
    }
    std::vector<int64_t> left(items_.begin(), items_.end());
    std::sort(left.begin(), left.end());
    return left;
  }

 private:
  std::size_t index_of(const LiveWorker& w) const { return std::size_t(&w - workers_.data()); }

  void cancel_all() {
    cancel_sent_ = true;
    items_.clear();
    for (auto& w : workers_)
      if (w.alive()) {
        ::kill(w.pid, SIGTERM);  // the worker stops between samples and still sends what it finished
        close_fd(w.to_worker);
      }
  }

  // Each worker holds the item it runs and at most one more, so it never waits for the coordinator
  // between items and no item waits behind a slow GPU while another is idle.
  void dispatch() {
    for (auto& w : workers_) {
      if (!w.alive() || w.given_up || w.to_worker < 0) continue;
      while (!items_.empty() &&
             (w.assigned.empty() || (w.assigned.size() == 1 && w.running && w.running->item == w.assigned.front()))) {
        send_item(w, items_.front());
        items_.pop_front();
      }
    }
    const bool settled = items_.empty() && std::all_of(workers_.begin(), workers_.end(),
                                                       [](const LiveWorker& w) { return w.assigned.empty(); });
    if (settled)  // no more items for anyone: end of input lets each worker finish and say "end"
      for (auto& w : workers_) close_fd(w.to_worker);
  }

  void poll_once() {
    std::vector<pollfd> fds;
    std::vector<std::pair<LiveWorker*, bool>> who;  // worker, is stdout
    for (auto& w : workers_) {
      if (w.from_out >= 0) fds.push_back({w.from_out, POLLIN, 0}), who.push_back({&w, true});
      if (w.from_err >= 0) fds.push_back({w.from_err, POLLIN, 0}), who.push_back({&w, false});
    }
    if (!fds.empty() && ::poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR)
      throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      auto [w, is_out] = who[i];
      int& fd = is_out ? w->from_out : w->from_err;
      std::string& buf = is_out ? w->out_buf : w->err_buf;
      const bool open = drain(fd, buf);
      for (std::size_t nl; (nl = buf.find('\n')) != std::string::npos;) {
        const std::string line = buf.substr(0, nl);
        buf.erase(0, nl + 1);
        is_out ? on_line(*w, line) : on_stderr(*w, line);
      }
      if (!open) {
        if (!buf.empty()) is_out ? on_line(*w, buf) : on_stderr(*w, buf);
        buf.clear();
        close_fd(fd);
      }
    }
    for (auto& w : workers_)
      if (w.alive() && w.from_out < 0 && w.from_err < 0) reap(w);
  }

  void on_stderr(LiveWorker& w, const std::string& line) {
    w.err_tail += line + "\n";
    if (w.err_tail.size() > kStderrTailBytes) w.err_tail.erase(0, w.err_tail.size() - kStderrTailBytes);
    if (ev_.on_stderr) ev_.on_stderr(w.spec->device, line);
  }

  void on_line(LiveWorker& w, const std::string& line) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) return;
    WorkerMessage msg;
    try {
      msg = parse_worker_line(line);
    } catch (const std::exception& e) {
      on_stderr(w, std::string("unreadable worker line: ") + e.what());
      return;
    }
    if (auto* s = std::get_if<StartMessage>(&msg)) {
      if (ev_.on_start) ev_.on_start(w.spec->device, *s);
    } else if (auto* p = std::get_if<ProgressMessage>(&msg)) {
      w.running = *p;
      if (ev_.on_progress) ev_.on_progress(*p);
      dispatch();
    } else if (auto* r = std::get_if<RecordMessage>(&msg)) {
      if (auto it = std::find(w.assigned.begin(), w.assigned.end(), r->item); it != w.assigned.end())
        w.assigned.erase(it);
      if (w.running && w.running->item == r->item) w.running.reset();
      w.deaths_in_a_row = 0;
      if (ev_.on_record) ev_.on_record(index_of(w), r->item, r->record);
      dispatch();
    } else if (std::holds_alternative<EndMessage>(msg)) {
      w.saw_end = true;
    } else if (auto* log = std::get_if<LogMessage>(&msg)) {
      if (ev_.on_stderr) ev_.on_stderr(w.spec->device, log->level + ": " + log->message);
    }
  }

  void reap(LiveWorker& w) {
    int status = 0;
    while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
    }
    w.pid = -1;
    close_fd(w.to_worker);
    close_fd(w.from_out);
    close_fd(w.from_err);
    const bool clean = w.saw_end && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    const std::string how = "the worker on " + w.spec->device + " " + how_it_ended(status);
    std::string tail = w.err_tail;
    while (!tail.empty() && tail.back() == '\n') tail.pop_back();
    if (tail.size() > 300) tail = "…" + tail.substr(tail.size() - 300);
    if (w.running) {
      // The item it was running is the one that took it down (a fault, a hang killed by the user): an
      // error on its point, and the sweep goes on.
      const ProgressMessage& p = *w.running;
      Record r;
      r.point = p.point;
      if (p.problem) r.problem = *p.problem;
      r.backend = p.backend;
      r.device = w.spec->device;
      r.status = Status::Error;
      r.message = how + " while measuring this item" + (tail.empty() ? "" : " (" + tail + ")") +
                  "; the sweep went on with a new worker";
      if (auto it = std::find(w.assigned.begin(), w.assigned.end(), p.item); it != w.assigned.end()) w.assigned.erase(it);
      w.running.reset();
      w.deaths_in_a_row = 0;
      if (ev_.on_record) ev_.on_record(index_of(w), p.item, r);
    } else if (!clean) {
      ++w.deaths_in_a_row;
    }
    // Items it was given but never started go back to the front of the queue, in order.
    items_.insert(items_.begin(), w.assigned.begin(), w.assigned.end());
    w.assigned.clear();
    if (cancel_sent_ || clean) {
      dispatch();
      return;
    }
    if (w.deaths_in_a_row >= kMaxShardRestarts) {
      w.given_up = true;
      if (ev_.on_stderr)
        ev_.on_stderr(w.spec->device, how + ", " + std::to_string(w.deaths_in_a_row) +
                                          " times in a row with nothing finished; no more items go to " +
                                          w.spec->device + (tail.empty() ? "" : " (" + tail + ")"));
    } else if (!items_.empty()) {
      if (w.deaths_in_a_row > 0)  // back-off: 250 ms, 500 ms, 1 s
        std::this_thread::sleep_for(std::chrono::milliseconds(250 << std::min(w.deaths_in_a_row - 1, 4)));
      spawn(w);
    }
    dispatch();
  }

  std::vector<LiveWorker> workers_;
  std::deque<int64_t> items_;
  const ShardEvents& ev_;
  const CancelToken& cancel_;
  bool cancel_sent_ = false;
};

// Writing to a worker that has died must fail the write, not kill the coordinator.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() {
    struct sigaction sa {};
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, &old_);
  }
  ~IgnoreSigpipe() { sigaction(SIGPIPE, &old_, nullptr); }

 private:
  struct sigaction old_ {};
};

}  // namespace

std::vector<int64_t> run_shards(const std::vector<ShardWorker>& workers, std::deque<int64_t> items,
                                const ShardEvents& events, const CancelToken& cancel) {
  IgnoreSigpipe guard;
  return Coordinator(workers, std::move(items), events, cancel).run();
}

std::string self_executable() {
  std::vector<char> buf(4096);
  const ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n <= 0) throw std::runtime_error(std::string("cannot find this program (/proc/self/exe): ") + std::strerror(errno));
  return std::string(buf.data(), std::size_t(n));
}

}  // namespace attnscope::cli
