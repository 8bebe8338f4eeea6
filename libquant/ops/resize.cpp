// Resize (opset 10 to 18) in modes nearest and linear, one axis at a time (separable):
// for output index o of an axis with input length I, scale s (given, or sizes/I) and resized
// length O = I * s (not rounded, as ONNX's reference computes it), the source coordinate x is
//   half_pixel:           (o + 0.5) / s - 0.5
//   pytorch_half_pixel:   O > 1 ? (o + 0.5) / s - 0.5 : 0
//   align_corners:        O > 1 ? o * (I - 1) / (O - 1) : 0
//   asymmetric:           o / s
//   tf_half_pixel_for_nn: (o + 0.5) / s
//   tf_crop_and_resize:   O > 1 ? roi_lo * (I - 1) + o * (roi_hi - roi_lo) * (I - 1) / (O - 1)
//                                : (roi_lo + roi_hi) / 2 * (I - 1); outside [0, I - 1] -> extrapolation_value
// nearest picks round(x) by nearest_mode (round_prefer_floor, round_prefer_ceil, floor, ceil);
// linear blends floor(x) and floor(x) + 1 with x clamped to [0, I - 1].
// Opset 10 behaves as asymmetric with nearest = floor when upsampling and ceil when downsampling.
// Cubic mode, antialias and keep_aspect_ratio_policy are not supported (clear error).
#include <algorithm>
#include <cmath>

#include "ops/kernels.h"
#include "ops/layout.h"

namespace quant::ops {
namespace {

struct AxisSamples {
  std::vector<int64_t> lo, hi;
  std::vector<float> weight;   // of hi
  std::vector<bool> outside;   // tf_crop_and_resize extrapolation
};

double source_coordinate(const std::string& mode, int64_t o, int64_t in, double out, double scale, double roi_lo, double roi_hi) {
  if (mode == "half_pixel") return (o + 0.5) / scale - 0.5;
  if (mode == "pytorch_half_pixel") return out > 1 ? (o + 0.5) / scale - 0.5 : 0.0;
  if (mode == "align_corners") return out > 1 ? static_cast<double>(o) * (in - 1) / (out - 1) : 0.0;
  if (mode == "asymmetric") return o / scale;
  if (mode == "tf_half_pixel_for_nn") return (o + 0.5) / scale;
  if (mode == "tf_crop_and_resize")
    return out > 1 ? roi_lo * (in - 1) + o * (roi_hi - roi_lo) * (in - 1) / (out - 1)
                   : 0.5 * (roi_lo + roi_hi) * (in - 1);
  throw Error(ErrorKind::Unsupported, "coordinate_transformation_mode '" + mode + "' is not supported");
}

int64_t nearest_index(const std::string& mode, double x, bool downsample) {
  const double fl = std::floor(x);
  if (mode == "round_prefer_floor") return static_cast<int64_t>(x == fl + 0.5 ? fl : std::round(x));
  if (mode == "round_prefer_ceil") return static_cast<int64_t>(x == fl + 0.5 ? fl + 1 : std::round(x));
  if (mode == "floor") return static_cast<int64_t>(fl);
  if (mode == "ceil") return static_cast<int64_t>(std::ceil(x));
  if (mode == "opset10") return static_cast<int64_t>(downsample ? std::ceil(x) : fl);
  throw Error(ErrorKind::Unsupported, "nearest_mode '" + mode + "' is not supported");
}

// Resamples one axis of x: y[outer, o, inner] = (1 - w) * x[outer, lo, inner] + w * x[outer, hi, inner].
Tensor resample_axis(const Tensor& x, int64_t axis, int64_t out_len, const AxisSamples& s, float extrapolation) {
  Shape shape = x.shape();
  shape[static_cast<size_t>(axis)] = out_len;
  Tensor y(DType::Float32, shape, Init::Uninitialized);
  const AxisView v = axis_view(x.shape(), axis);
  const float* px = x.data<float>();
  float* py = y.data<float>();
#pragma omp parallel for if (v.outer > 8)
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t j = 0; j < out_len; ++j) {
      float* dst = py + (o * out_len + j) * v.inner;
      if (s.outside[static_cast<size_t>(j)]) {
        std::fill(dst, dst + v.inner, extrapolation);
        continue;
      }
      const float* a = px + (o * v.length + s.lo[static_cast<size_t>(j)]) * v.inner;
      const float* b = px + (o * v.length + s.hi[static_cast<size_t>(j)]) * v.inner;
      const float w = s.weight[static_cast<size_t>(j)];
      if (w == 0.0f) std::copy(a, a + v.inner, dst);
      else
        for (int64_t i = 0; i < v.inner; ++i) dst[i] = a[i] + w * (b[i] - a[i]);
    }
  return y;
}

}  // namespace

