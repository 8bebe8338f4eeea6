#include <algorithm>
#include "ops/window.h"

namespace quant::ops {

std::array<int64_t, 3> to_3d(const std::vector<int64_t>& v, int64_t fill) {
  std::array<int64_t, 3> out{fill, fill, fill};
  const size_t offset = 3 - v.size();
  for (size_t i = 0; i < v.size(); ++i) out[offset + i] = v[i];
  return out;
}

std::vector<int64_t> from_3d(const std::array<int64_t, 3>& v, size_t rank) {
  return std::vector<int64_t>(v.end() - static_cast<long>(rank), v.end());
}

Window3 compute_window(const ir::Node& node, const std::vector<int64_t>& spatial, const std::vector<int64_t>& kernel,
                       bool allow_ceil_mode) {
  const size_t rank = spatial.size();
  if (rank < 1 || rank > 3)
    throw Error(ErrorKind::Unsupported, "only 1 to 3 spatial dimensions are supported, got " + std::to_string(rank));
  if (kernel.size() != rank)
    throw Error(ErrorKind::Model, "kernel has " + std::to_string(kernel.size()) + " spatial dims, input has " +
                                      std::to_string(rank));
  auto per_axis = [&](const char* key, int64_t fill) {
    std::vector<int64_t> v = node.attr_ints(key, std::vector<int64_t>(rank, fill));
    if (v.empty()) v.assign(rank, fill);
    if (v.size() != rank)
      throw Error(ErrorKind::Model, std::string("attribute '") + key + "' has " + std::to_string(v.size()) +
                                        " values, expected " + std::to_string(rank));
    for (int64_t x : v)
      if (x < 1) throw Error(ErrorKind::Model, std::string("attribute '") + key + "' must be positive");
    return v;
  };
  const std::vector<int64_t> strides = per_axis("strides", 1);
  const std::vector<int64_t> dilations = per_axis("dilations", 1);
  std::vector<int64_t> pads = node.attr_ints("pads", std::vector<int64_t>(2 * rank, 0));
  if (pads.empty()) pads.assign(2 * rank, 0);
  if (pads.size() != 2 * rank)
    throw Error(ErrorKind::Model, "attribute 'pads' has " + std::to_string(pads.size()) + " values, expected " +
                                      std::to_string(2 * rank));
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  const bool ceil_mode = allow_ceil_mode && node.attr_int("ceil_mode", 0) != 0;

  Window3 w;
  const size_t off = 3 - rank;
  for (size_t i = 0; i < rank; ++i) {
    const int64_t in = spatial[i], k = kernel[i], s = strides[i], d = dilations[i];
    const int64_t eff = (k - 1) * d + 1;
    int64_t b = pads[i], e = pads[i + rank], out;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      out = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + eff - in);
      b = auto_pad == "SAME_UPPER" ? total / 2 : (total + 1) / 2;
      e = total - b;
    } else {
      if (auto_pad == "VALID") b = e = 0;
      else if (auto_pad != "NOTSET")
        throw Error(ErrorKind::Model, "unknown auto_pad '" + auto_pad + "'");
      const int64_t span = in + b + e - eff;
      if (span < 0)
        throw Error(ErrorKind::Data, "the kernel (" + std::to_string(eff) + " wide with dilation) is larger than the padded input (" +
                                         std::to_string(in + b + e) + ")");
      out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
      if (ceil_mode && (out - 1) * s >= in + b) --out;
    }
    w.in[off + i] = in;
    w.out[off + i] = out;
    w.kernel[off + i] = k;
    w.stride[off + i] = s;
    w.dilation[off + i] = d;
    w.pad_begin[off + i] = b;
    w.pad_end[off + i] = e;
  }
  return w;
}

}  // namespace quant::ops
