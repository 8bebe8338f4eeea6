// What ONNX's operator schemas say about an op at an opset: used by the loader to check attributes
// and fill defaults, and by the preparation stage to find where an op's form changed between two
// opsets. Stages after onnx/ ask through these functions; they never see ONNX's own types.
#pragma once
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "ir/graph.h"

namespace quant::onnx_io {

// The newest opset ONNX's schemas (Debian's libonnx 1.12) describe.
constexpr int kNewestSchemaOpset = 17;

// Builds ONNX's operator schema registry on a thread of its own while it lives. libonnx builds
// the whole registry (~1,500 schemas of every opset, ~6.5 ms) on the first lookup; started before
// a model is read, it is built while the model file is read and parsed, and a lookup made before
// it is done waits for it (C++ function-local static initialization). The destructor waits for
// the thread (statics must not be torn down under it).
class SchemaWarmup {
 public:
  SchemaWarmup();
  ~SchemaWarmup();
  SchemaWarmup(const SchemaWarmup&) = delete;
  SchemaWarmup& operator=(const SchemaWarmup&) = delete;

 private:
  std::thread thread_;
};

// Checks the node's attributes and input count against ONNX's schema for the node's opset and
// fills in the attribute defaults. Throws Model (unknown op, unknown or mistyped attribute).
void apply_schema(ir::Node& node, const ErrorContext& ctx);

// The since_version of the op's schema in force at `opset` (default domain), or -1 when the op
// does not exist there.
int schema_since_version(const std::string& op_type, int opset);

// The opsets in (from, to] at which the op's schema changed from an earlier form, oldest first
// (the opset that introduces an op is not a change).
std::vector<int> schema_changes(const std::string& op_type, int from, int to);

}  // namespace quant::onnx_io
