#include "options.hpp"

#include <map>

namespace attnscope::cli {

void ProblemOptions::add_to(CLI::App& app) {
  const std::string sweep_help = " (one value, a list \"a,b\", or a range \"start:stop:x2\" / \"start:stop:+step\")";
  batch_opt = app.add_option("--batch,-b", batch, "Batch size")->capture_default_str();
  heads_opt = app.add_option("--heads", heads, "Query heads")->capture_default_str();
  kv_heads_opt = app.add_option("--kv-heads", kv_heads, "Key/value heads; must divide --heads (GQA/MQA). Default: --heads");
  app.add_option("--seq,-s", seq, "Query and key length" + sweep_help + ". Default: " + std::to_string(Problem{}.q_len));
  app.add_option("--q-len", q_len, "Query length" + sweep_help);
  app.add_option("--kv-len", kv_len, "Key/value length" + sweep_help + ". Default: the query length");
  app.add_option("--head-dim,-d", head_dim, "Head dimension" + sweep_help)->capture_default_str();
  app.add_option("--dtype", dtype, "Element type(s): float32, float16, bfloat16 (list allowed)")->capture_default_str();
  app.add_flag("--causal", causal, "Causal mask (bottom-right aligned)");
  scale_opt = app.add_option("--scale", scale, "Softmax scale. Default: 1/sqrt(head_dim)");
  tokens_opt = app.add_option("--tokens", tokens, "Total query tokens per point: batch = tokens / q_len (constant work per point)");
  hidden_opt = app.add_option("--hidden", hidden, "Model width: heads = hidden / head_dim (kv heads keep the GQA ratio)");
}

SweepSpec ProblemOptions::sweep() const {
  SweepSpec s;
  s.base.batch = batch;
  s.base.q_heads = heads;
  s.base.kv_heads = kv_heads_opt->count() ? kv_heads : heads;
  s.base.causal = causal;
  if (scale_opt->count()) {
    if (!(scale > 0)) field_error("scale", "scale is " + std::to_string(scale) + "; allowed: a number > 0");
    s.base.scale = scale;
  }
  if (!seq.empty() && !q_len.empty())
    field_error("seq", "--seq and --q-len both given; --seq sets both lengths, use --q-len with --kv-len instead");
  if (!seq.empty()) s.q_lens = parse_int_sweep(seq, "seq");
  if (!q_len.empty()) s.q_lens = parse_int_sweep(q_len, "q_len");
  if (!kv_len.empty()) s.kv_lens = parse_int_sweep(kv_len, "kv_len");
  s.head_dims = parse_int_sweep(head_dim, "head_dim");
  s.dtypes = parse_dtype_list(dtype);
  if (!s.dtypes.empty()) s.base.dtype = s.dtypes.front();
  if (!s.head_dims.empty()) s.base.head_dim = s.head_dims.front();
  if (!s.q_lens.empty()) s.base.q_len = s.base.kv_len = s.q_lens.front();
  if (tokens_opt->count()) {
    if (tokens < 1) field_error("tokens", "tokens is " + std::to_string(tokens) + "; allowed: ≥ 1");
    s.total_tokens = tokens;
  }
  if (hidden_opt->count()) {
    if (hidden < 1) field_error("hidden", "hidden is " + std::to_string(hidden) + "; allowed: ≥ 1");
    s.hidden = hidden;
  }
  if (const uint64_t n = count_points(s); n > kMaxSweepPoints)
    field_error(swept_options(), "the sweep has " + std::to_string(n) + " points; at most " +
                                     std::to_string(kMaxSweepPoints) + " per run — give fewer values");
  return s;
}

std::string ProblemOptions::swept_options() const {
  // The options as the user typed them that give more than one value.
  std::string out;
  auto add = [&](const std::string& text, const char* option, std::size_t values) {
    if (!text.empty() && values > 1) out += (out.empty() ? "" : ", ") + std::string(option);
  };
  auto count = [](const std::string& text, const char* field) {
    try {
      return field[0] == 'd' && field[1] == 't' ? parse_dtype_list(text).size() : parse_int_sweep(text, field).size();
    } catch (const InvalidInput&) {
      return std::size_t(0);
    }
  };
  add(seq, "--seq", count(seq, "seq"));
  add(q_len, "--q-len", count(q_len, "q_len"));
  add(kv_len, "--kv-len", count(kv_len, "kv_len"));
  add(head_dim, "--head-dim", count(head_dim, "head_dim"));
  add(dtype, "--dtype", count(dtype, "dtype"));
  return out.empty() ? "--seq" : out;
}

std::string ProblemOptions::describe() const {
  std::string d = "batch=" + std::to_string(batch) + " heads=" + std::to_string(heads) +
                  " kv_heads=" + std::to_string(kv_heads_opt->count() ? kv_heads : heads);
  if (!seq.empty()) d += " seq=" + seq;
  if (!q_len.empty()) d += " q_len=" + q_len;
  if (!kv_len.empty()) d += " kv_len=" + kv_len;
  d += " head_dim=" + head_dim + " dtype=" + dtype;
  if (causal) d += " causal";
  if (scale_opt->count()) d += " scale=" + std::to_string(scale);
  if (tokens_opt->count()) d += " tokens=" + std::to_string(tokens);
  if (hidden_opt->count()) d += " hidden=" + std::to_string(hidden);
  return d;
}

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
