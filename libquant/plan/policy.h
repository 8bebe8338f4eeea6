// Which nodes compute on integers and which activation tensors get quantization parameters: the
// plan's default policy and --full-integer (docs/quantization.md, "What is quantized").
//
// Default (accuracy first, as ONNX Runtime's and TensorRT's int8 paths): Conv, ConvTranspose, Gemm
// and MatMul always run on integers; any other op does when an integer op reads its result (the
// Relu, Add, MaxPool, Reshape, Concat ... between compute ops), unless it is numerically fragile
// (the op table's float_by_default: exponentials, division, square roots, normalizations, sums,
// averaging) or inside a unit (plan/patterns.h). A tensor is quantized when an integer op reads or
// writes it, except a model output no integer op reads: outputs leave in float, and a value a
// subgraph (If, Loop, Scan) reads, directly or through ops that only move data, with the tensors
// that reach it so: ONNX Runtime moves a DequantizeLinear forward over data movement and aborts
// when it meets a subgraph's read (Policy::float_tensors, with the path).
// --full-integer (integer-only accelerators, Hailo style): every op runs on integers and every
// float activation is quantized, fragile ops and unit interiors at 16 bits.
// A node a model script names (precision, range or bias rule) runs on integers in either mode.
// Internal to libquant/plan.
#pragma once
#include <functional>
#include <set>
#include <string>
#include <unordered_map>

#include "plan/graph_facts.h"
#include "plan/rules.h"

namespace quant::plan {

struct Policy {
  std::set<const ir::Node*> integer_nodes;
  std::set<std::string> quantized;  // activation tensors to quantize
  std::unordered_map<const ir::Node*, std::string> float_reason;  // nodes the policy keeps float, why
  // Activations an integer op reads or writes that stay float all the same, why (a subgraph reads them).
  std::map<std::string, std::string> float_tensors;
  std::map<std::string, LayerPrecision> precision;  // node -> precision the policy sets (16-bit fragile ops)
  bool runs_integer(const ir::Node* n) const { return integer_nodes.count(n) != 0; }
};

// `is_float_activation(tensor)`: the tensor is a float value calibration observed.
Policy choose_policy(const GraphFacts& facts, const PlanRules& rules, bool full_integer,
                     const std::function<bool(const std::string&)>& is_float_activation);

}  // namespace quant::plan
