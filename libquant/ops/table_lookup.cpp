// TableLookup (domain quant.integer): an element-wise function of one quantized tensor, as the
// table an accelerator stores for it: Y_q = table[X_q - qmin(X)], one entry per value X_q can take
// (256 for 8 bits, 65536 for 16). The emulate stage fills the table with
// table[q - qmin] = QuantizeLinear(f(DequantizeLinear(q))), so the lookup gives exactly what the
// QDQ model computes for every input.
// Attributes: table (ints), y_type (ONNX type code).
#include "ops/integer_requant.h"
#include "ops/kernels.h"
#include "qmath/qparams.h"

namespace quant::ops {

Outputs table_lookup_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "X");
  require_small_integer(x, "X");
  const qmath::QRange in = qmath::qrange(x.dtype());
  const std::vector<int64_t> table = node.attr_ints("table");
  if (static_cast<int64_t>(table.size()) != in.qmax - in.qmin + 1)
    throw Error(ErrorKind::Model, "the table has " + std::to_string(table.size()) + " entries, " + dtype_name(x.dtype()) +
                                      " input needs " + std::to_string(in.qmax - in.qmin + 1));
  const DType out_type = dtype_from_onnx(static_cast<int>(node.attr_int("y_type")));
  const qmath::QRange out = qmath::qrange(out_type);
  for (int64_t v : table)
    if (v < out.qmin || v > out.qmax) throw Error(ErrorKind::Model, "a table entry does not fit " + std::string(dtype_name(out_type)));
  std::vector<int32_t> y = centered_values(x, {in.qmin}, -1);
  for (int32_t& v : y) v = static_cast<int32_t>(table[static_cast<size_t>(v)]);
  return {integer_tensor(out_type, x.shape(), y)};
}

}  // namespace quant::ops
