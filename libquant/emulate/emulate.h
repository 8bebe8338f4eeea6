// The integer emulator's rewrite (docs/emulate.md): a QDQ model becomes the program an integer
// accelerator runs. Each (DequantizeLinear x, w, b) -> Conv/Gemm/MatMul -> [Relu/Clip] ->
// QuantizeLinear group becomes one integer node (int32 or int64 sum, fixed-point requantization,
// the activation as a clamp); GlobalAveragePool becomes an integer sum; an element-wise function of
// one quantized value becomes a table of every value it can take; a QuantizeLinear of a
// DequantizeLinear becomes an integer requantization. What remains runs as the QDQ model says (in
// float, then requantized), and the report says which nodes and why.
#pragma once
#include <string>
#include <vector>

#include "ir/graph.h"

namespace quant::emulate {

enum class Execution {
  Integer,           // integer arithmetic with fixed-point requantization
  Table,             // a look-up table over the input's values (exactly the QDQ model's function)
  ExactMove,         // moves stored values (MaxPool, Reshape...) with the same parameters in and out: exact
  FloatRequantized,  // computed in float from dequantized inputs, then quantized
  Float,             // output not quantized: float as in the model
};
const char* execution_name(Execution how);

struct NodeExecution {
  std::string node, op_type;  // the QDQ model's node (for conversions: the QuantizeLinear)
  Execution how = Execution::Float;
  std::string detail;         // what the integer node does, or why the node is not in integers
};

// Rewrites `graph` (a QDQ model's, prepared) in place and says how each of its computing nodes
// runs, in graph order. Throws Usage when the graph holds no quantized activation.
std::vector<NodeExecution> rewrite_for_integers(ir::Graph& graph);

// One line: "14 nodes in integers (Conv 13, Gemm 1), 2 by table (Sigmoid, Tanh), ...".
std::string summarize(const std::vector<NodeExecution>& nodes);

}  // namespace quant::emulate
