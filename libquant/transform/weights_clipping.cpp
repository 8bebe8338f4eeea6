#include "transform/weights_clipping.h"

#include <algorithm>
#include <spdlog/spdlog.h>

#include "ops/op_table.h"
#include "script/layers.h"

namespace quant::transform {

float value_percentile(std::vector<float> values, double fraction) {
  if (values.empty()) return 0.0f;
  std::sort(values.begin(), values.end());
  const double at = std::clamp(fraction, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  const size_t i = static_cast<size_t>(at);
  const double t = at - static_cast<double>(i);
  return i + 1 < values.size() ? static_cast<float>(values[i] * (1 - t) + values[i + 1] * t) : values[i];
}

void clip_weights(ir::Model& model, const script::ScriptRules& rules) {
  ir::Graph& g = model.graph;
  for (const script::ClippingRule& rule : rules.weights_clipping) {
    for (const ir::Node* n : script::resolve_layers(rules, rule.layers, g)) {
      const ops::OpEntry* op = ops::find_op(n->domain, n->op_type);
      const std::string* weight = ops::weight_input_name(op, *n);
      if (!weight) {
        spdlog::warn("{}: weights_clipping: '{}' ({}) has no weights; skipped", script::where(rules, rule.pos), n->name, n->op_type);
        continue;
      }
      auto it = g.initializers.find(*weight);
      if (it == g.initializers.end() || it->second.dtype() != DType::Float32) continue;
      Tensor w = it->second.clone();
      float* v = w.data<float>();
      float lo = static_cast<float>(rule.values.lo), hi = static_cast<float>(rule.values.hi);
      if (rule.percentile) {
        const std::vector<float> all(v, v + w.numel());
        lo = value_percentile(all, rule.values.lo / 100.0);
        hi = value_percentile(all, rule.values.hi / 100.0);
      }
      int64_t clipped = 0;
      for (int64_t i = 0; i < w.numel(); ++i)
        if (v[i] < lo || v[i] > hi) v[i] = std::clamp(v[i], lo, hi), ++clipped;
      spdlog::info("weights_clipping: {} weights of '{}' clipped to [{:.6g}, {:.6g}]", clipped, n->name, lo, hi);
      it->second = w;
    }
  }
}

}  // namespace quant::transform
