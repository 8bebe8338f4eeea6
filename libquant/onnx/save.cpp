#include "onnx/save.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include "core/file_io.h"
#include "onnx/attribute_proto.h"
#include "onnx/model_proto.h"
#include "onnx/tensor_proto.h"

namespace quant::onnx_io {

std::string serialize_model(const ir::Model& model) {
  onnx::ModelProto proto;
  model_to_proto(model, proto);
  try {
    onnx::checker::check_model(proto);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::Internal, std::string("the model quant built fails ONNX's checker: ") + e.what());
  }
  std::string bytes;
  if (!proto.SerializeToString(&bytes)) throw Error(ErrorKind::Internal, "could not serialize the model (over 2 GB?)");
  return bytes;
}

void save_model(const ir::Model& model, const std::string& path) { write_file_atomically(path, serialize_model(model)); }

}  // namespace quant::onnx_io
