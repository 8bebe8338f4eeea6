// QuantizeLinear:   y = clamp(round_half_even(x / scale) + zero_point, qmin, qmax)
// DequantizeLinear: y = (x - zero_point) * scale
// Scale and zero point are scalars (per tensor) or 1-D along `axis` (per axis, opset >= 13).
// The quantized type is the zero point's (uint8 when it is omitted); the formulas are qmath's.
#include <algorithm>
#include <limits>

#include "ops/kernels.h"
#include "ops/layout.h"
#include "qmath/rounding.h"

namespace quant::ops {
namespace {

struct QuantParams {
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  AxisView view;  // per axis: channel = (i / inner) % length
  bool per_axis = false;
};

QuantParams read_params(const ir::Node& node, const Inputs& inputs, const Tensor& x) {
  const Tensor& scale = required_input(inputs, 1, "scale");
  require_float(scale, "scale");
  const Tensor* zp = optional_input(inputs, 2);
  QuantParams p;
  p.scale = scale.to_float_vector();
  // A 1-D scale of one element is per tensor, as ONNX Runtime reads it.
  p.per_axis = scale.rank() == 1 && scale.numel() > 1;
  if (scale.rank() > 1) throw Error(ErrorKind::Data, "scale must be a scalar or 1-D, got " + scale.describe());
  if (p.per_axis) {
    const int64_t axis = normalize_axis(node.attr_int("axis", 1), x.rank());
    p.view = axis_view(x.shape(), axis);
    if (scale.numel() != p.view.length)
      throw Error(ErrorKind::Data, "scale " + scale.describe() + " must have one value per element of axis " +
                                       std::to_string(axis) + " of " + x.describe());
  }
  p.zero_point = zp ? zp->to_int64_vector() : std::vector<int64_t>(p.scale.size(), 0);
  if (p.zero_point.size() != p.scale.size())
    throw Error(ErrorKind::Data, "zero point and scale have different sizes");
  return p;
}

inline size_t channel_of(const QuantParams& p, int64_t i) {
  return p.per_axis ? static_cast<size_t>((i / p.view.inner) % p.view.length) : 0;
}

}  // namespace

Outputs quantize_linear_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "x");
  require_float(x, "x");
  const Tensor* zp = optional_input(inputs, 2);
  const DType qtype = zp ? zp->dtype() : DType::UInt8;
  const QuantParams p = read_params(node, inputs, x);
  Tensor y(qtype, x.shape());
  visit_numeric(qtype, "QuantizeLinear", [&](auto tag) {
    using Q = decltype(tag);
    if constexpr (std::is_integral_v<Q> && !std::is_same_v<Q, bool> && sizeof(Q) <= 4) {
      const int64_t qmin = std::numeric_limits<Q>::min(), qmax = std::numeric_limits<Q>::max();
      const float* px = x.data<float>();
      Q* py = y.data<Q>();
      for (int64_t i = 0; i < x.numel(); ++i) {
        const size_t c = channel_of(p, i);
        py[i] = static_cast<Q>(qmath::quantize_value(px[i], p.scale[c], p.zero_point[c], qmin, qmax));
      }
    } else {
      throw Error(ErrorKind::Unsupported, std::string("quantized type ") + dtype_name(qtype) + " is not supported");
    }
  });
  return {y};
}

Outputs dequantize_linear_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "x");
  if (!dtype_is_integer(x.dtype())) throw Error(ErrorKind::Data, "x must be an integer tensor, got " + x.describe());
  const QuantParams p = read_params(node, inputs, x);
  Tensor y(DType::Float32, x.shape());
  float* py = y.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    const size_t c = channel_of(p, i);
    py[i] = qmath::dequantize_value(x.value_as_int64(i), p.scale[c], p.zero_point[c]);
  }
  return {y};
}

}  // namespace quant::ops
