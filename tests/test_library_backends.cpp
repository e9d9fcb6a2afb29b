// The library backends' hosting machinery without PyTorch: the embedded interpreter, the bridge's
// answers and errors, rows greyed with the import reason and the install hint, versions in records,
// and the CLI's --python / ATTNSCOPE_PYTHON choice. (With PyTorch and a GPU: tests/gpu/.)
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "attnscope/platform.hpp"
#include "attnscope/python_host.hpp"
#include "attnscope/registry.hpp"
#include "attnscope/results.hpp"
#include "attnscope/runner.hpp"

using namespace attnscope;

namespace {

// Skips when this machine has no embeddable Python (the reason says what is missing).
#define REQUIRE_PYTHON()                                                              \
  do {                                                                                \
    const auto& st = python::host_status();                                           \
    if (!st.ready) GTEST_SKIP() << "no embeddable Python here: " << st.problem;        \
  } while (0)

bool torch_importable() {
  Registry reg;
  register_library_backends(reg);
  const Backend* b = reg.find("torch-math");
  return b && b->library_versions().count("torch");
}

std::string cli(const std::string& env, const std::string& args) {
  const auto out = std::filesystem::temp_directory_path() / ("attnscope_libs_" + std::to_string(::getpid()));
  const std::string cmd = env + " '" + ATTNSCOPE_CLI_PATH + "' " + args + " >'" + out.string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  std::filesystem::remove(out);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd << "\n" << ss.str();
  return ss.str();
}

}  // namespace

TEST(PythonHost, StartsTheChosenInterpreterOnce) {
  REQUIRE_PYTHON();
  const auto& st = python::host_status();
  EXPECT_FALSE(st.executable.empty());
  EXPECT_FALSE(st.version.empty());
  EXPECT_NE(st.library.find("libpython"), std::string::npos) << st.library;
  EXPECT_EQ(&python::host_status(), &st);
}

TEST(PythonHost, BridgeErrorsBecomeExceptionsWithThePythonText) {
  REQUIRE_PYTHON();
  try {
    python::call("no-such-request");
    FAIL() << "expected a PythonError";
  } catch (const python::PythonError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown bridge request 'no-such-request'"), std::string::npos) << e.what();
  }
  // A request the bridge knows but with missing fields: a Python KeyError, not a crash.
  EXPECT_THROW(python::call("check", {{"problem", nlohmann::json::object()}}), python::PythonError);
}

TEST(LibraryBackends, RegisteredLikeEveryOtherWithTheirEnvironment) {
  REQUIRE_PYTHON();
  Registry reg;
  register_builtin_backends(reg);
  const std::size_t builtin = reg.backends().size();
  register_library_backends(reg);
  ASSERT_GT(reg.backends().size(), builtin);
  for (const char* id : {"torch-flash", "torch-efficient", "torch-cudnn", "torch-math", "flash-attn-2", "flash-attn-3",
                         "flash-attn-4", "flashinfer", "triton-flash"})
    EXPECT_NE(reg.find(id), nullptr) << id;
  for (const auto& b : reg.backends()) EXPECT_FALSE(b->info().name.empty()) << b->info().id;
}

TEST(LibraryBackends, GreyedWithTheImportReasonAndInstallHintWithoutTorch) {
  REQUIRE_PYTHON();
  if (torch_importable()) GTEST_SKIP() << "PyTorch imports here; the missing-package path is not reachable";
  Registry reg;
  register_library_backends(reg);
  Problem p;
  p.dtype = DType::F32;
  p.q_len = p.kv_len = 4096;
  for (const char* id : {"torch-flash", "torch-math", "xformers", "triton-flash"}) {
    const Backend* b = reg.find(id);
    ASSERT_NE(b, nullptr) << id;
    const Verdict v = reg.evaluate(*b, p, cpu_device());
    ASSERT_FALSE(v.eligible()) << id;
    bool import_reason = false;
    for (const auto& r : v.unmet())
      if (r.kind == RuleKind::Environment && r.reason.find("import torch failed") != std::string::npos &&
          r.reason.find("No module named 'torch'") != std::string::npos && r.hint.find("pip install torch") == 0)
        import_reason = true;
    EXPECT_TRUE(import_reason) << id;
  }
  // A what-if profile says that the library's verdict needs the real device.
  const Verdict profile = reg.evaluate(*reg.find("torch-flash"), p, *find_profile("h100"));
  bool needs_device = false;
  for (const auto& r : profile.unmet()) needs_device |= r.reason.find("a what-if profile has none to ask") != std::string::npos;
  EXPECT_TRUE(needs_device);
}

