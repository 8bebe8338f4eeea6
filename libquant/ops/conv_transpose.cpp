// ConvTranspose: every input pixel scatters its kernel-weighted value into the output,
//   Y[n, g*M/G + m, i*S + k*D - pad_begin] += X[n, g*C/G + c, i] * W[g*C/G + c, m, k]   (+ B[m])
// Output size per axis: O = S*(I-1) + output_padding + (K-1)*D + 1 - pad_begin - pad_end, or the
// output_shape attribute, from which the pads follow (total P = S*(I-1) + output_padding + (K-1)*D + 1 - O;
// SAME_UPPER puts floor(P/2) at the beginning, otherwise ceil(P/2); P < 0 counts as 0).
// auto_pad SAME_* gives O = I*S.
// Computed as col = W_g^T x X_g (one sgemm per image and group), then col2im adds col into Y.
#include <algorithm>
#include <vector>

#include "ops/gemm.h"
#include "ops/kernels.h"
#include "ops/window.h"

namespace quant::ops {

Outputs conv_transpose_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig& config) {
  const Tensor& x = required_input(inputs, 0, "X");
  const Tensor& w = required_input(inputs, 1, "W");
  const Tensor* b = optional_input(inputs, 2);
  require_float(x, "X");
  require_float(w, "W");
  if (x.rank() < 3 || x.rank() > 5) throw Error(ErrorKind::Data, "X must be [N, C, spatial...] with 1 to 3 spatial axes, got " + x.describe());
  require_rank(w, x.rank(), "W");
  const size_t rank = static_cast<size_t>(x.rank() - 2);
  const int64_t batch = x.dim(0), in_channels = x.dim(1), group = node.attr_int("group", 1);
  if (group < 1 || in_channels % group != 0 || w.dim(0) != in_channels)
    throw Error(ErrorKind::Data, "W " + w.describe() + " does not fit X " + x.describe() + " with group " + std::to_string(group));
  const int64_t cin_g = in_channels / group, cout_g = w.dim(1), out_channels = cout_g * group;

  auto per_axis = [&](const char* key, int64_t fill) {
    std::vector<int64_t> v = node.attr_ints(key);
    if (v.empty()) v.assign(rank, fill);
    if (v.size() != rank) throw Error(ErrorKind::Model, std::string("attribute '") + key + "' has the wrong length");
    return v;
  };
  const std::vector<int64_t> strides = per_axis("strides", 1), dilations = per_axis("dilations", 1);
  const std::vector<int64_t> out_pad = per_axis("output_padding", 0);
  std::vector<int64_t> pads = node.attr_ints("pads");
  if (pads.empty()) pads.assign(2 * rank, 0);
  const std::vector<int64_t> output_shape_attr = node.attr_ints("output_shape");
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");

  Window3 win;  // here `in` is X's spatial size and `out` is Y's
  const size_t off = 3 - rank;
  for (size_t i = 0; i < rank; ++i) {
    const int64_t in = x.dim(static_cast<int64_t>(2 + i)), k = w.dim(static_cast<int64_t>(2 + i));
    const int64_t full = strides[i] * (in - 1) + out_pad[i] + (k - 1) * dilations[i] + 1;
    int64_t pb = pads[i], pe = pads[i + rank], out;
    const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
    if (!output_shape_attr.empty() || same) {
      out = !output_shape_attr.empty() ? output_shape_attr[output_shape_attr.size() - rank + i] : in * strides[i];
      // Like ONNX Runtime, never negative: extra output positions beyond the full size stay 0 (+ bias).
      const int64_t total = std::max<int64_t>(0, full - out);
      if (auto_pad == "SAME_UPPER") { pb = total / 2; pe = total - pb; }
      else { pe = total / 2; pb = total - pe; }
    } else {
      if (auto_pad == "VALID") pb = pe = 0;
      out = full - pb - pe;
    }
    if (out <= 0) throw Error(ErrorKind::Data, "the output would have a non-positive size");
    win.in[off + i] = in; win.out[off + i] = out; win.kernel[off + i] = k;
    win.stride[off + i] = strides[i]; win.dilation[off + i] = dilations[i];
    win.pad_begin[off + i] = pb; win.pad_end[off + i] = pe;
  }
  if (b && b->numel() != out_channels)
    throw Error(ErrorKind::Data, "B " + b->describe() + " must have one value per output channel (" + std::to_string(out_channels) + ")");

  Shape out_shape{batch, out_channels};
  for (int64_t d : from_3d(win.out, rank)) out_shape.push_back(d);
  Tensor y(DType::Float32, out_shape);
  const float* px = x.data<float>();
  const float* pw = w.data<float>();
  float* py = y.data<float>();
  const int64_t ksize = win.kernel_size(), in_size = win.in_size(), out_size = win.out_size();
  const int64_t rows = cout_g * ksize;

#pragma omp parallel if (batch * group > 1)
  {
    std::vector<float> col(static_cast<size_t>(rows * in_size));
#pragma omp for
    for (int64_t t = 0; t < batch * group; ++t) {
      const int64_t n = t / group, g = t % group;
      GemmArgs args;
      args.trans_a = true;
      args.m = rows; args.n = in_size; args.k = cin_g;
      args.a = pw + g * cin_g * rows; args.lda = rows;
      args.b = px + (n * in_channels + g * cin_g) * in_size; args.ldb = in_size;
      args.c = col.data(); args.ldc = in_size;
      sgemm(args, config.reference);
      float* yg = py + (n * out_channels + g * cout_g) * out_size;
      for (int64_t row = 0; row < rows; ++row) {
        const int64_t m = row / ksize, kidx = row % ksize;
        const int64_t kd = kidx / (win.kernel[1] * win.kernel[2]), kh = (kidx / win.kernel[2]) % win.kernel[1], kw = kidx % win.kernel[2];
        const float* src = col.data() + row * in_size;
        float* ym = yg + m * out_size;
        for (int64_t id = 0; id < win.in[0]; ++id) {
          const int64_t od = id * win.stride[0] + kd * win.dilation[0] - win.pad_begin[0];
          if (od < 0 || od >= win.out[0]) continue;
          for (int64_t ih = 0; ih < win.in[1]; ++ih) {
            const int64_t oh = ih * win.stride[1] + kh * win.dilation[1] - win.pad_begin[1];
            if (oh < 0 || oh >= win.out[1]) continue;
            for (int64_t iw = 0; iw < win.in[2]; ++iw) {
              const int64_t ow = iw * win.stride[2] + kw * win.dilation[2] - win.pad_begin[2];
              if (ow < 0 || ow >= win.out[2]) continue;
              ym[(od * win.out[1] + oh) * win.out[2] + ow] += src[(id * win.in[1] + ih) * win.in[2] + iw];
            }
          }
        }
      }
      if (b)
        for (int64_t m = 0; m < cout_g; ++m) {
          const float bias = b->data<float>()[g * cout_g + m];
          for (int64_t i = 0; i < out_size; ++i) yg[m * out_size + i] += bias;
        }
    }
  }
  return {y};
}

}  // namespace quant::ops
