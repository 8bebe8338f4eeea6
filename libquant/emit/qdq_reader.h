// Reads a QDQ model's quantization back out of the model itself (the inverse of qdq.h): every
// DequantizeLinear with its scale, zero point, type and axis, the tensor it stands for and, for an
// activation, the QuantizeLinear that feeds it. One reader for every command that looks at a
// quantized model (parse-model, analyze, export).
#pragma once
#include <string>
#include <vector>

#include "ir/graph.h"

namespace quant::emit {

struct QdqEntry {
  // The tensor it quantizes, by quant's naming: the DequantizeLinear's input T_quantized names T
  // (a graph output T is written by its producer as T_prequant; a conversion is named
  // <tensor>_as_<type>).
  std::string tensor;
  std::string dq_node, dq_output;
  std::string q_node, q_input;  // activations: the QuantizeLinear and what it reads; empty for constants
  bool constant = false;        // the DequantizeLinear reads an initializer (a weight or bias)
  bool conversion = false;      // an activation requantized from another pair's output
  DType dtype = DType::UInt8;   // the quantized type
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int64_t axis = -1;            // per channel: the axis; -1 per tensor
  int64_t bytes = 0;            // constants: the stored integer tensor's size
};

// In graph order. Empty when the graph has no DequantizeLinear with a constant scale.
std::vector<QdqEntry> read_qdq(const ir::Graph& graph);

}  // namespace quant::emit
