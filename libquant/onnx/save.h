// ir::Model -> ONNX file. The result is checked with ONNX's own checker (onnx::checker) before it is
// written, and written atomically (temporary file, then rename): a file that exists is complete and valid.
//
// Initializers are stored in the .onnx file, or, when the model would pass protobuf's 2 GB limit
// (or when asked), those of 1 KiB or more go to one data file beside it, `<model file>.data`, as
// ONNX external data (location relative to the model's folder, offsets aligned to 64 bytes): the
// form ONNX Runtime and quant's own loader read.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "ir/graph.h"

namespace quant::onnx_io {

enum class ExternalData { Auto, Always };

// The data file a model written to `model_path` would use: `model_path` + ".data".
std::string external_data_path(const std::string& model_path);

// The files (path, bytes) that make up the model when written to `model_path`: the .onnx, then its
// data file if initializers are stored outside it. Throws Internal if the checker rejects the model.
std::vector<std::pair<std::string, std::string>> serialize_model(const ir::Model& model, const std::string& model_path,
                                                                 ExternalData mode = ExternalData::Auto);
void save_model(const ir::Model& model, const std::string& path, ExternalData mode = ExternalData::Auto);

}  // namespace quant::onnx_io
