// The one error type of quant. Thrown at the boundaries (loading, validation, kernels on bad data),
// caught in apps/ and turned into one message and an exit code.
#pragma once
#include <stdexcept>
#include <string>

namespace quant {

// What went wrong, which decides the exit code (see apps/quantize/exit_codes.h).
enum class ErrorKind {
  Usage,        // bad command line
  Io,           // missing / unreadable / unwritable file
  Parse,        // malformed file contents (ONNX protobuf, .npy header, script syntax)
  Model,        // a well-formed model that is invalid (dangling names, cycles, bad attributes)
  Unsupported,  // valid ONNX that quant does not handle (op, dtype, attribute value)
  Data,         // input data that does not fit the model (shape, dtype)
  Internal,     // a bug in quant
};

const char* error_kind_name(ErrorKind kind);

// Where an error happened. Every field is optional; what() prints the ones that are set:
//   "file:line:col: node 'name' (Op): message"
struct ErrorContext {
  std::string file;
  int line = 0;
  int col = 0;
  std::string node;     // ONNX node name
  std::string op_type;  // its op type
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message, ErrorContext context = {});

  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  const ErrorContext& context() const { return context_; }

  // A copy with the node filled in, unless one is already set (the innermost context wins).
  Error with_node(const std::string& node, const std::string& op_type) const;
  // A copy with the file filled in, unless one is already set.
  Error with_file(const std::string& file) const;

 private:
  ErrorKind kind_;
  std::string message_;
  ErrorContext context_;
};

std::string format_error(const std::string& message, const ErrorContext& context);

// Text from an input file as a message shows it: whole up to `max` characters, else its first `max`
// and "..." (a 1 MB name in a model or script must not become a 1 MB message).
std::string shortened(const std::string& text, size_t max = 200);

}  // namespace quant
