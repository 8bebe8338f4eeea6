// What quant's integer kernels (domain "quant.integer", written by the emulate stage for a QDQ
// model) share. Inputs arrive as stored integers; their zero points are taken off first:
//   x_c = x_q - Z_x   (int32; per channel for weights)
// and every result leaves through one requantization (docs/emulate.md):
//   y_q = clamp(Z_y + M_c * acc, y_min, y_max),   M_c = M0_c * 2^-shift_c
// applied in integers with one rounding (qmath::multiply_by_quantized_multiplier_rounding_once).
// y_min/y_max are the output type's range, narrowed by a fused Relu or Clip. accumulator_bits says
// what the sum needs on hardware: 32 where the emulate stage proved from the weights that no sum
// leaves int32 (the kernels check it), else 64.
//
// Node attributes (set by libquant/emulate): multiplier, shift (one per output channel, or one),
// y_zero_point, y_min, y_max, y_type (the ONNX type code: 2 uint8, 4 uint16...), accumulator_bits (32 or 64).
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "ir/graph.h"
#include "qmath/fixed_point.h"

namespace quant::ops {

struct Requantizer {
  std::vector<qmath::FixedMultiplier> multipliers;  // one per output channel, or one for all
  int64_t zero_point = 0, min = 0, max = 0;
  DType dtype = DType::UInt8;
  bool wide = false;  // 64-bit accumulator

  // Whether a sum fits the accumulator (kernels check every sum, in their parallel loops without
  // throwing, and report after them with check_accumulator).
  bool fits(int64_t acc) const { return wide || (acc >= INT32_MIN && acc <= INT32_MAX); }

  int64_t apply(int64_t acc, int64_t channel) const {
    const qmath::FixedMultiplier& m = multipliers[multipliers.size() == 1 ? 0 : static_cast<size_t>(channel)];
    const int64_t y = zero_point + qmath::multiply_by_quantized_multiplier_rounding_once(acc, m);
    return y < min ? min : (y > max ? max : y);
  }
};

// Throws Model when a sum left the node's 32-bit accumulator (`overflowed`): the emulate stage
// proves from the weights that it cannot, so this is a hand-written or damaged node.
void check_accumulator(bool overflowed);

// Reads the attributes above; `channels` is how many multipliers a per-channel node must have.
Requantizer read_requantizer(const ir::Node& node, int64_t channels);

// x_q - zero_point for every element of an integer tensor; per-axis zero points run along `axis`
// (one zero point: the same for all).
std::vector<int32_t> centered_values(const Tensor& q, const std::vector<int64_t>& zero_points, int64_t axis);

// The requantized values as a tensor of the requantizer's type.
Tensor integer_tensor(DType dtype, Shape shape, const std::vector<int32_t>& values);

// Throws Data unless t holds integers of at most 16 bits (the emulator's activations and weights).
void require_small_integer(const Tensor& t, const char* what);

}  // namespace quant::ops
