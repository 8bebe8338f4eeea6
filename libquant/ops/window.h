// Sliding-window geometry shared by Conv, MaxPool and AveragePool: output sizes and padding from
// the ONNX attributes kernel_shape, strides, dilations, pads, auto_pad and ceil_mode.
//
// For each spatial axis with input size I, kernel K, stride S, dilation D and pads (b, e):
//   effective kernel E = (K - 1) * D + 1
//   NOTSET: O = floor((I + b + e - E) / S) + 1    (ceil instead of floor with ceil_mode, but a last
//           window that would start in the end padding is dropped, as PyTorch and ONNX Runtime do)
//   VALID:  b = e = 0, then as NOTSET
//   SAME_UPPER / SAME_LOWER: O = ceil(I / S), total pad P = max(0, (O - 1) * S + E - I),
//           SAME_UPPER: b = floor(P / 2), SAME_LOWER: b = ceil(P / 2); e = P - b
// Spatial ranks 1 to 3 are handled as 3-D with leading axes of size 1.
#pragma once
#include <array>
#include <vector>

#include "core/tensor.h"
#include "ir/graph.h"

namespace quant::ops {

struct Window3 {
  std::array<int64_t, 3> in{1, 1, 1};
  std::array<int64_t, 3> out{1, 1, 1};
  std::array<int64_t, 3> kernel{1, 1, 1};
  std::array<int64_t, 3> stride{1, 1, 1};
  std::array<int64_t, 3> dilation{1, 1, 1};
  std::array<int64_t, 3> pad_begin{0, 0, 0};
  std::array<int64_t, 3> pad_end{0, 0, 0};
  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
  int64_t kernel_size() const { return kernel[0] * kernel[1] * kernel[2]; }
};

// spatial: the input's spatial dims; kernel: the kernel's spatial dims.
Window3 compute_window(const ir::Node& node, const std::vector<int64_t>& spatial, const std::vector<int64_t>& kernel,
                       bool allow_ceil_mode);

// A convolution's shape: the window over the spatial axes plus its channels and groups.
struct ConvGeometry {
  int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  size_t spatial_rank = 2;
  Window3 window;
};
// Checks X [N, C, spatial...] against W [M, C/group, k...] and the node's window attributes (Conv's
// rules; throws Data/Model naming what does not fit).
ConvGeometry conv_geometry(const ir::Node& node, const Tensor& x, const Tensor& weight);

// Whether the Conv `node` with weights of this shape reads its X, and writes its Y, in blocks of 8
// channels (Layout::ChannelBlocks8) as they are on this CPU (conv.cpp): where those blocks pay
// (onednn::channel_blocks_pay), for 2-D convolutions other than dense ones with a window over 8 or
// more input channels (those run channels-last: on quant's own loops with AVX2, on oneDNN's AVX-512
// kernels); writing also needs a multiple of 8 output channels.
struct ConvChannelBlocks {
  bool reads = false, writes = false;
};
ConvChannelBlocks conv_channel_blocks(const ir::Node& node, const Shape& weight_shape);

// Input offset along one axis for output position o and kernel tap k, or -1 in the padding.
inline int64_t source_index(const Window3& w, int axis, int64_t o, int64_t k) {
  const int64_t i = o * w.stride[axis] + k * w.dilation[axis] - w.pad_begin[axis];
  return (i >= 0 && i < w.in[axis]) ? i : -1;
}

// One output element of a convolution, the plain way (the float reference kernel and the integer
// one): starting from `acc`, adds x[n, grp*C/G + c, o*S + k*D - pad] * w[m, c, k...] over the window
// of output (n, m, od, oh, ow), in the order c, kd, kh, kw, skipping taps in the padding.
template <typename Acc, typename X, typename W>
Acc conv_window_sum(const ConvGeometry& g, const X* x, const W* w, int64_t n, int64_t m, int64_t od, int64_t oh, int64_t ow, Acc acc) {
  const Window3& win = g.window;
  const int64_t cin_g = g.in_channels / g.group, grp = m / (g.out_channels / g.group);
  for (int64_t c = 0; c < cin_g; ++c) {
    const X* xp = x + (n * g.in_channels + grp * cin_g + c) * win.in_size();
    const W* wp = w + (m * cin_g + c) * win.kernel_size();
    for (int64_t kd = 0; kd < win.kernel[0]; ++kd) {
      const int64_t id = source_index(win, 0, od, kd);
      if (id < 0) continue;
      for (int64_t kh = 0; kh < win.kernel[1]; ++kh) {
        const int64_t ih = source_index(win, 1, oh, kh);
        if (ih < 0) continue;
        for (int64_t kw = 0; kw < win.kernel[2]; ++kw) {
          const int64_t iw = source_index(win, 2, ow, kw);
          if (iw < 0) continue;
          acc += static_cast<Acc>(xp[(id * win.in[1] + ih) * win.in[2] + iw]) * static_cast<Acc>(wp[(kd * win.kernel[1] + kh) * win.kernel[2] + kw]);
        }
      }
    }
  }
  return acc;
}

// Pads a shorter spatial vector to 3-D with leading 1s (e.g. [H, W] -> [1, H, W]).
std::array<int64_t, 3> to_3d(const std::vector<int64_t>& v, int64_t fill);
// The first `rank` trailing entries of a 3-D array.
std::vector<int64_t> from_3d(const std::array<int64_t, 3>& v, size_t rank);

}  // namespace quant::ops
