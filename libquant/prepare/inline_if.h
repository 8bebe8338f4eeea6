// An If whose condition is a constant (after folding) is replaced by the branch it always takes:
// the branch's nodes and initializers move into the enclosing graph and produce the If's outputs.
// Real exports do this often (a voice-activity model picks its LSTM branch by a sample rate that is
// fixed once the input size is), and the moved nodes are then prepared and quantized like the rest.
#pragma once
#include "ir/graph.h"

namespace quant::prepare {

// Returns how many If nodes were inlined. Names stay unique (ONNX names are unique across
// subgraphs; an initializer name taken in the enclosing graph is refused by validation).
int inline_constant_ifs(ir::Graph& graph);

}  // namespace quant::prepare
