// pre_quantization_optimization(weights_clipping, layers=..., mode=manual|percentile, clipping_values=[lo, hi]):
// the named layers' float weights are clamped before quantization, to [lo, hi] (manual) or to the
// lo-th and hi-th percentiles of their values (percentile), so that a few outlier weights do not
// stretch the scale of all the others.
#pragma once
#include "ir/graph.h"
#include "script/rules.h"

namespace quant::transform {

void clip_weights(ir::Model& model, const script::ScriptRules& rules);

// The value below which `fraction` of the sorted values lie (linear between neighbours).
float value_percentile(std::vector<float> values, double fraction);

}  // namespace quant::transform
