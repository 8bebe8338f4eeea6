// ir::Model -> ONNX file. The result is checked with ONNX's own checker (onnx::checker) before it is
// written, and written atomically (temporary file, then rename): a file that exists is complete and valid.
#pragma once
#include <string>

#include "ir/graph.h"

namespace quant::onnx_io {

std::string serialize_model(const ir::Model& model);  // throws Internal if the checker rejects it
void save_model(const ir::Model& model, const std::string& path);

}  // namespace quant::onnx_io
