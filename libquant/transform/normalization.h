// normalization(mean, std[, input]) folded into the model: the input then takes raw pixel values and
// the model computes (x - mean[c]) / std[c] itself, with Sub and Div nodes in front of the input's
// readers (exact at image borders, unlike folding into a padded Conv's weights). The input's range
// becomes the pixel range [0, 255], so in uint8 it maps pixels exactly: scale 1, zero point 0.
#pragma once
#include "ir/graph.h"
#include "plan/rules.h"
#include "script/rules.h"

namespace quant::transform {

// Applies every normalization rule; records the inputs' forced [0, 255] ranges in `plan_rules`.
void apply_normalizations(ir::Model& model, const script::ScriptRules& rules, plan::PlanRules& plan_rules);

}  // namespace quant::transform
