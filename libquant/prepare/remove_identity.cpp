#include "prepare/remove_identity.h"

#include <unordered_map>

#include "prepare/graph_edit.h"

namespace quant::prepare {
namespace {

bool is_pass_through(const ir::Graph& graph, const ir::Node& n) {
  if (!n.domain.empty()) return false;
  if (n.op_type == "Identity") return true;
  if (n.op_type != "Dropout") return false;
  if (n.has_input(2)) {
    const Tensor* training = graph.constant(n.inputs[2]);
    if (!training) throw Error(ErrorKind::Unsupported, "Dropout's training_mode is not a constant", {.node = n.name, .op_type = n.op_type});
    if (training->value_as_double(0) != 0)
      throw Error(ErrorKind::Unsupported, "Dropout in training mode (training_mode = true): export the model in inference mode",
                  {.node = n.name, .op_type = n.op_type});
  }
  return true;
}

}  // namespace

int remove_identities(ir::Graph& graph) {
  GraphEdit edit(graph);
  // value -> the value its readers read instead; resolved transitively for Identity chains.
  std::unordered_map<std::string, std::string> alias;
  auto resolve = [&](std::string v) {
    for (auto it = alias.find(v); it != alias.end(); it = alias.find(v)) v = it->second;
    return v;
  };
  std::vector<bool> drop(graph.nodes.size(), false);
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& n = graph.nodes[i];
    if (!is_pass_through(graph, n) || !n.has_input(0)) continue;
    const bool mask_used = n.outputs.size() > 1 && !n.outputs[1].empty() &&
                           (edit.reader_count(n.outputs[1]) > 0 || graph.is_output(n.outputs[1]));
    if (mask_used) continue;
    const std::string in = resolve(n.inputs[0]);
    const std::string& out = n.outputs[0];
    if (edit.is_captured(out) || edit.is_captured(in)) continue;  // a subgraph reads it by name
    if (!graph.is_output(out)) {
      alias[out] = in;
      drop[i] = true;
      continue;
    }
    // A graph output keeps its name: the node producing `in` produces `out` instead, when `in` is
    // a node output and not a graph output itself.
    if (graph.is_output(in)) continue;
    for (size_t p = 0; p < i && !drop[i]; ++p) {
      if (drop[p]) continue;
      for (std::string& o : graph.nodes[p].outputs)
        if (o == in) {
          o = out;
          alias[in] = out;
          graph.value_infos.erase(in);
          drop[i] = true;
        }
    }
  }
  std::vector<ir::Node> kept;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (drop[i]) continue;
    for (std::string& in : graph.nodes[i].inputs)
      if (!in.empty()) in = resolve(in);
    kept.push_back(std::move(graph.nodes[i]));
  }
  const int removed = static_cast<int>(graph.nodes.size() - kept.size());
  graph.nodes = std::move(kept);
  return removed;
}

}  // namespace quant::prepare
