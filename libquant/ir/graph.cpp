#include "ir/graph.h"

#include <algorithm>
#include <queue>
#include <unordered_set>

namespace quant::ir {

const char* attr_kind_name(AttrKind kind) {
  static const char* const kNames[] = {"float", "int", "string", "tensor", "floats", "ints", "strings", "graph"};
  return kNames[static_cast<int>(kind)];
}

std::string ValueInfo::shape_string() const {
  if (!has_shape) return "?";
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    s += i ? ", " : "";
    s += dims[i].fixed() ? std::to_string(dims[i].size) : (dims[i].symbol.empty() ? "?" : dims[i].symbol);
  }
  return s + "]";
}

const Attribute& Node::attr(const std::string& key, AttrKind kind) const {
  auto it = attributes.find(key);
  if (it == attributes.end())
    throw Error(ErrorKind::Model, "missing required attribute '" + key + "'", {.node = name, .op_type = op_type});
  if (it->second.kind != kind)
    throw Error(ErrorKind::Model,
                "attribute '" + key + "' is " + attr_kind_name(it->second.kind) + ", expected " + attr_kind_name(kind),
                {.node = name, .op_type = op_type});
  return it->second;
}

int64_t Node::attr_int(const std::string& key) const { return attr(key, AttrKind::Int).i; }
int64_t Node::attr_int(const std::string& key, int64_t fallback) const {
  return has_attr(key) ? attr_int(key) : fallback;
}
float Node::attr_float(const std::string& key) const { return attr(key, AttrKind::Float).f; }
float Node::attr_float(const std::string& key, float fallback) const {
  return has_attr(key) ? attr_float(key) : fallback;
}
std::string Node::attr_string(const std::string& key, const std::string& fallback) const {
  return has_attr(key) ? attr(key, AttrKind::String).s : fallback;
}
std::vector<int64_t> Node::attr_ints(const std::string& key, std::vector<int64_t> fallback) const {
  return has_attr(key) ? attr(key, AttrKind::Ints).ints : fallback;
}
std::vector<float> Node::attr_floats(const std::string& key, std::vector<float> fallback) const {
  return has_attr(key) ? attr(key, AttrKind::Floats).floats : fallback;
}

const Node* Graph::find_node(const std::string& node_name) const {
  for (const Node& n : nodes)
    if (n.name == node_name) return &n;
  return nullptr;
}

const ValueInfo* Graph::find_input(const std::string& input_name) const {
  for (const ValueInfo& v : inputs)
    if (v.name == input_name) return &v;
  return nullptr;
}

bool Graph::is_output(const std::string& value) const {
  for (const ValueInfo& o : outputs)
    if (o.name == value) return true;
  return false;
}

const Node* Graph::producer(const std::string& value) const {
  for (const Node& n : nodes)
    for (const std::string& o : n.outputs)
      if (o == value) return &n;
  return nullptr;
}

const Tensor* Graph::constant(const std::string& value) const {
  auto it = initializers.find(value);
  if (it != initializers.end()) return &it->second;
  const Node* p = producer(value);
  if (p && p->op_type == "Constant" && p->domain.empty() && p->has_attr("value") && p->attributes.at("value").kind == AttrKind::Tensor)
    return &p->attributes.at("value").t;
  return nullptr;
}

namespace {

// The declared info of a graph input, graph output or inferred intermediate value.
const ValueInfo* declared_info(const Graph& g, const std::string& value) {
  if (const ValueInfo* in = g.find_input(value)) return in;
  if (auto it = g.value_infos.find(value); it != g.value_infos.end()) return &it->second;
  for (const ValueInfo& o : g.outputs)
    if (o.name == value) return &o;
  return nullptr;
}

}  // namespace

bool Graph::known_dims(const std::string& value, std::vector<int64_t>& dims) const {
  if (auto it = initializers.find(value); it != initializers.end()) {
    dims = it->second.shape();
    return true;
  }
  const ValueInfo* info = declared_info(*this, value);
  if (!info || !info->has_shape) return false;
  dims.clear();
  for (const Dim& d : info->dims) dims.push_back(d.fixed() ? d.size : -1);
  return true;
}

bool Graph::known_dims(const std::string& value, std::vector<Dim>& dims) const {
  if (auto it = initializers.find(value); it != initializers.end()) {
    dims.clear();
    for (int64_t d : it->second.shape()) dims.push_back({d, ""});
    return true;
  }
  const ValueInfo* info = declared_info(*this, value);
  if (!info || !info->has_shape) return false;
  dims = info->dims;
  return true;
}

DType Graph::known_dtype(const std::string& value) const {
  if (auto it = initializers.find(value); it != initializers.end()) return it->second.dtype();
  const ValueInfo* info = declared_info(*this, value);
  return info ? info->dtype : DType::Undefined;
}

bool has_subgraphs(const Node& node) {
  for (const auto& [key, a] : node.attributes)
    if (a.kind == AttrKind::Graph && a.g) return true;
  return false;
}

std::vector<std::string> node_captures(const Node& node) {
  std::vector<std::string> out;
  for (const auto& [key, a] : node.attributes)
    if (a.kind == AttrKind::Graph && a.g)
      for (const std::string& v : captured_values(*a.g))
        if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  return out;
}

