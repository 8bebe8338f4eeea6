// The Reduce* family over `axes` (all axes when none are given, unless noop_with_empty_axes = 1),
// keeping reduced axes as size 1 when keepdims = 1. Each row: y = finish(combine over map(x)), as
//   ReduceSum Σx   ReduceMean Σx/n   ReduceMax max x   ReduceMin min x   ReduceProd Πx
//   ReduceL1 Σ|x|   ReduceL2 sqrt(Σx²)   ReduceSumSquare Σx²   ReduceLogSum log(Σx)
//   ReduceLogSumExp log(Σ exp(x))   (all accumulated in double)
// Axes come from the attribute, or from input 1 for ReduceSum at opset >= 13 and the others at >= 18.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/kernels.h"
#include "ops/layout.h"
#include "ops/sums.h"

namespace quant::ops {
namespace {

// What a sum-of-terms reduction adds up (None: not a sum, only the general loop runs it).
enum class Term { None, Value, Square, Abs };

struct ReduceOp {
  const char* op_type;
  int axes_input_since;  // opset from which axes is an input
  double init;
  double (*map)(double v);                    // applied to each element first
  double (*combine)(double acc, double v);
  double (*finish)(double acc, double count); // count: elements per output
  Term term = Term::None;                     // map when combine is the sum
};

constexpr double kInf = std::numeric_limits<double>::infinity();
double same(double v) { return v; }
double sum(double a, double v) { return a + v; }
double done(double acc, double) { return acc; }

const ReduceOp kReduceOps[] = {
    {"ReduceSum", 13, 0.0, same, sum, done, Term::Value},
    {"ReduceMean", 18, 0.0, same, sum, [](double a, double n) { return a / n; }, Term::Value},
    {"ReduceMax", 18, -kInf, same, [](double a, double v) { return std::max(a, v); }, done},
    {"ReduceMin", 18, kInf, same, [](double a, double v) { return std::min(a, v); }, done},
    {"ReduceProd", 18, 1.0, same, [](double a, double v) { return a * v; }, done},
    {"ReduceL1", 18, 0.0, [](double v) { return std::abs(v); }, sum, done, Term::Abs},
    {"ReduceL2", 18, 0.0, [](double v) { return v * v; }, sum, [](double a, double) { return std::sqrt(a); }, Term::Square},
    {"ReduceSumSquare", 18, 0.0, [](double v) { return v * v; }, sum, done, Term::Square},
    {"ReduceLogSum", 18, 0.0, same, sum, [](double a, double) { return std::log(a); }, Term::Value},
    {"ReduceLogSumExp", 18, 0.0, [](double v) { return std::exp(v); }, sum, [](double a, double) { return std::log(a); }},
};

template <Term term>
double term_of(float v) {
  const double d = v;
  if constexpr (term == Term::Square) return d * d;
  else if constexpr (term == Term::Abs) return std::abs(d);
  else return d;
}

// Sums of terms of float32 x seen as [outer, length, inner] (the reduced axes consecutive) into
// acc [outer, inner], in double. A row (inner = 1) goes in four interleaved partial sums
// (sums.h); else each output adds its column in order. Each output's sum is the same whatever
// the thread count.
template <Term term>
void sum_terms(const float* x, int64_t outer, int64_t length, int64_t inner, double* acc) {
#pragma omp parallel for if (outer * length * inner > (1 << 16))
  for (int64_t o = 0; o < outer; ++o) {
    const float* xo = x + o * length * inner;
    if (inner == 1) {
      acc[o] = sum_of_terms(xo, length, term_of<term>);
      continue;
    }
    double* ao = acc + o * inner;
    for (int64_t j = 0; j < length; ++j)
      for (int64_t i = 0; i < inner; ++i) ao[i] += term_of<term>(xo[j * inner + i]);
  }
}

}  // namespace

Outputs reduce_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const ReduceOp* op = nullptr;
  for (const ReduceOp& r : kReduceOps)
    if (node.op_type == r.op_type) op = &r;
  if (!op) throw Error(ErrorKind::Internal, "no reduction for " + node.op_type);
  const Tensor& x = required_input(inputs, 0, "data");
  const int64_t rank = x.rank();
  std::vector<int64_t> axes = node.opset >= op->axes_input_since ? int_list(optional_input(inputs, 1)) : node.attr_ints("axes");
  if (axes.empty() && node.attr_int("noop_with_empty_axes", 0) != 0) return {x};
  std::vector<bool> reduced(static_cast<size_t>(rank), axes.empty());
  for (int64_t a : axes) reduced[static_cast<size_t>(normalize_axis(a, rank))] = true;
  const bool keepdims = node.attr_int("keepdims", 1) != 0;
  Shape kept_shape = x.shape(), out_shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (reduced[static_cast<size_t>(d)]) kept_shape[static_cast<size_t>(d)] = 1;
    if (!reduced[static_cast<size_t>(d)] || keepdims) out_shape.push_back(kept_shape[static_cast<size_t>(d)]);
  }
  const int64_t out_count = shape_numel(kept_shape);
  std::vector<double> acc(static_cast<size_t>(out_count), op->init);
  // The reduced axes (those of size > 1) consecutive: x is [outer, length, inner], and a sum of
  // float terms runs as plain loops (sum_terms) rather than the element-by-element walk below.
  int64_t first = rank, last = -1;
  for (int64_t d = 0; d < rank; ++d)
    if (reduced[static_cast<size_t>(d)] && x.dim(d) > 1) first = std::min(first, d), last = d;
  bool consecutive = true;
  for (int64_t d = first; d <= last; ++d) consecutive = consecutive && (reduced[static_cast<size_t>(d)] || x.dim(d) == 1);
  if (x.dtype() == DType::Float32 && op->term != Term::None && consecutive && last >= 0) {
    int64_t outer = 1, length = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d) (d < first ? outer : d > last ? inner : length) *= x.dim(d);
    const float* px = x.data<float>();
    if (op->term == Term::Value) sum_terms<Term::Value>(px, outer, length, inner, acc.data());
    else if (op->term == Term::Square) sum_terms<Term::Square>(px, outer, length, inner, acc.data());
    else sum_terms<Term::Abs>(px, outer, length, inner, acc.data());
    Tensor y(x.dtype(), out_shape, Init::Uninitialized);
    for (int64_t o = 0; o < out_count; ++o) y.data<float>()[o] = static_cast<float>(op->finish(acc[static_cast<size_t>(o)], static_cast<double>(length)));
    return {y};
  }
  const std::vector<int64_t> out_strides = shape_strides(kept_shape);
  std::vector<int64_t> index(static_cast<size_t>(rank), 0);
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t o = 0;
    for (size_t d = 0; d < static_cast<size_t>(rank); ++d)
      if (!reduced[d]) o += index[d] * out_strides[d];
    acc[static_cast<size_t>(o)] = op->combine(acc[static_cast<size_t>(o)], op->map(x.value_as_double(i)));
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[static_cast<size_t>(d)] < x.shape()[static_cast<size_t>(d)]) break;
      index[static_cast<size_t>(d)] = 0;
    }
  }
  const double count = static_cast<double>(x.numel()) / static_cast<double>(std::max<int64_t>(out_count, 1));
  Tensor y(x.dtype(), out_shape);
  visit_numeric(x.dtype(), node.op_type.c_str(), [&](auto tag) {
    using T = decltype(tag);
    T* py = y.data<T>();
    for (int64_t o = 0; o < out_count; ++o) py[o] = static_cast<T>(op->finish(acc[static_cast<size_t>(o)], count));
  });
  return {y};
}

}  // namespace quant::ops
