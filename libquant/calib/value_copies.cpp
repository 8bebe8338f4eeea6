#include "calib/value_copies.h"

#include "ops/op_table.h"

namespace quant::calib {

std::map<std::string, std::string> value_copies(const ir::Graph& graph, const std::set<std::string>& unobserved) {
  std::map<std::string, std::string> copies;
  for (const ir::Node& node : graph.nodes) {  // in topological order: a chain's start is resolved first
    const ops::OpEntry* op = ops::find_op(node.domain, node.op_type);
    if (!op || !op->facts.same_values || node.inputs.empty() || node.outputs.empty()) continue;
    const std::string& input = node.inputs[0];
    if (input.empty() || graph.constant(input) || unobserved.count(input)) continue;
    const auto chained = copies.find(input);
    copies[node.outputs[0]] = chained == copies.end() ? input : chained->second;
  }
  return copies;
}

}  // namespace quant::calib
