// Reading tensors named on the command line (.npy or ONNX TensorProto .pb) and parsing
// `--input-shape name:1,3,224,224`.
#pragma once
#include <string>
#include <utility>

#include "core/tensor.h"
#include "ir/graph.h"

namespace quant::app {

Tensor read_tensor_file(const std::string& path);
// "[NAME=]PATH" (--input, --calib) -> (NAME or "", PATH).
std::pair<std::string, std::string> split_name_path(const std::string& spec);
// "name:1,3,224,224" -> (name, shape). Throws Usage.
std::pair<std::string, Shape> parse_input_shape(const std::string& spec);
// Applies every --input-shape to the graph.
void apply_input_shapes(ir::Graph& graph, const std::vector<std::string>& specs);
// "sr=16000" or "scales=1,2,2" -> (name, values). Throws Usage.
std::pair<std::string, std::vector<double>> parse_input_value(const std::string& spec);
// Replaces every input named by --input-value with its constant, says so in the log, and returns
// the (name, values) applied.
std::vector<std::pair<std::string, std::vector<double>>> apply_input_values(ir::Graph& graph, const std::vector<std::string>& specs);
inline constexpr const char* kInputValueHelp =
    "NAME=V0,V1,... replaces an input by a constant (e.g. sr=16000 for a model that picks an If branch by sample rate)";
// A file name for a tensor name: characters other than [A-Za-z0-9._-] become '_'.
std::string file_name_for(const std::string& tensor_name);

}  // namespace quant::app
