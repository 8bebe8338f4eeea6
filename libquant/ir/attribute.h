// A typed node attribute, as ONNX defines them. Graph-valued attributes (If branches) hold a subgraph;
// sparse tensors and type protos are not supported.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace quant::ir {

enum class AttrKind { Float, Int, String, Tensor, Floats, Ints, Strings, Graph };

struct Graph;
const char* attr_kind_name(AttrKind kind);

struct Attribute {
  AttrKind kind = AttrKind::Int;
  float f = 0;
  int64_t i = 0;
  std::string s;
  quant::Tensor t;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::shared_ptr<Graph> g;  // AttrKind::Graph: a subgraph, which may read values of the graphs around it
};

// The attributes stages write into nodes they make.
inline Attribute int_attribute(int64_t value) { return {.kind = AttrKind::Int, .i = value}; }
inline Attribute ints_attribute(std::vector<int64_t> values) { return {.kind = AttrKind::Ints, .ints = std::move(values)}; }

}  // namespace quant::ir
