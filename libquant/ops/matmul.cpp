// MatMul with numpy semantics: 1-D operands are promoted (and the added axis removed afterwards),
// leading batch axes broadcast, and each batch is one product [M, K] x [K, N]: small ones in
// small_matmul, the others on sgemm.
#include <algorithm>
#include "ops/broadcast.h"
#include "ops/gemm.h"
#include "ops/kernels.h"
#include "ops/product_as_conv.h"
#include "ops/small_matmul.h"

namespace quant::ops {

Outputs matmul_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig& config) {
  const Tensor& a_in = required_input(inputs, 0, "A");
  const Tensor& b_in = required_input(inputs, 1, "B");
  require_float(a_in, "A");
  require_float(b_in, "B");
  if (a_in.rank() == 0 || b_in.rank() == 0) throw Error(ErrorKind::Data, "MatMul inputs must have rank >= 1");
  const bool a_vec = a_in.rank() == 1, b_vec = b_in.rank() == 1;
  const Tensor a = a_vec ? a_in.reshaped({1, a_in.dim(0)}) : a_in;
  const Tensor b = b_vec ? b_in.reshaped({b_in.dim(0), 1}) : b_in;
  const int64_t m = a.dim(-2), k = a.dim(-1), kb = b.dim(-2), n = b.dim(-1);
  if (k != kb) throw Error(ErrorKind::Data, "A " + a_in.describe() + " and B " + b_in.describe() + " do not multiply");
  // Constant 2-D weights (a linear layer): all of A's rows, whatever its batch axes, against B as
  // one 1x1 convolution (product_as_conv.h).
  if (!b_vec && product_as_conv_applies(b, config) && a.numel() > 0 && n > 0 && k > 0) {
    Shape out_shape(a_in.shape().begin(), a_in.shape().end() - 1);
    out_shape.push_back(n);
    return {product_as_conv(a.reshaped({a.numel() / k, k}), b, false, nullptr, config).reshaped(out_shape)};
  }
  const Shape a_batch(a.shape().begin(), a.shape().end() - 2), b_batch(b.shape().begin(), b.shape().end() - 2);
  const Shape batch = broadcast_shapes(a_batch, b_batch);
  Shape out_shape = batch;
  out_shape.push_back(m);
  out_shape.push_back(n);
  Tensor y(DType::Float32, out_shape, Init::Uninitialized);
  std::vector<std::array<int64_t, 3>> jobs;  // (a matrix, b matrix, y matrix) indices
  for_each_broadcast_run(a_batch, b_batch, batch, [&](int64_t o, int64_t ia, int64_t ib, int64_t cnt, int64_t sa, int64_t sb) {
    for (int64_t i = 0; i < cnt; ++i) jobs.push_back({ia + i * sa, ib + i * sb, o + i});
  });
  const int64_t count = static_cast<int64_t>(jobs.size());
  // Attention's many small products run in quant's own loops (small_matmul.h), the rest on sgemm.
  const bool small = !config.reference && small_matmul_applies(m, n, k);
#pragma omp parallel for if (count > 1 && !config.reference)
  for (int64_t j = 0; j < count; ++j) {
    const float* pa = a.data<float>() + jobs[j][0] * m * k;
    const float* pb = b.data<float>() + jobs[j][1] * k * n;
    float* pc = y.data<float>() + jobs[j][2] * m * n;
    if (small) {
      small_matmul(pa, k, pb, n, pc, n, m, n, k);
      continue;
    }
    GemmArgs g;
    g.m = m; g.n = n; g.k = k;
    g.a = pa; g.lda = k;
    g.b = pb; g.ldb = n;
    g.c = pc; g.ldc = n;
    sgemm(g, config.reference);
  }
  Shape final_shape = batch;
  if (!a_vec) final_shape.push_back(m);
  if (!b_vec) final_shape.push_back(n);
  return {y.reshaped(final_shape)};
}

}  // namespace quant::ops