std::vector<std::string> captured_values(const Graph& graph) {
  std::unordered_set<std::string> defined;
  for (const auto& [name, t] : graph.initializers) defined.insert(name);
  for (const ValueInfo& v : graph.inputs) defined.insert(v.name);
  for (const Node& n : graph.nodes)
    for (const std::string& o : n.outputs) defined.insert(o);
  std::vector<std::string> out;
  auto read = [&](const std::string& v) {
    if (!v.empty() && !defined.count(v) && std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  };
  for (const Node& n : graph.nodes) {
    for (const std::string& in : n.inputs) read(in);
    for (const std::string& v : node_captures(n)) read(v);
  }
  for (const ValueInfo& o : graph.outputs) read(o.name);
  return out;
}

void validate_and_sort(Graph& graph, const std::unordered_set<std::string>& outer) {
  // Who produces each value: -1 for graph inputs and initializers, else the node index.
  std::unordered_map<std::string, int> producer_of;
  auto define = [&](const std::string& value, int producer, const std::string& who) {
    if (value.empty()) return;
    if (!producer_of.emplace(value, producer).second)
      throw Error(ErrorKind::Model, "value '" + value + "' is produced more than once (again by " + who + ")");
  };
  for (const auto& [name, tensor] : graph.initializers) define(name, -1, "an initializer");
  for (const ValueInfo& v : graph.inputs) define(v.name, -1, "a graph input");
  for (const std::string& v : outer) producer_of.emplace(v, -1);  // values of the enclosing graphs

  std::unordered_set<std::string> node_names;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& n = graph.nodes[i];
    if (!node_names.insert(n.name).second)
      throw Error(ErrorKind::Model, "node name '" + n.name + "' is used by more than one node");
    for (const std::string& o : n.outputs) define(o, static_cast<int>(i), "node '" + n.name + "'");
  }

  // Kahn's algorithm over node indices; a min-heap keeps the file order among ready nodes.
  const size_t count = graph.nodes.size();
  std::vector<int> pending(count, 0);
  std::vector<std::vector<int>> consumers(count);
  for (size_t i = 0; i < count; ++i) {
    const Node& n = graph.nodes[i];
    std::vector<std::string> reads = n.inputs;
    for (const std::string& v : node_captures(n)) reads.push_back(v);
    for (const std::string& in : reads) {
      if (in.empty()) continue;
      auto it = producer_of.find(in);
      if (it == producer_of.end())
        throw Error(ErrorKind::Model, "input '" + in + "' is not produced by any node, input or initializer",
                    {.node = n.name, .op_type = n.op_type});
      if (it->second >= 0) {
        ++pending[i];
        consumers[static_cast<size_t>(it->second)].push_back(static_cast<int>(i));
      }
    }
  }
  for (const ValueInfo& out : graph.outputs)
    if (!producer_of.count(out.name))
      throw Error(ErrorKind::Model, "graph output '" + out.name + "' is not produced by any node");

  std::priority_queue<int, std::vector<int>, std::greater<>> ready;
  for (size_t i = 0; i < count; ++i)
    if (pending[i] == 0) ready.push(static_cast<int>(i));
  std::vector<Node> sorted;
  sorted.reserve(count);
  std::vector<bool> done(count, false);
  while (!ready.empty()) {
    const int i = ready.top();
    ready.pop();
    done[static_cast<size_t>(i)] = true;
    sorted.push_back(graph.nodes[static_cast<size_t>(i)]);
    for (int c : consumers[static_cast<size_t>(i)])
      if (--pending[static_cast<size_t>(c)] == 0) ready.push(c);
  }
  if (sorted.size() != count) {
    for (size_t i = 0; i < count; ++i)
      if (!done[i])
        throw Error(ErrorKind::Model, "the graph has a cycle through this node",
                    {.node = graph.nodes[i].name, .op_type = graph.nodes[i].op_type});
  }
  graph.nodes = std::move(sorted);

  // Subgraphs see every value this graph (and its enclosing graphs) defines.
  std::unordered_set<std::string> scope = outer;
  for (const auto& [name, p] : producer_of) scope.insert(name);
  for (Node& n : graph.nodes)
    for (auto& [key, a] : n.attributes)
      if (a.kind == AttrKind::Graph && a.g) {
        try {
          validate_and_sort(*a.g, scope);
        } catch (const Error& e) {
          throw Error(e.kind(), "in subgraph '" + key + "': " + e.message(), {.node = n.name, .op_type = n.op_type});
        }
      }
}

void prune_unused(Graph& graph) {
  for (bool changed = true; changed;) {
    changed = false;
    std::unordered_set<std::string> read;
    for (const Node& n : graph.nodes) {
      for (const std::string& in : n.inputs) read.insert(in);
      for (const std::string& v : node_captures(n)) read.insert(v);
    }
    for (const ValueInfo& o : graph.outputs) read.insert(o.name);
    const size_t before = graph.nodes.size();
    graph.nodes.erase(std::remove_if(graph.nodes.begin(), graph.nodes.end(),
                                     [&](const Node& n) {
                                       for (const std::string& o : n.outputs)
                                         if (read.count(o)) return false;
                                       return true;
                                     }),
                      graph.nodes.end());
    changed = graph.nodes.size() != before;
    if (!changed)
      for (auto it = graph.initializers.begin(); it != graph.initializers.end();)
        it = read.count(it->first) ? std::next(it) : graph.initializers.erase(it);
  }
}

}  // namespace quant::ir
