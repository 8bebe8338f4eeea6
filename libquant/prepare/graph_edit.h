// Small graph surgery the preparation passes share: fresh names, new initializers and nodes, who
// reads a value. Nodes added through add_node are appended by commit(); the caller re-sorts the graph.
#pragma once
#include <string>
#include <unordered_set>
#include <vector>

#include "ir/graph.h"

namespace quant::prepare {

class GraphEdit {
 public:
  explicit GraphEdit(ir::Graph& graph);

  ir::Graph& graph() { return graph_; }
  // A value or node name not yet used in the graph: base, or base_1, base_2, ...
  std::string fresh_name(const std::string& base);
  // Adds an initializer under a fresh name derived from base; returns the name.
  std::string add_initializer(const std::string& base, Tensor value);
  // Queues a node (its name made unique) to be appended by commit().
  void add_node(ir::Node node);
  // How many nodes read the value (a node whose subgraph reads it counts once more).
  int reader_count(const std::string& value) const;
  // Whether a subgraph of some node reads the value (If branches read outer values by name).
  bool is_captured(const std::string& value) const;
  // Appends the queued nodes. Node references taken before commit() stay valid until then.
  void commit();

 private:
  ir::Graph& graph_;
  std::unordered_set<std::string> used_;
  std::unordered_set<std::string> captured_;
  std::vector<ir::Node> pending_;
};

}  // namespace quant::prepare
