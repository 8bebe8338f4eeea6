// What the plan's steps share about a graph: readers and producers of each value, graph outputs,
// and which Relu/Clip runs fused with the compute op before it. Internal to libquant/plan.
#pragma once
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"
#include "ops/op_table.h"

namespace quant::plan {

// Relu and Clip run fused with a Conv/Gemm/MatMul before them (runtimes fold them into the kernel).
inline bool is_fusable_activation(const ir::Node& n) { return n.op_type == "Relu" || n.op_type == "Clip"; }

// Facts about the graph the steps below share.
struct GraphFacts {
  const ir::Graph& graph;
  std::unordered_map<std::string, std::vector<const ir::Node*>> readers;
  std::unordered_map<std::string, const ir::Node*> producer;
  std::set<std::string> outputs;
  // A Relu/Clip that runs fused with the compute op before it, or the Add of a constant bias after
  // a MatMul (torch.onnx writes Linear on 3-D inputs so; runtimes fuse the pair) -> that compute op.
  std::unordered_map<const ir::Node*, const ir::Node*> fused_with;
  // A value a node's subgraph reads by name (If branches, Loop and Scan bodies) -> that node.
  std::unordered_map<std::string, const ir::Node*> captured_by;

  explicit GraphFacts(const ir::Graph& g) : graph(g) {
    for (const ir::ValueInfo& o : g.outputs) outputs.insert(o.name);
    for (const ir::Node& n : g.nodes) {
      for (const std::string& in : n.inputs)
        if (!in.empty()) readers[in].push_back(&n);
      for (const std::string& out : n.outputs) producer[out] = &n;
      for (const std::string& v : ir::node_captures(n)) captured_by.emplace(v, &n);
    }
    for (const ir::Node& n : g.nodes) {
      const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
      if (!op || op->facts.kind != ops::OpKind::Compute || n.outputs.empty()) continue;
      const auto& r = readers[n.outputs[0]];
      if (r.size() != 1 || outputs.count(n.outputs[0])) continue;
      const ir::Node& next = *r.front();
      const bool bias_add = next.op_type == "Add" && !n.has_input(static_cast<size_t>(op->facts.bias_input)) && next.inputs.size() == 2 &&
                            g.initializers.count(next.inputs[next.inputs[0] == n.outputs[0] ? 1 : 0]);
      if (is_fusable_activation(next) || bias_add) fused_with[&next] = &n;
    }
  }
  const std::vector<const ir::Node*>& readers_of(const std::string& tensor) const {
    static const std::vector<const ir::Node*> kNone;
    auto it = readers.find(tensor);
    return it == readers.end() ? kNone : it->second;
  }
  // The Relu/Clip or bias Add that runs fused with `compute`, or nullptr.
  const ir::Node* fused_reader(const ir::Node* compute) const {
    for (const auto& [act, fused_compute] : fused_with)
      if (fused_compute == compute) return act;
    return nullptr;
  }
  bool is_fused_output(const std::string& tensor) const {
    auto p = producer.find(tensor);
    return p != producer.end() && fused_reader(p->second);
  }
};

// The rule set for a node, looked up on the node itself or, for a fused activation, on its compute op.
template <typename Map>
const typename Map::mapped_type* rule_for(const Map& rules, const GraphFacts& facts, const ir::Node* node) {
  if (!node) return nullptr;
  auto it = rules.find(node->name);
  if (it != rules.end()) return &it->second;
  auto f = facts.fused_with.find(node);
  if (f != facts.fused_with.end()) {
    auto jt = rules.find(f->second->name);
    if (jt != rules.end()) return &jt->second;
  }
  return nullptr;
}

}  // namespace quant::plan
