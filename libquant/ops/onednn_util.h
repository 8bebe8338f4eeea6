// What the oneDNN-backed kernels (conv, pooling) share: the engine, dims and layout tags from
// quant's shapes, the fused clamp as a post-op, user-owned scratchpads, and reorders.
#pragma once
#include <dnnl.hpp>

#include <array>
#include <string_view>
#include <unordered_map>

#include "core/tensor.h"
#include "ops/kernel.h"

namespace quant::ops::onednn {

const dnnl::engine& engine();

// Whether oneDNN runs AVX-512 kernels on this CPU (its effective ISA includes avx512_core; the
// ONEDNN_MAX_CPU_ISA environment variable can lower it). There its convolutions and channels-last
// pooling outrun quant's own AVX2/SSE loops (direct_conv.h, pool.cpp) 1.5-4x (docs/performance.md),
// so the kernels take oneDNN for them.
bool has_avx512_kernels();
// Whether convolutions chained in blocks of 8 channels (Layout::ChannelBlocks8) outrun channels-last
// on this CPU, measured (docs/performance.md): with oneDNN's AVX2 kernels; and on a CPU that runs
// AVX-512 in two halves (cpu_avx512_in_halves: Zen 4), where oneDNN's AVX2 kernels on blocks outrun
// its AVX-512 ones on channels-last for depthwise and 1x1 convolutions (MobileNetV2 1.2-1.3x;
// conv_channel_blocks says which convolutions). Not on other AVX-512 CPUs (not measured), nor
// without AVX2.
bool channel_blocks_pay();

// Steps `pd` through oneDNN's implementations of its primitive (best first, as oneDNN ranks them)
// to the first whose name holds `isa` ("jit_dw:avx2" holds "avx2"); false, with `pd` at the last
// one, when none does.
template <class PrimitiveDesc>
bool to_implementation(PrimitiveDesc& pd, std::string_view isa) {
  do {
    if (std::string_view(pd.impl_info_str()).find(isa) != std::string_view::npos) return true;
  } while (pd.next_impl());
  return false;
}

// The last `rank` of three values (a Window3 axis array), each plus `offset`.
dnnl::memory::dims trailing(const std::array<int64_t, 3>& v, size_t rank, int64_t offset = 0);
dnnl::memory::dims concat(dnnl::memory::dims a, const dnnl::memory::dims& b);

dnnl::memory::format_tag plain_tag(size_t spatial_rank);          // ncw, nchw, ncdhw
dnnl::memory::format_tag channels_last_tag(size_t spatial_rank);  // nwc, nhwc, ndhwc
dnnl::memory::format_tag channel_blocks8_tag(size_t spatial_rank);  // nCw8c, nChw8c, nCdhw8c
dnnl::memory::format_tag layout_tag(Layout layout, size_t spatial_rank);

// Primitive attributes: the scratchpad is the caller's (so one primitive can run on several
// threads at once, each with its own), and the clamp, when active, is an eltwise_clip post-op.
dnnl::primitive_attr attributes(const FusedClamp& clamp);
// Adds DNNL_ARG_SCRATCHPAD with a fresh buffer when the primitive needs one.
void add_scratchpad(std::unordered_map<int, dnnl::memory>& args, const dnnl::memory::desc& scratchpad);

// `data` (laid out as `user`) as memory in layout `want`: wrapped when they agree, else reordered
// into a new buffer (on `stream`, or a stream of its own when null).
dnnl::memory in_layout(const dnnl::memory::desc& want, const dnnl::memory::desc& user, const float* data, dnnl::stream* stream = nullptr);

}  // namespace quant::ops::onednn
