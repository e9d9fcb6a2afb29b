#include <fstream>
#include <ostream>
#include <sstream>

#include "attnscope/file_output.hpp"
#include "attnscope/results.hpp"

namespace attnscope {
namespace {

std::string quoted(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

template <class T>
std::string opt(const std::optional<T>& v) {
  if (!v) return "";
  std::ostringstream s;
  s << *v;
  return s.str();
}

// The message column says why a point has no numbers: the error, or every unmet rule.
std::string message_of(const Record& r) {
  if (r.unmet.empty()) return r.message;
  std::string out;
  for (const auto& u : r.unmet) {
    if (!out.empty()) out += " | ";
    out += u.reason + (u.hint.empty() ? "" : " — " + u.hint);
  }
  return out;
}

// "cuDNN=9.19.0;cudnn-frontend=1.32.0"
std::string libraries_of(const Record& r) {
  std::string out;
  for (const auto& [name, version] : r.libraries) out += (out.empty() ? "" : ";") + name + "=" + version;
  return out;
}

}  // namespace

void write_csv(const std::vector<Record>& records, std::ostream& out) {
  out << "point,backend,device,status,batch,q_heads,kv_heads,q_len,kv_len,head_dim,dtype,causal,"
         "median_us,min_us,p10_us,p90_us,max_us,mean_us,stddev_us,samples,busy_median_us,tflops,pct_of_peak,gbs,"
         "pct_of_bandwidth,"
         "peak_bytes,output_bytes,workspace_bytes,predicted_output_bytes,predicted_workspace_bytes,"
         "rel_l2,max_abs,accuracy_pass,timer,converged,libraries,variant,message\n";
  out.precision(9);
  for (const auto& r : records) {
    const Problem& p = r.problem;
    out << r.point << ',' << quoted(r.backend) << ',' << quoted(r.device) << ',' << to_string(r.status) << ','
        << p.batch << ',' << p.q_heads << ',' << p.kv_heads << ',' << p.q_len << ',' << p.kv_len << ',' << p.head_dim
        << ',' << to_string(p.dtype) << ',' << (p.causal ? "true" : "false") << ',';
    if (r.status == Status::Ok) {
      const Summary& l = r.latency_us;
      out << l.median << ',' << l.min << ',' << l.p10 << ',' << l.p90 << ',' << l.max << ',' << l.mean << ','
          << l.stddev << ',' << l.n << ',' << (r.busy_us ? std::to_string(r.busy_us->median) : "") << ','
          << r.tflops << ',' << r.pct_of_peak << ',' << r.gbs << ',' << r.pct_of_bandwidth << ',';
    } else {
      out << ",,,,,,,,,,,,,";
    }
    out << opt(r.memory.peak) << ',' << opt(r.memory.output) << ',' << opt(r.memory.workspace) << ','
        << r.memory.predicted_output << ',' << r.memory.predicted_workspace << ',';
    if (r.accuracy)
      out << r.accuracy->rel_l2 << ',' << r.accuracy->max_abs << ',' << (r.accuracy->pass ? "true" : "false") << ',';
    else
      out << ",,,";
    out << quoted(r.timer) << ',' << (r.status == Status::Ok ? (r.converged ? "true" : "false") : "") << ','
        << quoted(libraries_of(r)) << ',' << quoted(r.variant) << ',' << quoted(message_of(r)) << '\n';
  }
}

void save_csv(const std::vector<Record>& records, const std::string& file) {
  std::ostringstream out;
  write_csv(records, out);
  write_file_atomically(file, out.str(), "");
}

}  // namespace attnscope
