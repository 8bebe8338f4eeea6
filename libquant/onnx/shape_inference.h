// Types and shapes of every tensor of a model, by ONNX's own shape inference (the schemas'
// inference functions, with constant propagation of shape data), completed by quant's shape values
// (shape_values.h) where a Reshape/Expand/Slice reads a shape computed from a symbolic batch.
// Symbolic dims stay symbolic ("N", "N*3").
#pragma once
#include <string>
#include <vector>

#include "ir/graph.h"

namespace quant::onnx_io {

// Replaces graph.value_infos with what inference finds for every node output, and fills in the
// shapes of graph outputs the file left open. Returns the node outputs inference could not type
// or shape (empty when every tensor has a shape). Throws Model when the model's declared shapes
// contradict what its ops compute, naming ONNX's message.
std::vector<std::string> infer_shapes(ir::Model& model);

}  // namespace quant::onnx_io
