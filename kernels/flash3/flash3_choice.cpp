// The one decision of which flash3 kernel runs (flash3_choice.hpp): the tables, the environment's switches and
// the named variants. CUDA-free, so a CPU build lists the variants and tests the decision.

// GCC 12 warns falsely about "c" + std::to_string(...) once TileShape::name() is inlined here (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif
#include "flash3/flash3_choice.hpp"

#include <algorithm>
#include <cstdlib>
#include <initializer_list>
#include <stdexcept>
#include <string_view>

namespace attnscope::flash3 {
namespace {

[[noreturn]] void refuse(const std::string& text) { throw std::runtime_error("flash3: " + text); }

// The switch's value (`name` in full, so that the binary holds each name as a scripts' check looks for it), remembered
// for the record without its prefix; empty when unset or empty (both mean the default). A value not among `allowed`
// (when given) is refused: "<switch>=<value> is not <allowed_text>".
std::string switch_value(const char* name, Overrides& o, std::initializer_list<std::string_view> allowed = {},
                         const char* allowed_text = "") {
  const char* s = std::getenv(name);
  if (s == nullptr || *s == '\0') return {};
  const std::string v = s;
  if (allowed.size() != 0 && std::find(allowed.begin(), allowed.end(), v) == allowed.end())
    refuse(std::string(name) + "=" + v + " is not " + allowed_text);
  o.from_env.push_back(std::string(name).substr(std::string_view(name).find("FLASH3_") + 7) + "=" + v);
  return v;
}

// The values of two switches, with where their kernels are compiled (a refusal names both).
constexpr const char* kClusterValues = "1, or 2 (compiled for head dim 128 without a causal mask only)";
constexpr const char* kExp2Values = "mufu, or fma1 / fma2 (compiled for bfloat16 with head dim 128 only)";

std::string exp2_name(int on_fma) { return on_fma == 0 ? "mufu" : "fma" + std::to_string(on_fma); }

const char* schedule_name(Schedule s) {
  switch (s) {
    case Schedule::kUnspecialized: return "unspecialized";
    case Schedule::kSerial: return "serial";
    case Schedule::kOverlap: return "overlap";
    case Schedule::kPingPong: break;
  }
  return "ping-pong";
}

// Where the lower rungs and the 2^x splits are compiled (flash3_hdim128_ladder.cu): bfloat16 at head dim 128, the
// cell where FA3's ablation is measured.
bool ladder_compiled(const Shape& s, const TileShape& row) { return s.bf16 && row.head_dim == 128; }
// Clusters of two: d=128 without a causal mask, both dtypes (flash3_hdim128.cu).
bool cluster_compiled(const TileShape& row) { return row.head_dim == 128 && row.can_cluster(2); }

}  // namespace

Overrides overrides_from_env() {
  Overrides o;
  // SCHEDULE: a lower rung of the ladder — compiled for bfloat16 at head dim 128 only, the cell where FA3's ablation
  // is measured (NOTES.md), on the one-block-per-tile grid ("+ persistent" is the last rung).
  const std::string schedule = switch_value("ATTNSCOPE_FLASH3_SCHEDULE", o, {"unspecialized", "serial", "overlap", "pingpong"},
                                            "unspecialized, serial, overlap or pingpong");
  if (schedule == "unspecialized") o.schedule = Schedule::kUnspecialized;
  if (schedule == "serial") o.schedule = Schedule::kSerial;
  if (schedule == "overlap") o.schedule = Schedule::kOverlap;
  // TILE=<block_m>x<block_n>x<stages>[p|c2]: a row of kAlternativeTiles, checked against the problem in choose().
  o.tile = switch_value("ATTNSCOPE_FLASH3_TILE", o);
  // GRID: the row's tile on the other grid (both are compiled for every row of kTileShapes).
  const std::string grid = switch_value("ATTNSCOPE_FLASH3_GRID", o, {"persistent", "blocks"}, "persistent or blocks");
  if (!grid.empty()) o.persistent = grid == "persistent";
  // CLUSTER=2: one block per tile, in pairs sharing K and V (d=128 non-causal, both dtypes: flash3_hdim128.cu).
  if (switch_value("ATTNSCOPE_FLASH3_CLUSTER", o, {"1", "2"}, kClusterValues) == "2") o.cluster = 2;
  // EXP2=fma1|fma2: one or two of every four 8-key column blocks take their 2^x on the FMA pipes (bfloat16 d=128's
  // default rows, ping-pong: flash3_hdim128_ladder.cu). Measured on an H100: 5–13 % slower (MUFU is not what limits
  // the kernel; NOTES.md, call 5), so it stays a switch for that lesson.
  const std::string exp2 = switch_value("ATTNSCOPE_FLASH3_EXP2", o, {"mufu", "fma1", "fma2"}, kExp2Values);
  if (exp2 == "fma1" || exp2 == "fma2") o.exp2_on_fma = exp2[3] - '0';
  // LENGTH: kLengthTiles on (for kv_len in the row's range), off, or always (the measurement against the row).
  const std::string length = switch_value("ATTNSCOPE_FLASH3_LENGTH", o, {"on", "off", "always"}, "on, off or always");
  if (length == "off") o.length = Length::kOff;
  if (length == "always") o.length = Length::kAlways;
  // ORDER=heads: causal tiles head by head (the older order) instead of FA3's longest first in L2-sized sections.
  o.heads_order = switch_value("ATTNSCOPE_FLASH3_ORDER", o, {"lpt", "heads"}, "lpt or heads") == "heads";
  // SPLIT=off: the persistent grid's last round runs whole tiles (TailSplit), the measurement against the split.
  o.tail_split = switch_value("ATTNSCOPE_FLASH3_SPLIT", o, {"on", "off"}, "on or off") != "off";
  return o;
}

Choice choose(const Shape& s, const Overrides& o) {
  const TileShape* row = tile_shape(s.head_dim, s.causal);
  if (row == nullptr)
    refuse("no kernel for head_dim " + std::to_string(s.head_dim) + " (multiples of 8 up to " + std::to_string(kMaxHeadDim) +
           " run)");
  Choice c;
  c.tile = *row;
  c.heads_order = o.heads_order;
  c.tail_split = o.tail_split;
  c.from_env = o.from_env;
  // A named alternative (bfloat16, ping-pong, its own grid); naming the row itself changes nothing.
  if (!o.tile.empty() && o.tile != row->name()) {
    std::string compiled;
    for (size_t i = 0; i < kAlternativeTiles.size(); ++i) {
      const TileShape& t = kAlternativeTiles[i];
      if (t.head_dim != row->head_dim || t.causal != s.causal) continue;
      compiled.append(" ").append(t.name());
      if (s.bf16 && t.name() == o.tile) c.source = Choice::Source::kAlternative, c.index = int(i), c.tile = t;
    }
    if (c.source != Choice::Source::kAlternative)
      refuse("ATTNSCOPE_FLASH3_TILE=" + o.tile + " is not compiled for this problem (default " + row->name() +
             "; bfloat16 alternatives:" + (compiled.empty() ? " none" : compiled) + ")");
  }
  const bool ladder = ladder_compiled(s, *row);
  if (o.exp2_on_fma != 0 && !ladder)
    refuse("ATTNSCOPE_FLASH3_EXP2=" + exp2_name(o.exp2_on_fma) + " is not " + kExp2Values);
  // Another schedule exists for the ladder's cell only; elsewhere ping-pong runs (the record says so).
  const Schedule schedule = ladder ? o.schedule : Schedule::kPingPong;
  if (c.source == Choice::Source::kAlternative) {
    if (schedule != Schedule::kPingPong || o.exp2_on_fma != 0)
      refuse("ATTNSCOPE_FLASH3_TILE's alternatives are compiled with the ping-pong schedule and MUFU's 2^x only");
    return c;
  }
  if (o.exp2_on_fma != 0 && schedule != Schedule::kPingPong)
    refuse("ATTNSCOPE_FLASH3_EXP2 is compiled with the ping-pong schedule only");
  if (o.cluster == 2 && !cluster_compiled(*row))
    refuse(std::string("ATTNSCOPE_FLASH3_CLUSTER=2 is not ") + kClusterValues);
  // The length tile replaces the row unless the row's own kernel is asked for: another rung, a 2^x split, a grid
  // or clusters (each names the row's tile), or LENGTH=off.
  const bool row_asked = schedule != Schedule::kPingPong || o.exp2_on_fma != 0 || o.persistent || o.cluster == 2;
  if (o.length == Length::kAlways || (o.length == Length::kOn && !row_asked))
    for (size_t i = 0; i < kLengthTiles.size(); ++i) {
      const LengthTile& l = kLengthTiles[i];
      if (l.tile.head_dim != row->head_dim || l.tile.causal != s.causal) continue;
      if (o.length == Length::kAlways || (s.kv_len >= l.min_keys && s.kv_len < l.max_keys)) {
        c.source = Choice::Source::kLength, c.index = int(i), c.tile = l.tile;
        return c;
      }
    }
  c.schedule = schedule;
  c.exp2_on_fma = o.exp2_on_fma;
  if (schedule != Schedule::kPingPong) {
    c.tile.persistent = false;  // the lower rungs are compiled on the one-block-per-tile grid
  } else if (o.exp2_on_fma == 0) {
    if (o.cluster == 2) c.tile.persistent = false, c.tile.cluster = 2;
    else if (o.persistent) c.tile.persistent = *o.persistent;
  }
  return c;
}

std::string describe(const Choice& c, const Shape& s) {
  std::string text = c.tile.name() + " " + schedule_name(c.schedule) + ", " +
                     (c.tile.cluster > 1 ? "clusters of " + std::to_string(c.tile.cluster) : c.tile.persistent ? "persistent" : "blocks");
  if (c.source == Choice::Source::kAlternative) text += " (alternative tile)";
  if (c.source == Choice::Source::kLength) {
    const LengthTile& l = kLengthTiles[size_t(c.index)];
    const bool inside = s.kv_len >= l.min_keys && s.kv_len < l.max_keys;
    const std::string range = l.max_keys == INT64_MAX ? (l.min_keys == 0 ? "every kv_len" : "kv_len >= " + std::to_string(l.min_keys))
                                                      : "kv_len < " + std::to_string(l.max_keys);
    text += " (length tile" + std::string(inside ? "" : ", out of its range") + ": " + range + ")";
  }
  if (c.tile.cluster > 1 && (s.q_len + c.tile.block_m() - 1) / c.tile.block_m() % c.tile.cluster != 0)
    text += ", unclustered (an odd number of query tiles per head)";
  if (c.exp2_on_fma != 0) text += ", 2^x " + exp2_name(c.exp2_on_fma);
  if (s.causal && c.heads_order) text += ", tiles head by head";
  if (!s.causal && c.tile.persistent) text += c.tail_split ? ", last round split" : ", last round whole";
  if (s.head_dim != c.tile.head_dim) text += ", d=" + std::to_string(s.head_dim) + " padded to " + std::to_string(c.tile.head_dim);
  for (size_t i = 0; i < c.from_env.size(); ++i) text += (i == 0 ? "; env " : " ") + c.from_env[i];
  return text;
}

TailSplit tail_split(const Choice& c, const Shape& s, int64_t batch_heads, int sms) {
  const int64_t tiles = (s.q_len + c.tile.block_m() - 1) / c.tile.block_m() * batch_heads;
  if (!c.tail_split || !c.tile.persistent || s.causal) return plan_tail_split(tiles, 0, 0);
  return plan_tail_split(tiles, sms, (s.kv_len + c.tile.block_n - 1) / c.tile.block_n);
}

int64_t workspace_bytes(const Choice& c, const Shape& s, int64_t batch_heads, int sms) {
  return tail_split_workspace_bytes(tail_split(c, s, batch_heads, sms), c.tile);
}

std::vector<Variant> variants(const Shape& s) {
  std::vector<Variant> out;
  const TileShape* row = tile_shape(s.head_dim, s.causal);
  if (row == nullptr) return out;
  auto add = [&](std::string name, Overrides o) {
    for (const Variant& v : out)
      if (v.name == name) return;  // a length tile that is also an alternative: one kernel, one name
    out.push_back({std::move(name), std::move(o)});
  };
  if (ladder_compiled(s, *row))
    for (Schedule rung : {Schedule::kUnspecialized, Schedule::kSerial, Schedule::kOverlap}) {
      Overrides o;
      o.schedule = rung;
      add(schedule_name(rung), o);
    }
  for (bool persistent : {false, true}) {
    Overrides o;
    o.persistent = persistent;
    add(persistent ? "pingpong-persistent" : "pingpong-blocks", o);
  }
  if (cluster_compiled(*row)) {
    Overrides o;
    o.cluster = 2;
    add("cluster2", o);
  }
  if (!s.causal && choose(s, {}).tile.persistent) {  // the default kernel's last round without the tail split
    Overrides o;
    o.tail_split = false;
    add("last-round-whole", o);
  }
  if (ladder_compiled(s, *row))
    for (int on_fma : {1, 2}) {
      Overrides o;
      o.exp2_on_fma = on_fma;
      add(exp2_name(on_fma), o);
    }
  if (s.bf16)
    for (const TileShape& t : kAlternativeTiles)
      if (t.head_dim == row->head_dim && t.causal == s.causal) {
        Overrides o;
        o.tile = t.name();
        add("tile-" + t.name(), o);
      }
  for (const LengthTile& l : kLengthTiles)  // a row's other grid is already a variant (pingpong-blocks / -persistent)
    if (l.tile.head_dim == row->head_dim && l.tile.causal == s.causal && !is_row_on_other_grid(l)) {
      Overrides o;
      o.length = Length::kAlways;
      add("tile-" + l.tile.name(), o);
    }
  if (s.causal) {
    Overrides o;
    o.heads_order = true;
    add("order-heads", o);
  }
  return out;
}

const std::vector<std::string>& all_variant_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all;
    for (bool bf16 : {false, true})
      for (const TileShape& row : kTileShapes) {
        std::vector<int64_t> lengths = {1};  // and both sides of each length tile's range
        for (const LengthTile& l : kLengthTiles) {
          lengths.push_back(l.min_keys);
          if (l.max_keys != INT64_MAX) lengths.push_back(l.max_keys);
        }
        for (int64_t kv_len : lengths)
          for (const Variant& v : variants({row.head_dim, row.causal, kv_len, kv_len, bf16}))
            if (std::find(all.begin(), all.end(), v.name) == all.end()) all.push_back(v.name);
      }
    return all;
  }();
  return names;
}

}  // namespace attnscope::flash3
