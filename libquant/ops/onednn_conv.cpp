#include "ops/onednn_conv.h"

#include <dnnl.hpp>

#include "core/error.h"

namespace quant::ops {
namespace {

using dnnl::memory;
using tag = memory::format_tag;

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

memory::dims trailing(const std::array<int64_t, 3>& v, size_t rank, int64_t offset = 0) {
  memory::dims out;
  for (size_t i = 3 - rank; i < 3; ++i) out.push_back(v[i] + offset);
  return out;
}

memory::dims concat(memory::dims a, const memory::dims& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

tag plain_tag(size_t spatial_rank) { return spatial_rank == 1 ? tag::ncw : spatial_rank == 2 ? tag::nchw : tag::ncdhw; }
tag channels_last_tag(size_t spatial_rank) { return spatial_rank == 1 ? tag::nwc : spatial_rank == 2 ? tag::nhwc : tag::ndhwc; }
tag layout_tag(Layout layout, size_t spatial_rank) {
  return layout == Layout::ChannelsLast ? channels_last_tag(spatial_rank) : plain_tag(spatial_rank);
}
tag weights_tag(size_t spatial_rank, bool grouped) {
  if (grouped) return spatial_rank == 1 ? tag::goiw : spatial_rank == 2 ? tag::goihw : tag::goidhw;
  return spatial_rank == 1 ? tag::oiw : spatial_rank == 2 ? tag::oihw : tag::oidhw;
}

}  // namespace

Tensor conv_forward_onednn(const ConvGeometry& g, const Tensor& x, const float* w, const float* bias, const Shape& out_shape) {
  try {
    const Window3& win = g.window;
    const size_t r = g.spatial_rank;
    const bool grouped = g.group > 1;
    const memory::dims src_dims = concat({g.batch, g.in_channels}, trailing(win.in, r));
    const memory::dims dst_dims = concat({g.batch, g.out_channels}, trailing(win.out, r));
    const memory::dims kernel = trailing(win.kernel, r);
    const memory::dims wei_dims = grouped ? concat({g.group, g.out_channels / g.group, g.in_channels / g.group}, kernel)
                                          : concat({g.out_channels, g.in_channels}, kernel);
    const auto f32 = memory::data_type::f32;
    auto any = [&](const memory::dims& d) { return memory::desc(d, f32, tag::any); };
    // oneDNN counts dilation from 0 (no gap), ONNX from 1.
    const memory::dims strides = trailing(win.stride, r), dilates = trailing(win.dilation, r, -1);
    const memory::dims pad_l = trailing(win.pad_begin, r), pad_r = trailing(win.pad_end, r);
    const auto kind = dnnl::prop_kind::forward_inference;
    const auto algo = dnnl::algorithm::convolution_direct;
    const memory::desc bias_md({g.out_channels}, f32, tag::x);
    const auto desc = bias ? dnnl::convolution_forward::desc(kind, algo, any(src_dims), any(wei_dims), bias_md, any(dst_dims), strides, dilates, pad_l, pad_r)
                           : dnnl::convolution_forward::desc(kind, algo, any(src_dims), any(wei_dims), any(dst_dims), strides, dilates, pad_l, pad_r);
    const dnnl::convolution_forward::primitive_desc pd(desc, cpu_engine());

    dnnl::stream stream(cpu_engine());
    // Wraps a user buffer, reordering into the primitive's layout when it differs.
    auto input = [&](const memory::desc& want, const memory::dims& dims, tag layout, const float* data) {
      memory user({dims, f32, layout}, cpu_engine(), const_cast<float*>(data));
      if (want == user.get_desc()) return user;
      memory converted(want, cpu_engine());
      dnnl::reorder(user, converted).execute(stream, user, converted);
      return converted;
    };
    memory src = input(pd.src_desc(), src_dims, layout_tag(x.layout(), r), x.data<float>());
    memory wei = input(pd.weights_desc(), wei_dims, weights_tag(r, grouped), w);
    // Keep oneDNN's channels-last result as it is; anything more exotic is reordered to plain.
    const Layout out_layout = pd.dst_desc() == memory::desc(dst_dims, f32, channels_last_tag(r)) ? Layout::ChannelsLast : Layout::Plain;
    Tensor y(DType::Float32, out_shape, Init::Uninitialized, out_layout);
    memory user_dst({dst_dims, f32, layout_tag(out_layout, r)}, cpu_engine(), y.data<float>());
    memory dst = pd.dst_desc() == user_dst.get_desc() ? user_dst : memory(pd.dst_desc(), cpu_engine());
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
    if (bias) args[DNNL_ARG_BIAS] = memory(bias_md, cpu_engine(), const_cast<float*>(bias));
    dnnl::convolution_forward(pd).execute(stream, args);
    if (dst != user_dst) dnnl::reorder(dst, user_dst).execute(stream, dst, user_dst);
    stream.wait();
    return y;
  } catch (const dnnl::error& e) {
    throw Error(ErrorKind::Internal, std::string("oneDNN convolution failed: ") + e.what());
  }
}

}  // namespace quant::ops
