#include "problem_options.hpp"

#include <algorithm>

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

TypedProblem ProblemOptions::typed() const {
  TypedProblem t;
  t.batch = batch;
  t.heads = heads;
  t.kv_heads = kv_heads_opt->count() ? kv_heads : heads;
  t.q_len = !seq.empty() ? seq : !q_len.empty() ? q_len : std::to_string(Problem{}.q_len);
  t.kv_len = kv_len;
  t.head_dim = head_dim;
  t.dtype = dtype;
  t.causal = causal;
  if (scale_opt->count()) t.scale = scale;
  if (tokens_opt->count()) t.tokens = tokens;
  if (hidden_opt->count()) t.hidden = hidden;
  return t;
}

std::optional<TypedProblem> recorded_problem(const std::vector<std::string>& argv) {
  const auto command = std::find_if(argv.begin() + (argv.empty() ? 0 : 1), argv.end(),
                                    [](const std::string& a) { return a == "run" || a == "backends"; });
  if (command == argv.end()) return std::nullopt;
  CLI::App app;
  app.allow_extras();  // the command's other options (and their values) are not the problem's
  ProblemOptions problem;
  problem.add_to(app);
  std::vector<std::string> args(command + 1, argv.end());
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  try {
    app.parse(args);
    expand(problem.sweep());  // every point validated, as the run did (at most kMaxSweepPoints)
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return problem.typed();
}

}  // namespace attnscope::cli
