// DepthToSpace and SpaceToDepth (blocksize b) on [N, C, H, W]:
//   DepthToSpace DCR: [N, C, H, W] -> view [N, b, b, C/b², H, W] -> transpose (0, 3, 4, 1, 5, 2) -> [N, C/b², H*b, W*b]
//   DepthToSpace CRD: view [N, C/b², b, b, H, W] -> transpose (0, 1, 4, 2, 5, 3)
//   SpaceToDepth:     view [N, C, H/b, b, W/b, b] -> transpose (0, 3, 5, 1, 2, 4) -> [N, C*b², H/b, W/b]
#include <cstring>

#include "ops/kernels.h"

namespace quant::ops {
namespace {

// y = x viewed as `view`, transposed by `perm`, reshaped to `out`.
Tensor view_transpose(const Tensor& x, const Shape& view, const std::vector<int64_t>& perm, const Shape& out) {
  const Tensor v = x.to_plain().reshaped(view);
  const std::vector<int64_t> vs = shape_strides(view);
  Shape tshape(perm.size());
  std::vector<int64_t> tstrides(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) tshape[i] = view[static_cast<size_t>(perm[i])], tstrides[i] = vs[static_cast<size_t>(perm[i])];
  Tensor y(x.dtype(), out, Init::Uninitialized);
  const size_t size = dtype_size(x.dtype());
  std::vector<int64_t> index(perm.size(), 0);
  for (int64_t o = 0; o < y.numel(); ++o) {
    int64_t src = 0;
    for (size_t d = 0; d < index.size(); ++d) src += index[d] * tstrides[d];
    std::memcpy(y.raw() + o * size, v.raw() + src * size, size);
    for (size_t d = index.size(); d-- > 0;) {
      if (++index[d] < tshape[d]) break;
      index[d] = 0;
    }
  }
  return y;
}

}  // namespace

Outputs depth_to_space_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "input");
  require_rank(x, 4, "input");
  const int64_t b = node.attr_int("blocksize"), n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  if (b <= 0 || c % (b * b) != 0) throw Error(ErrorKind::Data, "channels " + std::to_string(c) + " are not a multiple of blocksize² " + std::to_string(b * b));
  const Shape out{n, c / (b * b), h * b, w * b};
  if (node.attr_string("mode", "DCR") == "CRD") return {view_transpose(x, {n, c / (b * b), b, b, h, w}, {0, 1, 4, 2, 5, 3}, out)};
  return {view_transpose(x, {n, b, b, c / (b * b), h, w}, {0, 3, 4, 1, 5, 2}, out)};
}

Outputs space_to_depth_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "input");
  require_rank(x, 4, "input");
  const int64_t b = node.attr_int("blocksize"), n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  if (b <= 0 || h % b != 0 || w % b != 0) throw Error(ErrorKind::Data, "height and width must be multiples of blocksize " + std::to_string(b));
  return {view_transpose(x, {n, c, h / b, b, w / b, b}, {0, 3, 5, 1, 2, 4}, {n, c * b * b, h / b, w / b})};
}

}  // namespace quant::ops
