#include "ops/onednn_conv.h"

#include <dnnl.hpp>

#include <bit>
#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "ops/node_cache.h"
#include "ops/onednn_util.h"

namespace quant::ops {
namespace {

using dnnl::memory;
using tag = memory::format_tag;

tag weights_tag(size_t spatial_rank, bool grouped) {
  if (grouped) return spatial_rank == 1 ? tag::goiw : spatial_rank == 2 ? tag::goihw : tag::goidhw;
  return spatial_rank == 1 ? tag::oiw : spatial_rank == 2 ? tag::oihw : tag::oidhw;
}

// A convolution primitive for one input shape and layout, with the weights already in its layout
// when they are constant. Immutable once built: threads share it (scratchpad is per execution).
struct ConvPlan {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward primitive;
  memory::dims src_dims, wei_dims, dst_dims;
  tag src_tag;
  // ChannelsLast when pd.dst_desc() has channels-last bytes (nhwc, or blocks of 16 for 16
  // channels), ChannelBlocks8 when it is nChw8c (asked for): the primitive then writes straight
  // into the tensor.
  Layout out_layout = Layout::Plain;
  memory weights;  // in pd.weights_desc(), when the weights are constant; empty otherwise
};

// The weights as the caller holds them: ONNX's [M, C/group, k...], or [C, M] for a 1x1 kernel
// (strides 1 along M, M along C).
memory::desc user_weights(const ConvGeometry& g, const memory::dims& wei_dims, WeightsOrder order) {
  const auto f32 = memory::data_type::f32;
  if (order == WeightsOrder::OutputsFirst) return {wei_dims, f32, weights_tag(g.spatial_rank, g.group > 1)};
  if (g.group != 1 || g.window.kernel_size() != 1) throw Error(ErrorKind::Internal, "weights [C, M] need a dense 1x1 convolution");
  memory::dims strides{1, g.out_channels};
  strides.resize(wei_dims.size(), 1);
  return {wei_dims, f32, strides};
}

ConvPlan make_plan(const ConvGeometry& g, Layout x_layout, const float* w, WeightsOrder order, bool bias, const FusedClamp& clamp,
                   bool weights_constant, bool channel_blocks_out) {
  const Window3& win = g.window;
  const size_t r = g.spatial_rank;
  const bool grouped = g.group > 1;
  ConvPlan plan;
  plan.src_dims = onednn::concat({g.batch, g.in_channels}, onednn::trailing(win.in, r));
  plan.dst_dims = onednn::concat({g.batch, g.out_channels}, onednn::trailing(win.out, r));
  const memory::dims kernel = onednn::trailing(win.kernel, r);
  plan.wei_dims = grouped ? onednn::concat({g.group, g.out_channels / g.group, g.in_channels / g.group}, kernel)
                          : onednn::concat({g.out_channels, g.in_channels}, kernel);
  // One channel: plain and channels-last are the same bytes, and oneDNN's kernels for a first
  // convolution take the plain form.
  plan.src_tag = onednn::layout_tag(g.in_channels == 1 ? Layout::Plain : x_layout, r);
  const auto f32 = memory::data_type::f32;
  auto any = [&](const memory::dims& d) { return memory::desc(d, f32, tag::any); };
  // oneDNN counts dilation from 0 (no gap), ONNX from 1.
  const memory::dims strides = onednn::trailing(win.stride, r), dilates = onednn::trailing(win.dilation, r, -1);
  const memory::dims pad_l = onednn::trailing(win.pad_begin, r), pad_r = onednn::trailing(win.pad_end, r);
  const auto kind = dnnl::prop_kind::forward_inference;
  const auto algo = dnnl::algorithm::convolution_direct;
  const memory::desc bias_md({g.out_channels}, f32, tag::x);
  // Preferred: the source as it comes and a channels-last result. oneDNN's JIT kernels run on
  // channels-last directly, and pooling and the next Conv read it without a reorder (a blocked
  // result would be reordered to a layout quant's tensors have, at every Conv). Where that pairing
  // only has oneDNN's reference implementation (a plain input), the source is reordered to
  // channels-last first; failing that, both layouts are left to oneDNN.
  // A dense Conv with exactly 16 output channels: first the result in blocks of 16 channels
  // (nChw16c), which for 16 channels is channels-last byte for byte. With it oneDNN's AVX-512
  // first-convolution kernel takes a plain one-channel image 3-4x faster than its channels-last
  // brgconv (smallcnn's first Conv, 100 x 28 x 28 x 1 -> 16: 0.91 -> 0.24-0.28 ms on one thread);
  // from a channels-last source oneDNN takes the pair as channels-last (brgconv, as before).
  const memory::desc src_md(plan.src_dims, f32, plan.src_tag), dst_md(plan.dst_dims, f32, onednn::channels_last_tag(r));
  const memory::desc src_channels_last(plan.src_dims, f32, onednn::channels_last_tag(r));
  const memory::desc dst_one_block(plan.dst_dims, f32, r == 1 ? tag::aBc16b : r == 2 ? tag::aBcd16b : tag::aBcde16b);
  const bool one_block = g.out_channels == 16 && !grouped;
  // Asked for blocks of 8 channels (the readers take them): first that result, from the source as
  // it comes, else from the source reordered to blocks (oneDNN's AVX2 depthwise and 1x1 kernels run
  // 1.2-3x faster on them than on channels-last; its 1x1 kernel does not read a plain source).
  const memory::desc dst_blocks8(plan.dst_dims, f32, onednn::channel_blocks8_tag(r));
  const memory::desc src_blocks8(plan.src_dims, f32, onednn::channel_blocks8_tag(r));
  const bool blocks8 = channel_blocks_out && g.out_channels % 8 == 0;
  std::vector<std::pair<memory::desc, memory::desc>> candidates;
  if (blocks8) candidates.emplace_back(src_md, dst_blocks8);
  if (blocks8 && g.in_channels % 8 == 0) candidates.emplace_back(src_blocks8, dst_blocks8);
  if (one_block) candidates.emplace_back(src_md, dst_one_block);
  candidates.insert(candidates.end(), {{src_md, dst_md}, {src_channels_last, dst_md}, {any(plan.src_dims), any(plan.dst_dims)}});
  const dnnl::primitive_attr attr = onednn::attributes(clamp);
  for (const auto& [src, dst] : candidates) {
    const auto desc = bias ? dnnl::convolution_forward::desc(kind, algo, src, any(plan.wei_dims), bias_md, dst, strides, dilates, pad_l, pad_r)
                           : dnnl::convolution_forward::desc(kind, algo, src, any(plan.wei_dims), dst, strides, dilates, pad_l, pad_r);
    plan.pd = dnnl::convolution_forward::primitive_desc(desc, attr, onednn::engine());
    // Blocks of 8 on an AVX-512 CPU (one that runs it in halves: onednn::channel_blocks_pay) are
    // asked for to run oneDNN's AVX2 kernels on them; its first choice there is an AVX-512 kernel,
    // slower on blocks of 8 than on channels-last (docs/performance.md).
    if ((src == src_blocks8 || dst == dst_blocks8) && onednn::has_avx512_kernels() && !onednn::to_implementation(plan.pd, "avx2"))
      plan.pd = dnnl::convolution_forward::primitive_desc(desc, attr, onednn::engine());
    if (std::string_view(plan.pd.impl_info_str()).substr(0, 3) != "ref") break;
  }
  plan.primitive = dnnl::convolution_forward(plan.pd);
  // Keep oneDNN's channels-last result (or its blocks of 16, the same bytes), or the blocks of 8
  // asked for, as it is; anything more exotic is reordered to plain.
  plan.out_layout = plan.pd.dst_desc() == dst_md || (one_block && plan.pd.dst_desc() == dst_one_block) ? Layout::ChannelsLast
                    : blocks8 && plan.pd.dst_desc() == dst_blocks8                                  ? Layout::ChannelBlocks8
                                                                                                    : Layout::Plain;
  if (weights_constant) plan.weights = onednn::in_layout(plan.pd.weights_desc(), user_weights(g, plan.wei_dims, order), w);
  return plan;
}

// A node's plans differ by batch, layout, input size and fused clamp: the same node runs fused in
// one run and unfused in another (an observer that needs its own result).
std::string plan_key(const ConvGeometry& g, Layout layout, const FusedClamp& clamp, bool channel_blocks_out) {
  std::vector<int64_t> parts{g.batch, static_cast<int64_t>(layout), clamp.active ? 1 : 0, channel_blocks_out ? 1 : 0};
  parts.insert(parts.end(), g.window.in.begin(), g.window.in.end());
  if (clamp.active) parts.insert(parts.end(), {std::bit_cast<uint32_t>(clamp.lo), std::bit_cast<uint32_t>(clamp.hi)});
  std::string key;
  for (const int64_t p : parts) key.append(std::to_string(p)).push_back(':');
  return key;
}

}  // namespace

Tensor conv_forward_onednn(const ConvGeometry& g, const Tensor& x, const float* w, const float* bias, const Shape& out_shape,
                           const KernelConfig& config, WeightsOrder order) {
  try {
    const bool weights_constant = config.cache && config.input_is_constant(1);
    auto build = [&] { return make_plan(g, x.layout(), w, order, bias != nullptr, config.clamp, weights_constant, config.channel_blocks_out); };
    const std::shared_ptr<const ConvPlan> shared =
        cached<ConvPlan>(config.cache, plan_key(g, x.layout(), config.clamp, config.channel_blocks_out), build);
    const ConvPlan& plan = *shared;
    const auto f32 = memory::data_type::f32;
    dnnl::stream stream(onednn::engine());
    memory src = onednn::in_layout(plan.pd.src_desc(), {plan.src_dims, f32, plan.src_tag}, x.data<float>(), &stream);
    memory wei = plan.weights ? plan.weights
                              : onednn::in_layout(plan.pd.weights_desc(), user_weights(g, plan.wei_dims, order), w, &stream);
    Tensor y(DType::Float32, out_shape, Init::Uninitialized, plan.out_layout);
    const memory::desc user_desc = plan.out_layout != Layout::Plain ? plan.pd.dst_desc() : memory::desc(plan.dst_dims, f32, onednn::plain_tag(g.spatial_rank));
    memory user_dst(user_desc, onednn::engine(), y.data<float>());
    memory dst = plan.pd.dst_desc() == user_dst.get_desc() ? user_dst : memory(plan.pd.dst_desc(), onednn::engine());
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
    if (bias) args[DNNL_ARG_BIAS] = memory({{g.out_channels}, f32, tag::x}, onednn::engine(), const_cast<float*>(bias));
    onednn::add_scratchpad(args, plan.pd.scratchpad_desc());
    plan.primitive.execute(stream, args);
    if (dst != user_dst) dnnl::reorder(dst, user_dst).execute(stream, dst, user_dst);
    stream.wait();
    return y;
  } catch (const dnnl::error& e) {
    throw Error(ErrorKind::Internal, std::string("oneDNN convolution failed: ") + e.what());
  }
}

}  // namespace quant::ops
