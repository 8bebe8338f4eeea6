// ONNX AttributeProto <-> ir::Attribute. Internal to libquant/onnx (the only folder that sees protobuf).
#pragma once
#include <string>

#include <onnx/onnx_pb.h>

#include "core/error.h"
#include "ir/attribute.h"

namespace quant::onnx_io {

// Throws Unsupported (naming the key) for graph, sparse-tensor and type-proto attributes.
ir::AttrKind attr_kind_from_proto(onnx::AttributeProto::AttributeType type, const ErrorContext& ctx, const std::string& key);
ir::Attribute attribute_from_proto(const onnx::AttributeProto& a, const std::string& base_dir, const ErrorContext& ctx);
void attribute_to_proto(const std::string& key, const ir::Attribute& a, onnx::AttributeProto& out);

}  // namespace quant::onnx_io
