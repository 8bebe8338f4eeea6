// ONNX file -> ir::Model. Validates once: the protobuf parses, every node's op exists in ONNX at the
// model's opset, its attributes are known and well typed (ONNX's defaults filled in), value types
// are tensors, and the graph has no dangling names or cycles.
#pragma once
#include <string>
#include <string_view>

#include "ir/graph.h"

namespace quant::onnx_io {

// Any opset from 1 loads; kernels handle the older forms of their op (Reshape's shape attribute,
// pre-7 broadcasting) or reject them with a clear error. Opsets 7 to 17 are what real exports use.
constexpr int kMinOpset = 1;
constexpr int kMaxOpset = 21;

ir::Model load_model(const std::string& path);
// Parses a model already in memory (base_dir resolves external data).
ir::Model load_model_from_bytes(std::string_view bytes, const std::string& source_name, const std::string& base_dir);

}  // namespace quant::onnx_io
