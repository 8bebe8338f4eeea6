#include "core/error.h"

namespace quant {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Usage: return "usage error";
    case ErrorKind::Io: return "I/O error";
    case ErrorKind::Parse: return "parse error";
    case ErrorKind::Model: return "invalid model";
    case ErrorKind::Unsupported: return "unsupported";
    case ErrorKind::Data: return "bad data";
    case ErrorKind::Internal: return "internal error";
  }
  return "error";
}

std::string format_error(const std::string& message, const ErrorContext& c) {
  std::string out;
  if (!c.file.empty()) {
    out.append(c.file);
    if (c.line > 0) out.append(":").append(std::to_string(c.line)).append(":").append(std::to_string(c.col));
    out.append(": ");
  }
  if (!c.node.empty() || !c.op_type.empty()) {
    out.append("node '").append(c.node).append("'");
    if (!c.op_type.empty()) out.append(" (").append(c.op_type).append(")");
    out.append(": ");
  }
  return out + message;
}

Error::Error(ErrorKind kind, std::string message, ErrorContext context)
    : std::runtime_error(format_error(message, context)),
      kind_(kind),
      message_(std::move(message)),
      context_(std::move(context)) {}

Error Error::with_node(const std::string& node, const std::string& op_type) const {
  if (!context_.node.empty() || !context_.op_type.empty()) return *this;
  ErrorContext c = context_;
  c.node = node;
  c.op_type = op_type;
  return Error(kind_, message_, c);
}

Error Error::with_file(const std::string& file) const {
  if (!context_.file.empty()) return *this;
  ErrorContext c = context_;
  c.file = file;
  return Error(kind_, message_, c);
}

std::string shortened(const std::string& text, size_t max) { return text.size() <= max ? text : text.substr(0, max) + "..."; }

}  // namespace quant
