#include "ops/onednn_pool.h"

#include "core/error.h"
#include "ops/node_cache.h"
#include "ops/onednn_util.h"

namespace quant::ops {
namespace {

using dnnl::memory;

struct PoolPlan {
  dnnl::pooling_v2_forward::primitive_desc pd;
  dnnl::pooling_v2_forward primitive;
  memory::desc src, dst;
};

}  // namespace

std::optional<Tensor> pool_forward_onednn(PoolKind kind, const Window3& w, bool include_pad, const Tensor& x, const Shape& out_shape,
                                          const KernelConfig& config) {
  if (x.dtype() != DType::Float32 || x.numel() == 0 || shape_numel(out_shape) == 0) return std::nullopt;
  const size_t r = static_cast<size_t>(x.rank() - 2);
  // oneDNN derives the output size from the padding: the right padding that makes it ours.
  std::array<int64_t, 3> pad_end{};
  for (size_t a = 0; a < 3; ++a) {
    pad_end[a] = (w.out[a] - 1) * w.stride[a] + (w.kernel[a] - 1) * w.dilation[a] + 1 - w.in[a] - w.pad_begin[a];
    if (pad_end[a] < 0) return std::nullopt;
    if (kind == PoolKind::Average && include_pad && pad_end[a] > w.pad_end[a]) return std::nullopt;
  }
  try {
    const memory::dims src_dims = onednn::concat({x.dim(0), x.dim(1)}, onednn::trailing(w.in, r));
    const memory::dims dst_dims = onednn::concat({x.dim(0), x.dim(1)}, onednn::trailing(w.out, r));
    const auto fmt = onednn::layout_tag(x.layout(), r);
    auto build = [&] {
      PoolPlan plan;
      plan.src = memory::desc(src_dims, memory::data_type::f32, fmt);
      plan.dst = memory::desc(dst_dims, memory::data_type::f32, fmt);
      const auto algo = kind == PoolKind::Max ? dnnl::algorithm::pooling_max
                        : include_pad         ? dnnl::algorithm::pooling_avg_include_padding
                                              : dnnl::algorithm::pooling_avg_exclude_padding;
      const dnnl::pooling_v2_forward::desc desc(dnnl::prop_kind::forward_inference, algo, plan.src, plan.dst, onednn::trailing(w.stride, r),
                                                onednn::trailing(w.kernel, r), onednn::trailing(w.dilation, r, -1), onednn::trailing(w.pad_begin, r),
                                                onednn::trailing(pad_end, r));
      plan.pd = dnnl::pooling_v2_forward::primitive_desc(desc, onednn::attributes({}), onednn::engine());
      plan.primitive = dnnl::pooling_v2_forward(plan.pd);
      return plan;
    };
    std::string key = std::to_string(static_cast<int>(x.layout()));
    for (int64_t d : src_dims) key += ":" + std::to_string(d);
    const std::shared_ptr<const PoolPlan> shared = cached<PoolPlan>(config.cache, key, build);
    const PoolPlan& plan = *shared;
    Tensor y(DType::Float32, out_shape, Init::Uninitialized, x.layout());
    dnnl::stream stream(onednn::engine());
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(plan.src, onednn::engine(), const_cast<float*>(x.data<float>()))},
                                         {DNNL_ARG_DST, memory(plan.dst, onednn::engine(), y.data<float>())}};
    onednn::add_scratchpad(args, plan.pd.scratchpad_desc());
    plan.primitive.execute(stream, args);
    stream.wait();
    return y;
  } catch (const dnnl::error& e) {
    throw Error(ErrorKind::Internal, std::string("oneDNN pooling failed: ") + e.what());
  }
}

}  // namespace quant::ops
