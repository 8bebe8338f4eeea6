// RoiAlign (opsets 10, 16): for each region of interest r (rois[r] = [x1, y1, x2, y2] in input
// pixels times spatial_scale, on image batch_indices[r]) an output_height x output_width grid of
// bins over X, each the average (mode avg) or maximum (mode max) of sampling points bilinearly
// interpolated, as torchvision's roi_align and ONNX Runtime compute it (two-stage detectors):
//   offset = 0.5 when coordinate_transformation_mode is half_pixel (opset 16's default), else 0
//   start = x1 * scale - offset, size = (x2 - x1) * scale (at least 1 without half_pixel)
//   bin = size / output_width; samples per bin = sampling_ratio, or ceil(size / output_width)
//   sample (i) of bin b = start + b * bin + (i + 0.5) * bin / samples
// A sample beyond [-1, W] reads 0; one in [-1, 0] reads at 0; beyond W - 1, at W - 1. The same for y.
// Mode max takes, as ONNX Runtime does, the largest of each sample's four weighted corner values.
// RoiAlign-10 behaves as output_half_pixel; `prepare` writes that mode out when upgrading.
#include <algorithm>
#include <cmath>

#include "ops/kernels.h"

namespace quant::ops {
namespace {

// The bilinear sample of `image` at (y, x): its four corner indices and weights (weights all 0
// for a point outside).
struct Sample {
  int64_t at[4] = {0, 0, 0, 0};
  float w[4] = {0, 0, 0, 0};
};

Sample bilinear(float y, float x, int64_t height, int64_t width) {
  Sample s;
  if (y < -1.0f || y > static_cast<float>(height) || x < -1.0f || x > static_cast<float>(width)) return s;
  y = std::max(y, 0.0f);
  x = std::max(x, 0.0f);
  int64_t y_low = static_cast<int64_t>(y), x_low = static_cast<int64_t>(x), y_high = y_low + 1, x_high = x_low + 1;
  if (y_low >= height - 1) y = static_cast<float>(y_high = y_low = height - 1);
  if (x_low >= width - 1) x = static_cast<float>(x_high = x_low = width - 1);
  const float ly = y - static_cast<float>(y_low), lx = x - static_cast<float>(x_low), hy = 1 - ly, hx = 1 - lx;
  s.at[0] = y_low * width + x_low, s.at[1] = y_low * width + x_high, s.at[2] = y_high * width + x_low, s.at[3] = y_high * width + x_high;
  s.w[0] = hy * hx, s.w[1] = hy * lx, s.w[2] = ly * hx, s.w[3] = ly * lx;
  return s;
}

}  // namespace

Outputs roi_align_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor x = float_input(inputs, 0, "X", 4), rois = float_input(inputs, 1, "rois", 2);
  const Tensor& batch_indices = required_input(inputs, 2, "batch_indices");
  const int64_t n = x.dim(0), channels = x.dim(1), height = x.dim(2), width = x.dim(3), count = rois.dim(0);
  if (rois.dim(1) != 4 || batch_indices.numel() != count)
    throw Error(ErrorKind::Data, "rois " + rois.describe() + " and batch_indices " + batch_indices.describe() + " must be [R, 4] and [R]");
  const int64_t out_h = node.attr_int("output_height", 1), out_w = node.attr_int("output_width", 1);
  const int64_t sampling_ratio = node.attr_int("sampling_ratio", 0);
  if (out_h < 1 || out_w < 1 || sampling_ratio < 0)
    throw Error(ErrorKind::Model, "output_height, output_width must be >= 1 and sampling_ratio >= 0");
  const float scale = node.attr_float("spatial_scale", 1.0f);
  const std::string mode = node.attr_string("mode", "avg");
  const std::string transform = node.attr_string("coordinate_transformation_mode", node.opset >= 16 ? "half_pixel" : "output_half_pixel");
  if (mode != "avg" && mode != "max") throw Error(ErrorKind::Unsupported, "RoiAlign mode '" + mode + "' (avg and max are)");
  if (transform != "half_pixel" && transform != "output_half_pixel")
    throw Error(ErrorKind::Unsupported, "RoiAlign coordinate_transformation_mode '" + transform + "'");
  const bool half_pixel = transform == "half_pixel", average = mode == "avg";
  const float offset = half_pixel ? 0.5f : 0.0f;
  Tensor y(DType::Float32, {count, channels, out_h, out_w}, Init::Uninitialized);
  std::vector<Sample> samples;
  for (int64_t r = 0; r < count; ++r) {
    const int64_t b = batch_indices.value_as_int64(r);
    if (b < 0 || b >= n) throw Error(ErrorKind::Data, "batch_indices[" + std::to_string(r) + "] = " + std::to_string(b) + " is not an image of X " + x.describe());
    const float* roi = rois.data<float>() + r * 4;
    if (!std::all_of(roi, roi + 4, [](float v) { return std::isfinite(v); }))
      throw Error(ErrorKind::Data, "rois[" + std::to_string(r) + "] holds a value that is not finite");
    const float start_w = roi[0] * scale - offset, start_h = roi[1] * scale - offset;
    float roi_w = roi[2] * scale - offset - start_w, roi_h = roi[3] * scale - offset - start_h;
    if (!half_pixel) roi_w = std::max(roi_w, 1.0f), roi_h = std::max(roi_h, 1.0f);
    const float bin_h = roi_h / static_cast<float>(out_h), bin_w = roi_w / static_cast<float>(out_w);
    // Samples per bin along each axis: ceil of the bin size, none for a region of negative size
    // (half_pixel allows it), bounded before the conversion (a region of 1e30 pixels is refused).
    auto grid = [&](float size, int64_t bins) {
      return sampling_ratio > 0 ? sampling_ratio : static_cast<int64_t>(std::clamp(std::ceil(size / static_cast<float>(bins)), 0.0f, 1e9f));
    };
    const int64_t grid_h = grid(roi_h, out_h), grid_w = grid(roi_w, out_w), per = grid_h * grid_w;
    // A region wider than the image by far asks for more samples than memory holds: refused.
    if (static_cast<double>(grid_h) * static_cast<double>(grid_w) * static_cast<double>(out_h * out_w) > 1e8)
      throw Error(ErrorKind::Data, "rois[" + std::to_string(r) + "] needs over 10^8 sampling points: a region far larger than the image");
    const float per_bin = static_cast<float>(std::max<int64_t>(per, 1));
    // The samples of every bin, the same for each channel.
    samples.clear();
    for (int64_t ph = 0; ph < out_h; ++ph)
      for (int64_t pw = 0; pw < out_w; ++pw)
        for (int64_t iy = 0; iy < grid_h; ++iy)
          for (int64_t ix = 0; ix < grid_w; ++ix)
            samples.push_back(bilinear(start_h + static_cast<float>(ph) * bin_h + (static_cast<float>(iy) + 0.5f) * bin_h / static_cast<float>(grid_h),
                                       start_w + static_cast<float>(pw) * bin_w + (static_cast<float>(ix) + 0.5f) * bin_w / static_cast<float>(grid_w),
                                       height, width));
    for (int64_t c = 0; c < channels; ++c) {
      const float* image = x.data<float>() + (b * channels + c) * height * width;
      float* out = y.data<float>() + (r * channels + c) * out_h * out_w;
      for (int64_t bin = 0; bin < out_h * out_w; ++bin) {
        float value = 0;
        for (int64_t k = 0; k < per; ++k) {
          const Sample& s = samples[static_cast<size_t>(bin * per + k)];
          if (average) {
            value += s.w[0] * image[s.at[0]] + s.w[1] * image[s.at[1]] + s.w[2] * image[s.at[2]] + s.w[3] * image[s.at[3]];
          } else {
            const float v = std::max({s.w[0] * image[s.at[0]], s.w[1] * image[s.at[1]], s.w[2] * image[s.at[2]], s.w[3] * image[s.at[3]]});
            value = k == 0 ? v : std::max(value, v);
          }
        }
        out[bin] = average ? value / per_bin : value;
      }
    }
  }
  return {y};
}

}  // namespace quant::ops
