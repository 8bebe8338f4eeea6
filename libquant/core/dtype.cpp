#include "core/dtype.h"

#include <array>

namespace quant {
namespace {

constexpr std::array<DTypeInfo, 15> kDTypes = {{
    {DType::Undefined, "undefined", "UNDEFINED", 0, 0},
    {DType::Float32, "float32", "FLOAT", 4, 'f'},
    {DType::UInt8, "uint8", "UINT8", 1, 'u'},
    {DType::Int8, "int8", "INT8", 1, 'i'},
    {DType::UInt16, "uint16", "UINT16", 2, 'u'},
    {DType::Int16, "int16", "INT16", 2, 'i'},
    {DType::Int32, "int32", "INT32", 4, 'i'},
    {DType::Int64, "int64", "INT64", 8, 'i'},
    {DType::String, "string", "STRING", 0, 0},
    {DType::Bool, "bool", "BOOL", 1, 'b'},
    {DType::Float16, "float16", "FLOAT16", 2, 'f'},
    {DType::Float64, "float64", "DOUBLE", 8, 'f'},
    {DType::UInt32, "uint32", "UINT32", 4, 'u'},
    {DType::UInt64, "uint64", "UINT64", 8, 'u'},
    {DType::BFloat16, "bfloat16", "BFLOAT16", 2, 0},
}};

const DTypeInfo* find(int code) {
  for (const auto& info : kDTypes)
    if (static_cast<int>(info.dtype) == code) return &info;
  return nullptr;
}

}  // namespace

const DTypeInfo& dtype_info(DType dtype) {
  if (const DTypeInfo* info = find(static_cast<int>(dtype))) return *info;
  throw Error(ErrorKind::Unsupported, "unknown element type code " + std::to_string(static_cast<int>(dtype)));
}

DType dtype_from_onnx(int code) {
  const DTypeInfo* info = find(code);
  if (!info || code == 0)
    throw Error(ErrorKind::Unsupported, "ONNX element type code " + std::to_string(code) + " is not supported");
  return info->dtype;
}

DType dtype_from_npy(char kind, int size) {
  for (const auto& info : kDTypes)
    if (info.npy_kind == kind && info.size == size) return info.dtype;
  throw Error(ErrorKind::Unsupported,
              std::string("numpy element type '") + kind + std::to_string(size) + "' is not supported");
}

bool dtype_is_float(DType d) {
  return d == DType::Float32 || d == DType::Float64 || d == DType::Float16 || d == DType::BFloat16;
}

bool dtype_is_integer(DType d) {
  const char k = dtype_info(d).npy_kind;
  return k == 'i' || k == 'u';
}

}  // namespace quant
