// Builders for the small hand-made IR graphs of the unit tests, and their random data.
#pragma once
#include <random>
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

// A float32 tensor of values drawn uniformly from [-bound, bound).
inline Tensor random_floats(Shape shape, std::mt19937& rng, float bound = 1.0f) {
  Tensor t(DType::Float32, std::move(shape));
  std::uniform_real_distribution<float> dist(-bound, bound);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

}  // namespace quant::test
