#include "ops/onednn_util.h"

#include "core/cpu_features.h"

namespace quant::ops::onednn {

using dnnl::memory;
using tag = memory::format_tag;

const dnnl::engine& engine() {
  static const dnnl::engine cpu(dnnl::engine::kind::cpu, 0);
  return cpu;
}

memory::dims trailing(const std::array<int64_t, 3>& v, size_t rank, int64_t offset) {
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
tag channel_blocks8_tag(size_t spatial_rank) { return spatial_rank == 1 ? tag::nCw8c : spatial_rank == 2 ? tag::nChw8c : tag::nCdhw8c; }
tag layout_tag(Layout layout, size_t spatial_rank) {
  switch (layout) {
    case Layout::ChannelsLast: return channels_last_tag(spatial_rank);
    case Layout::ChannelBlocks8: return channel_blocks8_tag(spatial_rank);
    case Layout::Plain: break;
  }
  return plain_tag(spatial_rank);
}

bool has_avx512_kernels() {
  // cpu_isa values are feature masks: an ISA includes another when it has all of its bits.
  static const bool avx512 = [] {
    const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa()), core = static_cast<unsigned>(dnnl::cpu_isa::avx512_core);
    return (isa & core) == core;
  }();
  return avx512;
}

bool channel_blocks_pay() {
  static const bool avx2 = [] {
    const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa()), want = static_cast<unsigned>(dnnl::cpu_isa::avx2);
    return (isa & want) == want;
  }();
  static const bool zen4 = cpu_avx512_in_halves();
  return avx2 && (!has_avx512_kernels() || zen4);
}

dnnl::primitive_attr attributes(const FusedClamp& clamp) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (clamp.active) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, clamp.lo, clamp.hi);
    attr.set_post_ops(ops);
  }
  return attr;
}

void add_scratchpad(std::unordered_map<int, memory>& args, const memory::desc& scratchpad) {
  if (scratchpad.get_size() > 0) args[DNNL_ARG_SCRATCHPAD] = memory(scratchpad, engine());
}

memory in_layout(const memory::desc& want, const memory::desc& user_desc, const float* data, dnnl::stream* stream) {
  memory user(user_desc, engine(), const_cast<float*>(data));
  if (want == user_desc) return user;
  memory converted(want, engine());
  if (stream) {
    dnnl::reorder(user, converted).execute(*stream, user, converted);
  } else {
    dnnl::stream own(engine());
    dnnl::reorder(user, converted).execute(own, user, converted);
    own.wait();
  }
  return converted;
}

}  // namespace quant::ops::onednn
