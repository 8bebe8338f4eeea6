#include "tensorio/npy.h"

#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>

#include "core/file_io.h"

namespace quant::tensorio {
namespace {

constexpr char kMagic[] = "\x93NUMPY";

Error npy_error(const std::string& source, const std::string& what) {
  return Error(ErrorKind::Parse, "not a valid .npy file: " + what, {.file = source});
}

std::string descr_of(DType dtype) {
  const DTypeInfo& info = dtype_info(dtype);
  if (!info.npy_kind) throw Error(ErrorKind::Unsupported, std::string("cannot store ") + info.name + " in .npy");
  return std::string(info.size == 1 ? "|" : "<") + info.npy_kind + std::to_string(info.size);
}

}  // namespace

NpyHeader parse_npy_header(const std::string& bytes, const std::string& source) {
  if (bytes.size() < 10 || bytes.compare(0, 6, kMagic, 6) != 0) throw npy_error(source, "missing the \\x93NUMPY magic");
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len, header_start;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw npy_error(source, "truncated header");
    header_len = 0;
    for (int i = 3; i >= 0; --i) header_len = (header_len << 8) | static_cast<unsigned char>(bytes[8 + static_cast<size_t>(i)]);
    header_start = 12;
  } else {
    throw npy_error(source, "unknown format version " + std::to_string(major));
  }
  if (bytes.size() < header_start + header_len) throw npy_error(source, "truncated header");
  const std::string header = bytes.substr(header_start, header_len);

  std::smatch m;
  if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([<>|=])([a-zA-Z])(\d+)')"))) {
    if (std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([^']*)')")))
      throw Error(ErrorKind::Unsupported, "element type '" + shortened(m[1].str(), 20) + "'" + (m[1].str().find('O') != std::string::npos ? " (Python objects)" : "") +
                                              " is not supported: save a numeric array",
                  {.file = source});
    throw npy_error(source, "no 'descr' in the header");
  }
  const char order = m[1].str()[0];
  const char kind = m[2].str()[0];
  const std::string digits = m[3].str();
  int size = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
  if (ec != std::errc() || end != digits.data() + digits.size() || size > 16)
    throw npy_error(source, "element size '" + shortened(digits, 20) + "' in 'descr' is not one .npy uses");
  if (order == '>' && size > 1) throw Error(ErrorKind::Unsupported, "big-endian .npy data is not supported", {.file = source});
  NpyHeader h;
  try {
    h.dtype = dtype_from_npy(kind, size);
  } catch (const Error& e) {
    throw Error(ErrorKind::Unsupported, e.message(), {.file = source});
  }
  if (std::regex_search(header, m, std::regex(R"('fortran_order'\s*:\s*True)")))
    throw Error(ErrorKind::Unsupported, "Fortran-ordered .npy data is not supported (save with C order)", {.file = source});
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))")))
    throw npy_error(source, "no 'shape' in the header");
  // The shape tuple: integers separated by commas, "(3,)" for one dim, "()" for a scalar.
  const std::string dims = m[1].str();
  size_t pos = 0;
  while (pos < dims.size()) {
    const size_t comma = std::min(dims.find(',', pos), dims.size());
    std::string item = dims.substr(pos, comma - pos);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    pos = comma + 1;
    if (item.empty() && comma == dims.size()) break;  // after a trailing comma
    int64_t d = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), d);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size())
      throw npy_error(source, "shape (" + shortened(dims, 60) + ") has '" + shortened(item, 20) + "', not a dimension");
    if (d < 0) throw npy_error(source, "negative dimension " + std::to_string(d) + " in shape (" + shortened(dims, 60) + ")");
    h.shape.push_back(d);
  }
  if (checked_byte_size(h.shape, static_cast<int64_t>(dtype_size(h.dtype))) < 0)
    throw npy_error(source, "shape (" + shortened(dims, 60) + ") holds more bytes than 64 bits count");
  h.data_offset = header_start + header_len;
  return h;
}

NpyHeader read_npy_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::Io, std::filesystem::exists(path) ? "cannot open" : "no such file", {.file = path});
  std::string head(65536, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  const NpyHeader h = parse_npy_header(head, path);
  in.clear();
  in.seekg(0, std::ios::end);
  const size_t data = static_cast<size_t>(in.tellg()) - std::min(static_cast<size_t>(in.tellg()), h.data_offset);
  if (data != h.data_bytes())
    throw npy_error(path, "data has " + std::to_string(data) + " bytes, shape " + shape_to_string(h.shape) + " of " +
                              dtype_name(h.dtype) + " needs " + std::to_string(h.data_bytes()));
  return h;
}

Tensor parse_npy(const std::string& bytes, const std::string& source) {
  const NpyHeader h = parse_npy_header(bytes, source);
  if (bytes.size() - h.data_offset != h.data_bytes())  // checked before allocating
    throw npy_error(source, "data has " + std::to_string(bytes.size() - h.data_offset) + " bytes, shape " +
                                shape_to_string(h.shape) + " of " + dtype_name(h.dtype) + " needs " + std::to_string(h.data_bytes()));
  Tensor t(h.dtype, h.shape, Init::Uninitialized);
  std::memcpy(t.raw(), bytes.data() + h.data_offset, t.nbytes());
  return t;
}

Tensor read_npy(const std::string& path) { return parse_npy(read_file(path), path); }

std::string npy_header(DType dtype, const Shape& shape) {
  std::string dims = "(";
  for (size_t i = 0; i < shape.size(); ++i) dims += std::to_string(shape[i]) + ", ";
  if (shape.size() > 1) dims.resize(dims.size() - 1), dims.back() = ')';
  else dims = shape.empty() ? "()" : dims.substr(0, dims.size() - 1) + ")";
  std::string header = "{'descr': '" + descr_of(dtype) + "', 'fortran_order': False, 'shape': " + dims + ", }";
  const size_t unpadded = 10 + header.size() + 1;  // magic + version + length, header, newline
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  std::string out(kMagic, 6);
  out.push_back('\x01');
  out.push_back('\x00');
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  return out + header;
}

std::string serialize_npy(const Tensor& tensor) {
  std::string out = npy_header(tensor.dtype(), tensor.shape());
  out.append(reinterpret_cast<const char*>(tensor.raw()), tensor.nbytes());
  return out;
}

Tensor read_npy_rows(const std::string& path, const NpyHeader& header, int64_t first, int64_t count) {
  if (header.shape.empty() || first < 0 || count < 0 || first + count > header.shape[0])
    throw Error(ErrorKind::Internal, "rows out of range", {.file = path});
  Shape shape = header.shape;
  shape[0] = count;
  Tensor t(header.dtype, shape, Init::Uninitialized);
  const size_t row_bytes = count > 0 ? t.nbytes() / static_cast<size_t>(count) : 0;
  OpenFile(path).read_at(header.data_offset + static_cast<uint64_t>(first) * row_bytes, t.raw(), t.nbytes(),
                         "rows " + std::to_string(first) + " to " + std::to_string(first + count - 1));
  return t;
}

void write_npy(const std::string& path, const Tensor& tensor) { write_file_atomically(path, serialize_npy(tensor)); }

}  // namespace quant::tensorio
