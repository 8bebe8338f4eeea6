// What the commands write, and how they report it: the external-data file beside a written model,
// --external-data, and --json's one document on stdout (declared in commands.h).
#include <filesystem>
#include <iostream>

#include "commands.h"

namespace quant::app {

std::vector<NamedPath> model_outputs(const std::string& what, const std::string& path) {
  if (path.empty()) return {};
  return {{what, path}, {what + "'s external data file", onnx_io::external_data_path(path)}};
}

void require_writable_model(const std::string& path) {
  require_writable_target(path);
  require_writable_target(onnx_io::external_data_path(path));
}

void add_json_flag(CLI::App& cmd, bool& json) {
  cmd.add_flag("--json", json, "Print one JSON document on stdout saying what was written (logs stay on stderr)");
}

void print_result(bool json, nlohmann::ordered_json result, const std::vector<std::string>& paths) {
  if (!json) return;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const std::string& path : paths) {
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(path, ec);
    list.push_back({{"path", path}, {"bytes", ec ? 0 : bytes}});
  }
  result["files"] = list;
  std::cout << result.dump(2) << std::endl;
}

std::vector<std::string> paths_of(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<std::string> paths;
  for (const auto& [path, bytes] : files) paths.push_back(path);
  return paths;
}

void add_external_data_flag(CLI::App& cmd, onnx_io::ExternalData& mode) {
  cmd.add_flag_callback(
      "--external-data", [&mode] { mode = onnx_io::ExternalData::Always; },
      "Store initializers of 1 KiB or more in OUTPUT.data beside the model (ONNX external data); done anyway for models over 2 GB");
}

}  // namespace quant::app
