// ir::Model -> ONNX ModelProto (no checks). Internal to libquant/onnx.
#pragma once
#include <string>

#include <onnx/onnx_pb.h>

#include "ir/graph.h"

namespace quant::onnx_io {

void model_to_proto(const ir::Model& model, onnx::ModelProto& proto);
// `what` names the value in messages ("graph input"). Throws Unsupported for non-tensor types.
ir::ValueInfo value_info_from_proto(const onnx::ValueInfoProto& v, const std::string& what);

}  // namespace quant::onnx_io
