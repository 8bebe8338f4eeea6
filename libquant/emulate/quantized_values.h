// What the emulate stage reads from a QDQ graph: which values are quantized activations (the
// output of a DequantizeLinear of a computed integer tensor), which are quantized constants
// (weights and biases), their parameters, and who reads what. Read-only; the rewrites use it.
#pragma once
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"

namespace quant::emulate {

struct PerTensorParams {
  float scale = 1.0f;
  int64_t zero_point = 0;
  DType dtype = DType::UInt8;
};

// The largest |q - zero_point| a value of these parameters can hold (its type's range about the
// zero point): bounds the sums an integer node can reach.
int64_t largest_centered(const PerTensorParams& p);

// A DequantizeLinear of an initializer: the stored integers and their (per-channel) parameters.
struct QuantizedConstant {
  std::string name;         // the integer initializer
  const Tensor* q = nullptr;
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int64_t axis = -1;        // per channel: the axis; -1 per tensor
};

class GraphIndex {
 public:
  explicit GraphIndex(const ir::Graph& graph);
  const ir::Graph& graph() const { return graph_; }
  // The node producing a value, or nullptr (inputs, initializers).
  const ir::Node* producer(const std::string& value) const;
  // The value's only reader, when it has exactly one and is not a graph output; else nullptr.
  const ir::Node* sole_reader(const std::string& value) const;
  bool is_constant(const std::string& value) const { return graph_.constant(value) != nullptr; }

  // A QuantizeLinear or DequantizeLinear with one constant scale and zero point (zero point
  // omitted: uint8 0); nullopt for per-axis or non-constant parameters.
  std::optional<PerTensorParams> per_tensor(const ir::Node& q_or_dq) const;
  // The DequantizeLinear producing `value` from a computed (not constant) integer tensor, with
  // per-tensor parameters; nullptr otherwise.
  const ir::Node* activation_dequantize(const std::string& value) const;
  // The QuantizeLinear, with per-tensor parameters, that is `value`'s only reader; nullptr otherwise.
  const ir::Node* activation_quantize(const std::string& value) const;
  // `value` as a DequantizeLinear of an integer initializer; nullopt otherwise.
  std::optional<QuantizedConstant> quantized_constant(const std::string& value) const;

 private:
  const ir::Graph& graph_;
  std::unordered_map<std::string, const ir::Node*> producers_;
  std::unordered_map<std::string, std::vector<const ir::Node*>> readers_;
};

inline bool is_op(const ir::Node& n, const char* op_type) {
  return n.op_type == op_type && (n.domain.empty() || n.domain == "ai.onnx" || n.domain == "com.microsoft");
}

}  // namespace quant::emulate
