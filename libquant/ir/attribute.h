// A typed node attribute, as ONNX defines them (graph-valued attributes are not supported).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace quant::ir {

enum class AttrKind { Float, Int, String, Tensor, Floats, Ints, Strings };
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
};

}  // namespace quant::ir
