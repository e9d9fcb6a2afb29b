// `attnscope-cli run`: sweep × backends → a readable table, result files, and (with --stream) the
// JSON-lines worker protocol the GUI reads. Ctrl-C / SIGTERM cancel cleanly: finished records are kept
// and the files are still written.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "attnscope/cpu_executor.hpp"
#include "attnscope/file_output.hpp"
#include "attnscope/protocol.hpp"
#include "attnscope/python_host.hpp"
#include "attnscope/results.hpp"
#include "attnscope/rules.hpp"
#include "attnscope/runner.hpp"
#include "attnscope/test_faults.hpp"
#include "commands.hpp"
#include "format.hpp"
#include "journal.hpp"
#include "shards.hpp"
#include "options.hpp"

namespace attnscope::cli {
namespace {

struct RunArgs {
  ProblemOptions problem;
  DeviceOptions device;
  std::string backends, json_file, csv_file;
  bool stream = false, warm_l2 = false, no_check = false, resume = false, each_plan = false, items_from_stdin = false;
  int64_t start_at = 0, min_samples = 0, threads = 0;
  double min_time = 0, max_time = 0, noise = 0, warmup_time = 0;
  uint64_t seed = 1234;
  CLI::Option *min_samples_opt = nullptr, *min_time_opt = nullptr, *max_time_opt = nullptr, *noise_opt = nullptr,
              *warmup_time_opt = nullptr,
              *threads_opt = nullptr, *backends_opt = nullptr, *start_at_opt = nullptr;
};

// The longest --min-time/--max-time accepted: an hour per point is already far beyond any useful run.
constexpr double kMaxTimeCapS = 3600;
// Runs that may stop on the same item before --resume records it as failed instead of retrying it.
constexpr int kMaxInterruptedStarts = 2;

// The signal handler may only touch lock-free atomics: CancelToken is one atomic<bool>.
CancelToken* g_cancel = nullptr;
extern "C" void on_cancel_signal(int) {
  if (g_cancel) g_cancel->cancel();
}

class SignalGuard {  // installs the handlers for the run, restores the old ones after
 public:
  explicit SignalGuard(CancelToken& token) {
    g_cancel = &token;
    struct sigaction sa {};
    sa.sa_handler = on_cancel_signal;
    sa.sa_flags = SA_RESETHAND;  // a second Ctrl-C kills at once, for a run stuck inside one kernel
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~SignalGuard() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    g_cancel = nullptr;
  }

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

std::vector<std::string> split_ids(const std::string& text, bool given) {
  std::vector<std::string> ids;
  std::string cur;
  for (char c : text + ",") {
    if (c == ',') {
      if (!cur.empty() && std::find(ids.begin(), ids.end(), cur) != ids.end())
        field_error("backends", "backends lists '" + cur + "' twice; list each backend once");
      if (!cur.empty()) ids.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur += c;
    }
  }
  if (given && ids.empty()) field_error("backends", "backends '" + text + "' names no backend; leave it out to run all");
  return ids;
}

MeasureSettings measure_settings(const RunArgs& a, const DeviceInfo& d) {
  MeasureSettings s;
  if (d.kind == DeviceKind::Cpu) {
    // CPU runs are long and steady-clock noise is not the limit: fewer, shorter samples by default.
    s.stopping.min_samples = 3;
    s.stopping.min_time_s = 0.2;
    s.stopping.max_time_s = 5.0;
    s.stopping.noise_target = 0.05;
    s.warmup_min_runs = 1;
    s.warmup_min_time_s = 0;
  }
  std::vector<FieldError> errors;
  if (a.min_samples_opt->count()) {
    if (a.min_samples < 1) errors.push_back({"min_samples", "min_samples is " + std::to_string(a.min_samples) + "; allowed: ≥ 1"});
    s.stopping.min_samples = a.min_samples;
  }
  if (a.min_time_opt->count()) {
    if (!(a.min_time >= 0 && a.min_time <= kMaxTimeCapS))
      errors.push_back({"min_time", "min_time is " + std::to_string(a.min_time) + " s; allowed: 0 to " +
                                        std::to_string(int(kMaxTimeCapS)) + " s"});
    s.stopping.min_time_s = a.min_time;
  }
  if (a.max_time_opt->count()) {
    // Finite and bounded: the app's watchdog for a hung worker is derived from this cap.
    if (!(a.max_time > 0 && a.max_time <= kMaxTimeCapS))
      errors.push_back({"max_time", "max_time is " + std::to_string(a.max_time) + " s; allowed: > 0 and ≤ " +
                                        std::to_string(int(kMaxTimeCapS)) + " s"});
    s.stopping.max_time_s = a.max_time;
  }
  if (a.noise_opt->count()) {
    if (!(a.noise > 0 && a.noise < 1))
      errors.push_back({"noise", "noise is " + std::to_string(a.noise) + "; allowed: 0 < noise < 1 (relative CI half-width)"});
    s.stopping.noise_target = a.noise;
  }
  if (a.warmup_time_opt->count()) {
    if (!(a.warmup_time >= 0 && a.warmup_time <= kMaxTimeCapS))
      errors.push_back({"warmup_time", "warmup_time is " + std::to_string(a.warmup_time) + " s; allowed: 0 to " +
                                           std::to_string(int(kMaxTimeCapS)) + " s"});
    s.warmup_min_time_s = a.warmup_time;
  }
  if (!errors.empty()) throw InvalidInput(std::move(errors));
  s.cold_l2 = !a.warm_l2;
  s.check_accuracy = !a.no_check;
  s.each_variant = a.each_plan;
  s.seed = a.seed;
  return s;
}

// Writes each result file on its own: one that fails does not cost the other. Returns false (after
// saying why) when any failed.
bool write_result_files(const RunArgs& a, const ResultDocument& doc) {
  bool ok = true;
  auto attempt = [&](const std::string& file, const char* option, auto&& save) {
    if (file.empty()) return;
    try {
      save();
    } catch (const std::exception& e) {
      std::cerr << "attnscope-cli: error: " << option << ": " << e.what() << std::endl;
      ok = false;
    }
  };
  attempt(a.json_file, "--json", [&] { save_json(doc, a.json_file); });
  attempt(a.csv_file, "--csv", [&] { save_csv(doc.records, a.csv_file); });
  return ok;
}

// Refuses, before anything runs, thread counts the hardware cannot give (hundreds of BLAS threads
// hang under an address-space limit and thrash without one).
void check_threads(const RunArgs& a) {
  if (!a.threads_opt->count()) return;
  const int64_t hw = std::max<int64_t>(1, std::thread::hardware_concurrency());
  if (a.threads < 1 || a.threads > hw)
    field_error("threads", "threads is " + std::to_string(a.threads) + "; allowed: 1 to " + std::to_string(hw) +
                               " (the hardware threads of this machine)");
}

std::vector<std::string> record_row(int64_t item, const Record& r, const DeviceInfo& d) {
  const Problem& p = r.problem;
  std::string median = "-", tflops = "-", pct = "-", gbs = "-", mem = "-", err = "-";
  if (r.status == Status::Ok) {
    median = duration_from_us(r.latency_us.median) + (r.converged ? "" : "*");
    tflops = fixed(r.tflops, r.tflops < 10 ? 3 : 1);
    pct = d.peak_tflops(p.dtype) > 0 ? fixed(r.pct_of_peak, 1) + "%" : "-";
    gbs = fixed(r.gbs, r.gbs < 10 ? 3 : r.gbs < 100 ? 1 : 0);
    if (r.memory.peak) mem = format_bytes(*r.memory.peak);
    if (r.accuracy) err = scientific(r.accuracy->rel_l2) + (r.accuracy->pass ? "" : " FAIL");
  }
  // Ineligible rows keep the table readable: the first reason here, all of them in the files and
  // in `attnscope-cli backends`.
  std::string note = r.message;
  if (r.status == Status::Ineligible && !r.unmet.empty()) {
    note = r.unmet.front().reason;
    if (r.unmet.size() > 1) note += " (+" + std::to_string(r.unmet.size() - 1) + " more)";
  }
  return {std::to_string(item), std::to_string(p.batch) + "×" + std::to_string(p.q_heads) + "/" + std::to_string(p.kv_heads),
          std::to_string(p.q_len), std::to_string(p.kv_len), std::to_string(p.head_dim), std::string(to_string(p.dtype)),
          r.backend, std::string(to_string(r.status)), median, tflops, pct, gbs, mem, err, note};
}

// Backend ids in plan order, each once.
std::vector<std::string> backend_ids_in(const std::vector<PlanItem>& plan) {
  std::vector<std::string> ids;
  for (const auto& it : plan)
    if (std::find(ids.begin(), ids.end(), it.backend->info().id) == ids.end()) ids.push_back(it.backend->info().id);
  return ids;
}

// The result document without records: what ran where, and how it was asked for.
ResultDocument new_document(const RunArgs& a, const std::vector<std::string>& argv, const DeviceInfo& device,
                            const MeasureSettings& settings, const std::vector<PlanItem>& plan) {
  ResultDocument doc;
  doc.tool_version = ATTNSCOPE_VERSION;
  doc.created_utc = now_utc_iso8601();
  doc.host = this_host();
  doc.device = device;
  doc.settings.argv = argv;
  doc.settings.sweep = a.problem.describe();
  doc.settings.backends = backend_ids_in(plan);
  doc.settings.l2_mode = settings.cold_l2 ? "cold" : "warm";
  doc.settings.seed = settings.seed;
  doc.settings.min_samples = settings.stopping.min_samples;
  doc.settings.min_time_s = settings.stopping.min_time_s;
  doc.settings.max_time_s = settings.stopping.max_time_s;
  doc.settings.noise_target = settings.stopping.noise_target;
  return doc;
}

// Versions, clocks, sharing and formulas for the result file (environment.hpp).
RunEnvironment environment_for(const Registry& reg, const std::vector<DeviceInfo>& devices) {
  std::vector<DeviceInfo> gpus;
  for (const auto& d : devices)
    if (d.kind == DeviceKind::Cuda && std::none_of(gpus.begin(), gpus.end(), [&](const DeviceInfo& g) { return g.id == d.id; }))
      gpus.push_back(d);
  RunEnvironment e = platform::probe_environment(gpus);
  for (const auto& b : reg.backends())
    for (const auto& [name, version] : b->library_versions()) e.libraries[name] = version;
  e.flop_formula = Problem::flops_formula();
  e.byte_formula = Problem::bytes_formula();
  return e;
}

// A journal left by an earlier run: refused without --resume, read with it.
std::optional<JournalState> prior_journal(const RunArgs& a, const std::string& journal) {
  if (a.resume && journal.empty()) field_error("resume", "resume needs --json or --csv: the journal lives beside them");
  if (a.resume && a.start_at_opt->count()) field_error("resume", "resume and --start-at exclude each other");
  if (journal.empty() || ::access(journal.c_str(), F_OK) != 0) {
    if (a.resume) field_error("resume", "resume: there is no journal " + journal + " to continue");
    return std::nullopt;
  }
  if (!a.resume)
    field_error("resume", "an unfinished run's journal exists: " + journal +
                              "; add --resume to continue it (its finished items are kept), or delete it to start over");
  return read_journal(journal);
}

// The device ids a run used, in worker order (a journal must be resumed on the same ones).
std::vector<std::string> device_ids(const ResultDocument& doc) {
  std::vector<std::string> ids;
  for (const auto& d : doc.devices) ids.push_back(d.id);
  if (ids.empty()) ids.push_back(doc.device.id);
  return ids;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

// A shard worker's command line: this run's options without the ones the coordinator keeps to itself
// (devices, files, resuming), plus its own device, --stream and --items-from-stdin.
std::vector<std::string> worker_argv(const std::vector<std::string>& argv, const std::string& device, int64_t threads) {
  static const std::vector<std::string> kWithValue = {"--device", "--profile", "--json", "--csv", "--start-at", "--threads",
                                                      "--python"};
  static const std::vector<std::string> kFlags = {"--resume", "--stream", "--items-from-stdin"};
  std::vector<std::string> out = {self_executable(), "run"};
  const auto run_at = std::find(argv.begin(), argv.end(), "run");
  for (auto it = run_at == argv.end() ? argv.end() : run_at + 1; it != argv.end(); ++it) {
    const std::string name = it->substr(0, it->find('='));
    if (std::find(kFlags.begin(), kFlags.end(), *it) != kFlags.end()) continue;
    if (std::find(kWithValue.begin(), kWithValue.end(), name) != kWithValue.end()) {
      if (name == *it && it + 1 != argv.end()) ++it;  // "--json FILE" (not "--json=FILE")
      continue;
    }
    out.push_back(*it);
  }
  out.insert(out.end(), {"--device", device, "--stream", "--items-from-stdin"});
  // The library backends' interpreter, also when --python came before `run` (where argv above starts).
  if (const python::InterpreterChoice py = python::interpreter_choice(); py.chosen_by == "--python")
    out.insert(out.end(), {"--python", py.requested});
  if (threads > 0) out.insert(out.end(), {"--threads", std::to_string(threads)});
  return out;
}

// `--items-from-stdin`: a shard worker. Runs the plan items its coordinator writes to stdin, one number
// a line, and answers in the stream protocol; the coordinator keeps the journal and the files.
int run_items_from_stdin(const RunArgs& a, const DeviceInfo& device, const ResultDocument& doc,
                         const std::vector<Problem>& points, const std::vector<PlanItem>& plan, const Registry& reg,
                         const MeasureSettings& settings) {
  if (!a.stream || !a.json_file.empty() || !a.csv_file.empty() || a.resume || a.start_at_opt->count())
    field_error("items_from_stdin", "items-from-stdin is the shard workers' mode: it needs --stream and takes no "
                                    "--json, --csv, --resume or --start-at (the coordinator keeps those)");
  std::unique_ptr<Executor> exec = device.kind == DeviceKind::Cpu && a.threads > 0
                                       ? std::make_unique<CpuExecutor>(device, int(a.threads))
                                       : make_executor(device);
  const int64_t total = int64_t(plan.size());
  std::cout << to_line(StartMessage{doc, total, 0}) << std::endl;
  RunCallbacks cb;
  cb.on_progress = [&](const PlanItem& item, int64_t done, int64_t n, double elapsed) {
    std::cout << to_line(ProgressMessage{done, n, item.item, item.point, item.backend->info().id,
                                         points[std::size_t(item.point)], elapsed})
              << std::endl;
  };
  cb.on_record = [&](const PlanItem& item, const Record& r) { std::cout << to_line(RecordMessage{item.item, r}) << std::endl; };
  const Runner::NextItem next = [&]() -> std::optional<int64_t> {
    std::string line;
    if (!std::getline(std::cin, line)) return std::nullopt;
    try {
      return std::stoll(line);
    } catch (const std::exception&) {
      field_error("items_from_stdin", "items-from-stdin read '" + line + "'; expected a plan item number");
    }
  };
  CancelToken cancel;
  Runner runner(reg, *exec);
  {
    SignalGuard guard(cancel);
    runner.run_items(points, plan, settings, cb, cancel, next);
  }
  if (!runner.device_lost()) std::cout << to_line(EndMessage{0, total, cancel.cancelled()}) << std::endl;
  std::cout.flush();
  if (!std::cout || runner.device_lost()) return kExitFailure;
  return cancel.cancelled() ? kExitCancelled : kExitOk;
}

int run_sweep(const RunArgs& a, const std::vector<std::string>& argv) {
  if (!a.json_file.empty() && a.json_file == a.csv_file)
    field_error("csv", "csv and --json are the same file " + a.csv_file + "; give two names");
  check_threads(a);
  const std::vector<Problem> points = expand(a.problem.sweep());
  const DeviceList devices = discover_devices();
  const std::vector<DeviceInfo> run_devices = a.device.resolve_all(devices);
  const DeviceInfo& device = run_devices.front();
  const bool sharded = run_devices.size() > 1;
  if (sharded && a.items_from_stdin) field_error("items_from_stdin", "items-from-stdin runs on one device");
  if (sharded && a.start_at_opt->count())
    field_error("start_at", "start_at works on one device; a sharded run continues with --resume (and --json or --csv)");
  Registry reg;
  register_builtin_backends(reg);
  register_test_fault_backends(reg);  // only when the GPU fault tests ask for them (test_faults.hpp)
  const std::vector<std::string> ids = split_ids(a.backends, a.backends_opt->count() > 0);
  // The library backends start Python (and import PyTorch): only when the plan may include them.
  if (ids.empty() || std::any_of(ids.begin(), ids.end(), [&](const std::string& id) { return !reg.find(id); }))
    register_library_backends(reg);
  if (uint64_t(points.size()) * std::max<uint64_t>(1, ids.empty() ? reg.backends().size() : ids.size()) > kMaxPlanItems)
    field_error(a.problem.swept_options(), "the plan has " + std::to_string(points.size()) + " points × " +
                                               std::to_string(ids.empty() ? reg.backends().size() : ids.size()) +
                                               " backends; at most " + std::to_string(kMaxPlanItems) +
                                               " items per run — give fewer values or fewer --backends");
  const std::vector<PlanItem> plan = make_plan(reg, points, ids);
  if (a.start_at < 0 || a.start_at > int64_t(plan.size()))
    field_error("start_at", "start_at is " + std::to_string(a.start_at) + "; allowed: 0.." +
                                         std::to_string(plan.size()) + " (items in this plan)");
  const MeasureSettings settings = measure_settings(a, device);
  ResultDocument doc = new_document(a, argv, device, settings, plan);
  if (sharded) doc.devices = run_devices;
  doc.environment = environment_for(reg, run_devices);
  if (a.items_from_stdin) return run_items_from_stdin(a, device, doc, points, plan, reg, settings);
  std::unique_ptr<Executor> exec;
  if (!sharded)
    exec = device.kind == DeviceKind::Cpu && a.threads > 0 ? std::make_unique<CpuExecutor>(device, int(a.threads))
                                                           : make_executor(device);
  // Fail before measuring anything when a result file cannot be written (nothing is created yet).
  if (!a.json_file.empty()) check_writable(a.json_file, "--json");
  if (!a.csv_file.empty()) check_writable(a.csv_file, "--csv");

  const int64_t total = int64_t(plan.size());
  const std::string journal_file = journal_path_for(a.json_file, a.csv_file);
  std::optional<JournalState> prior = prior_journal(a, journal_file);
  int64_t start_at = a.start_at;
  std::vector<std::pair<int64_t, Record>> records;  // (plan item, record), in the order they finished
  std::set<int64_t> finished;
  std::deque<int64_t> todo;
  if (prior) {
    if (prior->total != total || prior->doc.settings.sweep != doc.settings.sweep ||
        prior->doc.settings.backends != doc.settings.backends || device_ids(prior->doc) != device_ids(doc))
      field_error("resume", "resume: the journal " + journal_file + " belongs to another sweep (" +
                                prior->doc.settings.sweep + " on " + joined(device_ids(prior->doc)) + ", " +
                                std::to_string(prior->total) + " items); give the same options as that run");
    start_at = prior->start_at;
    for (std::size_t i = 0; i < prior->doc.records.size(); ++i)
      records.emplace_back(prior->record_items[i], std::move(prior->doc.records[i]));
    finished = prior->finished;
    const std::vector<int64_t> missing = prior->missing();
    todo.assign(missing.begin(), missing.end());
    std::cerr << "Resuming from " << journal_file << ": " << finished.size() << " finished item(s) kept, "
              << todo.size() << " to measure" << std::endl;
  } else {
    for (int64_t i = start_at; i < total; ++i) todo.push_back(i);
  }
  const nlohmann::json start = to_json(WorkerMessage{StartMessage{doc, total, start_at}});
  std::unique_ptr<Journal> journal;
  if (!journal_file.empty()) journal = std::make_unique<Journal>(journal_file, prior ? nullptr : &start);
  std::ostream& table_out = a.stream ? std::cerr : std::cout;
  if (a.stream) {
    std::cout << to_line(StartMessage{doc, total, start_at}) << std::endl;
    // A resumed stream repeats the kept records, so whoever reads it holds the whole sweep.
    for (const auto& [item, r] : records) std::cout << to_line(RecordMessage{item, r}) << std::endl;
  }
  table_out << "Device: " << joined(device_ids(doc)) << " — " << device.name << " (timer: " << device.timer << ")\n"
            << "Plan:   " << points.size() << " point(s) × " << doc.settings.backends.size() << " backend(s) = "
            << total << " item(s)" << (start_at ? ", starting at item " + std::to_string(start_at) : "")
            << (sharded ? ", sharded over " + std::to_string(run_devices.size()) + " workers" : "") << "\n\n";
  for (std::size_t i = 1; i < run_devices.size(); ++i)
    if (std::find_if(run_devices.begin(), run_devices.begin() + i,
                     [&](const DeviceInfo& d) { return d.id == run_devices[i].id; }) != run_devices.begin() + i) {
      const std::string warning = run_devices[i].id + " is listed more than once: its workers share it and perturb "
                                  "each other's timings (a test of the sharding, not a measurement)";
      std::cerr << "attnscope-cli: warning: " << warning << std::endl;
      if (a.stream) std::cout << to_line(LogMessage{"warning", warning}) << std::endl;
      break;
    }
  const std::vector<std::string> header = {"item", "B×Hq/Hkv", "Nq", "Nk", "d", "dtype", "backend", "status",
                                           "median", "TFLOP/s", "%peak", "GB/s", "peak mem", "rel L2", "note"};
  std::vector<std::pair<int64_t, std::vector<std::string>>> rows;  // (item, table row)
  const auto t0 = std::chrono::steady_clock::now();
  bool any_ineligible = false, device_lost = false;
  // Every item that starts and every record, from this process's runner or from a shard worker.
  auto on_started = [&](ProgressMessage p) {
    if (journal) journal->started(p.item, total);
    if (!a.stream) return;
    p.done = int64_t(finished.size());
    p.total = total;
    p.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << to_line(p) << std::endl;
  };
  // Two workers on one device are told apart in the echo: "cpu#2".
  const bool repeated = std::any_of(run_devices.begin(), run_devices.end(), [&](const DeviceInfo& d) {
    return std::count_if(run_devices.begin(), run_devices.end(), [&](const DeviceInfo& e) { return e.id == d.id; }) > 1;
  });
  std::size_t record_worker = 0;  // the worker of the record on_record is given
  auto on_record = [&](int64_t item, const Record& r) {
    if (item < 0 || item >= total) return;  // not an item of this plan: a broken worker, never kept
    finished.insert(item);
    if (journal) journal->record(item, r);  // on the disk before anyone hears of it
    any_ineligible |= r.status == Status::Ineligible;
    if (a.stream) std::cout << to_line(RecordMessage{item, r}) << std::endl;
    rows.emplace_back(item, record_row(item, r, device));
    // Echo progress as each record lands so a long sweep is never silent.
    std::cerr << "[" << finished.size() << "/" << total << "] " << r.backend << " " << r.problem.describe()
              << (sharded ? " on " + r.device + (repeated ? "#" + std::to_string(record_worker + 1) : "") : "") << ": "
              << to_string(r.status)
              << (r.status == Status::Ok ? " " + duration_from_us(r.latency_us.median) : "") << std::endl;
    records.emplace_back(item, r);
  };
  if (prior) {
    // An item that stopped the run every time (a hang, a crash that takes the process down) is recorded
    // as failed on its point, as the app's supervisor does, instead of being tried again.
    for (auto it = todo.begin(); it != todo.end();) {
      const auto starts = prior->interrupted_starts.find(*it);
      if (starts == prior->interrupted_starts.end() || starts->second < kMaxInterruptedStarts) {
        ++it;
        continue;
      }
      const PlanItem& item = plan[std::size_t(*it)];
      Record r;
      r.point = item.point;
      r.problem = points[std::size_t(item.point)];
      r.backend = item.backend->info().id;
      r.device = device.id;
      r.status = Status::Error;
      r.message = "the run stopped " + std::to_string(starts->second) +
                  " times while measuring this item (killed, crashed or hung); --resume recorded it as failed and went on";
      on_record(*it, r);
      it = todo.erase(it);
    }
  }

  CancelToken cancel;
  std::vector<int64_t> left;
  {
    SignalGuard guard(cancel);
    if (!sharded) {
      RunCallbacks cb;
      cb.on_progress = [&](const PlanItem& item, int64_t, int64_t n, double elapsed) {
        on_started(ProgressMessage{0, n, item.item, item.point, item.backend->info().id,
                                   points[std::size_t(item.point)], elapsed});
      };
      cb.on_record = [&](const PlanItem& item, const Record& r) { on_record(item.item, r); };
      Runner runner(reg, *exec);
      runner.run_items(points, plan, settings, cb, cancel, [&]() -> std::optional<int64_t> {
        if (todo.empty()) return std::nullopt;
        const int64_t i = todo.front();
        todo.pop_front();
        return i;
      });
      device_lost = runner.device_lost();
    } else {
      std::vector<ShardWorker> workers;
      const int64_t hw = std::max<int64_t>(1, std::thread::hardware_concurrency());
      // CPU workers share the cores: each gets its part unless --threads says otherwise.
      const int64_t threads = device.kind == DeviceKind::Cpu
                                  ? (a.threads > 0 ? a.threads : std::max<int64_t>(1, hw / int64_t(run_devices.size())))
                                  : 0;
      for (const auto& d : run_devices) workers.push_back({d.id, worker_argv(argv, d.id, threads)});
      ShardEvents ev;
      ev.on_progress = on_started;
      ev.on_record = [&](std::size_t worker, int64_t item, const Record& r) {
        record_worker = worker;
        on_record(item, r);
      };
      ev.on_stderr = [&](const std::string& dev, const std::string& line) {
        std::cerr << "[" << dev << "] " << line << std::endl;
      };
      // The coordinator only hands out items: a context of its own would hold GPU memory (and count as
      // another process on the GPU) all run long. Discovery leaves none; say so if something else did.
      for (const std::string& gpu : platform::gpus_holding_context()) {
        const std::string warning = "the coordinator holds a CUDA context on " + gpu +
                                    " while its workers measure (GPU memory they cannot use)";
        std::cerr << "attnscope-cli: warning: " << warning << std::endl;
        if (a.stream) std::cout << to_line(LogMessage{"warning", warning}) << std::endl;
      }
      left = run_shards(workers, std::move(todo), ev, cancel);
    }
  }
  const bool cancelled = cancel.cancelled();
  // A lost device ends this process without the end line: the GUI reads that as a dead worker and
  // restarts one on the next item.
  if (a.stream && !device_lost)
    std::cout << to_line(EndMessage{int64_t(finished.size()), total, cancelled}) << std::endl;

  TextTable table(header);
  std::stable_sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  for (auto& [item, row] : rows) table.add(std::move(row));
  table_out << '\n';
  table.print(table_out);
  table_out << "\nmedian*: did not converge to the noise target before the time cap. GB/s: Q, K, V read and O written "
               "once, per second (the least traffic; decoding's figure of merit). rel L2: vs the fp64 reference.\n";
  if (any_ineligible)
    table_out << "Every reason for an ineligible backend: attnscope-cli backends (same problem options) --device "
              << device.id << "\n";

  std::cout.flush();  // the table, or the --stream lines: a full disk or closed pipe is a failure
  const bool stdout_ok = bool(std::cout);
  if (!stdout_ok)
    std::cerr << "attnscope-cli: error: cannot write " << (a.stream ? "the --stream lines" : "the table")
              << " to stdout (disk full or pipe closed)" << std::endl;

  // The files hold the plan's order, whichever worker finished first (variants of one item keep theirs).
  std::stable_sort(records.begin(), records.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  for (auto& [item, r] : records) doc.records.push_back(std::move(r));
  for (const auto& g : doc.environment.gpus_at_start)  // the clocks once more, now the work is done
    if (const auto d = std::find_if(run_devices.begin(), run_devices.end(), [&](const DeviceInfo& x) { return x.id == g.device; });
        d != run_devices.end())
      if (std::optional<GpuState> s = platform::gpu_state(*d)) doc.environment.gpus_at_end.push_back(std::move(*s));
  const bool written = write_result_files(a, doc);
  const bool incomplete = device_lost || (!left.empty() && !cancelled);
  // The journal goes once the files hold everything; it stays for --resume after a lost device.
  if (journal && written && !incomplete) std::remove(journal->path().c_str());
  if (!stdout_ok) return kExitFailure;
  if (!written) {
    if (journal)
      std::cerr << "attnscope-cli: every finished item is kept in " << journal->path()
                << "; rerun the same command with --resume to write the files from it" << std::endl;
    return kExitFailure;
  }
  if (device_lost) {
    std::cerr << "attnscope-cli: error: " << doc.records.back().message << "; rerun with "
              << (journal ? "--resume" : "--start-at " + std::to_string(finished.size() + std::size_t(start_at)))
              << " to continue" << std::endl;
    return kExitFailure;
  }
  if (incomplete) {
    std::cerr << "attnscope-cli: error: every worker was given up with " << left.size() << " item(s) left"
              << (journal ? "; rerun with --resume to measure them" : "") << std::endl;
    return kExitFailure;
  }
  if (cancelled) {
    std::cerr << "cancelled with " << finished.size() << " of " << total
              << " item(s) finished; finished records were kept" << std::endl;
    return kExitCancelled;
  }
  return kExitOk;
}

}  // namespace

Command add_run_command(CLI::App& app, const std::vector<std::string>& argv) {
  auto* sub = app.add_subcommand("run", "Measure every eligible backend over a sweep; ineligible ones are recorded with the reasons");
  auto a = std::make_shared<RunArgs>();
  a->problem.add_to(*sub);
  a->device.add_to(*sub, "to run on (profiles cannot run)", true);
  a->backends_opt = sub->add_option("--backends", a->backends, "Comma-separated backend ids (default: all)");
  sub->add_option("--json", a->json_file, "Write the result document (JSON) to FILE");
  sub->add_option("--csv", a->csv_file, "Write one CSV row per record to FILE");
  sub->add_flag("--stream", a->stream,
                "Print JSON lines on stdout (start/progress/record/end: the GUI worker protocol); the table goes to stderr");
  a->start_at_opt =
      sub->add_option("--start-at", a->start_at, "Skip the first ITEM items of the plan (resume after a crashed worker)");
  sub->add_flag("--resume", a->resume,
                "Continue an interrupted run from the journal beside --json/--csv (FILE.journal.jsonl): its finished "
                "items are kept, the rest are measured, the files are rebuilt");
  a->min_samples_opt = sub->add_option("--min-samples", a->min_samples, "Minimum timed samples per point (default 10; CPU 3)");
  a->min_time_opt = sub->add_option("--min-time", a->min_time, "Minimum measured seconds per point (default 0.5; CPU 0.2)");
  a->max_time_opt = sub->add_option("--max-time", a->max_time, "Wall-clock cap in seconds per point (default 15; CPU 5)");
  a->warmup_time_opt = sub->add_option("--warmup-time", a->warmup_time,
                                       "Minimum warm-up seconds per point, after its minimum runs (default 0.1 after 3 runs; CPU 0 after 1)");
  a->noise_opt = sub->add_option("--noise", a->noise, "Target relative 95% CI half-width of the median (default 0.01; CPU 0.05)");
  sub->add_flag("--warm", a->warm_l2, "Keep L2 warm between samples (default: flush it, cold)");
  sub->add_option("--seed", a->seed, "Seed of the random inputs")->capture_default_str();
  sub->add_flag("--each-plan", a->each_plan,
                "Also measure every execution plan a library offers for each point (cuDNN's engines, flash3's ladder "
                "rungs and alternative tiles), each as its own series <backend>[<plan>]");
  sub->add_flag("--items-from-stdin", a->items_from_stdin,
                "A shard worker: run the plan items read from stdin, one number a line (the coordinator of a "
                "--device list starts these)")
      ->group("");  // internal: not in --help
  sub->add_flag("--no-check", a->no_check, "Skip the accuracy check against the fp64 reference");
  a->threads_opt = sub->add_option("--threads", a->threads, "CPU worker threads (default: all hardware threads)");
  sub->footer("Exit codes: 0 done, 1 runtime failure, 2 bad usage or input, 130 cancelled (files still written).");
  return [a, argv] { return run_sweep(*a, argv); };
}

}  // namespace attnscope::cli
