// Element types, numbered as ONNX's TensorProto.DataType so that conversion is a cast.
// Facts about each type live in one table (dtype.cpp), not in switches.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/half.h"

namespace quant {

enum class DType : int {
  Undefined = 0,
  Float32 = 1,
  UInt8 = 2,
  Int8 = 3,
  UInt16 = 4,
  Int16 = 5,
  Int32 = 6,
  Int64 = 7,
  String = 8,
  Bool = 9,
  Float16 = 10,
  Float64 = 11,
  UInt32 = 12,
  UInt64 = 13,
  BFloat16 = 16,
};

struct DTypeInfo {
  DType dtype;
  const char* name;       // as numpy and our JSON spell it: "float32", "uint8", ...
  const char* onnx_name;  // as ONNX spells it: "FLOAT", "UINT8", ...
  int size;               // bytes per element, 0 where not a fixed-size number
  char npy_kind;          // numpy descr kind: 'f' float, 'i' signed, 'u' unsigned, 'b' bool, 0 none
};

// Info for a type; throws Unsupported for codes quant does not know.
const DTypeInfo& dtype_info(DType dtype);
inline const char* dtype_name(DType d) { return dtype_info(d).name; }
inline size_t dtype_size(DType d) { return static_cast<size_t>(dtype_info(d).size); }
DType dtype_from_onnx(int code);                      // throws Unsupported
DType dtype_from_npy(char kind, int size);            // throws Unsupported
bool dtype_is_float(DType d);                         // float16/32/64, bfloat16
bool dtype_is_integer(DType d);

template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::Float32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::Float64; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::Int8; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::UInt8; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::Int16; };
template <> struct DTypeOf<uint16_t> { static constexpr DType value = DType::UInt16; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::Int32; };
template <> struct DTypeOf<uint32_t> { static constexpr DType value = DType::UInt32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::Int64; };
template <> struct DTypeOf<uint64_t> { static constexpr DType value = DType::UInt64; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::Bool; };
template <> struct DTypeOf<Half> { static constexpr DType value = DType::Float16; };
template <> struct DTypeOf<BFloat16> { static constexpr DType value = DType::BFloat16; };

// Calls fn(T{}) with the C++ type of a numeric dtype (every fixed-size type but float16/bfloat16,
// which kernels see only through Cast). Throws Unsupported otherwise, naming `what`.
template <typename Fn>
decltype(auto) visit_numeric(DType d, const char* what, Fn&& fn) {
  switch (d) {
    case DType::Float32: return fn(float{});
    case DType::Float64: return fn(double{});
    case DType::Int8: return fn(int8_t{});
    case DType::UInt8: return fn(uint8_t{});
    case DType::Int16: return fn(int16_t{});
    case DType::UInt16: return fn(uint16_t{});
    case DType::Int32: return fn(int32_t{});
    case DType::UInt32: return fn(uint32_t{});
    case DType::Int64: return fn(int64_t{});
    case DType::UInt64: return fn(uint64_t{});
    case DType::Bool: return fn(bool{});
    default: break;
  }
  throw Error(ErrorKind::Unsupported, std::string(what) + ": element type " + dtype_info(d).name +
                                          " is not supported here");
}

// Like visit_numeric, also with Half and BFloat16 (for type conversion).
template <typename Fn>
decltype(auto) visit_any_number(DType d, const char* what, Fn&& fn) {
  if (d == DType::Float16) return fn(Half{});
  if (d == DType::BFloat16) return fn(BFloat16{});
  return visit_numeric(d, what, std::forward<Fn>(fn));
}

}  // namespace quant
