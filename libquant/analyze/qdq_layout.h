// Where a QDQ model quantizes what: its QuantizeLinear -> DequantizeLinear pairs on activations
// and its DequantizeLinear nodes on constants (weights, biases), paired with the float model's
// tensors of the same meaning. Written for the QDQ models quant emits (emit/qdq.h naming:
// T -> Q -> T_quantized -> DQ -> T_dequantized, a graph output T keeps its name and its producer
// writes T_prequant; a constant W is stored as W_quantized behind a DQ).
#pragma once
#include <string>
#include <vector>

#include "ir/graph.h"

namespace quant::analyze {

struct ActivationPair {
  std::string tensor;              // the float model's tensor
  std::string q_node, dq_node;     // names of the QuantizeLinear / DequantizeLinear nodes
  std::string q_input, dq_output;  // what the Q reads on the quantized path, what the DQ writes
  double scale = 1;
  int64_t zero_point = 0, qmin = 0, qmax = 255;
  std::string dtype;               // "uint8", "uint16", ...
  double range_lo() const { return static_cast<double>(qmin - zero_point) * scale; }
  double range_hi() const { return static_cast<double>(qmax - zero_point) * scale; }
};

struct ConstantDq {
  std::string dq_node, dq_output;
  std::string float_name;  // the float model's initializer it replaces
};

struct QdqLayout {
  std::vector<ActivationPair> activations;  // in the quant graph's order; conversions left out
  std::vector<ConstantDq> constants;
};

// Throws Usage naming the tensor when the quant model quantizes something the float model does not
// have (not the same model).
QdqLayout find_qdq_layout(const ir::Graph& quant, const ir::Graph& float_graph);

// The quant graph with only the DequantizeLinear nodes in `keep` (and their QuantizeLinear) left:
// every other activation pair becomes an Identity of its input, every other constant DQ the float
// model's initializer. Used for per-layer sensitivity: one layer quantized, the rest float.
ir::Graph keep_only(const ir::Graph& quant, const ir::Graph& float_graph, const QdqLayout& layout, const std::vector<std::string>& keep);

// The DequantizeLinear nodes that make `node` run quantized: those whose outputs it reads (its
// activations, weight and bias) and the pair on its output, or on the output of the Relu/Clip
// fused after it.
std::vector<std::string> layer_dq_nodes(const ir::Graph& quant, const QdqLayout& layout, const ir::Node& node);

}  // namespace quant::analyze
