// Conv: Y[n, m, o...] = B[m] + sum_{c in group(m), k...} W[m, c, k...] * X[n, g*C/G + c, o*S + k*D - pad_begin]
// for 1 to 3 spatial axes (handled as 3-D). Paths:
//   reference: the formula as nested loops (config.reference);
//   depthwise (one input channel per group): direct loops, no GEMM;
//   otherwise: im2col per (image, group) and one sgemm W_g[M/G, C/G*k] x col[C/G*k, out].
#include <algorithm>
#include <vector>

#include "ops/gemm.h"
#include "ops/kernels.h"
#include "ops/window.h"

namespace quant::ops {
namespace {

struct ConvShape {
  int64_t batch, in_channels, out_channels, group, cin_g, cout_g;
  Window3 w;
};

ConvShape conv_shape(const ir::Node& node, const Tensor& x, const Tensor& weight) {
  if (x.rank() < 3 || x.rank() > 5) throw Error(ErrorKind::Data, "X must be [N, C, spatial...] with 1 to 3 spatial axes, got " + x.describe());
  require_rank(weight, x.rank(), "W");
  ConvShape s;
  s.batch = x.dim(0);
  s.in_channels = x.dim(1);
  s.out_channels = weight.dim(0);
  s.group = node.attr_int("group", 1);
  if (s.group < 1 || s.in_channels % s.group != 0 || s.out_channels % s.group != 0)
    throw Error(ErrorKind::Data, "group " + std::to_string(s.group) + " does not divide the channels of X " + x.describe() +
                                     " and W " + weight.describe());
  s.cin_g = s.in_channels / s.group;
  s.cout_g = s.out_channels / s.group;
  if (weight.dim(1) != s.cin_g)
    throw Error(ErrorKind::Data, "W " + weight.describe() + " expects " + std::to_string(weight.dim(1) * s.group) +
                                     " input channels, X " + x.describe() + " has " + std::to_string(s.in_channels));
  const std::vector<int64_t> spatial(x.shape().begin() + 2, x.shape().end());
  std::vector<int64_t> kernel(weight.shape().begin() + 2, weight.shape().end());
  const std::vector<int64_t> ks = node.attr_ints("kernel_shape");
  if (!ks.empty() && ks != kernel)
    throw Error(ErrorKind::Model, "kernel_shape " + shape_to_string(ks) + " does not match W " + weight.describe());
  s.w = compute_window(node, spatial, kernel, false);
  return s;
}

// Input offset along one axis for output position o and kernel tap k, or -1 in the padding.
inline int64_t source_index(const Window3& w, int axis, int64_t o, int64_t k) {
  const int64_t i = o * w.stride[axis] + k * w.dilation[axis] - w.pad_begin[axis];
  return (i >= 0 && i < w.in[axis]) ? i : -1;
}

void conv_reference(const ConvShape& s, const float* x, const float* w, const float* bias, float* y) {
  const Window3& win = s.w;
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t m = 0; m < s.out_channels; ++m) {
      const int64_t g = m / s.cout_g;
      for (int64_t od = 0; od < win.out[0]; ++od)
        for (int64_t oh = 0; oh < win.out[1]; ++oh)
          for (int64_t ow = 0; ow < win.out[2]; ++ow) {
            double acc = bias ? bias[m] : 0.0;
            for (int64_t c = 0; c < s.cin_g; ++c)
              for (int64_t kd = 0; kd < win.kernel[0]; ++kd) {
                const int64_t id = source_index(win, 0, od, kd);
                if (id < 0) continue;
                for (int64_t kh = 0; kh < win.kernel[1]; ++kh) {
                  const int64_t ih = source_index(win, 1, oh, kh);
                  if (ih < 0) continue;
                  for (int64_t kw = 0; kw < win.kernel[2]; ++kw) {
                    const int64_t iw = source_index(win, 2, ow, kw);
                    if (iw < 0) continue;
                    const float xv = x[(((n * s.in_channels + g * s.cin_g + c) * win.in[0] + id) * win.in[1] + ih) * win.in[2] + iw];
                    const float wv = w[(((m * s.cin_g + c) * win.kernel[0] + kd) * win.kernel[1] + kh) * win.kernel[2] + kw];
                    acc += static_cast<double>(xv) * wv;
                  }
                }
              }
            y[(((n * s.out_channels + m) * win.out[0] + od) * win.out[1] + oh) * win.out[2] + ow] = static_cast<float>(acc);
          }
    }
}

// col[(c, kd, kh, kw), (od, oh, ow)] = X[c, od*S + kd*D - pad, ...] (0 in the padding), for one image and group.
void im2col(const Window3& win, int64_t channels, const float* x, float* col) {
  const int64_t out_size = win.out_size();
  int64_t row = 0;
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t kd = 0; kd < win.kernel[0]; ++kd)
      for (int64_t kh = 0; kh < win.kernel[1]; ++kh)
        for (int64_t kw = 0; kw < win.kernel[2]; ++kw, ++row) {
          float* dst = col + row * out_size;
          const float* src_c = x + c * win.in_size();
          for (int64_t od = 0; od < win.out[0]; ++od) {
            const int64_t id = source_index(win, 0, od, kd);
            for (int64_t oh = 0; oh < win.out[1]; ++oh) {
              const int64_t ih = source_index(win, 1, oh, kh);
              float* d = dst + (od * win.out[1] + oh) * win.out[2];
              if (id < 0 || ih < 0) {
                std::fill(d, d + win.out[2], 0.0f);
                continue;
              }
              const float* src = src_c + (id * win.in[1] + ih) * win.in[2];
              for (int64_t ow = 0; ow < win.out[2]; ++ow) {
                const int64_t iw = source_index(win, 2, ow, kw);
                d[ow] = iw < 0 ? 0.0f : src[iw];
              }
            }
          }
        }
}

