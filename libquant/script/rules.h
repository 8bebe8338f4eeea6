// A parsed script turned into typed rules, each with the position it came from (docs/model-script.md).
// Commands and their keys come from one table (rules.cpp); unknown commands and keys, and values of
// the wrong kind, are errors at their position with a did-you-mean. Every command, first argument
// and key of Hailo's documented language is in the table: implemented, or accepted with one warning
// naming the line and saying what quant does instead.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "script/ast.h"

namespace quant::script {

// A layer reference: a node name or output tensor name, or a {glob}.
struct LayerRef {
  std::string pattern;
  bool glob = false;
  Pos pos;
};

// a<A>_w<W>[_a<O>]: input activations A bits, weights W bits, output activations O bits (= A when absent).
struct PrecisionMode {
  std::string name;
  int input_bits = 8, weight_bits = 8, output_bits = 8;
};

struct RealInterval {
  double lo = 0, hi = 0;
};

struct QuantizationParamRule {
  std::vector<LayerRef> layers;
  std::optional<PrecisionMode> precision;
  std::optional<RealInterval> force_range_out, force_range_in;
  int force_range_index = 0;
  std::optional<std::string> bias_mode;
  Pos pos;
};

struct NormalizationRule {
  std::string name;  // the `name =` of the statement, if any
  std::vector<float> mean, std;
  std::string input;  // "" = the model's only input
  Pos pos;
};

struct ClippingRule {
  std::vector<LayerRef> layers;
  bool percentile = false;  // else manual
  RealInterval values;      // percentiles, or real values
  Pos pos;
};

struct ScriptRules {
  std::string file;
  std::vector<QuantizationParamRule> quantization_params;  // in script order: later ones win
  std::vector<NormalizationRule> normalizations;
  std::optional<int64_t> batch_size, calibset_size;
  std::optional<int> optimization_level;
  std::vector<ClippingRule> activation_clipping, weights_clipping;
  std::optional<bool> equalization, bias_correction;
  std::vector<std::string> warnings;  // "file:line: ..." for accepted-but-ignored commands, keys and layers
  Script script;                      // for positioned messages in later stages
};

ScriptRules compile_script(Script script);
ScriptRules load_rules(const std::string& path);

// Hailo's model-script vocabulary as quant knows it (the table in rules.cpp): one row per command,
// per value of its first argument (kind) and per key; `instead` says what quant does where it does
// not implement the entry ("" where it does). For the docs check and the vocabulary test.
struct VocabularyEntry {
  std::string command, kind, key, instead;
};
std::vector<VocabularyEntry> script_vocabulary();

// The precision modes quant knows, for messages and docs.
const std::vector<std::string>& precision_mode_names();
PrecisionMode parse_precision_mode(const std::string& name);  // throws Usage listing the modes

// Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(const std::string& a, const std::string& b);

// "file:line" of a position, for the JSON's forced_by.
std::string where(const ScriptRules& rules, Pos pos);

}  // namespace quant::script
