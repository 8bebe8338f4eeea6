// Transpose: Y[i_perm[0], ..., i_perm[r-1]] = X[i_0, ..., i_{r-1}], i.e. Y's axis k is X's axis perm[k]
// (default: reversed axes).
#include <algorithm>
#include <numeric>

#include "ops/kernels.h"
#include "ops/strided_copy.h"

namespace quant::ops {

Outputs transpose_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "data");
  const int64_t rank = x.rank();
  std::vector<int64_t> perm = node.attr_ints("perm");
  if (perm.empty()) {
    perm.resize(static_cast<size_t>(rank));
    std::iota(perm.rbegin(), perm.rend(), 0);
  }
  std::vector<int64_t> check = perm;
  std::sort(check.begin(), check.end());
  for (int64_t i = 0; i < rank; ++i)
    if (static_cast<int64_t>(check.size()) != rank || check[static_cast<size_t>(i)] != i)
      throw Error(ErrorKind::Model, "perm " + shape_to_string(perm) + " is not a permutation of the axes of " + x.describe());
  Shape out_shape(static_cast<size_t>(rank));
  for (int64_t k = 0; k < rank; ++k) out_shape[static_cast<size_t>(k)] = x.dim(perm[static_cast<size_t>(k)]);
  Tensor y(x.dtype(), out_shape, Init::Uninitialized);
  const std::vector<int64_t> in_strides = shape_strides(x.shape());
  std::vector<int64_t> src_stride(static_cast<size_t>(rank));  // X stride of each Y axis
  for (int64_t k = 0; k < rank; ++k) src_stride[static_cast<size_t>(k)] = in_strides[static_cast<size_t>(perm[static_cast<size_t>(k)])];
  strided_copy(x.raw(), dtype_size(x.dtype()), out_shape, src_stride, 0, y.raw());
  return {y};
}

}  // namespace quant::ops
