#include "emulate/emulate.h"

#include <cmath>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "emulate/rewrites.h"
#include "ops/op_table.h"
#include "qmath/fixed_point.h"

namespace quant::emulate {

const char* execution_name(Execution how) {
  switch (how) {
    case Execution::Integer: return "integer";
    case Execution::Table: return "table";
    case Execution::ExactMove: return "exact move";
    case Execution::FloatRequantized: return "float, requantized";
    case Execution::Float: return "float";
  }
  return "?";
}

ir::Node integer_node(const std::string& name, const std::string& op_type, std::vector<std::string> inputs, std::string output) {
  ir::Node n;
  n.name = name;
  n.op_type = op_type;
  n.domain = std::string(ops::kIntegerDomain);
  n.opset = 1;
  n.inputs = std::move(inputs);
  n.outputs = {std::move(output)};
  return n;
}

void set_requantizer(ir::Node& node, const std::vector<double>& multipliers, const PerTensorParams& out, int64_t lo,
                     int64_t hi, double acc_bound) {
  std::vector<int64_t> m0, shift;
  int left = 0;
  for (double m : multipliers) {
    const qmath::FixedMultiplier f = qmath::quantize_multiplier(m);
    m0.push_back(f.m0_q31);
    shift.push_back(f.shift);
    left = std::max(left, -f.shift);
  }
  node.attributes["multiplier"] = ints_attribute(std::move(m0));
  node.attributes["shift"] = ints_attribute(std::move(shift));
  node.attributes["y_zero_point"] = int_attribute(out.zero_point);
  node.attributes["y_min"] = int_attribute(lo);
  node.attributes["y_max"] = int_attribute(hi);
  node.attributes["y_type"] = int_attribute(static_cast<int64_t>(out.dtype));
  // 32 bits when no sum, shifted left by the multiplier's exponent, can leave int32.
  const bool fits32 = std::ldexp(acc_bound, left) < 2147483647.0;
  node.attributes["accumulator_bits"] = int_attribute(fits32 ? 32 : 64);
}

namespace {

bool is_quantization(const ir::Node& n) { return is_op(n, "QuantizeLinear") || is_op(n, "DequantizeLinear"); }

bool same_params(const std::optional<PerTensorParams>& a, const std::optional<PerTensorParams>& b) {
  return a && b && a->scale == b->scale && a->zero_point == b->zero_point && a->dtype == b->dtype;
}

// How a node the rewrites left alone runs.
NodeExecution classify(const GraphIndex& index, const ir::Node& node, const ops::OpEntry* op, const std::string& why_not) {
  NodeExecution e{node.name, node.op_type, Execution::Float, "its output is not quantized"};
  const ir::Node* q = node.outputs.size() == 1 ? index.sole_reader(node.outputs[0]) : nullptr;
  if (!q || !is_op(*q, "QuantizeLinear")) return e;
  const ir::Node* dq = node.inputs.empty() ? nullptr : index.activation_dequantize(node.inputs[0]);
  if (op && op->facts.kind == ops::OpKind::DataMovement && dq && same_params(index.per_tensor(*dq), index.per_tensor(*q))) {
    e.how = Execution::ExactMove;
    e.detail = "moves stored values; the same scale and zero point in and out";
    return e;
  }
  e.how = Execution::FloatRequantized;
  e.detail = why_not.empty() ? "no integer form of " + node.op_type + " in the emulator" : why_not;
  return e;
}

}  // namespace

std::vector<NodeExecution> rewrite_for_integers(ir::Graph& graph) {
  const GraphIndex index(graph);
  bool quantized = false;
  for (const ir::Node& n : graph.nodes) quantized |= index.activation_dequantize(n.outputs.empty() ? "" : n.outputs[0]) != nullptr;
  if (!quantized)
    throw Error(ErrorKind::Usage, "the model has no quantized activation (no DequantizeLinear of a computed tensor): "
                                  "--emulate runs QDQ models such as `quantize optimize` writes");

  std::vector<Rewrite> rewrites;
  std::unordered_set<const ir::Node*> claimed;
  std::unordered_map<const ir::Node*, std::string> why_not;
  auto take = [&](std::optional<Rewrite> r) {
    if (!r) return;
    for (const ir::Node* n : r->replaced)
      if (claimed.count(n)) return;
    claimed.insert(r->replaced.begin(), r->replaced.end());
    rewrites.push_back(std::move(*r));
  };
  for (const ir::Node& node : graph.nodes) {
    if (claimed.count(&node) || is_quantization(node)) continue;
    const ops::OpEntry* op = ops::find_op(node.domain, node.op_type);
    std::string why;
    if (op && op->facts.kind == ops::OpKind::Compute) take(rewrite_linear(index, node, why));
    else if (is_op(node, "GlobalAveragePool")) take(rewrite_global_average_pool(index, node, why));
    else if (op && op->facts.pointwise) take(rewrite_table(index, node, why));
    if (!why.empty()) why_not[&node] = why;
  }
  for (const ir::Node& node : graph.nodes)
    if (!claimed.count(&node)) take(rewrite_conversion(index, node));

  // The report, in graph order; each rewrite is told at its first node.
  std::unordered_map<const ir::Node*, const Rewrite*> by_first;
  for (const Rewrite& r : rewrites) by_first[r.replaced.front()] = &r;
  std::vector<NodeExecution> report;
  for (const ir::Node& node : graph.nodes) {
    if (auto it = by_first.find(&node); it != by_first.end()) {
      report.push_back(it->second->execution);
      continue;
    }
    const ops::OpEntry* op = ops::find_op(node.domain, node.op_type);
    if (claimed.count(&node) || is_quantization(node) || (op && op->facts.kind == ops::OpKind::ShapeOnly)) continue;
    report.push_back(classify(index, node, op, why_not.count(&node) ? why_not.at(&node) : ""));
  }

  // The new graph: the nodes no rewrite took, and the integer nodes.
  std::vector<ir::Node> nodes;
  for (const ir::Node& node : graph.nodes)
    if (!claimed.count(&node)) nodes.push_back(node);
  for (Rewrite& r : rewrites) {
    nodes.push_back(std::move(r.node));
    for (auto& [name, value] : r.initializers) graph.initializers[name] = std::move(value);
  }
  graph.nodes = std::move(nodes);
  ir::prune_unused(graph);
  ir::validate_and_sort(graph);
  return report;
}

std::string summarize(const std::vector<NodeExecution>& nodes) {
  constexpr Execution kOrder[] = {Execution::Integer, Execution::Table, Execution::ExactMove, Execution::FloatRequantized,
                                  Execution::Float};
  constexpr const char* kPhrase[] = {"in integers", "by table", "moved exactly", "in float then requantized", "in float"};
  std::string line;
  for (size_t k = 0; k < std::size(kOrder); ++k) {
    std::map<std::string, int> ops;
    int total = 0;
    for (const NodeExecution& n : nodes)
      if (n.how == kOrder[k]) {
        ++ops[n.op_type == "QuantizeLinear" ? "conversion" : n.op_type];
        ++total;
      }
    if (total == 0) continue;
    std::string list;
    for (const auto& [op, count] : ops) {
      if (!list.empty()) list += ", ";
      list += op;
      if (count > 1) list.append(" ").append(std::to_string(count));
    }
    if (!line.empty()) line += ", ";
    line.append(std::to_string(total)).append(" ").append(kPhrase[k]).append(" (").append(list).append(")");
  }
  return line.empty() ? "no computing nodes" : line;
}

}  // namespace quant::emulate
