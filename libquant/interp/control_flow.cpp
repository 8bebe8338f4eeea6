#include "interp/control_flow.h"

#include <limits>

#include "ops/kernels.h"
#include "ops/strided_copy.h"

namespace quant::interp {
namespace {

using ops::Inputs;
using ops::Outputs;

// x without `axis`, at index i of it.
Tensor slice_at(const Tensor& x, int64_t axis, int64_t i) {
  const std::vector<int64_t> strides = shape_strides(x.shape());
  Shape shape;
  std::vector<int64_t> stride;
  for (int64_t d = 0; d < x.rank(); ++d)
    if (d != axis) {
      shape.push_back(x.dim(d));
      stride.push_back(strides[static_cast<size_t>(d)]);
    }
  Tensor y(x.dtype(), shape, Init::Uninitialized);
  ops::strided_copy(x.raw(), dtype_size(x.dtype()), shape, stride, i * strides[static_cast<size_t>(axis)], y.raw());
  return y;
}

// The parts, one per iteration, stacked along a new `axis` (the last part first when `reverse`).
// With no parts, an empty stack of the body output's declared shape (`declared`), when it has one.
Tensor stack(const std::vector<Tensor>& parts, int64_t axis, bool reverse, const ir::ValueInfo& declared, const std::string& what) {
  if (parts.empty()) {
    Shape shape{0};
    for (const ir::Dim& d : declared.dims) shape.push_back(d.fixed() ? d.size : 0);
    return Tensor(declared.dtype == DType::Undefined ? DType::Float32 : declared.dtype, shape);
  }
  const Shape& part_shape = parts[0].shape();
  const int64_t count = static_cast<int64_t>(parts.size()), part_size = parts[0].numel();
  const size_t elem = dtype_size(parts[0].dtype());
  Shape stacked_shape{count};
  stacked_shape.insert(stacked_shape.end(), part_shape.begin(), part_shape.end());
  Tensor stacked(parts[0].dtype(), stacked_shape, Init::Uninitialized);
  for (int64_t t = 0; t < count; ++t) {
    const Tensor& p = parts[static_cast<size_t>(reverse ? count - 1 - t : t)];
    if (p.shape() != part_shape || p.dtype() != parts[0].dtype())
      throw Error(ErrorKind::Data, what + " changes from " + parts[0].describe() + " to " + p.describe() + " between iterations");
    std::memcpy(stacked.raw() + static_cast<size_t>(t * part_size) * elem, p.to_plain().raw(), static_cast<size_t>(part_size) * elem);
  }
  axis = normalize_axis(axis, static_cast<int64_t>(part_shape.size()) + 1);
  if (axis == 0) return stacked;
  // Move the new axis from first to `axis`.
  const std::vector<int64_t> strides = shape_strides(stacked_shape);
  Shape shape;
  std::vector<int64_t> stride;
  for (int64_t d = 0, inner = 1; d <= static_cast<int64_t>(part_shape.size()); ++d) {
    const bool is_new = d == axis;
    shape.push_back(is_new ? count : part_shape[static_cast<size_t>(inner - 1)]);
    stride.push_back(is_new ? strides[0] : strides[static_cast<size_t>(inner)]);
    if (!is_new) ++inner;
  }
  Tensor y(stacked.dtype(), shape, Init::Uninitialized);
  ops::strided_copy(stacked.raw(), elem, shape, stride, 0, y.raw());
  return y;
}

Outputs run_if(const Inputs& inputs, const Subgraphs& graphs, const Interpreter::OuterScope& outer) {
  const Tensor& cond = ops::required_input(inputs, 0, "cond");
  if (cond.numel() != 1) throw Error(ErrorKind::Data, "cond must have one element, got " + cond.describe());
  const Interpreter& branch = cond.value_as_double(0) != 0 ? *graphs.then_branch : *graphs.else_branch;
  const TensorMap result = branch.run_subgraph(outer);
  Outputs outs;
  for (const ir::ValueInfo& o : branch.graph().outputs) outs.push_back(result.at(o.name));
  return outs;
}

Outputs run_loop(const Inputs& inputs, const Interpreter& body, const Interpreter::OuterScope& outer) {
  const ir::Graph& g = body.graph();
  const size_t carried = inputs.size() > 2 ? inputs.size() - 2 : 0;
  if (g.inputs.size() != carried + 2 || g.outputs.size() < carried + 1)
    throw Error(ErrorKind::Model, "Loop's body must read (iteration, condition, " + std::to_string(carried) + " values) and write (condition, " +
                                      std::to_string(carried) + " values, scan outputs): it reads " + std::to_string(g.inputs.size()) + " and writes " +
                                      std::to_string(g.outputs.size()));
  const Tensor* trip_count = ops::optional_input(inputs, 0);
  const Tensor* cond_input = ops::optional_input(inputs, 1);
  if (!trip_count && !cond_input)
    throw Error(ErrorKind::Model, "a Loop with neither a trip count nor a condition input never ends (ONNX's infinite loop)");
  for (const Tensor* t : {trip_count, cond_input})
    if (t && t->numel() != 1) throw Error(ErrorKind::Data, "Loop's trip count and condition hold one value, got " + t->describe());
  const int64_t limit = trip_count ? trip_count->value_as_int64(0) : std::numeric_limits<int64_t>::max();
  bool cond = cond_input ? cond_input->value_as_double(0) != 0 : true;
  TensorMap feed;
  for (size_t k = 0; k < carried; ++k) feed[g.inputs[k + 2].name] = ops::required_input(inputs, k + 2, "v_initial").to_plain();
  const size_t scans = g.outputs.size() - 1 - carried;
  std::vector<std::vector<Tensor>> scanned(scans);
  for (int64_t i = 0; i < limit && cond; ++i) {
    feed[g.inputs[0].name] = Tensor::scalar<int64_t>(i);
    feed[g.inputs[1].name] = Tensor::scalar<bool>(cond);
    TensorMap out = body.run_subgraph(outer, feed);
    // Without a condition input the body's condition is ignored (a for loop), as ONNX says.
    if (cond_input) cond = out.at(g.outputs[0].name).value_as_double(0) != 0;
    for (size_t k = 0; k < carried; ++k) feed[g.inputs[k + 2].name] = out.at(g.outputs[k + 1].name);
    for (size_t s = 0; s < scans; ++s) scanned[s].push_back(std::move(out.at(g.outputs[1 + carried + s].name)));
  }
  Outputs outs;
  for (size_t k = 0; k < carried; ++k) outs.push_back(feed.at(g.inputs[k + 2].name));
  for (size_t s = 0; s < scans; ++s) {
    const ir::ValueInfo& declared = g.outputs[1 + carried + s];
    outs.push_back(stack(scanned[s], 0, false, declared, "Loop's scan output '" + declared.name + "'"));
  }
  return outs;
}

Outputs run_scan(const ir::Node& node, const Inputs& inputs, const Interpreter& body, const Interpreter::OuterScope& outer) {
  if (node.opset < 9)
    throw Error(ErrorKind::Unsupported, "Scan-8 (the batched form with sequence_lens, before opset 9) is not supported; Scan from opset 9 is");
  const ir::Graph& g = body.graph();
  const int64_t scan_inputs = node.attr_int("num_scan_inputs");
  if (scan_inputs < 1 || scan_inputs > static_cast<int64_t>(inputs.size()))
    throw Error(ErrorKind::Model, "num_scan_inputs = " + std::to_string(scan_inputs) + " does not fit Scan's " + std::to_string(inputs.size()) + " inputs");
  const size_t m = static_cast<size_t>(scan_inputs), states = inputs.size() - m;
  if (g.inputs.size() != inputs.size() || g.outputs.size() < states)
    throw Error(ErrorKind::Model, "Scan's body must read " + std::to_string(states) + " states and " + std::to_string(m) +
                                      " slices and write the states first: it reads " + std::to_string(g.inputs.size()) + " and writes " +
                                      std::to_string(g.outputs.size()));
  const size_t scans = g.outputs.size() - states;
  auto per = [&](const char* key, size_t count) {
    std::vector<int64_t> v = node.attr_ints(key, std::vector<int64_t>(count, 0));
    if (v.size() != count) throw Error(ErrorKind::Model, std::string(key) + " has " + std::to_string(v.size()) + " entries for " + std::to_string(count));
    return v;
  };
  const std::vector<int64_t> in_axes = per("scan_input_axes", m), in_dirs = per("scan_input_directions", m);
  const std::vector<int64_t> out_axes = per("scan_output_axes", scans), out_dirs = per("scan_output_directions", scans);
  std::vector<Tensor> sequences;
  std::vector<int64_t> axes;
  int64_t length = -1;
  for (size_t j = 0; j < m; ++j) {
    sequences.push_back(ops::required_input(inputs, states + j, "scan input").to_plain());
    axes.push_back(normalize_axis(in_axes[j], sequences.back().rank()));
    const int64_t l = sequences.back().dim(axes.back());
    if (length >= 0 && l != length)
      throw Error(ErrorKind::Data, "Scan's inputs have sequences of " + std::to_string(length) + " and " + std::to_string(l) + " steps");
    length = l;
  }
  TensorMap feed;
  for (size_t k = 0; k < states; ++k) feed[g.inputs[k].name] = ops::required_input(inputs, k, "initial state").to_plain();
  std::vector<std::vector<Tensor>> scanned(scans);
  for (int64_t t = 0; t < length; ++t) {
    for (size_t j = 0; j < m; ++j) feed[g.inputs[states + j].name] = slice_at(sequences[j], axes[j], in_dirs[j] ? length - 1 - t : t);
    TensorMap out = body.run_subgraph(outer, feed);
    for (size_t k = 0; k < states; ++k) feed[g.inputs[k].name] = out.at(g.outputs[k].name);
    for (size_t s = 0; s < scans; ++s) scanned[s].push_back(std::move(out.at(g.outputs[states + s].name)));
  }
  Outputs outs;
  for (size_t k = 0; k < states; ++k) outs.push_back(feed.at(g.inputs[k].name));
  for (size_t s = 0; s < scans; ++s) {
    const ir::ValueInfo& declared = g.outputs[states + s];
    outs.push_back(stack(scanned[s], out_axes[s], out_dirs[s] != 0, declared, "Scan's output '" + declared.name + "'"));
  }
  return outs;
}

std::shared_ptr<const Interpreter> subgraph(const ir::Node& node, const char* key, const ops::KernelConfig& config) {
  return std::make_shared<Interpreter>(*node.attr(key, ir::AttrKind::Graph).g, config);
}

}  // namespace

Subgraphs make_subgraphs(const ir::Node& node, const ops::KernelConfig& config) {
  if (!node.domain.empty()) return {};
  if (node.op_type == "If") return {subgraph(node, "then_branch", config), subgraph(node, "else_branch", config), nullptr};
  if (node.op_type == "Loop" || node.op_type == "Scan") return {nullptr, nullptr, subgraph(node, "body", config)};
  return {};
}

Outputs run_control_flow(const ir::Node& node, const Inputs& inputs, const Subgraphs& graphs, const Interpreter::OuterScope& outer) {
  if (graphs.then_branch) return run_if(inputs, graphs, outer);
  if (node.op_type == "Loop") return run_loop(inputs, *graphs.body, outer);
  return run_scan(node, inputs, *graphs.body, outer);
}

}  // namespace quant::interp
