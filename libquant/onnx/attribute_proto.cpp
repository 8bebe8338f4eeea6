#include "onnx/attribute_proto.h"

#include "onnx/tensor_proto.h"

namespace quant::onnx_io {

ir::AttrKind attr_kind_from_proto(onnx::AttributeProto::AttributeType type, const ErrorContext& ctx, const std::string& key) {
  switch (type) {
    case onnx::AttributeProto::FLOAT: return ir::AttrKind::Float;
    case onnx::AttributeProto::INT: return ir::AttrKind::Int;
    case onnx::AttributeProto::STRING: return ir::AttrKind::String;
    case onnx::AttributeProto::TENSOR: return ir::AttrKind::Tensor;
    case onnx::AttributeProto::FLOATS: return ir::AttrKind::Floats;
    case onnx::AttributeProto::INTS: return ir::AttrKind::Ints;
    case onnx::AttributeProto::STRINGS: return ir::AttrKind::Strings;
    case onnx::AttributeProto::GRAPH: return ir::AttrKind::Graph;
    default:
      throw Error(ErrorKind::Unsupported, "attribute '" + key + "' has a type quant does not support (graphs list, sparse tensor or type proto)", ctx);
  }
}

ir::Attribute attribute_from_proto(const onnx::AttributeProto& a, const std::string& base_dir, const ErrorContext& ctx) {
  ir::Attribute out;
  out.kind = attr_kind_from_proto(a.type(), ctx, a.name());
  out.f = a.f();
  out.i = a.i();
  out.s = a.s();
  if (a.has_t()) out.t = tensor_from_proto(a.t(), base_dir);
  out.floats.assign(a.floats().begin(), a.floats().end());
  out.ints.assign(a.ints().begin(), a.ints().end());
  out.strings.assign(a.strings().begin(), a.strings().end());
  return out;
}

void attribute_to_proto(const std::string& key, const ir::Attribute& a, onnx::AttributeProto& out) {
  out.set_name(key);
  switch (a.kind) {
    case ir::AttrKind::Float: out.set_type(onnx::AttributeProto::FLOAT); out.set_f(a.f); break;
    case ir::AttrKind::Int: out.set_type(onnx::AttributeProto::INT); out.set_i(a.i); break;
    case ir::AttrKind::String: out.set_type(onnx::AttributeProto::STRING); out.set_s(a.s); break;
    case ir::AttrKind::Tensor: out.set_type(onnx::AttributeProto::TENSOR); tensor_to_proto(a.t, "", *out.mutable_t()); break;
    case ir::AttrKind::Floats: out.set_type(onnx::AttributeProto::FLOATS); for (float f : a.floats) out.add_floats(f); break;
    case ir::AttrKind::Ints: out.set_type(onnx::AttributeProto::INTS); for (int64_t i : a.ints) out.add_ints(i); break;
    case ir::AttrKind::Strings: out.set_type(onnx::AttributeProto::STRINGS); for (const auto& s : a.strings) out.add_strings(s); break;
    case ir::AttrKind::Graph: throw Error(ErrorKind::Internal, "graph attributes are written by graph_to_proto");
  }
}

}  // namespace quant::onnx_io
