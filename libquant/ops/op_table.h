// The one table of operators quant runs: each row names the ONNX op, its float kernel and the
// facts later stages need about it (which input is a weight, along which axis its output
// channels lie, which input is a bias, whether it only moves data). Nothing else in the code
// branches on op names for these facts.
#pragma once
#include <limits>
#include <span>
#include <string_view>

#include "ops/kernel.h"

namespace quant::ops {

// Where a weight's output channels lie (for per-channel quantization).
enum class ChannelAxis {
  None,        // the op has no weight
  Axis0,       // Conv: W is [M, C/group, k...]
  Axis1,       // ConvTranspose: W is [C, M/group, k...]
  GemmB,       // Gemm: axis 0 if transB else 1
  LastAxis,    // MatMul: B is [..., K, N]
};

enum class OpKind {
  Compute,      // arithmetic with a weight (Conv, Gemm, MatMul...)
  Elementwise,  // arithmetic on activations
  Activation,   // a monotone function of one input (Relu, Clip, Sigmoid...)
  DataMovement, // moves values, or picks/interpolates among them, never leaving their range (Reshape, MaxPool, Resize...)
  ShapeOnly,    // computes shapes / constants, not activations (Shape, Constant)
  Quantization, // QuantizeLinear / DequantizeLinear
};

struct OpFacts {
  OpKind kind = OpKind::Elementwise;
  int weight_input = -1;  // index of the input that is a weight when it is an initializer
  int bias_input = -1;
  ChannelAxis channel_axis = ChannelAxis::None;
  // Numerically fragile ops (exponentials, division, square roots, normalizations, sums): why the
  // default plan computes them in float. --full-integer quantizes their outputs at 16 bits.
  const char* float_by_default = nullptr;
  // Inputs from this index on are the op's parameters, not data: Clip's bounds, Resize's roi and
  // scales, Pad's pads and value. They stay float by the op's definition (-1: every input is data).
  int parameters_from = -1;
  // Bounds of the op's output whatever its input (Sigmoid [0, 1], Tanh [-1, 1]): ranges widened
  // for headroom (plan/headroom.h) stop there.
  float output_lo = -std::numeric_limits<float>::infinity();
  float output_hi = std::numeric_limits<float>::infinity();
  // Each output element depends on the input elements at its own position only (with constant
  // scalar operands, a function of one value: the emulator can store it as a table). Every
  // Activation is; of the Elementwise ops, the arithmetic ones with broadcasting.
  bool pointwise = false;
  // The output holds exactly the values of input 0, rearranged (Reshape, Transpose...): the same
  // multiset of values, sample by sample, so the same calibration statistics.
  bool same_values = false;
};

// FirstInputEnds: input 0 is taken in blocks and the result is not in them (a global pool: its
// [N, C, 1, 1] result is the same bytes in every layout), so a chain of blocks ends there.
enum class ChannelBlocks { None, FirstInput, AllInputs, FirstInputEnds };

struct OpEntry {
  std::string_view op_type;  // in the default ONNX domain
  KernelFn kernel;
  OpFacts facts;
  // The kernel takes channels-last inputs (Layout::ChannelsLast) as they are; for all other ops
  // the interpreter converts such inputs to plain first.
  bool channels_last = false;
  // The kernel applies KernelConfig::clamp to its output: the interpreter may fuse a following Relu
  // or constant Clip into it.
  bool fuses_clamp = false;
  // Which inputs the kernel takes in blocks of 8 channels (Layout::ChannelBlocks8) as they are:
  // Conv's X (when oneDNN runs it: conv_channel_blocks), element-wise ops that keep their input's
  // layout, the global pools (their result plain). The interpreter converts such inputs for every
  // other kernel and input, and plans that layout only where every reader takes it
  // (Interpreter::plan_channel_blocks).
  ChannelBlocks channel_blocks = ChannelBlocks::None;
};

// Whether input `k` of `entry`'s kernel is taken in blocks of 8 channels as it is.
inline bool takes_channel_blocks(const OpEntry& entry, size_t k) {
  return entry.channel_blocks == ChannelBlocks::AllInputs ||
         ((entry.channel_blocks == ChannelBlocks::FirstInput || entry.channel_blocks == ChannelBlocks::FirstInputEnds) && k == 0);
}

std::span<const OpEntry> all_ops();
// quant's own integer ops (ops/integer_requant.h), in this domain; find_op finds them there.
inline constexpr std::string_view kIntegerDomain = "quant.integer";
std::span<const OpEntry> integer_ops();
// nullptr when quant does not support the op.
const OpEntry* find_op(std::string_view domain, std::string_view op_type);
// The weight's output-channel axis for this node (or -1 when it has no weight).
int weight_channel_axis(const OpEntry& entry, const ir::Node& node, int weight_rank);
// The name of the node's weight input (OpFacts::weight_input), or nullptr when its op has none or
// the node leaves it out. `entry` may be null (an op quant does not run).
const std::string* weight_input_name(const OpEntry* entry, const ir::Node& node);

}  // namespace quant::ops