TEST(LibraryBackends, ARunOnTheCpuRecordsEveryReasonAndTheSweepGoesOn) {
  REQUIRE_PYTHON();
  Registry reg;
  register_builtin_backends(reg);
  register_library_backends(reg);
  Problem p;
  p.q_heads = p.kv_heads = 2;
  p.q_len = p.kv_len = 64;
  p.head_dim = 32;
  p.dtype = DType::F32;
  auto exec = make_executor(cpu_device());
  Runner runner(reg, *exec);
  MeasureSettings s;
  s.stopping.min_samples = 3;
  s.stopping.min_time_s = 0;
  s.warmup_min_runs = 1;
  s.warmup_min_time_s = 0;
  CancelToken cancel;
  const auto plan = make_plan(reg, {p}, {"torch-flash", "cpu-reference", "triton-flash"});
  const auto records = runner.run({p}, plan, s, {}, cancel);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].status, Status::Ineligible);
  EXPECT_EQ(records[1].status, Status::Ok);
  EXPECT_EQ(records[2].status, Status::Ineligible);
}

TEST(Records, LibrariesRoundTripThroughJsonAndCsv) {
  Record r;
  r.backend = "torch-flash";
  r.device = "cuda:0";
  r.status = Status::Ineligible;
  r.libraries = {{"torch", "2.11.0+cu130"}, {"xformers", "0.0.35"}};
  const Record back = record_from_json(to_json(r), "record");
  EXPECT_EQ(back.libraries, r.libraries);
  Record none = r;
  none.libraries.clear();
  EXPECT_FALSE(to_json(none).contains("libraries"));
  std::ostringstream csv;
  write_csv({r}, csv);
  EXPECT_NE(csv.str().find(",libraries,variant,message\n"), std::string::npos);
  EXPECT_NE(csv.str().find("torch=2.11.0+cu130;xformers=0.0.35"), std::string::npos);
}

TEST(LibraryCli, BackendsListsTheLibraryRowsGreyedWithTheImportReason) {
  REQUIRE_PYTHON();
  if (torch_importable()) GTEST_SKIP() << "PyTorch imports here";
  const std::string out = cli("", "backends --seq 4096 --head-dim 64 --dtype float32 --device cpu");
  for (const char* s : {"[ineligible] torch-flash", "[ineligible] torch-cudnn", "[ineligible] triton-flash",
                        "import torch failed: ModuleNotFoundError: No module named 'torch'", "fix: pip install torch"})
    EXPECT_NE(out.find(s), std::string::npos) << s << "\n" << out;
}

// The libraries' own choice closes every probe of `backends`; it is asked only of a real CUDA GPU, and
// elsewhere the line says why not (the GPU test LibraryBackendsGpu.Dispatch* checks the answers there).
TEST(LibraryCli, BackendsSaysWhyTheLibrariesOwnChoiceIsNotAskedOffTheGpu) {
  std::string out = cli("", "backends --seq 256 --device cpu --dtype float16,float32");
  std::size_t n = 0;
  for (std::size_t at = 0; (at = out.find("Libraries' own choice: not asked (the libraries choose among CUDA kernels; "
                                          "cpu is not a CUDA GPU)", at)) != std::string::npos; ++at) ++n;
  EXPECT_EQ(n, 2u) << out;  // one per probe (two dtypes)
  out = cli("", "backends --seq 256 --device profile:h100");
  EXPECT_NE(out.find("Libraries' own choice: not asked (the libraries choose on the GPU they run on; a what-if "
                     "profile has none to ask)"), std::string::npos) << out;
  const std::string json = cli("", "backends --seq 256 --device cpu --json");
  const auto j = nlohmann::json::parse(json.substr(json.find('{')));  // past any interpreter warning
  EXPECT_EQ(j.at("probes")[0].at("dispatch").at("note"), "the libraries choose among CUDA kernels; cpu is not a CUDA GPU");
  EXPECT_TRUE(j.at("probes")[0].at("dispatch").at("libraries").empty());
}

TEST(LibraryCli, PythonCanBeTurnedOffOrPointedElsewhere) {
  std::string out = cli("ATTNSCOPE_PYTHON=none", "backends --seq 256 --device cpu");
  EXPECT_NE(out.find("[ineligible] python-libraries"), std::string::npos) << out;
  EXPECT_NE(out.find("Python is turned off (ATTNSCOPE_PYTHON=none)"), std::string::npos) << out;
  out = cli("", "--python /no/such/python3 backends --seq 256 --device cpu");
  EXPECT_NE(out.find("no Python interpreter '/no/such/python3' (--python)"), std::string::npos) << out;
  out = cli("ATTNSCOPE_PYTHON=none", "devices");
  EXPECT_NE(out.find("Python for library backends: none"), std::string::npos) << out;
  EXPECT_NE(out.find("--python PATH or ATTNSCOPE_PYTHON=PATH"), std::string::npos) << out;
}

TEST(LibraryCli, ShardWorkersUseTheInterpreterNamedBeforeRun) {
  // --python before `run` is not in the argv a shard worker is given from `run` on: the coordinator
  // passes its choice on, so the workers judge the library rows with the same (here: missing) Python.
  const std::string out = cli("", "--python /no/such/python3 run --device cpu,cpu --seq 32,48 --heads 2 --head-dim 16 "
                                  "--dtype float32 --backends cpu-math,python-libraries --min-samples 2 --min-time 0 "
                                  "--max-time 0.05 --stream");  // JSON lines: each record with every unmet rule
  EXPECT_NE(out.find("no Python interpreter '/no/such/python3' (--python)"), std::string::npos) << out;
}
