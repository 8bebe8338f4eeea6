#include "onnx/save.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include "core/file_io.h"
#include "onnx/tensor_proto.h"

namespace quant::onnx_io {
namespace {

void write_value_info(const ir::ValueInfo& v, onnx::ValueInfoProto& out) {
  out.set_name(v.name);
  if (v.dtype == DType::Undefined) return;
  auto* tt = out.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(static_cast<int>(v.dtype));
  if (!v.has_shape) return;
  auto* shape = tt->mutable_shape();
  for (const ir::Dim& d : v.dims) {
    auto* dim = shape->add_dim();
    if (d.fixed()) dim->set_dim_value(d.size);
    else if (!d.symbol.empty()) dim->set_dim_param(d.symbol);
  }
}

void write_attribute(const std::string& key, const ir::Attribute& a, onnx::AttributeProto& out) {
  out.set_name(key);
  switch (a.kind) {
    case ir::AttrKind::Float: out.set_type(onnx::AttributeProto::FLOAT); out.set_f(a.f); break;
    case ir::AttrKind::Int: out.set_type(onnx::AttributeProto::INT); out.set_i(a.i); break;
    case ir::AttrKind::String: out.set_type(onnx::AttributeProto::STRING); out.set_s(a.s); break;
    case ir::AttrKind::Tensor: out.set_type(onnx::AttributeProto::TENSOR); tensor_to_proto(a.t, "", *out.mutable_t()); break;
    case ir::AttrKind::Floats: out.set_type(onnx::AttributeProto::FLOATS); for (float f : a.floats) out.add_floats(f); break;
    case ir::AttrKind::Ints: out.set_type(onnx::AttributeProto::INTS); for (int64_t i : a.ints) out.add_ints(i); break;
    case ir::AttrKind::Strings: out.set_type(onnx::AttributeProto::STRINGS); for (const auto& s : a.strings) out.add_strings(s); break;
  }
}

}  // namespace

std::string serialize_model(const ir::Model& model) {
  onnx::ModelProto proto;
  proto.set_ir_version(std::max<int64_t>(model.ir_version, 7));
  proto.set_producer_name("quant");
  proto.set_producer_version("0.1.0");
  for (const auto& [domain, version] : model.opsets) {
    auto* op = proto.add_opset_import();
    op->set_domain(domain);
    op->set_version(version);
  }
  auto* g = proto.mutable_graph();
  g->set_name(model.graph.name.empty() ? "quant" : model.graph.name);
  for (const ir::ValueInfo& v : model.graph.inputs) write_value_info(v, *g->add_input());
  for (const ir::ValueInfo& v : model.graph.outputs) write_value_info(v, *g->add_output());
  for (const auto& [name, v] : model.graph.value_infos) write_value_info(v, *g->add_value_info());
  // Initializers in a stable (sorted) order, so the same model is written byte for byte the same.
  std::vector<const std::string*> names;
  for (const auto& [name, t] : model.graph.initializers) names.push_back(&name);
  std::sort(names.begin(), names.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
  for (const std::string* name : names) tensor_to_proto(model.graph.initializers.at(*name), *name, *g->add_initializer());
  for (const ir::Node& n : model.graph.nodes) {
    auto* node = g->add_node();
    node->set_name(n.name);
    node->set_op_type(n.op_type);
    if (!n.domain.empty()) node->set_domain(n.domain);
    for (const std::string& in : n.inputs) node->add_input(in);
    for (const std::string& out : n.outputs) node->add_output(out);
    for (const auto& [key, a] : n.attributes) write_attribute(key, a, *node->add_attribute());
  }
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
