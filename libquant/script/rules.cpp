#include "script/rules.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "core/error.h"

namespace quant::script {
namespace {

using Handler = std::function<void(const Statement&, ScriptRules&)>;

// One word of Hailo's model-script language: a command's first argument (the optimization it
// configures) or a key. `instead` is empty where quant implements it; otherwise it says what quant
// does instead, and a script using it loads with one warning saying so (never claiming an effect).
struct Word {
  std::string_view name;
  std::string_view instead = {};
};

struct CommandSpec {
  std::string_view name;
  Handler handle;            // nullptr: the whole command is accepted with the warning `instead`
  std::string_view instead;  // what quant does instead of a command it does not implement
  std::vector<Word> kinds;   // the values its first positional argument may take (empty: any)
  std::vector<Word> keys;    // its keyword arguments (a command without a handler takes any)
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

// model_optimization_config(calibration, ...): the table lets only `calibration` reach here.
void model_optimization_config(const Statement& st, ScriptRules& rules) {
  const Reader r{rules, st};
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
}

// pre_quantization_optimization(activation_clipping | weights_clipping | equalization, ...): the
// table lets only these reach here.
void pre_quantization_optimization(const Statement& st, ScriptRules& rules) {
  const Reader r{rules, st};
  const std::string kind = r.word(r.first("the optimization"), "the optimization");
  if (kind == "equalization") {
    if (const Argument* layers = r.keyword("layers")) {
      // Hailo can switch equalization per layer; quant equalizes all pairs or none, so a per-layer
      // statement would change other layers too.
      rules.warnings.push_back(where(rules, layers->pos) +
                               ": pre_quantization_optimization(equalization, layers=...): quant equalizes every layer pair or none; "
                               "a per-layer policy is not available: statement ignored");
      return;
    }
    const Argument* p = r.keyword("policy");
    rules.equalization = p ? r.policy(p->value) : true;
    return;
  }
  ClippingRule c;
  c.pos = st.pos;
  const Argument* layers = r.keyword("layers");
  if (!layers) r.fail(st.pos, kind + " needs layers=...");
  c.layers = r.layers(layers->value);
  const Argument* mode = r.keyword("mode");
  const std::string m = mode ? r.word(mode->value, "mode") : "percentile";
  if (m != "percentile" && m != "manual" && m != "percentile_force")
    r.fail(mode->value.pos, "unknown mode '" + m + "' (expected percentile, percentile_force or manual)");
  // percentile_force: Hailo clips even layers its own heuristics would skip; quant clips every
  // listed layer in either mode, so the two are the same here.
  c.percentile = m != "manual";
  const Argument* values = r.keyword("clipping_values");
  if (!values) r.fail(st.pos, kind + " needs clipping_values=[low, high]");
  c.values = r.interval(values->value, "clipping_values");
  if (c.percentile && (c.values.lo < 0 || c.values.hi > 100)) r.fail(values->value.pos, "percentile clipping_values must lie in [0, 100]");
  (kind == "activation_clipping" ? rules.activation_clipping : rules.weights_clipping).push_back(c);
}

// post_quantization_optimization(bias_correction, policy=...): the table lets only it reach here.
void post_quantization_optimization(const Statement& st, ScriptRules& rules) {
  const Reader r{rules, st};
  const Argument* p = r.keyword("policy");
  rules.bias_correction = p ? r.policy(p->value) : true;
}

// Hailo's model-script vocabulary (the commands, first arguments and keys its documentation and
// the Hailo Model Zoo's scripts use), each implemented or accepted with what quant does instead.
// docs/model-script.md has the same table for readers; a unit test checks the two agree.
constexpr std::string_view kHardware = "a Hailo compiler or hardware setting, no meaning for quant: ignored";
constexpr std::string_view kTraining = "training-based in Hailo's tool; quant does post-training quantization only: no effect";
constexpr std::string_view kNoEffect = "a setting of a Hailo optimization quant does not have: no effect";

const std::vector<CommandSpec>& commands() {
  static const std::vector<CommandSpec> kCommands = {
      {"quantization_param", quantization_param, {}, {},
       {{"precision_mode"}, {"force_range_out"}, {"force_range_in"}, {"force_range_index"}, {"bias_mode"},
        {"max_elementwise_feed_repeat", "a limit of Hailo's element-wise hardware; quant has none: ignored"},
        {"activation_fit", "fits Hailo's approximations of non-linear activations; quant computes them exactly (as tables in the "
                           "integer emulator): ignored"}}},
      {"normalization", normalization, {}, {}, {}},
      {"model_optimization_config", model_optimization_config, {},
       {{"calibration"},
        {"globals", "global switches of Hailo's optimizer (processes, GPU); quant has none: ignored"},
        {"negative_exponent", "Hailo's accumulator shift for its hardware; quant's requantization needs none: ignored"},
        {"checker_cfg", "Hailo's layer-noise checker; `quantize analyze` reports per-layer SQNR: ignored"}},
       {{"batch_size"}, {"calibset_size"},
        {"multiproc_policy", "quant calibrates in one process on all cores: ignored"},
        {"layers", kNoEffect}, {"rank", kNoEffect}, {"policy", kNoEffect}, {"batch_norm_checker", kNoEffect}, {"analyze_mode", kNoEffect},
        {"dataset_size", kNoEffect},
        {"output_encoding_vector", "Hailo's per-output hardware encoding; quant quantizes each output per tensor: ignored"}}},
      {"model_optimization_flavor", model_optimization_flavor, {}, {},
       {{"optimization_level"},
        {"compression_level", "quant does not compress weights to 4 bits by itself (precision_mode=a8_w4 does, per layer): ignored"},
        {"batch_size", "quant's calibration batch size is model_optimization_config(calibration, batch_size=...) or --batch-size: ignored"}}},
      {"pre_quantization_optimization", pre_quantization_optimization, {},
       {{"activation_clipping"}, {"weights_clipping"}, {"equalization"},
        {"ew_add_fusing", "fuses element-wise Adds into convolutions in Hailo's graph; quant keeps the ONNX graph's Adds: ignored"},
        {"matmul_correction", "a correction for Hailo's MatMul hardware; quant's MatMul needs none: ignored"},
        {"matmul_equalization", "equalization across MatMul inputs in Hailo's tool; quant equalizes Conv/Gemm pairs only: ignored"},
        {"layer_norm_decomposition", "decomposes LayerNorm for Hailo's hardware; quant keeps LayerNormalization in float (16 bits "
                                     "with --full-integer): ignored"},
        {"se_optimization", "reshapes squeeze-and-excitation blocks for Hailo's hardware; quant quantizes the graph as it is: ignored"},
        {"decompose_conv_factor", "splits convolutions for Hailo's hardware; quant quantizes the graph as it is: ignored"},
        {"global_avgpool_reduction", "splits global average pools for Hailo's hardware; quant quantizes the graph as it is: ignored"}},
       {{"layers"}, {"policy"}, {"mode"}, {"clipping_values"},
        {"recollect_stats", "quant clips with the statistics of its one calibration pass: ignored"},
        {"correction_type", kNoEffect}, {"matmul_bias", kNoEffect}, {"equalization", kNoEffect}, {"bit_decomposition_mode", kNoEffect},
        {"method", kNoEffect}, {"count", kNoEffect}, {"tile_height", kNoEffect}, {"division_factors", kNoEffect},
        {"infusible_ew_add_type", kNoEffect}}},
      {"post_quantization_optimization", post_quantization_optimization, {},
       {{"bias_correction"}, {"finetune", kTraining}, {"adaround", kTraining}, {"train_encoding", kTraining},
        {"mix_precision_search", "Hailo's mixed-precision search; quant's is `optimize --auto-precision`: no effect"}},
       {{"policy"}, {"layers", kNoEffect}, {"learning_rate", kTraining}, {"epochs", kTraining}, {"dataset_size", kTraining},
        {"batch_size", kTraining}, {"loss_layer_names", kTraining}, {"loss_factors", kTraining}, {"loss_types", kTraining},
        {"warmup_epochs", kTraining}, {"def_loss_type", kTraining}, {"meta_arch", kTraining}, {"train_scales", kTraining}}},
      // Commands that change Hailo's graph: quant keeps the ONNX model's graph as it is.
      {"change_output_activation", nullptr, "replaces an output's activation in Hailo's graph; quant keeps the ONNX model's (add the activation "
                                            "to the ONNX model to change it): ignored", {}, {}},
      {"logits_layer", nullptr, "adds a softmax/argmax layer in Hailo's graph; quant does not add layers: ignored", {}, {}},
      {"remove_node", nullptr, "removes a node from Hailo's graph; quant keeps the ONNX graph (remove it from the ONNX model): ignored", {}, {}},
      {"input_conversion", nullptr, "adds a color or format conversion at Hailo's input; the ONNX model's input is kept (normalization(...) "
                                    "folds a mean/std): ignored", {}, {}},
      {"format_conversion", nullptr, "converts data layouts on Hailo's device; the ONNX model's layouts are kept: ignored", {}, {}},
      {"nms_postprocess", nullptr, "adds Hailo's on-device NMS; quant keeps the ONNX model's outputs: ignored", {}, {}},
      {"resize", nullptr, "adds a resize at Hailo's input; the ONNX model's input size is kept: ignored", {}, {}},
      {"reshape", nullptr, "changes a shape in Hailo's graph; the ONNX graph is kept: ignored", {}, {}},
      {"transpose", nullptr, "transposes in Hailo's graph; the ONNX graph is kept: ignored", {}, {}},
      // Compiler and hardware commands.
      {"allocator_param", nullptr, kHardware, {}, {}},
      {"buffers", nullptr, kHardware, {}, {}},
      {"bucket", nullptr, kHardware, {}, {}},
      {"compilation_param", nullptr, kHardware, {}, {}},
      {"context_switch_param", nullptr, kHardware, {}, {}},
      {"defuse", nullptr, kHardware, {}, {}},
      {"hef_param", nullptr, kHardware, {}, {}},
      {"network_group", nullptr, kHardware, {}, {}},
      {"performance_param", nullptr, kHardware, {}, {}},
      {"platform_param", nullptr, kHardware, {}, {}},
      {"resources_param", nullptr, kHardware, {}, {}},
      {"shape_splitter", nullptr, kHardware, {}, {}},
  };
  return kCommands;
}

// The closest of `names` to `word`, for "did you mean": within 3 edits, or a name that begins with
// the word (precision -> precision_mode). "" when none is that close.
template <typename Names, typename NameOf>
std::string closest(const std::string& word, const Names& names, NameOf name_of) {
  std::string best_name;
  size_t best = 4;
  for (const auto& n : names) {
    const std::string name(name_of(n));
    const size_t d = name.size() > word.size() && word.size() >= 3 && name.compare(0, word.size(), word) == 0 ? 1 : edit_distance(word, name);
    if (d < best) best = d, best_name = name;
  }
  return best_name;
}

std::string listed(const std::vector<Word>& words) {
  std::vector<std::string> names;
  for (const Word& w : words) names.emplace_back(w.name);
  return join(names);
}

const Word* find_word(const std::vector<Word>& words, const std::string& name) {
  for (const Word& w : words)
    if (w.name == name) return &w;
  return nullptr;
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

std::vector<VocabularyEntry> script_vocabulary() {
  std::vector<VocabularyEntry> rows;
  for (const CommandSpec& c : commands()) {
    const std::string command(c.name);
    rows.push_back({command, "", "", std::string(c.instead)});
    for (const Word& k : c.kinds) rows.push_back({command, std::string(k.name), "", std::string(k.instead)});
    for (const Word& k : c.keys) rows.push_back({command, "", std::string(k.name), std::string(k.instead)});
  }
  return rows;
}

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
      const std::string near = closest(st.command, commands(), [](const CommandSpec& c) { return c.name; });
      fail_at(rules.script, st.pos, "unknown command '" + st.command + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)"));
    }
    if (!spec->handle) {
      rules.warnings.push_back(where(rules, st.pos) + ": " + st.command + ": " + std::string(spec->instead));
      continue;
    }
    // The first argument picks what the command configures; one not implemented is one warning for
    // the statement (its keys are still checked).
    std::string label = st.command;
    const Word* kind = nullptr;
    if (!spec->kinds.empty()) {
      const Reader r{rules, st};
      const Value& v = r.first("what it configures (" + listed(spec->kinds) + ")");
      const std::string name = r.word(v, "the first argument");
      kind = find_word(spec->kinds, name);
      if (!kind) {
        const std::string near = closest(name, spec->kinds, [](const Word& k) { return k.name; });
        fail_at(rules.script, v.pos, "unknown " + st.command + " '" + shortened(name, 40) + "' (" + (near.empty() ? "" : "did you mean '" + near + "'? ") +
                                         "expected one of " + listed(spec->kinds) + ")");
      }
      label += "(" + name + ")";
    }
    std::vector<std::string> key_warnings;
    for (const Argument& a : st.args) {
      if (a.key.empty()) continue;
      const Word* k = find_word(spec->keys, a.key);
      if (!k) {
        const std::string near = closest(a.key, spec->keys, [](const Word& w) { return w.name; });
        fail_at(rules.script, a.pos, "unknown key '" + shortened(a.key, 40) + "' for " + st.command + " (" + (near.empty() ? "" : "did you mean '" + near + "'? ") +
                                         "expected " + (spec->keys.empty() ? "no keys" : listed(spec->keys)) + ")");
      }
      if (!k->instead.empty()) key_warnings.push_back(where(rules, a.pos) + ": " + label + ": " + a.key + ": " + std::string(k->instead));
    }
    if (kind && !kind->instead.empty()) {
      rules.warnings.push_back(where(rules, st.pos) + ": " + label + ": " + std::string(kind->instead));
      continue;
    }
    rules.warnings.insert(rules.warnings.end(), key_warnings.begin(), key_warnings.end());
    spec->handle(st, rules);
  }
  return rules;
}

ScriptRules load_rules(const std::string& path) { return compile_script(load_script(path)); }

}  // namespace quant::script