bool is_pointwise(const Window3& w) {
  for (int a = 0; a < 3; ++a)
    if (w.kernel[a] != 1 || w.stride[a] != 1 || w.pad_begin[a] != 0 || w.pad_end[a] != 0) return false;
  return true;
}

void conv_gemm(const ConvShape& s, const float* x, const float* w, const float* bias, float* y) {
  const Window3& win = s.w;
  const int64_t out_size = win.out_size();
  const int64_t k = s.cin_g * win.kernel_size();
  const bool pointwise = is_pointwise(win);
  const int64_t tasks = s.batch * s.group;
  // With several (image, group) tasks, spread them over the cores with one-thread GEMMs; with one
  // task, let the GEMM use the cores itself.
#pragma omp parallel if (tasks > 1)
  {
    std::vector<float> col(pointwise ? 0 : static_cast<size_t>(k * out_size));
#pragma omp for schedule(dynamic)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t n = t / s.group, g = t % s.group;
      const float* xg = x + (n * s.in_channels + g * s.cin_g) * win.in_size();
      float* yg = y + (n * s.out_channels + g * s.cout_g) * out_size;
      if (!pointwise) im2col(win, s.cin_g, xg, col.data());
      GemmArgs args;
      args.m = s.cout_g; args.n = out_size; args.k = k;
      args.a = w + g * s.cout_g * k; args.lda = k;
      args.b = pointwise ? xg : col.data(); args.ldb = out_size;
      args.c = yg; args.ldc = out_size;
      sgemm(args, false);
      if (bias)
        for (int64_t m = 0; m < s.cout_g; ++m) {
          const float b = bias[g * s.cout_g + m];
          float* row = yg + m * out_size;
          for (int64_t i = 0; i < out_size; ++i) row[i] += b;
        }
    }
  }
}

// One input channel per group: each output channel is a small stencil over one input channel.
void conv_depthwise(const ConvShape& s, const float* x, const float* w, const float* bias, float* y) {
  const Window3& win = s.w;
  const int64_t ksize = win.kernel_size();
  const int64_t planes = s.batch * s.out_channels;
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    const int64_t n = p / s.out_channels, m = p % s.out_channels;
    const int64_t c = m / s.cout_g;  // its input channel
    const float* xc = x + (n * s.in_channels + c) * win.in_size();
    const float* wm = w + m * ksize;
    float* ym = y + p * win.out_size();
    const float b = bias ? bias[m] : 0.0f;
    for (int64_t od = 0; od < win.out[0]; ++od)
      for (int64_t oh = 0; oh < win.out[1]; ++oh)
        for (int64_t ow = 0; ow < win.out[2]; ++ow) {
          float acc = b;
          for (int64_t kd = 0; kd < win.kernel[0]; ++kd) {
            const int64_t id = source_index(win, 0, od, kd);
            if (id < 0) continue;
            for (int64_t kh = 0; kh < win.kernel[1]; ++kh) {
              const int64_t ih = source_index(win, 1, oh, kh);
              if (ih < 0) continue;
              const float* xrow = xc + (id * win.in[1] + ih) * win.in[2];
              const float* wrow = wm + (kd * win.kernel[1] + kh) * win.kernel[2];
              for (int64_t kw = 0; kw < win.kernel[2]; ++kw) {
                const int64_t iw = source_index(win, 2, ow, kw);
                if (iw >= 0) acc += xrow[iw] * wrow[kw];
              }
            }
          }
          ym[(od * win.out[1] + oh) * win.out[2] + ow] = acc;
        }
  }
}

}  // namespace

Outputs conv_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig& config) {
  const Tensor& x = required_input(inputs, 0, "X");
  const Tensor& w = required_input(inputs, 1, "W");
  const Tensor* b = optional_input(inputs, 2);
  require_float(x, "X");
  require_float(w, "W");
  const ConvShape s = conv_shape(node, x, w);
  if (b) {
    require_float(*b, "B");
    if (b->numel() != s.out_channels)
      throw Error(ErrorKind::Data, "B " + b->describe() + " must have one value per output channel (" + std::to_string(s.out_channels) + ")");
  }
  Shape out_shape{s.batch, s.out_channels};
  for (int64_t d : from_3d(s.w.out, static_cast<size_t>(x.rank() - 2))) out_shape.push_back(d);
  Tensor y(DType::Float32, out_shape);
  const float* bias = b ? b->data<float>() : nullptr;
  if (config.reference) conv_reference(s, x.data<float>(), w.data<float>(), bias, y.data<float>());
  else if (s.cin_g == 1 && s.group > 1) conv_depthwise(s, x.data<float>(), w.data<float>(), bias, y.data<float>());
  else conv_gemm(s, x.data<float>(), w.data<float>(), bias, y.data<float>());
  return {y};
}

}  // namespace quant::ops
