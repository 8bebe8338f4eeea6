// Gemm: Y = alpha * op(A) * op(B) + beta * C, op = transpose when transA / transB, C broadcast to [M, N].
#include <algorithm>
#include "ops/broadcast.h"
#include "ops/gemm.h"
#include "ops/kernels.h"
#include "ops/product_as_conv.h"

namespace quant::ops {

GemmShape gemm_shape(const ir::Node& node, const Tensor& a, const Tensor& b) {
  require_rank(a, 2, "A");
  require_rank(b, 2, "B");
  GemmShape s;
  s.trans_a = node.attr_int("transA", 0) != 0, s.trans_b = node.attr_int("transB", 0) != 0;
  s.m = s.trans_a ? a.dim(1) : a.dim(0), s.k = s.trans_a ? a.dim(0) : a.dim(1);
  const int64_t kb = s.trans_b ? b.dim(1) : b.dim(0);
  s.n = s.trans_b ? b.dim(0) : b.dim(1);
  if (s.k != kb) throw Error(ErrorKind::Data, "A " + a.describe() + " and B " + b.describe() + " do not multiply (inner sizes " +
                                                  std::to_string(s.k) + " and " + std::to_string(kb) + ")");
  return s;
}

Outputs gemm_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig& config) {
  const Tensor& a = required_input(inputs, 0, "A");
  const Tensor& b = required_input(inputs, 1, "B");
  const Tensor* c = optional_input(inputs, 2);
  require_float(a, "A");
  require_float(b, "B");
  const GemmShape shape = gemm_shape(node, a, b);
  const bool ta = shape.trans_a, tb = shape.trans_b;
  const int64_t m = shape.m, n = shape.n, k = shape.k;
  const float alpha = node.attr_float("alpha", 1.0f), beta = node.attr_float("beta", 1.0f);
  // A fully connected layer (constant B, alpha 1, C absent or N values added as they are) is a 1x1
  // convolution (product_as_conv.h).
  const bool c_is_bias = c && beta == 1.0f && c->dtype() == DType::Float32 && c->numel() == n && (c->rank() == 1 || (c->rank() == 2 && c->dim(0) == 1));
  if (product_as_conv_applies(b, config) && !ta && alpha == 1.0f && (!c || beta == 0.0f || c_is_bias) && m > 0 && n > 0 && k > 0)
    return {product_as_conv(a, b, tb, c_is_bias ? c->data<float>() : nullptr, config)};
  Tensor y(DType::Float32, {m, n});
  if (c && beta != 0.0f) {
    require_float(*c, "C");
    if (broadcast_shapes(c->shape(), y.shape()) != y.shape())
      throw Error(ErrorKind::Data, "C " + c->describe() + " does not broadcast to [" + std::to_string(m) + ", " + std::to_string(n) + "]");
    const float* pc = c->data<float>();
    float* py = y.data<float>();
    for_each_broadcast_run(c->shape(), y.shape(), y.shape(), [&](int64_t o, int64_t ic, int64_t, int64_t cnt, int64_t step, int64_t) {
      for (int64_t i = 0; i < cnt; ++i) py[o + i] = pc[ic + i * step];
    });
  }
  GemmArgs g;
  g.trans_a = ta; g.trans_b = tb;
  g.m = m; g.n = n; g.k = k;
  g.alpha = alpha;
  g.beta = (c && beta != 0.0f) ? beta : 0.0f;
  g.a = a.data<float>(); g.lda = a.dim(1);
  g.b = b.data<float>(); g.ldb = b.dim(1);
  g.c = y.data<float>(); g.ldc = n;
  sgemm(g, config.reference);
  return {y};
}

}  // namespace quant::ops
