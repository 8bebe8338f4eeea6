// The quantization plan: for every tensor that will be quantized, its type, scale and zero point,
// and where they came from. Built from the graph, the calibration statistics, the options and the
// model script's rules; the emit stage turns it into a QDQ model and a parameters JSON.
// Rules (docs/quantization.md):
//   - activations: what plan/policy.h chooses (by default the tensors integer ops read and write;
//     with full_integer every float graph input and node output), except outputs of shape/constant
//     ops and a Conv/Gemm/MatMul output whose only reader is a Relu/Clip (the pair runs fused, so
//     only the activation's output is quantized);
//   - a tensor's precision is its producer's output precision (precision_mode a<A>_w<W>[_a<O>]:
//     O bits out; ops that only move data keep their input's precision unless named); a graph
//     input takes its readers' input precision. A reader whose input precision differs gets a
//     conversion: a second Q/DQ pair of its own precision;
//   - ops that only move data share one set of parameters between inputs and outputs of the same
//     precision: the group's range is the union of its members' (or a forced range);
//   - weights: symmetric (narrow range) of W bits, per output channel unless per-tensor is asked for;
//     biases: int32 with scale = input scale * weight scale[c] (double_scale_* bias modes: a scale of
//     their own).
#pragma once
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "calib/range.h"
#include "ir/graph.h"
#include "plan/rules.h"
#include "qmath/qparams.h"

namespace quant::plan {

enum class Role { Input, Output, Activation, Weight, Bias, Conversion };
const char* role_name(Role role);

struct TensorQuant {
  std::string name;
  Role role = Role::Activation;
  std::string producer;               // node name; "" for graph inputs and initializers
  std::vector<std::string> consumers; // weights/biases: the reader; conversions: the readers converted for
  std::string source_tensor;          // conversions: the tensor converted
  DType dtype = DType::UInt8;         // storage type
  std::string type_name;              // the quantized type ("int4" is stored in int8)
  qmath::QRange qrange;
  std::vector<float> scale;           // one value, or one per channel
  std::vector<int64_t> zero_point;
  int axis = -1;                      // channel axis when per channel
  // Activations: the statistics and the chosen range.
  double observed_min = 0, observed_max = 0;
  double range_min = 0, range_max = 0;
  // The range before 16-bit headroom (= range_min/max without it): what an 8-bit conversion of this
  // tensor covers, since 8 bits have no resolution to spare for headroom.
  double unwidened_min = 0, unwidened_max = 0;
  std::string shares_with;            // the first tensor of its shared-parameter group, if another
  std::string precision_mode;         // the mode of the layer that set its precision, if a script did
  std::string range_rule;             // "forced", "clipped (percentile)", "clipped (manual)", "headroom (16-bit)"
  std::string rule_source;            // "file:line" of the script statement behind precision or range
  bool per_channel() const { return scale.size() > 1 || axis >= 0; }
  bool is_activation() const { return role == Role::Input || role == Role::Output || role == Role::Activation || role == Role::Conversion; }
};

struct PlanOptions {
  calib::Method method = calib::Method::MinMax;
  calib::MethodOptions method_options;
  DType activation_type = DType::UInt8;  // for 8-bit activations; 16-bit ones are its 16-bit sibling
  bool per_channel_weights = true;
  // Quantize every float activation, fragile ops at 16 bits (integer-only accelerators), rather
  // than the default's integer compute ops and what lies between them (plan/policy.h).
  bool full_integer = false;
  // 16-bit activation ranges without a script rule are widened by this fraction of their width on
  // each side, up to the op's output bounds (plan/headroom.h). 0: as calibrated.
  double headroom_16bit = 0.25;
  PlanRules rules;
};

// A node, or a constant one reads, left in float, and why (plan/decisions.h).
struct FloatItem {
  std::string node, op_type;
  std::string tensor;   // the constant or activation; "" for nodes
  std::string reason;   // "shape arithmetic", "integer tensor", "no quantized form", "constant operand kept float", ...
  bool is_weight = false;  // a Conv/Gemm/MatMul/ConvTranspose weight (optimize --strict refuses these)
};

struct NodeDecisions {
  int nodes = 0, quantized = 0;
  std::vector<FloatItem> float_nodes;
  std::vector<FloatItem> float_constants;
  // Activations a quantized node reads or writes that stay float all the same (plan/policy.h).
  std::vector<FloatItem> float_tensors;
  int float_weights() const {
    int n = 0;
    for (const FloatItem& f : float_constants) n += f.is_weight;
    return n;
  }
};

struct QuantPlan {
  std::vector<TensorQuant> tensors;
  std::map<std::string, size_t> index;  // tensor name -> position in tensors
  PlanOptions options;
  NodeDecisions decisions;  // every node quantized or left float, with the reasons
  const TensorQuant* find(const std::string& name) const;
  bool has_16_bit() const;
};

QuantPlan make_plan(const ir::Graph& graph, const calib::Statistics& stats, const PlanOptions& options);

// The tensors whose statistics make_plan(graph, stats, options) reads: the activations it
// quantizes. Which ones those are depends on the statistics only through which float tensors
// exist (`is_float_activation`: observed, or in Statistics::unobserved), so a calibration made for
// one plan need observe no others (optimize; not calibrate, whose file may serve other options).
std::set<std::string> tensors_needing_statistics(const ir::Graph& graph, const PlanOptions& options,
                                                 const std::function<bool(const std::string&)>& is_float_activation);

// Tensors no plan quantizes whatever its options: the result of a Conv/Gemm/MatMul that runs fused
// with the Relu, Clip or bias Add reading it. make_plan asks only whether they exist among the
// statistics (their producer then counts as an integer op), so calibration need not observe them
// (Statistics::unobserved), and the interpreter can fuse the Conv and its Relu while calibrating.
std::set<std::string> fused_outputs(const ir::Graph& graph);

// Quantized values of a weight or bias initializer under its plan entry.
Tensor quantize_initializer(const Tensor& values, const TensorQuant& q);

// The storage type of an activation of `bits` bits when 8-bit activations are `eight_bit`.
DType activation_dtype(int bits, DType eight_bit);

}  // namespace quant::plan
