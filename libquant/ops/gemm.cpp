#include "ops/gemm.h"

#include <dnnl.h>

#include <algorithm>

#include "core/error.h"

namespace quant::ops {
namespace {

void sgemm_reference(const GemmArgs& g) {
  for (int64_t i = 0; i < g.m; ++i)
    for (int64_t j = 0; j < g.n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < g.k; ++p) {
        const float a = g.trans_a ? g.a[p * g.lda + i] : g.a[i * g.lda + p];
        const float b = g.trans_b ? g.b[j * g.ldb + p] : g.b[p * g.ldb + j];
        acc += static_cast<double>(a) * b;
      }
      float& c = g.c[i * g.ldc + j];
      c = static_cast<float>(g.alpha * acc + (g.beta == 0.0f ? 0.0 : static_cast<double>(g.beta) * c));
    }
}

}  // namespace

void sgemm(const GemmArgs& g, bool reference) {
  if (g.m == 0 || g.n == 0) return;
  if (reference || g.k == 0) {
    sgemm_reference(g);
    return;
  }
  const dnnl_status_t status = dnnl_sgemm(g.trans_a ? 'T' : 'N', g.trans_b ? 'T' : 'N', g.m, g.n, g.k, g.alpha, g.a,
                                          g.lda, g.b, g.ldb, g.beta, g.c, g.ldc);
  if (status != dnnl_success)
    throw Error(ErrorKind::Internal, "oneDNN sgemm failed with status " + std::to_string(static_cast<int>(status)));
}

}  // namespace quant::ops
