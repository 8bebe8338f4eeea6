#include "plan/rules.h"

#include "script/layers.h"

namespace quant::plan {

bool PlanRules::needs_histograms() const {
  for (const auto& [node, r] : output_range)
    if (r.kind == RangeRule::Kind::ClipPercentile) return true;
  return false;
}

PlanRules plan_rules(const script::ScriptRules& rules, const ir::Graph& graph) {
  PlanRules out;
  // Clipping first, so that an explicit force_range on the same layer wins.
  for (const script::ClippingRule& c : rules.activation_clipping) {
    const std::string source = script::where(rules, c.pos);
    for (const ir::Node* n : script::resolve_layers(rules, c.layers, graph))
      out.output_range[n->name] = {c.percentile ? RangeRule::Kind::ClipPercentile : RangeRule::Kind::ClipManual, c.values.lo, c.values.hi, source};
  }
  for (const script::QuantizationParamRule& q : rules.quantization_params) {
    const std::string source = script::where(rules, q.pos);
    for (const ir::Node* n : script::resolve_layers(rules, q.layers, graph)) {
      if (q.precision)
        out.precision[n->name] = {q.precision->name, q.precision->input_bits, q.precision->weight_bits, q.precision->output_bits, source};
      if (q.force_range_out) out.output_range[n->name] = {RangeRule::Kind::Forced, q.force_range_out->lo, q.force_range_out->hi, source};
      if (q.force_range_in) {
        if (q.force_range_index >= static_cast<int>(n->inputs.size()))
          script::fail_at(rules.script, q.pos, "force_range_index " + std::to_string(q.force_range_index) + " is beyond the inputs of '" + n->name + "' (" + std::to_string(n->inputs.size()) + ")", true);
        out.input_range[n->name][q.force_range_index] = {RangeRule::Kind::Forced, q.force_range_in->lo, q.force_range_in->hi, source};
      }
      if (q.bias_mode) out.bias_mode[n->name] = *q.bias_mode;
    }
  }
  return out;
}

}  // namespace quant::plan
