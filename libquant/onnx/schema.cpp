#include "onnx/schema.h"

#include <onnx/defs/schema.h>

#include "onnx/attribute_proto.h"

namespace quant::onnx_io {

SchemaWarmup::SchemaWarmup() : thread_([] { onnx::OpSchemaRegistry::Schema("Relu", kNewestSchemaOpset, ""); }) {}
SchemaWarmup::~SchemaWarmup() { thread_.join(); }

void apply_schema(ir::Node& node, const ErrorContext& ctx) {
  const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(node.op_type, node.opset, node.domain);
  if (!schema)
    throw Error(ErrorKind::Model, "'" + node.op_type + "' is not an ONNX operator at opset " + std::to_string(node.opset), ctx);
  const std::string form = node.op_type + "-" + std::to_string(schema->since_version());
  for (const auto& [key, value] : node.attributes) {
    auto it = schema->attributes().find(key);
    if (it == schema->attributes().end()) throw Error(ErrorKind::Model, "unknown attribute '" + key + "' for " + form, ctx);
    const ir::AttrKind expected = attr_kind_from_proto(it->second.type, ctx, key);
    if (expected != value.kind)
      throw Error(ErrorKind::Model, "attribute '" + key + "' is " + ir::attr_kind_name(value.kind) + ", expected " + ir::attr_kind_name(expected), ctx);
  }
  for (const auto& [key, spec] : schema->attributes()) {
    if (node.attributes.count(key)) continue;
    if (spec.required) throw Error(ErrorKind::Model, "missing required attribute '" + key + "'", ctx);
    if (spec.default_value.type() != onnx::AttributeProto::UNDEFINED)
      node.attributes[key] = attribute_from_proto(spec.default_value, "", ctx);
  }
  const int inputs = static_cast<int>(node.inputs.size());
  if (inputs < schema->min_input() || inputs > schema->max_input())
    throw Error(ErrorKind::Model, "has " + std::to_string(inputs) + " inputs, " + form + " takes " + std::to_string(schema->min_input()) +
                                      " to " + std::to_string(schema->max_input()), ctx);
}

int schema_since_version(const std::string& op_type, int opset) {
  const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(op_type, opset, "");
  return schema ? schema->since_version() : -1;
}

std::vector<int> schema_changes(const std::string& op_type, int from, int to) {
  std::vector<int> changes;
  for (int v = from + 1; v <= to; ++v)
    if (schema_since_version(op_type, v) == v && schema_since_version(op_type, v - 1) != -1) changes.push_back(v);
  return changes;
}

}  // namespace quant::onnx_io