Outputs resize_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "X");
  require_float(x, "X");
  const int64_t rank = x.rank();
  const std::string mode = node.attr_string("mode", "nearest");
  if (mode != "nearest" && mode != "linear")
    throw Error(ErrorKind::Unsupported, "Resize mode '" + mode + "' is not supported (nearest, linear)");
  if (node.attr_int("antialias", 0) != 0) throw Error(ErrorKind::Unsupported, "Resize antialias is not supported");
  if (!node.attr_ints("axes").empty()) throw Error(ErrorKind::Unsupported, "Resize axes are not supported");
  const bool opset10 = node.opset < 11;
  const std::string coord = opset10 ? "asymmetric" : node.attr_string("coordinate_transformation_mode", "half_pixel");
  const std::string nearest_mode = opset10 ? "opset10" : node.attr_string("nearest_mode", "round_prefer_floor");
  const Tensor* roi_t = opset10 ? nullptr : optional_input(inputs, 1);
  const Tensor* scales_t = optional_input(inputs, opset10 ? 1 : 2);
  const Tensor* sizes_t = opset10 ? nullptr : optional_input(inputs, 3);
  if (scales_t && scales_t->numel() == 0) scales_t = nullptr;
  if (sizes_t && sizes_t->numel() == 0) sizes_t = nullptr;
  if (!scales_t == !sizes_t) throw Error(ErrorKind::Model, "exactly one of scales and sizes must be given");
  std::vector<double> scales(static_cast<size_t>(rank));
  std::vector<int64_t> sizes(static_cast<size_t>(rank));
  if (scales_t) {
    const std::vector<float> sv = scales_t->to_float_vector();
    if (static_cast<int64_t>(sv.size()) != rank) throw Error(ErrorKind::Data, "scales must have one value per axis of X " + x.describe());
    for (int64_t d = 0; d < rank; ++d) {
      scales[static_cast<size_t>(d)] = sv[static_cast<size_t>(d)];
      sizes[static_cast<size_t>(d)] = static_cast<int64_t>(std::floor(x.dim(d) * static_cast<double>(sv[static_cast<size_t>(d)])));
    }
  } else {
    sizes = sizes_t->to_int64_vector();
    if (static_cast<int64_t>(sizes.size()) != rank) throw Error(ErrorKind::Data, "sizes must have one value per axis of X " + x.describe());
    for (int64_t d = 0; d < rank; ++d) scales[static_cast<size_t>(d)] = static_cast<double>(sizes[static_cast<size_t>(d)]) / static_cast<double>(x.dim(d));
  }
  std::vector<float> roi = roi_t ? roi_t->to_float_vector() : std::vector<float>();
  if (coord == "tf_crop_and_resize" && static_cast<int64_t>(roi.size()) != 2 * rank)
    throw Error(ErrorKind::Data, "tf_crop_and_resize needs an roi of " + std::to_string(2 * rank) + " values");
  const float extrapolation = node.attr_float("extrapolation_value", 0.0f);

  // A channels-last X ([N, C, spatial...] stored [N, spatial..., C]) is resampled as the plain
  // tensor its memory is, logical axis d being stored axis `stored(d)`: each output pixel then
  // copies or blends C contiguous values, and the result is channels-last too.
  const bool channels_last = x.layout() == Layout::ChannelsLast && rank >= 3;
  auto stored = [&](int64_t d) { return stored_axis(d, rank, channels_last ? Layout::ChannelsLast : Layout::Plain); };
  Tensor y = channels_last ? x.viewed_as(stored_shape(x.shape(), Layout::ChannelsLast), Layout::Plain) : x;
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t in = x.dim(d), out = sizes[static_cast<size_t>(d)];
    const double scale = scales[static_cast<size_t>(d)];
    if (in == out && coord != "tf_crop_and_resize" && scale == 1.0) continue;
    AxisSamples s;
    for (int64_t o = 0; o < out; ++o) {
      const double lo_roi = roi.empty() ? 0.0 : roi[static_cast<size_t>(d)];
      const double hi_roi = roi.empty() ? 1.0 : roi[static_cast<size_t>(d + rank)];
      double xs = source_coordinate(coord, o, in, sizes_t ? static_cast<double>(out) : in * scale, scale, lo_roi, hi_roi);
      const bool outside = coord == "tf_crop_and_resize" && (xs < 0 || xs > in - 1);
      int64_t lo, hi;
      float w = 0;
      if (mode == "nearest") {
        lo = hi = std::clamp<int64_t>(nearest_index(nearest_mode, xs, scale < 1.0), 0, in - 1);
      } else {
        xs = std::clamp(xs, 0.0, static_cast<double>(in - 1));
        lo = static_cast<int64_t>(std::floor(xs));
        hi = std::min(lo + 1, in - 1);
        w = static_cast<float>(xs - lo);
      }
      s.lo.push_back(lo);
      s.hi.push_back(hi);
      s.weight.push_back(w);
      s.outside.push_back(outside);
    }
    y = resample_axis(y, stored(d), out, s, extrapolation);
  }
  if (!channels_last) return {y};
  return {y.viewed_as(Shape(sizes.begin(), sizes.end()), Layout::ChannelsLast)};
}

// Upsample (deprecated at 10) is Resize-10: inputs X and scales (before opset 9 an attribute).
Outputs upsample_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig& config) {
  ir::Node as_resize = node;
  as_resize.opset = 10;
  Tensor scales;
  Inputs args = inputs;
  if (node.opset < 9) {
    const std::vector<float> s = node.attr_floats("scales");
    scales = Tensor::from_vector<float>({static_cast<int64_t>(s.size())}, s);
    args = {&required_input(inputs, 0, "X"), &scales};
  }
  return resize_kernel(as_resize, args, config);
}

}  // namespace quant::ops
