#include "onnx/tensor_proto.h"

#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <onnx/onnx_pb.h>

namespace quant::onnx_io {
namespace {

Error tensor_error(ErrorKind kind, const onnx::TensorProto& proto, const std::string& what) {
  return Error(kind, "tensor '" + shortened(proto.name()) + "': " + what);
}

// A non-negative integer written as text (external_data offset/length), or -1.
int64_t parse_size(const std::string& text) {
  int64_t v = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && end == text.data() + text.size() && v >= 0 ? v : -1;
}

// True when `path` is `folder` or lies below it (both canonical).
bool is_within(const std::filesystem::path& path, const std::filesystem::path& folder) {
  auto p = path.begin();
  for (auto f = folder.begin(); f != folder.end(); ++f, ++p)
    if (p == path.end() || *p != *f) return false;
  return true;
}

// The file an external tensor's data is in, checked before anything is read or allocated: a
// relative location without "..", that resolves (symbolic links followed) to a regular file in the
// model's folder or below, holding `nbytes` bytes from `offset`. A model is untrusted input: an
// absolute or climbing location would read any file on the machine as weights.
struct ExternalData {
  std::filesystem::path path;
  int64_t offset = 0;
};
ExternalData locate_external(const onnx::TensorProto& proto, const std::string& base_dir, int64_t nbytes) {
  namespace fs = std::filesystem;
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset" || kv.key() == "length") {
      const int64_t v = parse_size(kv.value());
      if (v < 0) throw tensor_error(ErrorKind::Parse, proto, "external data " + kv.key() + " '" + shortened(kv.value(), 40) + "' is not a size");
      (kv.key() == "offset" ? offset : length) = v;
    }
  }
  const std::string shown = "'" + shortened(location) + "'";
  if (location.empty()) throw tensor_error(ErrorKind::Parse, proto, "external data without a location");
  const fs::path relative(location);
  if (relative.is_absolute() || relative.has_root_name() || relative.has_root_directory())
    throw tensor_error(ErrorKind::Model, proto, "external data location " + shown + " is an absolute path: only files in the model's folder or below are read");
  for (const fs::path& part : relative)
    if (part == "..")
      throw tensor_error(ErrorKind::Model, proto, "external data location " + shown + " climbs out of the model's folder ('..')");
  std::error_code ec;
  const fs::path folder = fs::canonical(base_dir.empty() ? fs::path(".") : fs::path(base_dir), ec);
  const fs::path file = ec ? fs::path() : fs::canonical(folder / relative, ec);
  if (ec) throw tensor_error(ErrorKind::Io, proto, "cannot open external data file " + shown + " (" + ec.message() + ")");
  if (!is_within(file, folder))
    throw tensor_error(ErrorKind::Model, proto, "external data location " + shown + " resolves to '" + file.string() + "', outside the model's folder");
  if (!fs::is_regular_file(file, ec)) throw tensor_error(ErrorKind::Model, proto, "external data location " + shown + " is not a regular file");
  if (length >= 0 && length != nbytes)
    throw tensor_error(ErrorKind::Parse, proto, "external data length " + std::to_string(length) + " does not match its shape (" + std::to_string(nbytes) + " bytes)");
  const auto size = static_cast<int64_t>(fs::file_size(file, ec));
  if (ec || offset > size || size - offset < nbytes)
    throw tensor_error(ErrorKind::Parse, proto, "external data file " + shown + " holds " + std::to_string(ec ? 0 : std::max<int64_t>(0, size - offset)) +
                                                   " bytes from offset " + std::to_string(offset) + ", the tensor needs " + std::to_string(nbytes));
  return {file, offset};
}

void read_external(const onnx::TensorProto& proto, const ExternalData& where, Tensor& out) {
  std::ifstream in(where.path, std::ios::binary);
  if (!in) throw tensor_error(ErrorKind::Io, proto, "cannot open external data file '" + where.path.string() + "'");
  in.seekg(where.offset);
  in.read(reinterpret_cast<char*>(out.raw()), static_cast<std::streamsize>(out.nbytes()));
  if (static_cast<size_t>(in.gcount()) != out.nbytes())
    throw tensor_error(ErrorKind::Io, proto, "external data file '" + where.path.string() + "' could not be read to the end");
}

// How many values the typed field that holds a tensor of this element type stores.
int64_t typed_value_count(const onnx::TensorProto& proto, DType dtype) {
  switch (dtype) {
    case DType::Float32: return proto.float_data_size();
    case DType::Float64: return proto.double_data_size();
    case DType::Int64: return proto.int64_data_size();
    case DType::UInt32:
    case DType::UInt64: return proto.uint64_data_size();
    default: return proto.int32_data_size();
  }
}

// Copies a typed repeated field into the tensor, converting each element to T.
// (The count was checked against the shape before the tensor was allocated.)
template <typename T, typename Field>
void copy_field(const Field& field, Tensor& out, const onnx::TensorProto&) {
  T* dst = reinterpret_cast<T*>(out.raw());
  for (int i = 0; i < field.size(); ++i) dst[i] = static_cast<T>(field.Get(i));
}

