// Conversion between onnx::TensorProto and quant::Tensor. The only files that see protobuf are in
// this folder.
#pragma once
#include <string>

#include "core/tensor.h"

namespace onnx {
class TensorProto;
}

namespace quant::onnx_io {

// Reads a tensor stored in raw_data, in the typed fields, or in an external data file (whose
// location is relative to base_dir). Throws Parse/Unsupported naming the tensor.
Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& base_dir);
// Writes raw_data (little-endian, as ONNX stores it).
void tensor_to_proto(const Tensor& tensor, const std::string& name, onnx::TensorProto& proto);

// A serialized TensorProto file (.pb), as the ONNX backend test data stores inputs and outputs.
Tensor read_tensor_pb(const std::string& path, std::string* name = nullptr);

}  // namespace quant::onnx_io
