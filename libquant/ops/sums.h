// Sums over contiguous floats in double, for the reductions and normalizations.
#pragma once
#include <cstdint>

namespace quant::ops {

// term(x[0]) + ... + term(x[n - 1]) in double, in four interleaved partial sums (value i into sum
// i % 4, the four added at the end as (s0 + s1) + (s2 + s3)) so that each addition does not wait on
// the one before. The order is fixed by n alone: the same values give the same bits on any thread.
template <class Term>
double sum_of_terms(const float* x, int64_t n, Term&& term) {
  double part[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; ++k) part[k] += term(x[i + k]);
  for (; i < n; ++i) part[0] += term(x[i]);
  return (part[0] + part[1]) + (part[2] + part[3]);
}

inline double sum_of(const float* x, int64_t n) {
  return sum_of_terms(x, n, [](float v) { return static_cast<double>(v); });
}

}  // namespace quant::ops
