// The quantization plan: for every tensor that will be quantized, its type, scale and zero point,
// and where they came from. Built from the graph, the calibration statistics and the options; the
// emit stage turns it into a QDQ model and a parameters JSON. Rules (docs/quantization.md):
//   - activations: every float graph input and node output, except outputs of shape/constant ops
//     and a Conv/Gemm/MatMul output whose only reader is a Relu/Clip (the pair runs fused, so only
//     the activation's output is quantized);
//   - ops that only move data (Reshape, Flatten, Transpose, MaxPool, Concat, ...) share one set of
//     parameters between their inputs and outputs: the group's range is the union of its members';
//   - weights: int8 symmetric (narrow, -127..127), per output channel (axis from the op table) unless
//     per-tensor is asked for; biases: int32 with scale = input scale * weight scale[c], zero point 0.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "calib/range.h"
#include "ir/graph.h"
#include "qmath/qparams.h"

namespace quant::plan {

enum class Role { Input, Output, Activation, Weight, Bias };
const char* role_name(Role role);

struct TensorQuant {
  std::string name;
  Role role = Role::Activation;
  std::string producer;           // node name; "" for graph inputs and initializers
  std::string consumer;           // for weights and biases: the node that reads them
  DType dtype = DType::UInt8;
  qmath::QRange qrange;
  std::vector<float> scale;       // one value, or one per channel
  std::vector<int64_t> zero_point;
  int axis = -1;                  // channel axis when per channel
  // Activations: the statistics and the chosen range.
  double observed_min = 0, observed_max = 0;
  double range_min = 0, range_max = 0;
  std::string shares_with;        // the first tensor of its shared-parameter group, if another
  bool per_channel() const { return scale.size() > 1 || axis >= 0; }
};

struct PlanOptions {
  calib::Method method = calib::Method::MinMax;
  calib::MethodOptions method_options;
  DType activation_type = DType::UInt8;
  DType weight_type = DType::Int8;
  bool per_channel_weights = true;
};

struct QuantPlan {
  std::vector<TensorQuant> tensors;
  std::map<std::string, size_t> index;  // tensor name -> position in tensors
  PlanOptions options;
  const TensorQuant* find(const std::string& name) const;
};

QuantPlan make_plan(const ir::Graph& graph, const calib::Statistics& stats, const PlanOptions& options);

// Quantized values of a weight or bias initializer under its plan entry (int8 / int32 tensor).
Tensor quantize_initializer(const Tensor& values, const TensorQuant& q);

}  // namespace quant::plan
