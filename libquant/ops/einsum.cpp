// Einsum (opset 12): sums of products over labelled axes, e.g. "bhqd,bhkd->bhqk" (attention
// scores) or "...ii->...i" (diagonals). Each operand's axes carry labels (letters; "..." stands
// for the same run of unlabelled axes in every operand, right-aligned, sizes broadcast). Without
// "->" the output is "..." followed by the letters used once, in alphabetical order.
//   Y[out labels] = sum over the other labels of prod_i X_i[labels of operand i]
// Computed as: a label repeated within an operand takes the diagonal; a label no later operand and
// not the output uses is summed out; operands are then multiplied pairwise, left to right, as
// batched matrix products (labels of both operands that are kept: batch; of both that are not:
// contracted; of one: its rows or columns), float32 on sgemm and other types in plain loops.
#include <algorithm>
#include <cctype>
#include <map>
#include <numeric>

#include "ops/einsum.h"
#include "ops/gemm.h"
#include "ops/kernels.h"
#include "ops/strided_copy.h"

namespace quant::ops {
namespace {

using Labels = std::vector<int>;

// An operand on the way: its values (contiguous) and one label per axis.
struct Term {
  Tensor values;
  Labels labels;
};

Error equation_error(const std::string& equation, const std::string& what) {
  return Error(ErrorKind::Model, "Einsum equation '" + equation + "': " + what);
}

// The labels of one operand of `rank` axes (or of the output, whose rank comes from the operands'
// "..."), from its part of the equation; `ellipsis_rank` grows to the longest "..." run seen.
Labels parse_term(const std::string& equation, const std::string& part, int64_t rank, int64_t& ellipsis_rank) {
  Labels labels;
  int64_t letters = 0;
  bool ellipsis = false;
  for (size_t i = 0; i < part.size(); ++i) {
    const char c = part[i];
    if (c == ' ') continue;
    if (c == '.') {
      if (ellipsis || part.compare(i, 3, "...") != 0) throw equation_error(equation, "'.' only as one '...' per operand");
      ellipsis = true;
      labels.push_back(-1);  // placeholder, expanded below
      i += 2;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      labels.push_back(c);
      ++letters;
    } else {
      throw equation_error(equation, std::string("unexpected character '") + c + "'");
    }
  }
  if (rank < 0) rank = letters + (ellipsis ? ellipsis_rank : 0);
  if (ellipsis ? letters > rank : letters != rank)
    throw equation_error(equation, "'" + part + "' does not fit an operand of rank " + std::to_string(rank));
  if (!ellipsis) return labels;
  const int64_t extra = rank - letters;
  ellipsis_rank = std::max(ellipsis_rank, extra);
  Labels expanded;
  for (int label : labels)
    if (label != -1) expanded.push_back(label);
    else
      for (int64_t k = extra - 1; k >= 0; --k) expanded.push_back(kEllipsisLabel + static_cast<int>(k));
  return expanded;
}

}  // namespace

EinsumLabels parse_einsum(const std::string& equation, const std::vector<int64_t>& ranks) {
  const size_t arrow = equation.find("->");
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    const size_t comma = equation.find(',', start);
    const size_t end = std::min(comma, arrow);
    parts.push_back(equation.substr(start, end - start));
    if (comma == std::string::npos || comma > arrow) break;
    start = comma + 1;
  }
  if (parts.size() != ranks.size())
    throw equation_error(equation, std::to_string(parts.size()) + " operands for " + std::to_string(ranks.size()) + " inputs");
  EinsumLabels e;
  int64_t ellipsis_rank = 0;
  for (size_t i = 0; i < parts.size(); ++i) e.operands.push_back(parse_term(equation, parts[i], ranks[i], ellipsis_rank));
  if (arrow != std::string::npos) {
    e.output = parse_term(equation, equation.substr(arrow + 2), -1, ellipsis_rank);
    for (int label : e.output) {
      bool used = false;
      for (const Labels& operand : e.operands) used |= std::count(operand.begin(), operand.end(), label) > 0;
      if (!used || std::count(e.output.begin(), e.output.end(), label) > 1)
        throw equation_error(equation, "an output label must appear once, and in an operand");
    }
  } else {
    for (int64_t k = ellipsis_rank - 1; k >= 0; --k) e.output.push_back(kEllipsisLabel + static_cast<int>(k));
    std::map<int, int> uses;
    for (const Labels& operand : e.operands)
      for (int label : operand) uses[label] += 1;
    for (const auto& [label, count] : uses)
      if (label < kEllipsisLabel && count == 1) e.output.push_back(label);
  }
  return e;
}

