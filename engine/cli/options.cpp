#include "options.hpp"

#include <map>

namespace attnscope::cli {

void DeviceOptions::add_to(CLI::App& app, const std::string& what, bool shardable) {
  auto* dev = app.add_option("--device", device,
                             "Device " + what + ": cpu, cuda:N (or N), gpu, or a what-if profile (profile:t4 / t4). "
                             "Default: the first GPU, else the CPU" + (shardable ? std::string(
                             ". A list cuda:0,cuda:1 or 'all' (every GPU) shards the sweep: one worker per device") : std::string()));
  auto* prof = app.add_option("--profile", profile, "What-if profile: t4, a100, l4, h100 (same as --device profile:NAME)");
  dev->excludes(prof);
}

DeviceInfo DeviceOptions::resolve(const DeviceList& list) const {
  if (!profile.empty()) {
    DeviceInfo d = resolve_device(list, profile.rfind("profile:", 0) == 0 ? profile : "profile:" + profile);
    return d;
  }
  // A sharded run's devices ("all", "cuda:0,cuda:1") are judged on the first: `backends` answers for it.
  if (device.find(',') != std::string::npos || device == "all") return resolve_all(list).front();
  if (!device.empty()) return resolve_device(list, device);
  for (const auto& d : list.devices)
    if (d.kind == DeviceKind::Cuda) return d;
  return resolve_device(list, "cpu");
}

std::vector<DeviceInfo> DeviceOptions::resolve_all(const DeviceList& list) const {
  std::vector<DeviceInfo> out;
  if (device == "all") {
    for (const auto& d : list.devices)
      if (d.kind == DeviceKind::Cuda) out.push_back(d);
    if (out.empty())
      field_error("device", "device 'all' asks for every GPU, but there is none: " +
                                (list.why_no_gpu.empty() ? std::string("no CUDA device found") : list.why_no_gpu));
    return out;
  }
  if (device.find(',') == std::string::npos) return {resolve(list)};
  std::string cur;
  for (char c : device + ",") {
    if (c != ',') {
      cur += c;
      continue;
    }
    if (cur.find_first_not_of(' ') == std::string::npos)
      field_error("device", "device '" + device + "' has an empty entry; list devices as cuda:0,cuda:1");
    out.push_back(resolve_device(list, cur));
    if (out.back().kind == DeviceKind::Profile)
      field_error("device", "device " + out.back().id + " is a what-if profile; a sweep runs on real devices only");
    if (out.back().kind != out.front().kind)
      field_error("device", "device '" + device + "' mixes the CPU and GPUs; shard a sweep over devices of one kind");
    cur.clear();
  }
  return out;
}

void reject_empty_values(CLI::App& app) {
  // An empty value ("--seq ''", "--json ''") is a slip, not "use the default": refuse it by name.
  const CLI::Validator non_empty(
      [](std::string& value) {
        return value.find_first_not_of(" \t") == std::string::npos ? std::string("is empty; give a value")
                                                                    : std::string();
      },
      "", "non-empty");
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    for (CLI::Option* opt : sub->get_options([](const CLI::Option* o) { return o->get_items_expected_min() > 0; }))
      opt->check(non_empty);
}

std::string option_for_field(const std::string& field) {
  static const std::map<std::string, std::string> kOptions = {
      {"batch", "--batch"},       {"q_heads", "--heads"},     {"heads", "--heads"},
      {"kv_heads", "--kv-heads"}, {"seq", "--seq"},           {"q_len", "--q-len/--seq"},
      {"kv_len", "--kv-len/--seq"}, {"head_dim", "--head-dim"}, {"dtype", "--dtype"},
      {"scale", "--scale"},       {"tokens", "--tokens"},     {"hidden", "--hidden"},
      {"device", "--device"},     {"backends", "--backends"}, {"start_at", "--start-at"},
      {"min_samples", "--min-samples"}, {"min_time", "--min-time"}, {"max_time", "--max-time"},
      {"noise", "--noise"},       {"warmup_time", "--warmup-time"}, {"threads", "--threads"},   {"sweep", "the sweep"}};
  auto it = kOptions.find(field);
  return it == kOptions.end() ? field : it->second;
}

}  // namespace attnscope::cli

namespace attnscope::cli {

std::string describe_field_error(const FieldError& e) {
  const std::string option = option_for_field(e.field);
  // Messages start with the field's own name ("seq: is 0", "kv_heads is 3"); say the option instead.
  if (option.starts_with("--") && e.message.starts_with(option)) return e.message;  // already says it
  for (const std::string& lead : {e.field + ": ", e.field + " "})
    if (e.message.rfind(lead, 0) == 0) return option + " " + e.message.substr(lead.size());
  return option + ": " + e.message;
}

}  // namespace attnscope::cli
