#include "onnx/shape_inference.h"

#include <onnx/shape_inference/implementation.h>

#include "onnx/model_proto.h"
#include "onnx/shape_values.h"

namespace quant::onnx_io {

namespace {

// One run of ONNX's inference: graph.value_infos become what it found; returns the node outputs
// left without a type or shape.
std::vector<std::string> run_onnx_inference(ir::Model& model) {
  onnx::ModelProto proto;
  model_to_proto(model, proto, Initializers::LargeAsShapes);
  onnx::ShapeInferenceOptions options;
  options.check_type = true;
  options.error_mode = 0;  // node-level gaps (an op without inference) leave the tensor unshaped; conflicts still throw
  options.enable_data_propagation = true;  // Shape -> Gather -> Concat chains give static shapes
  try {
    onnx::shape_inference::InferShapes(proto, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::Model, std::string("shape inference failed: ") + e.what(), {.file = model.source_path});
  }
  ir::Graph& graph = model.graph;
  std::unordered_map<std::string, ir::ValueInfo> found;
  for (const auto& vi : proto.graph().value_info())
    if (vi.has_type() && vi.type().has_tensor_type()) found[vi.name()] = value_info_from_proto(vi, "value");
  for (const auto& vi : proto.graph().output())
    if (vi.has_type() && vi.type().has_tensor_type()) found[vi.name()] = value_info_from_proto(vi, "graph output");
  for (ir::ValueInfo& out : graph.outputs) {
    auto it = found.find(out.name);
    if (it != found.end() && (!out.has_shape || out.dtype == DType::Undefined)) out = it->second;
  }
  graph.value_infos.clear();
  std::vector<std::string> unknown;
  for (const ir::Node& n : graph.nodes)
    for (const std::string& o : n.outputs) {
      if (o.empty()) continue;
      auto it = found.find(o);
      if (it == found.end() || !it->second.has_shape || it->second.dtype == DType::Undefined) {
        unknown.push_back(o);
        if (it != found.end()) graph.value_infos[o] = it->second;
        continue;
      }
      graph.value_infos[o] = it->second;
    }
  return unknown;
}

}  // namespace

std::vector<std::string> infer_shapes(ir::Model& model) {
  // ONNX's inference, then the shapes it cannot carry through symbolic shape values (a Reshape to
  // Concat(Shape(x)[0], 28, 28)), then ONNX's again from those, until nothing more is found.
  std::vector<std::string> unknown = run_onnx_inference(model);
  for (int round = 0; round < 8 && !unknown.empty(); ++round) {
    if (add_shapes_from_shape_values(model.graph) == 0) break;
    unknown = run_onnx_inference(model);
  }
  return unknown;
}

}  // namespace quant::onnx_io
