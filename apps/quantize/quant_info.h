// Reads a QDQ model's quantization back out of the model itself (not from quant's JSON): every
// DequantizeLinear's scale, zero point, type and axis, which tensors they belong to, and each
// layer's precision. Used by `parse-model` to show a quantized model as parse-hef would if it
// showed quantization.
#pragma once
#include <nlohmann/json.hpp>

#include "ir/graph.h"

namespace quant::app {

// Empty when the model has no QuantizeLinear/DequantizeLinear nodes.
nlohmann::ordered_json quant_info(const ir::Graph& graph);

// Prints the tables of quant_info as text.
void print_quant_info(const nlohmann::ordered_json& info);

}  // namespace quant::app