namespace {

// The operand's values with one axis per distinct label: a repeated label takes the diagonal.
Term diagonal(const Tensor& x, const Labels& labels) {
  Term t;
  std::vector<int64_t> stride;
  Shape shape;
  const std::vector<int64_t> strides = shape_strides(x.shape());
  for (size_t a = 0; a < labels.size(); ++a) {
    auto seen = std::find(t.labels.begin(), t.labels.end(), labels[a]);
    if (seen == t.labels.end()) {
      t.labels.push_back(labels[a]);
      shape.push_back(x.dim(static_cast<int64_t>(a)));
      stride.push_back(strides[a]);
      continue;
    }
    const size_t k = static_cast<size_t>(seen - t.labels.begin());
    if (shape[k] != x.dim(static_cast<int64_t>(a))) throw Error(ErrorKind::Data, "Einsum: a repeated label spans axes of different sizes in " + x.describe());
    stride[k] += strides[a];
  }
  t.values = Tensor(x.dtype(), shape, Init::Uninitialized);
  strided_copy(x.raw(), dtype_size(x.dtype()), shape, stride, 0, t.values.raw());
  return t;
}

// t's values laid out along `order` (labels of t, or labels of size `sizes` it broadcasts to).
Tensor arranged(const Term& t, const Labels& order, const std::map<int, int64_t>& sizes) {
  const std::vector<int64_t> strides = shape_strides(t.values.shape());
  Shape shape;
  std::vector<int64_t> stride;
  for (int label : order) {
    shape.push_back(sizes.at(label));
    auto at = std::find(t.labels.begin(), t.labels.end(), label);
    const size_t k = static_cast<size_t>(at - t.labels.begin());
    stride.push_back(at == t.labels.end() || t.values.dim(static_cast<int64_t>(k)) == 1 ? 0 : strides[k]);
  }
  Tensor y(t.values.dtype(), shape, Init::Uninitialized);
  strided_copy(t.values.raw(), dtype_size(t.values.dtype()), shape, stride, 0, y.raw());
  return y;
}

template <typename T>
void sum_rows(const Tensor& x, int64_t rows, int64_t length, Tensor& y) {
  const T* in = x.data<T>();
  for (int64_t r = 0; r < rows; ++r) {
    T s = 0;
    for (int64_t i = 0; i < length; ++i) s += in[r * length + i];
    y.data<T>()[r] = s;
  }
}

// t with the labels outside `keep` summed out.
Term sum_out(const Term& t, const std::vector<int>& keep, const std::map<int, int64_t>& sizes) {
  Labels kept, summed;
  for (int label : t.labels) (std::count(keep.begin(), keep.end(), label) ? kept : summed).push_back(label);
  if (summed.empty()) return t;
  Labels order = kept;
  order.insert(order.end(), summed.begin(), summed.end());
  const Tensor x = arranged(t, order, sizes);
  int64_t length = 1;
  for (size_t k = kept.size(); k < order.size(); ++k) length *= x.dim(static_cast<int64_t>(k));
  Shape shape(x.shape().begin(), x.shape().begin() + static_cast<int64_t>(kept.size()));
  Term out{Tensor(x.dtype(), shape, Init::Uninitialized), kept};
  visit_numeric(x.dtype(), "Einsum", [&](auto tag) { sum_rows<decltype(tag)>(x, out.values.numel(), length, out.values); });
  return out;
}

template <typename T>
void batched_product(const Tensor& a, const Tensor& b, int64_t batch, int64_t m, int64_t k, int64_t n, Tensor& y) {
  for (int64_t p = 0; p < batch; ++p)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        T s = 0;
        for (int64_t q = 0; q < k; ++q) s += a.data<T>()[(p * m + i) * k + q] * b.data<T>()[(p * k + q) * n + j];
        y.data<T>()[(p * m + i) * n + j] = s;
      }
}

