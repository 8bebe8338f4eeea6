// What a model script (and optimize --keep-float/--keep-float-ops) asks of the plan, resolved
// against the graph: per-node precision, forced and clipped ranges per node output/input, biases
// to keep in float, nodes to keep float. Later rules win where they overlap; a node kept float
// stays float whatever else names it.
#pragma once
#include <map>
#include <string>

#include "ir/graph.h"
#include "script/rules.h"

namespace quant::plan {

struct LayerPrecision {
  std::string mode;  // "a16_w16"
  int input_bits = 8, weight_bits = 8, output_bits = 8;
  std::string source;  // "file:line"
};

struct RangeRule {
  enum class Kind { Forced, ClipPercentile, ClipManual };
  Kind kind = Kind::Forced;
  double lo = 0, hi = 0;  // real values, or percentiles for ClipPercentile
  std::string source;
};

struct PlanRules {
  std::map<std::string, LayerPrecision> precision;        // node name ->
  std::map<std::string, RangeRule> output_range;          // node name -> rule for its output
  std::map<std::string, std::map<int, RangeRule>> input_range;  // node name -> input index -> forced range
  std::map<std::string, std::string> bias_mode;           // node name -> mode
  std::map<std::string, RangeRule> tensor_range;          // tensor name -> forced range (normalized inputs: [0, 255])
  std::map<std::string, std::string> keep_float;          // node name -> what asked for it ("--keep-float", "--keep-float-ops")
  bool needs_histograms() const;
};

PlanRules plan_rules(const script::ScriptRules& rules, const ir::Graph& graph);

}  // namespace quant::plan
