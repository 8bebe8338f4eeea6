// Every node's quantization decision, so that nothing is left float in silence: a node is
// quantized (it runs on integers, plan/policy.h, or its float outputs carry Q/DQ), or it is left
// float with a reason. Constants read by a quantized node are checked too: a Conv, Gemm,
// MatMul or ConvTranspose weight that is not quantized is listed (optimize --strict refuses it), and
// so is any other float constant operand (an Add's bias vector, a Mul's scale) kept in float.
// Internal to libquant/plan; the results are QuantPlan::decisions.
#pragma once
#include "plan/graph_facts.h"
#include "plan/plan.h"
#include "plan/policy.h"

namespace quant::plan {

void record_decisions(QuantPlan& plan, const ir::Graph& graph, const GraphFacts& facts, const Policy& policy);

}  // namespace quant::plan
