// `attnscope-cli bandwidth`: the device-to-device copy bandwidth of one GPU, measured now. Memory-bound
// backends (split-kv-decode) are judged against this number from the same machine and run, not
// against the datasheet. With --read-mib it also times a plain cold read of each given size: the floor
// for a kernel that reads that many bytes once, which at small sizes sits well below the copy bandwidth.
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "attnscope/platform.hpp"
#include "attnscope/problem.hpp"
#include "attnscope/sweep.hpp"
#include "commands.hpp"
#include "format.hpp"
#if ATTNSCOPE_HAVE_CUDA
#include "cuda/cold_read.hpp"
#include "cuda/copy_bandwidth.hpp"
#endif

namespace attnscope::cli {

constexpr int64_t kMaxReadMib = 65536;  // 64 GiB: past any GPU's memory today; a larger read fails to allocate

Command add_bandwidth_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "bandwidth", "Measure device-to-device copy bandwidth (bytes read + written per second) of a CUDA device");
  struct Options {
    std::string device = "cuda:0";
    int64_t mib = 1024;
    int samples = 20;
    std::string read_mib;  // sweep of cold-read sizes; empty: none
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  sub->add_option("--device", o->device, "CUDA device: cuda:N, N or gpu")->capture_default_str();
  sub->add_option("--mib", o->mib, "Size of each buffer in MiB (shrunk to fit free memory, at least 64)")
      ->check(CLI::Range(int64_t(64), int64_t(1) << 20))
      ->capture_default_str();
  sub->add_option("--samples", o->samples, "Timed copies; the median is reported")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  sub->add_option("--read-mib", o->read_mib,
                  "Also time one cold read (clean L2, CUPTI span) of each size in MiB: a value, a list \"a,b\" "
                  "or a range \"start:stop:x2\"; e.g. the K and V bytes of a decode step");
  sub->add_flag("--json", o->json, "Print one JSON object instead of text");
  return [o]() -> int {
    // Sizes are checked first, before the device and anything measured (InvalidInput names the option ⇒ exit 2).
    const std::vector<int64_t> read_mib =
        o->read_mib.empty() ? std::vector<int64_t>{} : parse_int_sweep(o->read_mib, "--read-mib", 1, 64);
    for (int64_t mib : read_mib)
      if (mib > kMaxReadMib)
        throw InvalidInput({FieldError{"--read-mib", "--read-mib is " + std::to_string(mib) + "; allowed range is 1 to " +
                                                         std::to_string(kMaxReadMib)}});
    const DeviceInfo d = resolve_device(discover_devices(), o->device);  // InvalidInput ⇒ exit 2
    if (d.kind != DeviceKind::Cuda) {
      std::cerr << "attnscope-cli: error: --device: device is " << d.id
                << "; the copy bandwidth is measured on a real CUDA device (cuda:N)\n";
      return kExitUsage;
    }
#if ATTNSCOPE_HAVE_CUDA
    const int ordinal = std::stoi(d.id.substr(d.id.find(':') + 1));
    const cuda::CopyBandwidth r = cuda::measure_copy_bandwidth(ordinal, uint64_t(o->mib) << 20, o->samples);
    const double pct = d.peak_bandwidth_gbs > 0 ? 100.0 * r.gbs_median / d.peak_bandwidth_gbs : 0.0;
    std::vector<cuda::ColdRead> reads;
    for (int64_t mib : read_mib) reads.push_back(cuda::measure_cold_read(ordinal, uint64_t(mib) << 20));
    if (o->json) {
      nlohmann::json j{{"device", d.id},           {"name", r.name},           {"buffer_bytes", r.buffer_bytes},
                       {"samples", r.samples},      {"median_us", r.median_us}, {"min_us", r.min_us},
                       {"max_us", r.max_us},        {"gbs", r.gbs_median},      {"gbs_best", r.gbs_best},
                       {"peak_gbs", d.peak_bandwidth_gbs}, {"pct_of_peak", pct}, {"method", r.method}};
      if (!reads.empty()) {
        j["cold_reads"] = nlohmann::json::array();
        for (const auto& c : reads)
          j["cold_reads"].push_back({{"bytes", c.bytes},
                                     {"median_us", c.median_us},
                                     {"min_us", c.min_us},
                                     {"gbs", c.gbs_median},
                                     {"pct_of_copy", 100.0 * c.gbs_median / r.gbs_median},
                                     {"method", c.method}});
      }
      std::cout << json_pretty(j) << std::endl;
    } else {
      std::cout << d.id << " (" << r.name << "): " << fixed(r.gbs_median, 0) << " GB/s copy bandwidth (best "
                << fixed(r.gbs_best, 0) << ")";
      if (pct > 0) std::cout << ", " << fixed(pct, 1) << "% of the " << fixed(d.peak_bandwidth_gbs, 0) << " GB/s peak";
      std::cout << "\n  " << r.method << "; median " << duration_from_us(r.median_us) << '\n';
      for (const auto& c : reads)
        std::cout << "cold read of " << fixed(double(c.bytes) / 1048576.0, 0) << " MiB: " << duration_from_us(c.median_us)
                  << ", " << fixed(c.gbs_median, 0) << " GB/s (" << fixed(100.0 * c.gbs_median / r.gbs_median, 0)
                  << "% of the copy bandwidth)\n  " << c.method << '\n';
    }
    return kExitOk;
#else
    std::cerr << "attnscope-cli: error: this build of AttnScope has no CUDA support\n";
    return kExitFailure;
#endif
  };
}

}  // namespace attnscope::cli
