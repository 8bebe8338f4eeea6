#include "onnx/tensor_proto.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include <onnx/onnx_pb.h>

namespace quant::onnx_io {
namespace {

Error tensor_error(ErrorKind kind, const onnx::TensorProto& proto, const std::string& what) {
  return Error(kind, "tensor '" + proto.name() + "': " + what);
}

void read_external(const onnx::TensorProto& proto, const std::string& base_dir, Tensor& out) {
  std::string location;
  int64_t offset = 0;
  int64_t length = -1;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") location = kv.value();
    else if (kv.key() == "offset") offset = std::stoll(kv.value());
    else if (kv.key() == "length") length = std::stoll(kv.value());
  }
  if (location.empty()) throw tensor_error(ErrorKind::Parse, proto, "external data without a location");
  const std::filesystem::path path = std::filesystem::path(base_dir) / location;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw tensor_error(ErrorKind::Io, proto, "cannot open external data file '" + path.string() + "'");
  if (length >= 0 && static_cast<size_t>(length) != out.nbytes())
    throw tensor_error(ErrorKind::Parse, proto, "external data length " + std::to_string(length) +
                                                   " does not match its shape (" + std::to_string(out.nbytes()) + " bytes)");
  in.seekg(offset);
  in.read(reinterpret_cast<char*>(out.raw()), static_cast<std::streamsize>(out.nbytes()));
  if (static_cast<size_t>(in.gcount()) != out.nbytes())
    throw tensor_error(ErrorKind::Parse, proto, "external data file '" + path.string() + "' is too short");
}

// Copies a typed repeated field into the tensor, converting each element to T.
template <typename T, typename Field>
void copy_field(const Field& field, Tensor& out, const onnx::TensorProto& proto) {
  if (static_cast<int64_t>(field.size()) != out.numel())
    throw tensor_error(ErrorKind::Parse, proto, "holds " + std::to_string(field.size()) + " values but its shape " +
                                                   shape_to_string(out.shape()) + " needs " + std::to_string(out.numel()));
  T* dst = reinterpret_cast<T*>(out.raw());
  for (int i = 0; i < field.size(); ++i) dst[i] = static_cast<T>(field.Get(i));
}

// For float16/bfloat16 the int32_data field holds the 16-bit patterns.
template <typename Field>
void copy_bits16(const Field& field, Tensor& out, const onnx::TensorProto& proto) {
  copy_field<uint16_t>(field, out, proto);
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
  Tensor out(dtype, shape);

  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    read_external(proto, base_dir, out);
    return out;
  }
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != out.nbytes())
      throw tensor_error(ErrorKind::Parse, proto, "raw_data has " + std::to_string(proto.raw_data().size()) +
                                                     " bytes, its shape " + shape_to_string(shape) + " needs " +
                                                     std::to_string(out.nbytes()));
    std::memcpy(out.raw(), proto.raw_data().data(), out.nbytes());
    return out;
  }
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
