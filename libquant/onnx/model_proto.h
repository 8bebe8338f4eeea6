// ir::Model -> ONNX ModelProto (no checks). Internal to libquant/onnx.
#pragma once
#include <string>

#include <onnx/onnx_pb.h>

#include "ir/graph.h"

namespace quant::onnx_io {

// What model_to_proto writes of each initializer: its values (a model to save), or, for one of
// more than kShapeOnlyAbove values, only its type and shape as an input of the main graph (a model
// for ONNX's shape inference, which reads the values of small shape-like tensors only: a Reshape's
// shape, a Resize's scales). Preparing runs inference three times or more; not copying ResNet-18's
// 45 MB of weights each time takes its one-sample calibrate from 0.43 to 0.40 s (mean of five).
// (quant's graph inputs never include initializers, so none is declared twice.)
enum class Initializers { Values, LargeAsShapes };
inline constexpr int64_t kShapeOnlyAbove = 1024;

void model_to_proto(const ir::Model& model, onnx::ModelProto& proto, Initializers initializers = Initializers::Values);
// `what` names the value in messages ("graph input"). Throws Unsupported for non-tensor types.
ir::ValueInfo value_info_from_proto(const onnx::ValueInfoProto& v, const std::string& what);

}  // namespace quant::onnx_io
