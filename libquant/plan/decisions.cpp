#include "plan/decisions.h"

#include "plan/weights.h"

#include <algorithm>

namespace quant::plan {
namespace {

// Why a node none of whose outputs is quantized stays float.
const char* float_reason(const ir::Graph& graph, const GraphFacts& facts, const ir::Node& n, const ops::OpEntry* op) {
  if (!op) return "no quantized form";
  if (op->facts.kind == ops::OpKind::ShapeOnly) return "shape arithmetic";
  bool any_float = false, any_read = false;
  for (const std::string& out : n.outputs) {
    if (out.empty()) continue;
    const DType t = graph.known_dtype(out);
    any_float |= t == DType::Undefined || dtype_is_float(t);
    any_read |= !facts.readers_of(out).empty() || facts.outputs.count(out);
  }
  if (!any_float) {
    // Integer in, integer out: computing shapes (Gather of a Shape, Concat of dims, ...).
    bool float_input = false;
    for (const std::string& in : n.inputs) float_input |= !in.empty() && dtype_is_float(graph.known_dtype(in));
    return float_input ? "integer tensor" : "shape arithmetic";
  }
  if (!any_read) return "output unused";
  return "no quantized form";
}

// Nodes inside a node's subgraphs (If branches, Loop and Scan bodies) run in float: calibration
// observes the graph they sit in, not them. A Conv/Gemm/MatMul/ConvTranspose weight there (the
// subgraph's constant or one it reads from the graphs around it) is listed as a float weight.
void record_subgraph_nodes(const ir::Node& n, const std::vector<const ir::Graph*>& around, NodeDecisions& d) {
  for (const auto& [key, a] : n.attributes) {
    if (a.kind != ir::AttrKind::Graph || !a.g) continue;
    std::vector<const ir::Graph*> scopes = around;
    scopes.push_back(a.g.get());
    const std::string reason = "inside " + n.op_type + " '" + n.name + "' " + key + " (subgraphs run in float)";
    for (const ir::Node& inner : a.g->nodes) {
      ++d.nodes;
      d.float_nodes.push_back({inner.name, inner.op_type, "", reason, false});
      const ops::OpEntry* op = ops::find_op(inner.domain, inner.op_type);
      const std::string* w = op && op->facts.kind == ops::OpKind::Compute ? ops::weight_input_name(op, inner) : nullptr;
      if (w && std::any_of(scopes.begin(), scopes.end(), [&](const ir::Graph* g) { return g->initializers.count(*w) != 0; }))
        d.float_constants.push_back({inner.name, inner.op_type, *w, "weight " + reason, true});
      record_subgraph_nodes(inner, scopes, d);
    }
  }
}

}  // namespace

void record_decisions(QuantPlan& plan, const ir::Graph& graph, const GraphFacts& facts, const Policy& policy) {
  plan.decisions = {};
  NodeDecisions& d = plan.decisions;
  for (const auto& [tensor, reason] : policy.float_tensors) {
    auto prod = facts.producer.find(tensor);
    d.float_tensors.push_back({prod == facts.producer.end() ? "" : prod->second->name, prod == facts.producer.end() ? "" : prod->second->op_type,
                               tensor, reason, false});
  }
  for (const ir::Node& n : graph.nodes) {
    const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
    const bool quantized = policy.runs_integer(&n);
    ++d.nodes;
    record_subgraph_nodes(n, {&graph}, d);
    if (!quantized) {
      std::string reason = float_reason(graph, facts, n, op);
      auto why = policy.float_reason.find(&n);
      if (reason == "no quantized form" && why != policy.float_reason.end()) reason = why->second;
      d.float_nodes.push_back({n.name, n.op_type, "", std::move(reason), false});
      continue;
    }
    ++d.quantized;
    // Constants the node reads in float.
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const std::string& in = n.inputs[i];
      auto it = graph.initializers.find(in);
      if (in.empty() || it == graph.initializers.end() || !dtype_is_float(it->second.dtype()) || plan.find(in)) continue;
      const bool weight = op && op->facts.kind == ops::OpKind::Compute && static_cast<int>(i) == op->facts.weight_input;
      const bool bias = op && static_cast<int>(i) == op->facts.bias_input;
      const bool parameter = op && op->facts.parameters_from >= 0 && static_cast<int>(i) >= op->facts.parameters_from;
      const ir::Node* float_sharer = weight ? shared_with_float_layer(in, facts, policy) : nullptr;
      std::string reason = weight ? (it->second.dtype() != DType::Float32 ? "weight of type " + std::string(dtype_name(it->second.dtype())) +
                                                                                " (only float32 weights are quantized)"
                                     : float_sharer ? "weight shared with " + float_sharer->op_type + " '" + float_sharer->name + "', which is kept float"
                                                    : "weight not quantized")
                           : bias ? "bias not quantized (its input has no quantization parameters)"
                           : parameter ? "op parameter (float by the op's definition)"
                                       : "constant operand kept float";
      d.float_constants.push_back({n.name, n.op_type, in, std::move(reason), weight});
    }
  }
}

}  // namespace quant::plan
