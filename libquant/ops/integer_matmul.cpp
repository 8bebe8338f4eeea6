// IntegerGemm and IntegerMatMul (domain quant.integer): matrix products on stored integers.
//   acc[i, j] = B_q[j] + sum_k (X_q[i, k] - Z_X) * (W_q[k, j] - Z_W[j])
//   Y_q[i, j] = clamp(Z_Y + M_j * acc[i, j], y_min, y_max)            (ops/integer_requant.h)
// IntegerGemm: X is A [M, K] (A^T with transA), W is B [K, N] (B^T with transB), B_q the int32 bias
// [N] (C with beta, folded in by the emulate stage; alpha is in M). IntegerMatMul: X [..., K], W a
// constant [K, N], no bias. Sums in 64 bits (see integer_conv.cpp on accumulator_bits).
#include "ops/gemm.h"
#include "ops/integer_requant.h"
#include "ops/kernels.h"

namespace quant::ops {
namespace {

// x_at(i, k) and w_at(k, j) index the centered operands.
template <typename XAt, typename WAt>
std::vector<int32_t> integer_product(int64_t rows, int64_t inner, int64_t cols, XAt x_at, WAt w_at, const int32_t* bias,
                                     const Requantizer& rq) {
  std::vector<int32_t> y(static_cast<size_t>(rows * cols));
  bool overflowed = false;
#pragma omp parallel for schedule(static) reduction(|| : overflowed)
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      int64_t acc = bias ? bias[j] : 0;
      for (int64_t k = 0; k < inner; ++k) acc += static_cast<int64_t>(x_at(i, k)) * w_at(k, j);
      overflowed = overflowed || !rq.fits(acc);
      y[static_cast<size_t>(i * cols + j)] = static_cast<int32_t>(rq.apply(acc, j));
    }
  check_accumulator(overflowed);
  return y;
}

}  // namespace

Outputs integer_gemm_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& a = required_input(inputs, 0, "A");
  const Tensor& b = required_input(inputs, 1, "B");
  const Tensor* c = optional_input(inputs, 2);
  require_small_integer(a, "A");
  require_small_integer(b, "B");
  const GemmShape shape = gemm_shape(node, a, b);
  const bool ta = shape.trans_a, tb = shape.trans_b;
  const int64_t m = shape.m, n = shape.n, k = shape.k;
  if (c && (c->dtype() != DType::Int32 || c->numel() != n))
    throw Error(ErrorKind::Data, "C must be int32 with one value per output column, got " + c->describe());
  const Requantizer rq = read_requantizer(node, n);
  const std::vector<int32_t> ac = centered_values(a, {node.attr_int("x_zero_point")}, -1);
  const std::vector<int32_t> bc = centered_values(b, node.attr_ints("w_zero_point"), tb ? 0 : 1);
  auto a_at = [&](int64_t i, int64_t kk) { return ac[static_cast<size_t>(ta ? kk * m + i : i * k + kk)]; };
  auto b_at = [&](int64_t kk, int64_t j) { return bc[static_cast<size_t>(tb ? j * k + kk : kk * n + j)]; };
  return {integer_tensor(rq.dtype, {m, n}, integer_product(m, k, n, a_at, b_at, c ? c->data<int32_t>() : nullptr, rq))};
}

Outputs integer_matmul_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& a = required_input(inputs, 0, "A");
  const Tensor& b = required_input(inputs, 1, "B");
  require_small_integer(a, "A");
  require_small_integer(b, "B");
  require_rank(b, 2, "B");
  if (a.rank() < 1 || a.dim(-1) != b.dim(0))
    throw Error(ErrorKind::Data, "A " + a.describe() + " and B " + b.describe() + " do not multiply");
  const int64_t k = b.dim(0), n = b.dim(1), rows = a.numel() / std::max<int64_t>(k, 1);
  const Requantizer rq = read_requantizer(node, n);
  const std::vector<int32_t> ac = centered_values(a, {node.attr_int("x_zero_point")}, -1);
  const std::vector<int32_t> bc = centered_values(b, node.attr_ints("w_zero_point"), 1);
  auto a_at = [&](int64_t i, int64_t kk) { return ac[static_cast<size_t>(i * k + kk)]; };
  auto b_at = [&](int64_t kk, int64_t j) { return bc[static_cast<size_t>(kk * n + j)]; };
  Shape out_shape = a.shape();
  out_shape.back() = n;
  return {integer_tensor(rq.dtype, out_shape, integer_product(rows, k, n, a_at, b_at, nullptr, rq))};
}

}  // namespace quant::ops
