// The emulate stage's rewrites, one kind of group per file. Each looks at one node of the QDQ graph,
// and either returns the integer node that replaces it (and the nodes it absorbs) or says why not.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "emulate/emulate.h"
#include "emulate/quantized_values.h"

namespace quant::emulate {

struct Rewrite {
  std::vector<const ir::Node*> replaced;  // the QDQ graph's nodes the new node stands for
  ir::Node node;                          // in ops::kIntegerDomain
  std::vector<std::pair<std::string, Tensor>> initializers;  // new constants it reads
  NodeExecution execution;
};

// The requantizer attributes of ops/integer_requant.h: y = clamp(Z_y + M_c * acc, lo, hi) with one
// real multiplier per channel (or one). accumulator_bits is 32 when `acc_bound` (the largest |acc|
// the node can produce) shifted left by the multiplier's exponent stays inside int32, else 64.
void set_requantizer(ir::Node& node, const std::vector<double>& multipliers, const PerTensorParams& out, int64_t lo,
                     int64_t hi, double acc_bound);

// Why a group is not rewritten when its output has no activation_quantize.
inline constexpr const char* kOutputNotQuantized = "its output is not quantized per tensor (or goes to more than one reader)";

// A node of ops::kIntegerDomain standing for `name` of the QDQ graph.
ir::Node integer_node(const std::string& name, const std::string& op_type, std::vector<std::string> inputs, std::string output);

using ir::int_attribute;
using ir::ints_attribute;

// Conv / Gemm / MatMul with a quantized constant weight (linear_groups.cpp).
std::optional<Rewrite> rewrite_linear(const GraphIndex& index, const ir::Node& node, std::string& why_not);
// GlobalAveragePool between a DequantizeLinear and a QuantizeLinear (average_pool.cpp).
std::optional<Rewrite> rewrite_global_average_pool(const GraphIndex& index, const ir::Node& node, std::string& why_not);
// A pointwise function of one quantized activation, followed by a QuantizeLinear (value_maps.cpp).
std::optional<Rewrite> rewrite_table(const GraphIndex& index, const ir::Node& node, std::string& why_not);
// A QuantizeLinear of a DequantizeLinear (value_maps.cpp).
std::optional<Rewrite> rewrite_conversion(const GraphIndex& index, const ir::Node& quantize);

}  // namespace quant::emulate
