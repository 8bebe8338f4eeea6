// Constant folding: every node whose inputs are all constants (initializers, or none at all, as a
// Constant node) is run once with its float kernel and replaced by initializers holding its
// outputs. So weights stored as Constant nodes, and weight chains such as Constant -> Transpose ->
// Reshape -> Cast or a scale Mul, become plain initializers that later stages see as weights.
#pragma once
#include <string>
#include <vector>

#include "ir/graph.h"

namespace quant::prepare {

struct FoldCounts {
  int constants = 0;  // Constant nodes turned into initializers
  int folded = 0;     // other nodes computed once
  int shapes = 0;     // Shape/Size nodes of statically shaped tensors
  std::vector<std::string> too_large;  // constant nodes left to run because their result is large
};

// Folds until nothing changes. A node is left alone when its outputs are graph outputs, when
// quant has no kernel for it, when it is a QuantizeLinear/DequantizeLinear, or when folding would
// store a tensor much larger than its inputs (ConstantOfShape/Expand/Tile of large shapes).
void fold_constants(ir::Graph& graph, FoldCounts& counts);

// Replaces Shape and Size of tensors whose shape is fully known (graph.value_infos, inputs,
// initializers) by initializers. Run after shape inference, then fold_constants again.
void fold_static_shapes(ir::Graph& graph, FoldCounts& counts);

}  // namespace quant::prepare
