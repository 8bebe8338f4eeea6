// quant's own model representation: what the loader builds from ONNX and every later stage reads.
// It holds no protobuf types, so stages after loading never see ONNX's wire format.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/tensor.h"
#include "ir/attribute.h"

namespace quant::ir {

// One dimension of a declared shape: a fixed size, a named symbol ("N"), or unknown.
struct Dim {
  int64_t size = -1;   // >= 0 when fixed
  std::string symbol;  // the dim_param, when symbolic
  bool fixed() const { return size >= 0; }
};

struct ValueInfo {
  std::string name;
  DType dtype = DType::Undefined;
  std::vector<Dim> dims;
  bool has_shape = false;
  std::string shape_string() const;  // "[N, 1, 28, 28]"
};

struct Node {
  std::string name;     // ONNX node name; the loader gives unnamed nodes "<op_type>_<index>"
  std::string op_type;
  std::string domain;   // "" for the default ONNX domain
  int opset = 0;        // the opset version of its domain the model imports
  std::vector<std::string> inputs;   // "" marks an omitted optional input
  std::vector<std::string> outputs;
  std::map<std::string, Attribute> attributes;  // with ONNX's defaults filled in by the loader

  bool has_attr(const std::string& key) const { return attributes.count(key) != 0; }
  const Attribute& attr(const std::string& key, AttrKind kind) const;  // throws Model if missing / mistyped
  int64_t attr_int(const std::string& key) const;
  int64_t attr_int(const std::string& key, int64_t fallback) const;
  float attr_float(const std::string& key) const;
  float attr_float(const std::string& key, float fallback) const;
  std::string attr_string(const std::string& key, const std::string& fallback = "") const;
  std::vector<int64_t> attr_ints(const std::string& key, std::vector<int64_t> fallback = {}) const;
  std::vector<float> attr_floats(const std::string& key, std::vector<float> fallback = {}) const;

  // Input i if present and non-empty.
  bool has_input(size_t i) const { return i < inputs.size() && !inputs[i].empty(); }
};

struct Graph {
  std::string name;
  std::vector<ValueInfo> inputs;    // graph inputs that are not initializers
  std::vector<ValueInfo> outputs;
  std::vector<Node> nodes;          // topologically sorted after validate()
  std::unordered_map<std::string, Tensor> initializers;
  std::unordered_map<std::string, ValueInfo> value_infos;  // intermediate types/shapes the file declares

  const Node* find_node(const std::string& name) const;
  const ValueInfo* find_input(const std::string& name) const;
  bool is_output(const std::string& name) const;  // a graph output's name
  const Node* producer(const std::string& value) const;  // nullptr for inputs and initializers
  // The value of a constant: an initializer, or the output of a Constant node with a tensor value.
  const Tensor* constant(const std::string& value) const;
  // What the graph knows of a value's type and dims: from an initializer, a graph input or output,
  // or value_infos (shape inference). known_dims is false when the rank is unknown; unknown dims
  // inside a known rank are -1. known_dtype is Undefined when unknown.
  bool known_dims(const std::string& value, std::vector<int64_t>& dims) const;
  // The same with symbolic dims kept as symbols ("N").
  bool known_dims(const std::string& value, std::vector<Dim>& dims) const;
  DType known_dtype(const std::string& value) const;
};

struct Model {
  Graph graph;
  int64_t ir_version = 0;
  std::map<std::string, int64_t> opsets;  // domain ("" = ai.onnx) -> version
  std::string producer_name;
  std::string producer_version;
  std::string source_path;  // where it was loaded from, for messages
};

// Values of enclosing graphs that a graph reads (directly or in its own subgraphs): names read
// but not defined by its inputs, initializers or nodes.
std::vector<std::string> captured_values(const Graph& graph);
// The values of enclosing graphs a node's subgraphs read (empty for nodes without subgraphs).
std::vector<std::string> node_captures(const Node& node);
bool has_subgraphs(const Node& node);

// Checks that every name a node reads is produced exactly once (by an input, an initializer or a
// node), that outputs exist, that node names are unique, and that there is no cycle; then sorts
// the nodes topologically (stable: file order where the data allows). Throws Model with the node name.
// `outer` (for subgraphs): the names the enclosing graphs define, which the graph may read.
// Subgraphs are validated too, and a node reading an outer value through its subgraph is ordered
// after that value's producer.
void validate_and_sort(Graph& graph, const std::unordered_set<std::string>& outer = {});

// Removes nodes none of whose outputs is read (by a node or a node's subgraph) or a graph output
// (repeatedly), and initializers nothing reads. For transforms that leave constants behind.
void prune_unused(Graph& graph);

}  // namespace quant::ir
