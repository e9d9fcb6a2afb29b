// `attnscope-cli bandwidth`: the device-to-device copy bandwidth of one GPU, measured now. Memory-bound
// backends (split-kv-decode) are judged against this number from the same machine and run, not
// against the datasheet.
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "attnscope/platform.hpp"
#include "attnscope/problem.hpp"
#include "commands.hpp"
#include "format.hpp"
#if ATTNSCOPE_HAVE_CUDA
#include "cuda/copy_bandwidth.hpp"
#endif

namespace attnscope::cli {

Command add_bandwidth_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "bandwidth", "Measure device-to-device copy bandwidth (bytes read + written per second) of a CUDA device");
  struct Options {
    std::string device = "cuda:0";
    int64_t mib = 1024;
    int samples = 20;
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
  sub->add_flag("--json", o->json, "Print one JSON object instead of text");
  return [o]() -> int {
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
    if (o->json) {
      nlohmann::json j{{"device", d.id},           {"name", r.name},           {"buffer_bytes", r.buffer_bytes},
                       {"samples", r.samples},      {"median_us", r.median_us}, {"min_us", r.min_us},
                       {"max_us", r.max_us},        {"gbs", r.gbs_median},      {"gbs_best", r.gbs_best},
                       {"peak_gbs", d.peak_bandwidth_gbs}, {"pct_of_peak", pct}, {"method", r.method}};
      std::cout << json_pretty(j) << std::endl;
    } else {
      std::cout << d.id << " (" << r.name << "): " << fixed(r.gbs_median, 0) << " GB/s copy bandwidth (best "
                << fixed(r.gbs_best, 0) << ")";
      if (pct > 0) std::cout << ", " << fixed(pct, 1) << "% of the " << fixed(d.peak_bandwidth_gbs, 0) << " GB/s peak";
      std::cout << "\n  " << r.method << "; median " << duration_from_us(r.median_us) << '\n';
    }
    return kExitOk;
#else
    std::cerr << "attnscope-cli: error: this build of AttnScope has no CUDA support\n";
    return kExitFailure;
#endif
  };
}

}  // namespace attnscope::cli
