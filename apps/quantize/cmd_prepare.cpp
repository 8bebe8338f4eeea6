// quantize prepare MODEL.onnx -o OUT.onnx [--target-opset N] [--input-shape NAME:D0,D1,...]
// Runs the preparation stage alone (libquant/prepare: opset upgrade, constant folding, Identity
// and Dropout removal, BatchNormalization folding, shape inference) and writes the result, the
// model every later stage of `optimize` works on.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

#include <memory>

#include "commands.h"
#include "core/file_io.h"
#include "onnx/load.h"
#include "onnx/save.h"
#include "prepare/prepare.h"
#include "tensor_files.h"

namespace quant::app {
namespace {

struct PrepareCommandOptions {
  std::string model, output;
  std::vector<std::string> input_shapes, input_values;
  int target_opset = 0;
  bool fold_batch_norm = true;
  onnx_io::ExternalData external_data = onnx_io::ExternalData::Auto;
  bool json = false;
};

void run_prepare(const PrepareCommandOptions& opt) {
  require_distinct_outputs({{"the input model", opt.model}}, model_outputs("-o", opt.output));
  require_writable_model(opt.output);
  ir::Model model = onnx_io::load_model(opt.model);
  apply_input_shapes(model.graph, opt.input_shapes);
  apply_input_values(model.graph, opt.input_values);
  const prepare::PrepareReport report = prepare_and_log(model, {.target_opset = opt.target_opset, .fold_batch_norm = opt.fold_batch_norm});
  const auto files = onnx_io::serialize_model(model, opt.output, opt.external_data);
  write_files_atomically(files);
  spdlog::info("wrote {}", opt.output);
  print_result(opt.json, {{"command", "prepare"}, {"model", opt.model}, {"summary", report.summary()}, {"nodes", model.graph.nodes.size()}}, paths_of(files));
}

}  // namespace

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

prepare::PrepareReport prepare_and_log(ir::Model& model, const prepare::PrepareOptions& options) {
  const prepare::PrepareReport report = prepare::prepare_model(model, options);
  spdlog::info("prepare: {}", report.summary());
  for (const std::string& change : report.upgrade_changes) spdlog::info("  upgraded {}", change);
  if (!report.not_folded.empty())
    spdlog::warn("prepare: {} constant nodes not folded (their results are large; they run at inference): first '{}'", report.not_folded.size(),
                 report.not_folded.front());
  if (!report.unshaped.empty())
    spdlog::warn("prepare: shape inference left {} tensors without a full type and shape (first: '{}')", report.unshaped.size(),
                 report.unshaped.front());
  return report;
}

void register_prepare(CLI::App& app) {
  auto opt = std::make_shared<PrepareCommandOptions>();
  CLI::App* cmd = app.add_subcommand("prepare", "Prepare a float model for quantization: opset upgrade, constant and BatchNormalization folding, shapes");
  cmd->add_option("model", opt->model, "Float ONNX model")->required();
  cmd->add_option("-o,--output", opt->output, "The prepared ONNX model to write")->required();
  cmd->add_option("--target-opset", opt->target_opset, "Opset to upgrade to (default: 13, or the model's own when newer)");
  cmd->add_option("--input-shape", opt->input_shapes, "NAME:D0,D1,... fixes a dynamic input shape");
  cmd->add_option("--input-value", opt->input_values, kInputValueHelp);
  cmd->add_flag("!--no-fold-batch-norm", opt->fold_batch_norm, "Keep BatchNormalization nodes after Conv/Gemm as they are");
  add_external_data_flag(*cmd, opt->external_data);
  add_json_flag(*cmd, opt->json);
  cmd->callback([opt] { run_prepare(*opt); });
}

}  // namespace quant::app
