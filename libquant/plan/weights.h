// Weights and biases of the compute ops: symmetric per-channel (or per-tensor) weights of the
// layer's weight bits, and int32 biases (docs/quant-math.md). Internal to libquant/plan.
#pragma once
#include <string>
#include <unordered_map>

#include "plan/graph_facts.h"
#include "plan/plan.h"
#include "plan/policy.h"

namespace quant::plan {

// Of the nodes the policy runs on integers. conversion_for: "tensor\nreader" -> the conversion the
// reader reads instead of the tensor.
void add_weights_and_biases(QuantPlan& plan, const ir::Graph& graph, const GraphFacts& facts, const Policy& policy,
                            const std::unordered_map<std::string, std::string>& conversion_for);

}  // namespace quant::plan
