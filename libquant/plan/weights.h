// Weights and biases of the compute ops: symmetric per-channel (or per-tensor) weights of the
// layer's weight bits, and int32 biases (docs/quant-math.md). Internal to libquant/plan.
#pragma once
#include <string>
#include <unordered_map>

#include "plan/graph_facts.h"
#include "plan/plan.h"
#include "plan/policy.h"

namespace quant::plan {

// A node that reads `weight` as its weight and computes in float (kept float): a weight several
// layers share is then left float for all of them, so that the float layer computes with its own
// weights (its quantized readers list it as a float constant, saying why); nullptr when none.
const ir::Node* shared_with_float_layer(const std::string& weight, const GraphFacts& facts, const Policy& policy);

// Of the nodes the policy runs on integers. conversion_for: "tensor\nreader" -> the conversion the
// reader reads instead of the tensor.
void add_weights_and_biases(QuantPlan& plan, const ir::Graph& graph, const GraphFacts& facts, const Policy& policy,
                            const std::unordered_map<std::string, std::string>& conversion_for);

}  // namespace quant::plan