// For float16/bfloat16 the int32_data field holds the 16-bit patterns.
template <typename Field>
void copy_bits16(const Field& field, Tensor& out, const onnx::TensorProto& proto) {
  copy_field<uint16_t>(field, out, proto);
}

// The tensor's buffer, counted against the tensor memory limit; a refusal names the tensor.
Tensor allocate_for(const onnx::TensorProto& proto, DType dtype, const Shape& shape) {
  try {
    return Tensor(dtype, shape, Init::Uninitialized);
  } catch (const Error& e) {
    throw tensor_error(e.kind(), proto, e.message());
  }
}

}  // namespace

Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& base_dir) {
  if (proto.has_segment()) throw tensor_error(ErrorKind::Unsupported, proto, "segmented tensors are not supported");
  DType dtype;
  try {
    dtype = dtype_from_onnx(proto.data_type());
  } catch (const Error& e) {
    throw tensor_error(ErrorKind::Unsupported, proto, e.message());
  }
  if (dtype == DType::String) throw tensor_error(ErrorKind::Unsupported, proto, "string tensors are not supported");
  Shape shape(proto.dims().begin(), proto.dims().end());
  for (int64_t d : shape)
    if (d < 0) throw tensor_error(ErrorKind::Parse, proto, "negative dimension in " + shape_to_string(shape));
  // The declared size is checked against the data present before anything is allocated: a file
  // cannot make quant allocate more than it holds.
  const auto element = static_cast<int64_t>(dtype_size(dtype));
  const int64_t nbytes = checked_byte_size(shape, element);
  if (nbytes < 0) throw tensor_error(ErrorKind::Parse, proto, "its shape " + shape_to_string(shape) + " holds more bytes than 64 bits count");

  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    const ExternalData where = locate_external(proto, base_dir, nbytes);
    Tensor out = allocate_for(proto, dtype, shape);
    read_external(proto, where, out);
    return out;
  }
  if (proto.has_raw_data()) {
    if (static_cast<int64_t>(proto.raw_data().size()) != nbytes)
      throw tensor_error(ErrorKind::Parse, proto, "raw_data has " + std::to_string(proto.raw_data().size()) +
                                                     " bytes, its shape " + shape_to_string(shape) + " needs " + std::to_string(nbytes));
    Tensor out = allocate_for(proto, dtype, shape);
    std::memcpy(out.raw(), proto.raw_data().data(), out.nbytes());
    return out;
  }
  const int64_t values = typed_value_count(proto, dtype), needed = element > 0 ? nbytes / element : 0;
  if (values != needed)
    throw tensor_error(ErrorKind::Parse, proto, "holds " + std::to_string(values) + " values but its shape " + shape_to_string(shape) + " needs " +
                                                   std::to_string(needed));
  Tensor out = allocate_for(proto, dtype, shape);
  switch (dtype) {
    case DType::Float32: copy_field<float>(proto.float_data(), out, proto); break;
    case DType::Float64: copy_field<double>(proto.double_data(), out, proto); break;
    case DType::Int64: copy_field<int64_t>(proto.int64_data(), out, proto); break;
    case DType::UInt32: copy_field<uint32_t>(proto.uint64_data(), out, proto); break;
    case DType::UInt64: copy_field<uint64_t>(proto.uint64_data(), out, proto); break;
    case DType::Int32: copy_field<int32_t>(proto.int32_data(), out, proto); break;
    case DType::Int16: copy_field<int16_t>(proto.int32_data(), out, proto); break;
    case DType::UInt16: copy_field<uint16_t>(proto.int32_data(), out, proto); break;
    case DType::Int8: copy_field<int8_t>(proto.int32_data(), out, proto); break;
    case DType::UInt8: copy_field<uint8_t>(proto.int32_data(), out, proto); break;
    case DType::Bool: copy_field<bool>(proto.int32_data(), out, proto); break;
    case DType::Float16:
    case DType::BFloat16: copy_bits16(proto.int32_data(), out, proto); break;
    default: throw tensor_error(ErrorKind::Unsupported, proto, "unsupported element type");
  }
  return out;
}

void tensor_to_proto(const Tensor& tensor, const std::string& name, onnx::TensorProto& proto) {
  proto.Clear();
  proto.set_name(name);
  proto.set_data_type(static_cast<int>(tensor.dtype()));
  for (int64_t d : tensor.shape()) proto.add_dims(d);
  proto.set_raw_data(std::string(reinterpret_cast<const char*>(tensor.raw()), tensor.nbytes()));
}

Tensor read_tensor_pb(const std::string& path, std::string* name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::Io, "cannot open tensor file '" + path + "'");
  onnx::TensorProto proto;
  if (!proto.ParseFromIstream(&in))
    throw Error(ErrorKind::Parse, "'" + path + "' is not a serialized ONNX TensorProto");
  if (name) *name = proto.name();
  try {
    return tensor_from_proto(proto, std::filesystem::path(path).parent_path().string());
  } catch (const Error& e) {
    throw e.with_file(path);
  }
}

}  // namespace quant::onnx_io
