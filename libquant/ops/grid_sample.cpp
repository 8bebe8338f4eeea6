// GridSample (opset 16): Y[n, c, h, w] = X[n, c] sampled at grid[n, h, w] = (gx, gy), both in
// [-1, 1] across the image (spatial transformers, flow warping). As PyTorch's grid_sample, whose
// exports it serves:
//   unnormalize   align_corners = 1: x = (gx + 1) / 2 * (W - 1);  0: x = ((gx + 1) * W - 1) / 2
//   padding       zeros: a pixel outside reads 0; border: x clamped to [0, W - 1]; reflection: x
//                 reflected at the bounds (align_corners = 1: 0 and W - 1; 0: -0.5 and W - 0.5),
//                 then clamped
//   mode          nearest: the pixel at x rounded half to even; bilinear: the four around x,
//                 weighted by distance; bicubic: the 4x4 around x with Keys' cubic (A = -0.75),
//                 padding applied to each tap's coordinate
// The same for y with H.
#include <cmath>

#include "ops/kernels.h"

namespace quant::ops {
namespace {

enum class Padding { Zeros, Border, Reflection };
enum class Mode { Bilinear, Nearest, Bicubic };

struct Axis {
  int64_t size;
  bool align_corners;
  Padding padding;

  float unnormalize(float g) const {
    return align_corners ? (g + 1) / 2 * static_cast<float>(size - 1) : ((g + 1) * static_cast<float>(size) - 1) / 2;
  }
  // x mirrored into [lo, hi] (twice the bounds given, as whole numbers).
  static float reflect(float x, float twice_lo, float twice_hi) {
    if (twice_lo == twice_hi) return 0;
    const float lo = twice_lo / 2, span = (twice_hi - twice_lo) / 2;
    x = std::fabs(x - lo);
    const float extra = std::fmod(x, span);
    const int flips = static_cast<int>(std::floor(x / span));
    return flips % 2 == 0 ? extra + lo : span - extra + lo;
  }
  // The coordinate after border or reflection padding (zeros: unchanged).
  float pad(float x) const {
    const float top = static_cast<float>(size - 1);
    if (padding == Padding::Border) return std::clamp(x, 0.0f, top);
    if (padding == Padding::Reflection) {
      x = align_corners ? reflect(x, 0, 2 * top) : reflect(x, -1, 2 * static_cast<float>(size) - 1);
      return std::clamp(x, 0.0f, top);
    }
    return x;
  }
  bool inside(int64_t i) const { return i >= 0 && i < size; }
};

// A pixel index from a coordinate. NaN, infinities and coordinates far beyond any image (a grid
// value of 1e30, which int64 cannot hold) give an index far outside, so that it and its
// neighbours read as outside instead of overflowing the conversion.
int64_t to_index(float v) { return std::isfinite(v) && std::fabs(v) < 1e9f ? static_cast<int64_t>(v) : int64_t{-1} << 40; }

// Keys' cubic convolution weights for the taps at -1, 0, 1, 2 around a point t in [0, 1).
void cubic_weights(float t, float w[4]) {
  constexpr float A = -0.75f;
  auto near = [](float x) { return ((A + 2) * x - (A + 3)) * x * x + 1; };        // |x| <= 1
  auto far = [](float x) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; };   // 1 < |x| < 2
  w[0] = far(t + 1);
  w[1] = near(t);
  w[2] = near(1 - t);
  w[3] = far(2 - t);
}

}  // namespace

Outputs grid_sample_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor x = float_input(inputs, 0, "X", 4), grid = float_input(inputs, 1, "grid", 4);
  const int64_t n = x.dim(0), channels = x.dim(1), h_in = x.dim(2), w_in = x.dim(3), h_out = grid.dim(1), w_out = grid.dim(2);
  if (grid.dim(0) != n || grid.dim(3) != 2)
    throw Error(ErrorKind::Data, "grid " + grid.describe() + " does not fit X " + x.describe() + ": it must be [N, H_out, W_out, 2]");
  const std::string mode_name = node.attr_string("mode", "bilinear"), padding_name = node.attr_string("padding_mode", "zeros");
  const Mode mode = mode_name == "bilinear" ? Mode::Bilinear : mode_name == "nearest" ? Mode::Nearest
                    : mode_name == "bicubic" ? Mode::Bicubic
                                             : throw Error(ErrorKind::Unsupported, "GridSample mode '" + mode_name + "' (bilinear, nearest and bicubic are)");
  const Padding padding = padding_name == "zeros" ? Padding::Zeros : padding_name == "border" ? Padding::Border
                          : padding_name == "reflection" ? Padding::Reflection
                                                         : throw Error(ErrorKind::Unsupported, "GridSample padding_mode '" + padding_name + "'");
  const bool align = node.attr_int("align_corners", 0) != 0;
  const Axis ax{w_in, align, padding}, ay{h_in, align, padding};
  Tensor y(DType::Float32, {n, channels, h_out, w_out}, Init::Uninitialized);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t c = 0; c < channels; ++c) {
      const float* image = x.data<float>() + (b * channels + c) * h_in * w_in;
      // A pixel, 0 outside the image.
      auto pixel = [&](int64_t r, int64_t q) { return ay.inside(r) && ax.inside(q) ? image[r * w_in + q] : 0.0f; };
      float* out = y.data<float>() + (b * channels + c) * h_out * w_out;
      for (int64_t i = 0; i < h_out * w_out; ++i) {
        const float* g = grid.data<float>() + (b * h_out * w_out + i) * 2;
        const float fx = ax.unnormalize(g[0]), fy = ay.unnormalize(g[1]);
        if (mode == Mode::Bicubic) {
          const float x0 = std::floor(fx), y0 = std::floor(fy);
          float wx[4], wy[4];
          cubic_weights(fx - x0, wx);
          cubic_weights(fy - y0, wy);
          float sum = 0;
          for (int r = 0; r < 4; ++r)
            for (int q = 0; q < 4; ++q) {
              const int64_t row = to_index(ay.pad(y0 - 1 + static_cast<float>(r)));
              const int64_t col = to_index(ax.pad(x0 - 1 + static_cast<float>(q)));
              sum += wy[r] * wx[q] * pixel(row, col);
            }
          out[i] = sum;
          continue;
        }
        const float px = ax.pad(fx), py = ay.pad(fy);
        if (mode == Mode::Nearest) {
          out[i] = pixel(to_index(std::nearbyint(py)), to_index(std::nearbyint(px)));
          continue;
        }
        const float x0 = std::floor(px), y0 = std::floor(py), tx = px - x0, ty = py - y0;
        const int64_t c0 = to_index(x0), r0 = to_index(y0);
        out[i] = (1 - ty) * ((1 - tx) * pixel(r0, c0) + tx * pixel(r0, c0 + 1)) + ty * ((1 - tx) * pixel(r0 + 1, c0) + tx * pixel(r0 + 1, c0 + 1));
      }
    }
  return {y};
}

}  // namespace quant::ops
