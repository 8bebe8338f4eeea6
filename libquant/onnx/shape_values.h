// Shape values: the part of shape inference ONNX 1.12 leaves out. Exporters compute the target of
// a Reshape (and the shape of ConstantOfShape or Expand) from Shape(x) of a tensor with a symbolic
// batch: Concat(Unsqueeze(Gather(Shape(x), 0)), [28], [28]). ONNX's data propagation follows such a
// chain only while every dim is a number, so the Reshape output, and everything after it, is left
// without a shape. Here the chain is followed with dims that may be symbols: a shape value is a
// small int64 tensor whose elements are dims ("N", 28, 28), and the Reshape/ConstantOfShape/Expand
// reading it gets its output shape from it.
#pragma once
#include "ir/graph.h"

namespace quant::onnx_io {

// Adds to graph.value_infos the shape of every Reshape, ConstantOfShape and Expand output that has
// none, where its shape input is a shape value computable from constants and the dims of known
// shapes (Shape, Gather, Slice, Unsqueeze, Squeeze, Concat, Cast, Identity, and Add/Sub/Mul/Div
// where the result stays a known number or one symbol). Returns how many it added; what it cannot
// compute stays unshaped (never a guess).
int add_shapes_from_shape_values(ir::Graph& graph);

}  // namespace quant::onnx_io
