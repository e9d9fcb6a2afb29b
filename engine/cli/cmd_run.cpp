// `attnscope-cli run`: sweep × backends → a readable table, result files, and (with --stream) the
// JSON-lines worker protocol the GUI reads. Ctrl-C / SIGTERM cancel cleanly: finished records are kept
// and the files are still written.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include "attnscope/cpu_executor.hpp"
#include "attnscope/file_output.hpp"
#include "attnscope/protocol.hpp"
#include "attnscope/results.hpp"
#include "attnscope/rules.hpp"
#include "attnscope/runner.hpp"
#include "attnscope/test_faults.hpp"
#include "commands.hpp"
#include "format.hpp"
#include "journal.hpp"
#include "options.hpp"

namespace attnscope::cli {
namespace {

struct RunArgs {
  ProblemOptions problem;
  DeviceOptions device;
  std::string backends, json_file, csv_file;
  bool stream = false, warm_l2 = false, no_check = false, resume = false, each_plan = false;
  int64_t start_at = 0, min_samples = 0, threads = 0;
  double min_time = 0, max_time = 0, noise = 0;
  uint64_t seed = 1234;
  CLI::Option *min_samples_opt = nullptr, *min_time_opt = nullptr, *max_time_opt = nullptr, *noise_opt = nullptr,
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

std::vector<std::string> record_row(const PlanItem& item, const Record& r, const DeviceInfo& d) {
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
  return {std::to_string(item.item), std::to_string(p.batch) + "×" + std::to_string(p.q_heads) + "/" + std::to_string(p.kv_heads),
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

int run_sweep(const RunArgs& a, const std::vector<std::string>& argv) {
  if (!a.json_file.empty() && a.json_file == a.csv_file)
    field_error("csv", "csv and --json are the same file " + a.csv_file + "; give two names");
  check_threads(a);
  const std::vector<Problem> points = expand(a.problem.sweep());
  const DeviceList devices = discover_devices();
  const DeviceInfo device = a.device.resolve(devices);
  Registry reg;
  register_builtin_backends(reg);
  register_test_fault_backends(reg);  // only when the GPU fault tests ask for them (test_faults.hpp)
  const std::vector<std::string> ids = split_ids(a.backends, a.backends_opt->count() > 0);
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
  std::unique_ptr<Executor> exec = device.kind == DeviceKind::Cpu && a.threads > 0
                                       ? std::make_unique<CpuExecutor>(device, int(a.threads))
                                       : make_executor(device);
  // Fail before measuring anything when a result file cannot be written (nothing is created yet).
  if (!a.json_file.empty()) check_writable(a.json_file, "--json");
  if (!a.csv_file.empty()) check_writable(a.csv_file, "--csv");

  ResultDocument doc = new_document(a, argv, device, settings, plan);
  const int64_t total = int64_t(plan.size());
  const std::string journal_file = journal_path_for(a.json_file, a.csv_file);
  std::optional<JournalState> prior = prior_journal(a, journal_file);
  int64_t start_at = a.start_at;
  std::vector<Record> records;
  if (prior) {
    if (prior->total != total || prior->doc.settings.sweep != doc.settings.sweep ||
        prior->doc.settings.backends != doc.settings.backends || prior->doc.device.id != device.id)
      field_error("resume", "resume: the journal " + journal_file + " belongs to another sweep (" +
                                prior->doc.settings.sweep + " on " + prior->doc.device.id + ", " +
                                std::to_string(prior->total) + " items); give the same options as that run");
    start_at = prior->next_item;
    records = std::move(prior->doc.records);
    std::cerr << "Resuming from " << journal_file << ": " << records.size() << " finished item(s) kept, continuing at item "
              << start_at << std::endl;
  }
  const nlohmann::json start = to_json(WorkerMessage{StartMessage{doc, total, start_at}});
  std::unique_ptr<Journal> journal;
  if (!journal_file.empty()) journal = std::make_unique<Journal>(journal_file, prior ? nullptr : &start);
  if (prior && prior->interrupted_starts >= kMaxInterruptedStarts && start_at < total) {
    // The same item stopped the run every time (a hang, a crash that takes the process down): record
    // it as failed on its point and go on, as the app's supervisor does.
    const PlanItem& item = plan[std::size_t(start_at)];
    Record r;
    r.point = item.point;
    r.problem = points[std::size_t(item.point)];
    r.backend = item.backend->info().id;
    r.device = device.id;
    r.status = Status::Error;
    r.message = "the run stopped " + std::to_string(prior->interrupted_starts) +
                " times while measuring this item (killed, crashed or hung); --resume recorded it as failed and went on";
    journal->record(start_at, r);
    std::cerr << "[" << start_at + 1 << "/" << total << "] " << r.backend << " " << r.problem.describe() << ": "
              << r.message << std::endl;
    records.push_back(std::move(r));
    ++start_at;
  }
  std::ostream& table_out = a.stream ? std::cerr : std::cout;
  if (a.stream) std::cout << to_line(StartMessage{doc, total, start_at}) << std::endl;
  table_out << "Device: " << device.id << " — " << device.name << " (timer: " << device.timer << ")\n"
            << "Plan:   " << points.size() << " point(s) × " << doc.settings.backends.size() << " backend(s) = "
            << total << " item(s)" << (start_at ? ", starting at item " + std::to_string(start_at) : "") << "\n\n";
  const std::vector<std::string> header = {"item", "B×Hq/Hkv", "Nq", "Nk", "d", "dtype", "backend", "status",
                                           "median", "TFLOP/s", "%peak", "GB/s", "peak mem", "rel L2", "note"};
  std::vector<std::vector<std::string>> rows;

  CancelToken cancel;
  RunCallbacks cb;
  int64_t done = start_at, last_item = -1;
  cb.on_progress = [&](const PlanItem& item, int64_t finished, int64_t n, double elapsed) {
    if (journal) journal->started(item.item, n);
    if (!a.stream) return;
    std::cout << to_line(ProgressMessage{finished, n, item.item, item.point, item.backend->info().id,
                                         points[std::size_t(item.point)], elapsed})
              << std::endl;
  };
  bool any_ineligible = false;
  cb.on_record = [&](const PlanItem& item, const Record& r) {
    if (item.item != last_item) ++done;  // an item with --each-plan has several records
    last_item = item.item;
    if (journal) journal->record(item.item, r);  // on the disk before anyone hears of it
    any_ineligible |= r.status == Status::Ineligible;
    if (a.stream) std::cout << to_line(RecordMessage{item.item, r}) << std::endl;
    rows.push_back(record_row(item, r, device));
    // Echo progress as each record lands so a long sweep is never silent.
    std::cerr << "[" << done << "/" << total << "] " << r.backend << " " << r.problem.describe() << ": "
              << to_string(r.status) << (r.status == Status::Ok ? " " + duration_from_us(r.latency_us.median) : "")
              << std::endl;
  };

  Runner runner(reg, *exec);
  {
    SignalGuard guard(cancel);
    std::vector<Record> measured = runner.run(points, plan, settings, cb, cancel, start_at);
    records.insert(records.end(), std::make_move_iterator(measured.begin()), std::make_move_iterator(measured.end()));
  }
  const bool cancelled = cancel.cancelled();
  // A lost device ends this process without the end line: the GUI reads that as a dead worker and
  // restarts one on the next item.
  if (a.stream && !runner.device_lost())
    std::cout << to_line(EndMessage{done, total, cancelled}) << std::endl;

  TextTable table(header);
  for (auto& row : rows) table.add(std::move(row));
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

  doc.records = std::move(records);
  const bool written = write_result_files(a, doc);
  // The journal goes once the files hold everything; it stays for --resume after a lost device.
  if (journal && written && !runner.device_lost()) std::remove(journal->path().c_str());
  if (!stdout_ok) return kExitFailure;
  if (!written) {
    if (journal)
      std::cerr << "attnscope-cli: every finished item is kept in " << journal->path()
                << "; rerun the same command with --resume to write the files from it" << std::endl;
    return kExitFailure;
  }
  if (runner.device_lost()) {
    std::cerr << "attnscope-cli: error: " << doc.records.back().message << "; rerun with "
              << (journal ? "--resume" : "--start-at " + std::to_string(done)) << " to continue" << std::endl;
    return kExitFailure;
  }
  if (cancelled) {
    std::cerr << "cancelled after " << (done - start_at) << " of " << (total - start_at)
              << " item(s); finished records were kept" << std::endl;
    return kExitCancelled;
  }
  return kExitOk;
}

}  // namespace

Command add_run_command(CLI::App& app, const std::vector<std::string>& argv) {
  auto* sub = app.add_subcommand("run", "Measure every eligible backend over a sweep; ineligible ones are recorded with the reasons");
  auto a = std::make_shared<RunArgs>();
  a->problem.add_to(*sub);
  a->device.add_to(*sub, "to run on (profiles cannot run)");
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
  a->noise_opt = sub->add_option("--noise", a->noise, "Target relative 95% CI half-width of the median (default 0.01; CPU 0.05)");
  sub->add_flag("--warm", a->warm_l2, "Keep L2 warm between samples (default: flush it, cold)");
  sub->add_option("--seed", a->seed, "Seed of the random inputs")->capture_default_str();
  sub->add_flag("--each-plan", a->each_plan,
                "Also measure every execution plan a library offers for each point (cuDNN's engines), each as its "
                "own series <backend>[<plan>]");
  sub->add_flag("--no-check", a->no_check, "Skip the accuracy check against the fp64 reference");
  a->threads_opt = sub->add_option("--threads", a->threads, "CPU worker threads (default: all hardware threads)");
  sub->footer("Exit codes: 0 done, 1 runtime failure, 2 bad usage or input, 130 cancelled (files still written).");
  return [a, argv] { return run_sweep(*a, argv); };
}

}  // namespace attnscope::cli
