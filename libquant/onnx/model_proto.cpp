#include "onnx/model_proto.h"

#include "onnx/attribute_proto.h"
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

void graph_to_proto(const ir::Graph& graph, onnx::GraphProto& g, Initializers initializers) {
  g.set_name(graph.name.empty() ? "quant" : graph.name);
  for (const ir::ValueInfo& v : graph.inputs) write_value_info(v, *g.add_input());
  for (const ir::ValueInfo& v : graph.outputs) write_value_info(v, *g.add_output());
  for (const auto& [name, v] : graph.value_infos) write_value_info(v, *g.add_value_info());
  // Initializers in a stable (sorted) order, so the same model is written byte for byte the same.
  std::vector<const std::string*> names;
  for (const auto& [name, t] : graph.initializers) names.push_back(&name);
  std::sort(names.begin(), names.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
  for (const std::string* name : names) {
    const Tensor& t = graph.initializers.at(*name);
    if (initializers == Initializers::LargeAsShapes && t.numel() > kShapeOnlyAbove) {
      ir::ValueInfo v{.name = *name, .dtype = t.dtype(), .has_shape = true};
      for (const int64_t d : t.shape()) v.dims.push_back(ir::Dim{.size = d});
      write_value_info(v, *g.add_input());
    } else {
      tensor_to_proto(t, *name, *g.add_initializer());
    }
  }
  for (const ir::Node& n : graph.nodes) {
    auto* node = g.add_node();
    node->set_name(n.name);
    node->set_op_type(n.op_type);
    if (!n.domain.empty()) node->set_domain(n.domain);
    for (const std::string& in : n.inputs) node->add_input(in);
    for (const std::string& out : n.outputs) node->add_output(out);
    for (const auto& [key, a] : n.attributes) {
      auto* attr = node->add_attribute();
      if (a.kind != ir::AttrKind::Graph) {
        attribute_to_proto(key, a, *attr);
        continue;
      }
      attr->set_name(key);
      attr->set_type(onnx::AttributeProto::GRAPH);
      graph_to_proto(*a.g, *attr->mutable_g(), Initializers::Values);  // a subgraph's inputs are its signature
    }
  }
}

}  // namespace

void model_to_proto(const ir::Model& model, onnx::ModelProto& proto, Initializers initializers) {
  proto.set_ir_version(std::max<int64_t>(model.ir_version, 7));
  proto.set_producer_name("quant");
  proto.set_producer_version("0.1.0");
  for (const auto& [domain, version] : model.opsets) {
    auto* op = proto.add_opset_import();
    op->set_domain(domain);
    op->set_version(version);
  }
  graph_to_proto(model.graph, *proto.mutable_graph(), initializers);
}

ir::ValueInfo value_info_from_proto(const onnx::ValueInfoProto& v, const std::string& what) {
  ir::ValueInfo out;
  out.name = v.name();
  if (!v.has_type()) return out;
  if (!v.type().has_tensor_type())
    throw Error(ErrorKind::Unsupported, what + " '" + v.name() + "' is not a tensor (sequences, maps and optionals are not supported)");
  const auto& tt = v.type().tensor_type();
  if (tt.elem_type() != 0) out.dtype = dtype_from_onnx(tt.elem_type());
  if (tt.has_shape()) {
    out.has_shape = true;
    for (const auto& d : tt.shape().dim()) {
      ir::Dim dim;
      if (d.has_dim_value()) dim.size = d.dim_value();
      else if (d.has_dim_param()) dim.symbol = d.dim_param();
      out.dims.push_back(dim);
    }
  }
  return out;
}


}  // namespace quant::onnx_io
