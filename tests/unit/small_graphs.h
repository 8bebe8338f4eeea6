// Builders for the small hand-made IR graphs of the unit tests.
#pragma once
#include <string>
#include <vector>

#include "ir/graph.h"

namespace quant::test {

inline ir::Node node(const std::string& name, const std::string& op, std::vector<std::string> in, std::vector<std::string> out) {
  ir::Node n;
  n.name = name;
  n.op_type = op;
  n.opset = 13;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

inline ir::ValueInfo value(const std::string& name) { return {.name = name, .dtype = DType::Float32}; }

inline Tensor vec(std::vector<float> v) { return Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v); }

}  // namespace quant::test