// The product of x and y over their shared labels, keeping the labels in `keep`.
Term contract(const Term& x, const Term& y, const std::vector<int>& keep, const std::map<int, int64_t>& sizes, bool reference) {
  Labels batch, rows, inner, cols;
  for (int label : x.labels) {
    const bool in_y = std::count(y.labels.begin(), y.labels.end(), label) > 0;
    (in_y ? (std::count(keep.begin(), keep.end(), label) ? batch : inner) : rows).push_back(label);
  }
  for (int label : y.labels)
    if (!std::count(x.labels.begin(), x.labels.end(), label)) cols.push_back(label);
  auto extent = [&](const Labels& ls) {
    int64_t e = 1;
    for (int label : ls) e *= sizes.at(label);
    return e;
  };
  Labels a_order = batch, b_order = batch, out_labels = batch;
  a_order.insert(a_order.end(), rows.begin(), rows.end());
  a_order.insert(a_order.end(), inner.begin(), inner.end());
  b_order.insert(b_order.end(), inner.begin(), inner.end());
  b_order.insert(b_order.end(), cols.begin(), cols.end());
  out_labels.insert(out_labels.end(), rows.begin(), rows.end());
  out_labels.insert(out_labels.end(), cols.begin(), cols.end());
  const Tensor a = arranged(x, a_order, sizes), b = arranged(y, b_order, sizes);
  const int64_t nb = extent(batch), m = extent(rows), k = extent(inner), n = extent(cols);
  Shape shape;
  for (int label : out_labels) shape.push_back(sizes.at(label));
  Term out{Tensor(x.values.dtype(), shape, Init::Zero), out_labels};
  if (x.values.dtype() == DType::Float32) {
    if (m > 0 && n > 0 && k > 0)
      for (int64_t p = 0; p < nb; ++p)
        sgemm({false, false, m, n, k, 1.0f, 0.0f, a.data<float>() + p * m * k, k, b.data<float>() + p * k * n, n,
               out.values.data<float>() + p * m * n, n},
              reference);
  } else {
    visit_numeric(x.values.dtype(), "Einsum", [&](auto tag) { batched_product<decltype(tag)>(a, b, nb, m, k, n, out.values); });
  }
  return out;
}

}  // namespace

Outputs einsum_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig& config) {
  const std::string equation = node.attr_string("equation");
  std::vector<Tensor> xs;
  std::vector<int64_t> ranks;
  for (size_t i = 0; i < inputs.size(); ++i) {
    xs.push_back(required_input(inputs, i, "Inputs").to_plain());
    if (xs.back().dtype() != xs.front().dtype() || xs.back().dtype() == DType::Bool)
      throw Error(ErrorKind::Data, "Einsum takes numbers of one type, got " + xs.back().describe());
    ranks.push_back(xs.back().rank());
  }
  const EinsumLabels labels = parse_einsum(equation, ranks);
  const Labels& output = labels.output;
  std::vector<Term> terms;
  std::map<int, int64_t> sizes;
  for (size_t i = 0; i < xs.size(); ++i) {
    terms.push_back(diagonal(xs[i], labels.operands[i]));
    for (size_t a = 0; a < terms.back().labels.size(); ++a) {
      const int64_t d = terms.back().values.dim(static_cast<int64_t>(a));
      int64_t& size = sizes.try_emplace(terms.back().labels[a], d).first->second;
      if (size == 1) size = d;
      else if (d != 1 && d != size)
        throw Error(ErrorKind::Data, "Einsum equation '" + equation + "': a label spans axes of sizes " + std::to_string(size) + " and " + std::to_string(d));
    }
  }
  // Left to right: each step keeps what the output or a later operand still needs.
  auto needed_after = [&](size_t i) {
    std::vector<int> keep = output;
    for (size_t j = i + 1; j < terms.size(); ++j) keep.insert(keep.end(), terms[j].labels.begin(), terms[j].labels.end());
    return keep;
  };
  Term result = sum_out(terms[0], needed_after(0), sizes);
  for (size_t i = 1; i < terms.size(); ++i) {
    const std::vector<int> keep = needed_after(i);
    std::vector<int> keep_with_result = keep;
    keep_with_result.insert(keep_with_result.end(), result.labels.begin(), result.labels.end());
    result = contract(result, sum_out(terms[i], keep_with_result, sizes), keep, sizes, config.reference);
  }
  return {arranged(result, output, sizes)};
}

}  // namespace quant::ops
