#include "prepare/inline_if.h"

#include <unordered_map>

#include "prepare/graph_edit.h"

namespace quant::prepare {

int inline_constant_ifs(ir::Graph& graph) {
  int inlined = 0;
  std::vector<ir::Node> result;
  std::vector<ir::Node> identities;
  GraphEdit edit(graph);
  for (ir::Node& node : graph.nodes) {
    const bool is_if = node.op_type == "If" && node.domain.empty() && node.has_input(0);
    const Tensor* cond = is_if ? graph.constant(node.inputs[0]) : nullptr;
    if (!cond || cond->numel() != 1) {
      result.push_back(std::move(node));
      continue;
    }
    const ir::Graph& branch = *node.attr(cond->value_as_double(0) != 0 ? "then_branch" : "else_branch", ir::AttrKind::Graph).g;
    if (branch.outputs.size() != node.outputs.size())
      throw Error(ErrorKind::Model, "the branch has " + std::to_string(branch.outputs.size()) + " outputs, the If " + std::to_string(node.outputs.size()),
                  {.node = node.name, .op_type = node.op_type});
    // Branch output name -> the If output it becomes, where a branch node produces it.
    std::unordered_map<std::string, std::string> rename;
    for (size_t i = 0; i < branch.outputs.size(); ++i) {
      const std::string& from = branch.outputs[i].name;
      const bool produced_inside = branch.producer(from) != nullptr;
      if (produced_inside && !rename.count(from)) {
        rename[from] = node.outputs[i];
      } else {
        // An outer value, an initializer, or a value already returned: an Identity carries it.
        identities.push_back({.name = edit.fresh_name(node.name + "_out" + std::to_string(i)), .op_type = "Identity", .opset = node.opset,
                              .inputs = {rename.count(from) ? rename.at(from) : from}, .outputs = {node.outputs[i]}});
      }
    }
    for (const auto& [name, t] : branch.initializers) graph.initializers[name] = t;
    for (ir::Node n : branch.nodes) {
      for (std::string& in : n.inputs)
        if (auto it = rename.find(in); it != rename.end()) in = it->second;
      for (std::string& out : n.outputs)
        if (auto it = rename.find(out); it != rename.end()) out = it->second;
      result.push_back(std::move(n));
    }
    ++inlined;
  }
  for (ir::Node& n : identities) result.push_back(std::move(n));
  graph.nodes = std::move(result);
  if (inlined) ir::validate_and_sort(graph);
  return inlined;
}

}  // namespace quant::prepare
