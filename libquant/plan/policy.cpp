#include "plan/policy.h"

#include "plan/patterns.h"

#include <algorithm>

namespace quant::plan {
namespace {

// A node a model script names: it runs on integers whatever the policy.
bool named_by_script(const PlanRules& rules, const GraphFacts& facts, const ir::Node& n) {
  return rule_for(rules.precision, facts, &n) || rule_for(rules.output_range, facts, &n) || rule_for(rules.input_range, facts, &n) ||
         rule_for(rules.bias_mode, facts, &n);
}

// Nodes that never run on integers: unknown ops, shape arithmetic, Q/DQ, nodes with subgraphs.
bool never_integer(const ir::Node& n, const ops::OpEntry* op) {
  return !op || op->facts.kind == ops::OpKind::ShapeOnly || op->facts.kind == ops::OpKind::Quantization || ir::has_subgraphs(n);
}

LayerPrecision sixteen_bits(int input_bits, int output_bits, const std::string& why) {
  const std::string mode = "a" + std::to_string(input_bits) + "_w8_a" + std::to_string(output_bits);
  return {mode, input_bits, 8, output_bits, "--full-integer (" + why + ")"};
}

// What asked for `n` to stay float, or nullptr. A compute op and the Relu/Clip or bias Add fused to
// it are one layer (the runtime runs them as one kernel), and so are a unit's nodes (one look-up
// table, one normalization): naming one keeps all float.
const std::string* kept_float(const PlanRules& rules, const GraphFacts& facts, const ir::Node& n, const Unit* unit) {
  if (rules.keep_float.empty()) return nullptr;
  if (unit)
    for (const ir::Node* member : unit->nodes)
      if (auto it = rules.keep_float.find(member->name); it != rules.keep_float.end()) return &it->second;
  if (const std::string* asked = rule_for(rules.keep_float, facts, &n)) return asked;
  if (const ir::Node* act = facts.fused_reader(&n))
    if (auto it = rules.keep_float.find(act->name); it != rules.keep_float.end()) return &it->second;
  return nullptr;
}

// How `tensor` reaches a value a subgraph reads through float ops that only move data: "read
// inside Loop 'x' (through Transpose 't', Reshape 'r')", or "" when it does not.
std::string subgraph_read(const GraphFacts& facts, const Policy& p, const std::string& tensor, std::set<std::string>& seen) {
  if (!seen.insert(tensor).second) return "";
  if (auto c = facts.captured_by.find(tensor); c != facts.captured_by.end())
    return "read inside " + c->second->op_type + " '" + c->second->name + "'";
  for (const ir::Node* r : facts.readers_of(tensor)) {
    const ops::OpEntry* op = ops::find_op(r->domain, r->op_type);
    if (!op || op->facts.kind != ops::OpKind::DataMovement || p.runs_integer(r)) continue;
    for (const std::string& out : r->outputs) {
      std::string via = subgraph_read(facts, p, out, seen);
      if (via.empty()) continue;
      const std::string step = r->op_type + " '" + r->name + "'";
      const size_t through = via.find(" (through ");
      return through == std::string::npos ? via + " (through " + step + ")" : via.insert(through + 10, step + ", ");
    }
  }
  return "";
}

}  // namespace

Policy choose_policy(const GraphFacts& facts, const PlanRules& rules, bool full_integer,
                     const std::function<bool(const std::string&)>& is_float_activation) {
  Policy p;
  const std::vector<Unit> units = find_units(facts);
  std::unordered_map<const ir::Node*, const Unit*> unit_of;
  for (const Unit& u : units)
    for (const ir::Node* n : u.nodes) unit_of[n] = &u;
  // Why a node is numerically fragile; "" when it is not.
  auto fragile = [&](const ir::Node& n, const ops::OpEntry* op) -> std::string {
    if (auto u = unit_of.find(&n); u != unit_of.end())
      return u->second->fragile ? "inside a " + u->second->kind : "";
    return op && op->facts.float_by_default ? op->facts.float_by_default : "";
  };
  // Float values calibration observed that are not constants or shape arithmetic.
  auto is_activation = [&](const std::string& t) {
    if (t.empty() || facts.graph.initializers.count(t) || !is_float_activation(t)) return false;
    auto prod = facts.producer.find(t);
    if (prod == facts.producer.end()) return true;  // a graph input
    const ops::OpEntry* op = ops::find_op(prod->second->domain, prod->second->op_type);
    return op && op->facts.kind != ops::OpKind::ShapeOnly;
  };
  // Inside an integer unit (SiLU): the value between its nodes is never quantized.
  auto is_interior = [&](const std::string& t) {
    auto prod = facts.producer.find(t);
    if (prod == facts.producer.end()) return false;
    auto u = unit_of.find(prod->second);
    return u != unit_of.end() && !u->second->fragile && u->second->last() != prod->second;
  };

  // 1. Integer nodes, from the outputs back: an op runs on integers when an integer op reads its
  //    float result.
  const auto& nodes = facts.graph.nodes;
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    const ir::Node& n = *it;
    const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
    if (never_integer(n, op) || std::none_of(n.outputs.begin(), n.outputs.end(), is_activation)) continue;
    // Kept float on request (with the Relu/Clip or bias Add fused to it): wins over every rule.
    const auto u = unit_of.find(&n);
    if (const std::string* asked = kept_float(rules, facts, n, u != unit_of.end() ? u->second : nullptr)) {
      p.float_reason[&n] = "kept float (" + *asked + ")";
      continue;
    }
    auto fused = facts.fused_with.find(&n);
    bool integer = full_integer || op->facts.kind == ops::OpKind::Compute || fused != facts.fused_with.end() ||
                   named_by_script(rules, facts, n);
    if (!integer) {
      if (const std::string why = fragile(n, op); !why.empty()) {
        p.float_reason[&n] = "fragile: " + why;
        continue;
      }
      for (const std::string& out : n.outputs)
        if (is_activation(out))
          for (const ir::Node* r : facts.readers_of(out)) integer |= p.runs_integer(r);
      if (!integer) {
        p.float_reason[&n] = "feeds only float ops";
        continue;
      }
    }
    p.integer_nodes.insert(&n);
  }

