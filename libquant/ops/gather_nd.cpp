// GatherND / ScatterND with batch_dims = b (GatherND only; ScatterND takes b = 0):
//   indices is [..., k]: each innermost row (i_1..i_k) picks data[batch..., i_1, ..., i_k, :] (a slice
//   of the remaining dims). GatherND stacks the slices: out shape = indices.shape[:-1] + data.shape[b+k:].
//   ScatterND writes updates[...] into a copy of data at those slices (reduction none, add or mul).
#include <cstring>

#include "ops/kernels.h"

namespace quant::ops {
namespace {

struct NdIndexing {
  int64_t batch = 1;        // product of the batch dims
  int64_t rows = 0;         // index rows per batch
  int64_t k = 0;            // index length
  int64_t slice = 1;        // elements per slice
  int64_t batch_stride = 0; // data elements per batch
  std::vector<int64_t> strides;  // data strides of the k indexed dims (in elements)
  std::vector<int64_t> dims;     // their sizes
};

NdIndexing nd_indexing(const Tensor& data, const Tensor& indices, int64_t b) {
  NdIndexing n;
  if (indices.rank() < 1) throw Error(ErrorKind::Data, "indices must have rank >= 1");
  n.k = indices.shape().back();
  if (b + n.k > data.rank()) throw Error(ErrorKind::Data, "indices rows of " + std::to_string(n.k) + " do not fit data " + data.describe());
  const std::vector<int64_t> s = shape_strides(data.shape());
  for (int64_t d = 0; d < b; ++d) n.batch *= data.dim(d);
  n.batch_stride = b < data.rank() ? data.dim(b) * s[static_cast<size_t>(b)] : 1;
  for (int64_t d = b + n.k; d < data.rank(); ++d) n.slice *= data.dim(d);
  for (int64_t d = b; d < b + n.k; ++d) n.strides.push_back(s[static_cast<size_t>(d)]), n.dims.push_back(data.dim(d));
  n.rows = indices.numel() / std::max<int64_t>(n.k, 1) / std::max<int64_t>(n.batch, 1);
  if (n.k == 0) n.rows = indices.numel() == 0 ? shape_numel(Shape(indices.shape().begin(), indices.shape().end() - 1)) / n.batch : 0;
  return n;
}

// The data offset (in elements) of index row r of batch bt.
int64_t row_offset(const NdIndexing& n, const Tensor& indices, int64_t bt, int64_t r) {
  int64_t off = bt * n.batch_stride;
  for (int64_t j = 0; j < n.k; ++j) {
    int64_t i = indices.value_as_int64((bt * n.rows + r) * n.k + j);
    const int64_t dim = n.dims[static_cast<size_t>(j)];
    if (i < -dim || i >= dim) throw Error(ErrorKind::Data, "index " + std::to_string(i) + " is out of range for a dim of " + std::to_string(dim));
    off += (i < 0 ? i + dim : i) * n.strides[static_cast<size_t>(j)];
  }
  return off;
}

}  // namespace

Outputs gather_nd_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor x = required_input(inputs, 0, "data").to_plain();
  const Tensor& idx = required_input(inputs, 1, "indices");
  const int64_t b = node.attr_int("batch_dims", 0);
  const NdIndexing n = nd_indexing(x, idx, b);
  Shape out_shape(idx.shape().begin(), idx.shape().end() - 1);
  out_shape.insert(out_shape.end(), x.shape().begin() + b + n.k, x.shape().end());
  Tensor y(x.dtype(), out_shape, Init::Uninitialized);
  const size_t bytes = static_cast<size_t>(n.slice) * dtype_size(x.dtype());
  for (int64_t bt = 0; bt < n.batch; ++bt)
    for (int64_t r = 0; r < n.rows; ++r)
      std::memcpy(y.raw() + (bt * n.rows + r) * bytes, x.raw() + row_offset(n, idx, bt, r) * static_cast<int64_t>(dtype_size(x.dtype())), bytes);
  return {y};
}

Outputs scatter_nd_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "data");
  const Tensor& idx = required_input(inputs, 1, "indices");
  const Tensor u = required_input(inputs, 2, "updates").to_plain();
  const std::string reduction = node.attr_string("reduction", "none");
  const NdIndexing n = nd_indexing(x, idx, 0);
  if (u.numel() != n.rows * n.slice) throw Error(ErrorKind::Data, "updates " + u.describe() + " do not match the indexed slices");
  Tensor y = x.to_plain().clone();
  visit_numeric(x.dtype(), "ScatterND", [&](auto tag) {
    using T = decltype(tag);
    T* py = y.data<T>();
    const T* pu = u.data<T>();
    for (int64_t r = 0; r < n.rows; ++r) {
      const int64_t off = row_offset(n, idx, 0, r);
      for (int64_t e = 0; e < n.slice; ++e) {
        T& dst = py[off + e];
        const T v = pu[r * n.slice + e];
        if (reduction == "add") dst = static_cast<T>(dst + v);
        else if (reduction == "mul") dst = static_cast<T>(dst * v);
        else if (reduction == "none") dst = v;
        else throw Error(ErrorKind::Unsupported, "reduction '" + reduction + "' is not supported (none, add, mul are)");
      }
    }
  });
  return {y};
}

}  // namespace quant::ops
