#include "script/rules.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "core/error.h"

namespace quant::script {
namespace {

using Handler = std::function<void(const Statement&, ScriptRules&)>;

struct CommandSpec {
  const char* name;
  std::vector<std::string> keys;  // keyword arguments it takes
  Handler handle;                 // nullptr: a hardware/compiler command, accepted with a warning
};

const std::vector<std::string> kPrecisionModes = {"a8_w8", "a16_w16", "a16_w8", "a8_w4", "a8_w8_a16", "a16_w16_a8"};

std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (const std::string& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

// Accessors that fail at the value's position with what was expected.
struct Reader {
  const ScriptRules& rules;
  const Statement& st;

  [[noreturn]] void fail(Pos pos, const std::string& message) const { fail_at(rules.script, pos, message); }

  const Argument* keyword(const std::string& key) const {
    for (const Argument& a : st.args)
      if (a.key == key) return &a;
    return nullptr;
  }
  std::vector<const Argument*> positional() const {
    std::vector<const Argument*> out;
    for (const Argument& a : st.args)
      if (a.key.empty()) out.push_back(&a);
    return out;
  }
  double number(const Value& v, const std::string& what) const {
    if (!v.is_number()) fail(v.pos, what + " must be a number, found '" + shortened(v.text, 40) + "'");
    return v.number;
  }
  int64_t integer(const Value& v, const std::string& what) const {
    if (v.kind != Value::Kind::Int) fail(v.pos, what + " must be a whole number, found '" + shortened(v.text, 40) + "'");
    // Integers in scripts are counts and levels: beyond 2^53 a double no longer holds them exactly.
    if (!(std::abs(v.number) <= 9007199254740992.0)) fail(v.pos, what + " is out of range: '" + shortened(v.text, 40) + "'");
    return static_cast<int64_t>(v.number);
  }
  std::string word(const Value& v, const std::string& what) const {
    if (v.kind != Value::Kind::Word && v.kind != Value::Kind::String) fail(v.pos, what + " must be a name, found '" + shortened(v.text, 40) + "'");
    return v.text;
  }
  std::vector<float> numbers(const Value& v, const std::string& what) const {
    if (v.kind != Value::Kind::List) fail(v.pos, what + " must be a list of numbers like [127.5, 127.5, 127.5]");
    std::vector<float> out;
    for (const Value& i : v.items) out.push_back(static_cast<float>(number(i, what + " item")));
    return out;
  }
  RealInterval interval(const Value& v, const std::string& what) const {
    const std::vector<float> n = numbers(v, what);
    if (n.size() != 2) fail(v.pos, what + " must be [low, high]");
    if (!(n[0] < n[1])) fail(v.pos, what + " must have low < high");
    return {n[0], n[1]};
  }
  bool policy(const Value& v) const {
    if (v.kind == Value::Kind::Bool) return v.flag;
    const std::string w = word(v, "policy");
    if (w == "enabled") return true;
    if (w == "disabled") return false;
    fail(v.pos, "unknown policy '" + w + "' (expected enabled or disabled)");
  }
  std::vector<LayerRef> layers(const Value& v) const {
    std::vector<LayerRef> out;
    auto one = [&](const Value& x) {
      if (x.kind == Value::Kind::Glob) out.push_back({x.text, true, x.pos});
      else if (x.kind == Value::Kind::Word || x.kind == Value::Kind::String) out.push_back({x.text, false, x.pos});
      else fail(x.pos, "expected a layer name, [list] or {glob}, found '" + x.text + "'");
    };
    if (v.kind == Value::Kind::List) {
      if (v.items.empty()) fail(v.pos, "empty layer list");
      for (const Value& x : v.items) one(x);
    } else {
      one(v);
    }
    return out;
  }
  // The first positional argument, which several commands require.
  const Value& first(const std::string& what) const {
    const auto pos = positional();
    if (pos.empty()) fail(st.pos, "'" + st.command + "' needs " + what + " as its first argument");
    return pos.front()->value;
  }
};

void quantization_param(const Statement& st, ScriptRules& rules) {
  const Reader r{rules, st};
  QuantizationParamRule rule;
  rule.pos = st.pos;
  rule.layers = r.layers(r.first("the layers (a name, [list] or {glob})"));
  if (r.positional().size() > 1) r.fail(r.positional()[1]->pos, "quantization_param takes one positional argument (the layers)");
  if (const Argument* a = r.keyword("precision_mode")) {
    const std::string name = r.word(a->value, "precision_mode");
    if (std::find(kPrecisionModes.begin(), kPrecisionModes.end(), name) == kPrecisionModes.end())
      r.fail(a->value.pos, "unknown precision_mode '" + shortened(name, 40) + "' (expected one of " + join(kPrecisionModes) + ")");
    rule.precision = parse_precision_mode(name);
  }
  if (const Argument* a = r.keyword("force_range_out")) rule.force_range_out = r.interval(a->value, "force_range_out");
  if (const Argument* a = r.keyword("force_range_in")) rule.force_range_in = r.interval(a->value, "force_range_in");
  if (const Argument* a = r.keyword("force_range_index")) {
    rule.force_range_index = static_cast<int>(r.integer(a->value, "force_range_index"));
    if (!rule.force_range_in) r.fail(a->pos, "force_range_index goes with force_range_in");
    if (rule.force_range_index < 0) r.fail(a->value.pos, "force_range_index must be 0 or more");
  }
  if (const Argument* a = r.keyword("bias_mode")) {
    const std::string mode = r.word(a->value, "bias_mode");
    static const std::vector<std::string> kModes = {"single_scale_decomposition", "double_scale_initialization", "double_scale_decomposition"};
    if (std::find(kModes.begin(), kModes.end(), mode) == kModes.end())
      r.fail(a->value.pos, "unknown bias_mode '" + mode + "' (expected one of " + join(kModes) + ")");
    rule.bias_mode = mode;
  }
  rules.quantization_params.push_back(rule);
}

void normalization(const Statement& st, ScriptRules& rules) {
  const Reader r{rules, st};
  const auto pos = r.positional();
  if (pos.size() < 2 || pos.size() > 3) r.fail(st.pos, "normalization takes (mean, std) or (mean, std, input)");
  NormalizationRule n;
  n.pos = st.pos;
  n.name = st.targets.empty() ? "" : st.targets.front();
  n.mean = r.numbers(pos[0]->value, "the mean");
  n.std = r.numbers(pos[1]->value, "the std");
  if (n.mean.size() != n.std.size()) r.fail(pos[1]->value.pos, "mean and std must have the same number of values");
  for (size_t i = 0; i < n.std.size(); ++i)
    if (n.std[i] == 0.0f) r.fail(pos[1]->value.items[i].pos, "std values must not be 0");
  if (pos.size() == 3) n.input = r.word(pos[2]->value, "the input");
  rules.normalizations.push_back(n);
}

void model_optimization_config(const Statement& st, ScriptRules& rules) {
  const Reader r{rules, st};
  const std::string what = r.word(r.first("what to configure (calibration)"), "the first argument");
  if (what != "calibration") r.fail(r.positional().front()->value.pos, "model_optimization_config: only 'calibration' is supported here, found '" + what + "'");
  if (const Argument* a = r.keyword("batch_size")) {
    rules.batch_size = r.integer(a->value, "batch_size");
    if (*rules.batch_size < 1) r.fail(a->value.pos, "batch_size must be at least 1");
  }
  if (const Argument* a = r.keyword("calibset_size")) {
    rules.calibset_size = r.integer(a->value, "calibset_size");
    if (*rules.calibset_size < 1) r.fail(a->value.pos, "calibset_size must be at least 1");
  }
}

void model_optimization_flavor(const Statement& st, ScriptRules& rules) {
  const Reader r{rules, st};
  if (const Argument* a = r.keyword("optimization_level")) {
    const int64_t level = r.integer(a->value, "optimization_level");
    if (level < 0 || level > 4) r.fail(a->value.pos, "optimization_level must be 0 to 4");
    if (level > 2) rules.warnings.push_back(where(rules, a->value.pos) + ": optimization_level " + std::to_string(level) +
                                            " needs training-based steps quant does not have; using level 2");
    rules.optimization_level = static_cast<int>(std::min<int64_t>(level, 2));
  }
  if (const Argument* a = r.keyword("compression_level"))
    rules.warnings.push_back(where(rules, a->pos) + ": compression_level is ignored (quant does not compress to 4 bits by itself)");
}

void pre_quantization_optimization(const Statement& st, ScriptRules& rules) {
  const Reader r{rules, st};
  const Value& kind_value = r.first("the optimization (activation_clipping, weights_clipping or equalization)");
  const std::string kind = r.word(kind_value, "the optimization");
  if (kind == "equalization") {
    const Argument* p = r.keyword("policy");
    rules.equalization = p ? r.policy(p->value) : true;
    return;
  }
  if (kind != "activation_clipping" && kind != "weights_clipping")
    r.fail(kind_value.pos, "unknown pre_quantization_optimization '" + kind + "' (expected activation_clipping, weights_clipping or equalization)");
  ClippingRule c;
  c.pos = st.pos;
  const Argument* layers = r.keyword("layers");
  if (!layers) r.fail(st.pos, kind + " needs layers=...");
  c.layers = r.layers(layers->value);
  const Argument* mode = r.keyword("mode");
  const std::string m = mode ? r.word(mode->value, "mode") : "percentile";
  if (m != "percentile" && m != "manual") r.fail(mode->value.pos, "unknown mode '" + m + "' (expected percentile or manual)");
  c.percentile = m == "percentile";
  const Argument* values = r.keyword("clipping_values");
  if (!values) r.fail(st.pos, kind + " needs clipping_values=[low, high]");
  c.values = r.interval(values->value, "clipping_values");
  if (c.percentile && (c.values.lo < 0 || c.values.hi > 100)) r.fail(values->value.pos, "percentile clipping_values must lie in [0, 100]");
  (kind == "activation_clipping" ? rules.activation_clipping : rules.weights_clipping).push_back(c);
}

void post_quantization_optimization(const Statement& st, ScriptRules& rules) {
  const Reader r{rules, st};
  const Value& kind_value = r.first("the optimization (bias_correction)");
  const std::string kind = r.word(kind_value, "the optimization");
  const Argument* p = r.keyword("policy");
  const bool enabled = p ? r.policy(p->value) : true;
  if (kind == "bias_correction") {
    rules.bias_correction = enabled;
  } else if (kind == "adaround" || kind == "finetune" || kind == "train_encoding" || kind == "mix_precision_search") {
    if (enabled) rules.warnings.push_back(where(rules, st.pos) + ": post_quantization_optimization(" + kind + ") is training-based and not available in quant; ignored");
  } else {
    r.fail(kind_value.pos, "unknown post_quantization_optimization '" + kind + "' (expected bias_correction)");
  }
}

const std::vector<CommandSpec>& commands() {
  static const std::vector<CommandSpec> kCommands = {
      {"quantization_param", {"precision_mode", "force_range_out", "force_range_in", "force_range_index", "bias_mode"}, quantization_param},
      {"normalization", {}, normalization},
      {"model_optimization_config", {"batch_size", "calibset_size"}, model_optimization_config},
      {"model_optimization_flavor", {"optimization_level", "compression_level", "batch_size"}, model_optimization_flavor},
      {"pre_quantization_optimization", {"layers", "mode", "clipping_values", "policy", "recollect_stats"}, pre_quantization_optimization},
      {"post_quantization_optimization", {"policy", "layers", "dataset_size", "epochs", "learning_rate", "batch_size"}, post_quantization_optimization},
      // Hardware and compiler commands: meaningless here, accepted so that real scripts load.
      {"resources_param", {}, nullptr},
      {"performance_param", {}, nullptr},
      {"context_switch_param", {}, nullptr},
      {"allocator_param", {}, nullptr},
      {"compilation_param", {}, nullptr},
      {"nms_postprocess", {}, nullptr},
      {"platform_param", {}, nullptr},
      {"buffers", {}, nullptr},
      {"change_output_activation", {}, nullptr},
      {"input_conversion", {}, nullptr},
      {"reshape", {}, nullptr},
      {"resize", {}, nullptr},
      {"transpose", {}, nullptr},
      {"hef_param", {}, nullptr},
  };
  return kCommands;
}

}  // namespace

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

const std::vector<std::string>& precision_mode_names() { return kPrecisionModes; }

PrecisionMode parse_precision_mode(const std::string& name) {
  if (std::find(kPrecisionModes.begin(), kPrecisionModes.end(), name) == kPrecisionModes.end())
    throw Error(ErrorKind::Usage, "unknown precision_mode '" + shortened(name, 40) + "' (expected one of " + join(kPrecisionModes) + ")");
  PrecisionMode m;
  m.name = name;
  // a<A>_w<W>[_a<O>]
  const size_t w = name.find("_w");
  m.input_bits = std::stoi(name.substr(1, w - 1));
  const size_t out = name.find("_a", w);
  m.weight_bits = std::stoi(name.substr(w + 2, out == std::string::npos ? std::string::npos : out - w - 2));
  m.output_bits = out == std::string::npos ? m.input_bits : std::stoi(name.substr(out + 2));
  return m;
}

std::string where(const ScriptRules& rules, Pos pos) { return rules.file + ":" + std::to_string(pos.line); }

ScriptRules compile_script(Script script) {
  ScriptRules rules;
  rules.file = script.file;
  rules.script = std::move(script);
  for (const Statement& st : rules.script.statements) {
    const CommandSpec* spec = nullptr;
    for (const CommandSpec& c : commands())
      if (st.command == c.name) spec = &c;
    if (!spec) {
      std::string closest;
      size_t best = 4;
      for (const CommandSpec& c : commands()) {
        const size_t d = edit_distance(st.command, c.name);
        if (d < best) best = d, closest = c.name;
      }
      fail_at(rules.script, st.pos, "unknown command '" + st.command + "'" + (closest.empty() ? "" : " (did you mean '" + closest + "'?)"));
    }
    if (!spec->handle) {
      rules.warnings.push_back(where(rules, st.pos) + ": '" + st.command + "' is a hardware/compiler command; ignored by quant");
      continue;
    }
    for (const Argument& a : st.args)
      if (!a.key.empty() && std::find(spec->keys.begin(), spec->keys.end(), a.key) == spec->keys.end())
        fail_at(rules.script, a.pos, "unknown key '" + a.key + "' for " + st.command + " (expected " + (spec->keys.empty() ? "no keys" : join(spec->keys)) + ")");
    spec->handle(st, rules);
  }
  return rules;
}

ScriptRules load_rules(const std::string& path) { return compile_script(load_script(path)); }

}  // namespace quant::script
