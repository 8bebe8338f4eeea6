// quantize prepare MODEL.onnx -o OUT.onnx [--target-opset N] [--input-shape NAME:D0,D1,...]
// Runs the preparation stage alone (libquant/prepare: opset upgrade, constant folding, Identity
// and Dropout removal, BatchNormalization folding, shape inference) and writes the result, the
// model every later stage of `optimize` works on.
#include <spdlog/spdlog.h>

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