  // 1b. Ops that only move data pass quantized values on; they do not pull quantization back past
  //     a float op: an LSTM's output moved by Squeeze/Transpose/Gather is quantized where the
  //     Gemm reads it, with the range of what the Gemm reads.
  if (!full_integer)
    for (const ir::Node& n : nodes) {
      const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
      if (!p.runs_integer(&n) || op->facts.kind != ops::OpKind::DataMovement || named_by_script(rules, facts, n)) continue;
      const size_t data_inputs = n.op_type == "Concat" ? n.inputs.size() : 1;
      bool fed = false;
      for (size_t i = 0; i < data_inputs && i < n.inputs.size(); ++i) {
        auto prod = facts.producer.find(n.inputs[i]);
        fed |= prod != facts.producer.end() && p.runs_integer(prod->second);
      }
      if (fed) continue;
      p.integer_nodes.erase(&n);
      p.float_reason[&n] = "moves a value no integer op computed (quantized after it)";
    }

  // 2. Quantized tensors: what integer ops read and write. A model output no integer op reads
  //    leaves in float unless --full-integer or a script rule asks for it; a value a subgraph reads
  //    (directly or through data movement) stays float (policy.h).
  auto quantize = [&](const std::string& t) {
    if (p.quantized.count(t) || p.float_tensors.count(t)) return;
    std::set<std::string> seen;
    if (std::string read = subgraph_read(facts, p, t, seen); !read.empty())
      p.float_tensors[t] = read + ": ONNX Runtime cannot move Q/DQ into a subgraph";
    else
      p.quantized.insert(t);
  };
  for (const ir::Node* n : p.integer_nodes) {
    for (const std::string& in : n->inputs)
      if (is_activation(in) && !is_interior(in)) quantize(in);
    for (const std::string& out : n->outputs) {
      if (!is_activation(out) || is_interior(out)) continue;
      const auto& readers = facts.readers_of(out);
      if (readers.empty() && !facts.outputs.count(out)) continue;
      bool integer_reader = false;
      for (const ir::Node* r : readers) integer_reader |= p.runs_integer(r);
      if (facts.outputs.count(out) && !integer_reader && !full_integer && !named_by_script(rules, facts, *n)) continue;
      quantize(out);
    }
  }
  for (const auto& [tensor, rule] : rules.tensor_range)
    if (is_activation(tensor)) quantize(tensor);

  // 3. --full-integer: fragile ops compute on 16 bits, and the tensors they read are written at 16.
  //    A fragile op kept float keeps those precisions (only its computation is float): the value it
  //    reads keeps the 16 bits its accuracy needs either way.
  if (full_integer)
    for (const ir::Node& n : nodes) {
      const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
      const std::string why = never_integer(n, op) ? "" : fragile(n, op);
      if (why.empty()) continue;
      auto u = unit_of.find(&n);
      const bool unit_end = u != unit_of.end() && u->second->last() == &n;
      p.precision[n.name] = sixteen_bits(16, unit_end ? 8 : 16, why);
      for (const std::string& in : n.inputs) {
        auto prod = facts.producer.find(in);
        if (!is_activation(in) || prod == facts.producer.end()) continue;
        const ir::Node* src = prod->second;
        if (unit_of.count(src) || !fragile(*src, ops::find_op(src->domain, src->op_type)).empty()) continue;
        p.precision.emplace(src->name, sixteen_bits(8, 16, "read by " + n.op_type + " '" + n.name + "'"));
      }
    }
  return p;
}

}  // namespace quant::plan
