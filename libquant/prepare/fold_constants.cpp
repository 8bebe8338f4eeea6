#include "prepare/fold_constants.h"

#include <algorithm>

#include "ops/op_table.h"

namespace quant::prepare {
namespace {

// A folded tensor may be at most this large, unless it is no larger than twice its inputs.
constexpr size_t kMaxGrownBytes = size_t{4} << 20;

// Runs the node if all its inputs are initializers; true when it was replaced.
bool try_fold(ir::Graph& graph, const ir::Node& node, FoldCounts& counts) {
  const ops::OpEntry* op = ops::find_op(node.domain, node.op_type);
  if (!op || op->facts.kind == ops::OpKind::Quantization || ir::has_subgraphs(node)) return false;
  for (const std::string& out : node.outputs)
    if (graph.is_output(out)) return false;
  ops::Inputs inputs;
  size_t input_bytes = 0;
  for (const std::string& in : node.inputs) {
    if (in.empty()) {
      inputs.push_back(nullptr);
      continue;
    }
    auto it = graph.initializers.find(in);
    if (it == graph.initializers.end()) return false;
    inputs.push_back(&it->second);
    input_bytes += it->second.nbytes();
  }
  ops::Outputs outputs;
  try {
    outputs = op->kernel(node, inputs, {});
  } catch (const Error& e) {
    throw e.with_node(node.name, node.op_type);
  }
  size_t output_bytes = 0;
  for (const Tensor& t : outputs) output_bytes += t.nbytes();
  if (output_bytes > kMaxGrownBytes && output_bytes > 2 * input_bytes) {
    if (std::find(counts.too_large.begin(), counts.too_large.end(), node.name) == counts.too_large.end()) counts.too_large.push_back(node.name);
    return false;
  }
  for (size_t i = 0; i < node.outputs.size() && i < outputs.size(); ++i)
    if (!node.outputs[i].empty()) graph.initializers[node.outputs[i]] = outputs[i].to_plain();
  ++(node.op_type == "Constant" ? counts.constants : counts.folded);
  return true;
}

// The dims of a value, when all of them are fixed (false otherwise).
bool static_shape(const ir::Graph& graph, const std::string& value, Shape& shape) {
  return graph.known_dims(value, shape) && std::all_of(shape.begin(), shape.end(), [](int64_t d) { return d >= 0; });
}

}  // namespace

void fold_constants(ir::Graph& graph, FoldCounts& counts) {
  std::vector<ir::Node> kept;
  kept.reserve(graph.nodes.size());
  // Nodes are in topological order, so one sweep folds whole chains.
  for (ir::Node& node : graph.nodes)
    if (!try_fold(graph, node, counts)) kept.push_back(std::move(node));
  graph.nodes = std::move(kept);
}

void fold_static_shapes(ir::Graph& graph, FoldCounts& counts) {
  std::vector<ir::Node> kept;
  for (ir::Node& node : graph.nodes) {
    Shape shape;
    const bool shape_op = node.domain.empty() && (node.op_type == "Shape" || node.op_type == "Size");
    if (shape_op && node.has_input(0) && !graph.is_output(node.outputs[0]) && static_shape(graph, node.inputs[0], shape)) {
      // Shape-15's start/end pick a slice of the dims.
      const int64_t rank = static_cast<int64_t>(shape.size());
      int64_t start = node.attr_int("start", 0), end = node.attr_int("end", rank);
      start = std::clamp(start < 0 ? start + rank : start, int64_t{0}, rank);
      end = std::clamp(end < 0 ? end + rank : end, int64_t{0}, rank);
      Tensor value = node.op_type == "Size" ? Tensor::scalar<int64_t>(shape_numel(shape))
                                            : Tensor::from_vector<int64_t>({std::max<int64_t>(end - start, 0)},
                                                                           std::vector<int64_t>(shape.begin() + start, shape.begin() + std::max(start, end)));
      graph.initializers[node.outputs[0]] = std::move(value);
      ++counts.shapes;
      continue;
    }
    kept.push_back(std::move(node));
  }
  graph.nodes = std::move(kept);
}

}  // namespace quant::prepare
