#include "tensor_files.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>

#include "interp/interpreter.h"
#include "onnx/tensor_proto.h"
#include "tensorio/npy.h"

namespace quant::app {

Tensor read_tensor_file(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".npy") return tensorio::read_npy(path);
  if (ext == ".pb") return onnx_io::read_tensor_pb(path);
  throw Error(ErrorKind::Usage, "unknown tensor file type '" + ext + "' (expected .npy or .pb)", {.file = path});
}

std::pair<std::string, std::string> split_name_path(const std::string& spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos) return {"", spec};
  return {spec.substr(0, eq), spec.substr(eq + 1)};
}

namespace {

// The comma-separated items of `text` from `pos` on ("1,3,224" -> "1", "3", "224").
std::vector<std::string> comma_items(const std::string& text, size_t pos) {
  std::vector<std::string> items;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    items.push_back(text.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return items;
}

}  // namespace

std::pair<std::string, Shape> parse_input_shape(const std::string& spec) {
  const size_t colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
    throw Error(ErrorKind::Usage, "--input-shape '" + spec + "': expected NAME:D0,D1,... (e.g. input:1,3,224,224)");
  Shape shape;
  for (const std::string& item : comma_items(spec, colon + 1)) {
    size_t used = 0;
    long long d = -1;
    try {
      d = std::stoll(item, &used);
    } catch (const std::exception&) {
    }
    if (used != item.size() || item.empty() || d <= 0)
      throw Error(ErrorKind::Usage, "--input-shape '" + spec + "': '" + item + "' is not a positive dimension");
    shape.push_back(d);
  }
  return {spec.substr(0, colon), shape};
}

void apply_input_shapes(ir::Graph& graph, const std::vector<std::string>& specs) {
  for (const std::string& spec : specs) {
    auto [name, shape] = parse_input_shape(spec);
    interp::set_input_shape(graph, name, shape);
  }
}

std::pair<std::string, std::vector<double>> parse_input_value(const std::string& spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    throw Error(ErrorKind::Usage, "--input-value '" + spec + "': expected NAME=V0,V1,... (e.g. sr=16000)");
  std::vector<double> values;
  for (const std::string& item : comma_items(spec, eq + 1)) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
    }
    if (item.empty() || used != item.size() || !std::isfinite(v))
      throw Error(ErrorKind::Usage, "--input-value '" + spec + "': '" + item + "' is not a finite number");
    values.push_back(v);
  }
  return {spec.substr(0, eq), values};
}

std::vector<std::pair<std::string, std::vector<double>>> apply_input_values(ir::Graph& graph, const std::vector<std::string>& specs) {
  std::vector<std::pair<std::string, std::vector<double>>> applied;
  for (const std::string& spec : specs) {
    auto [name, values] = parse_input_value(spec);
    interp::set_input_value(graph, name, values);
    spdlog::info("input '{}' fixed to {}: the model no longer takes it as an input", name, spec.substr(name.size() + 1));
    applied.emplace_back(name, values);
  }
  return applied;
}

std::string file_name_for(const std::string& tensor_name) {
  std::string out = tensor_name;
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  if (out.empty() || out[0] == '.') out = "_" + out;
  return out;
}

}  // namespace quant::app
