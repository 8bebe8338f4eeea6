#include "prepare/graph_edit.h"

namespace quant::prepare {

GraphEdit::GraphEdit(ir::Graph& graph) : graph_(graph) {
  for (const ir::ValueInfo& v : graph.inputs) used_.insert(v.name);
  for (const ir::ValueInfo& v : graph.outputs) used_.insert(v.name);
  for (const auto& [name, t] : graph.initializers) used_.insert(name);
  for (const ir::Node& n : graph.nodes) {
    used_.insert(n.name);
    for (const std::string& o : n.outputs) used_.insert(o);
    for (const std::string& v : ir::node_captures(n)) captured_.insert(v);
  }
}

bool GraphEdit::is_captured(const std::string& value) const { return captured_.count(value) != 0; }

std::string GraphEdit::fresh_name(const std::string& base) {
  std::string name = base;
  for (int i = 1; used_.count(name); ++i) name = base + "_" + std::to_string(i);
  used_.insert(name);
  return name;
}

std::string GraphEdit::add_initializer(const std::string& base, Tensor value) {
  const std::string name = fresh_name(base);
  graph_.initializers[name] = std::move(value);
  return name;
}

void GraphEdit::add_node(ir::Node node) {
  node.name = fresh_name(node.name.empty() ? node.op_type : node.name);
  pending_.push_back(std::move(node));
}

int GraphEdit::reader_count(const std::string& value) const {
  int count = is_captured(value) ? 1 : 0;
  for (const ir::Node& n : graph_.nodes)
    for (const std::string& in : n.inputs) count += in == value;
  return count;
}

void GraphEdit::commit() {
  for (ir::Node& n : pending_) graph_.nodes.push_back(std::move(n));
  pending_.clear();
}

}  // namespace quant::prepare
