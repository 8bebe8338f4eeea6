// quantize export QUANT.onnx [--encodings FILE] [--trt-cache FILE]
// and the same files from `optimize --export-encodings/--export-trt-cache`: a quantized model's
// parameters for other toolchains (libquant/exchange, docs/exchange.md).
#include <spdlog/spdlog.h>

#include <memory>

#include "commands.h"
#include "exchange/exchange.h"
#include "onnx/load.h"

namespace quant::app {

void add_export_options(CLI::App& cmd, ExportOptions& opt, const std::string& prefix) {
  cmd.add_option(prefix + "encodings", opt.encodings, "Write the parameters as AIMET encodings 2.0.0 (JSON; Qualcomm QNN/SNPE converters)");
  cmd.add_option(prefix + "trt-cache", opt.trt_cache, "Write a TensorRT calibration cache (symmetric int8 scale per activation)");
}

std::vector<NamedPath> export_outputs(const ExportOptions& opt) {
  return {{"the encodings file", opt.encodings}, {"the TensorRT cache", opt.trt_cache}};
}

std::vector<std::pair<std::string, std::string>> export_files(const ir::Graph& qdq, const ExportOptions& opt) {
  std::vector<std::pair<std::string, std::string>> files;
  if (opt.encodings.empty() && opt.trt_cache.empty()) return files;
  const std::vector<emit::QdqEntry> entries = emit::read_qdq(qdq);
  if (entries.empty()) throw Error(ErrorKind::Usage, "the model has no QuantizeLinear/DequantizeLinear nodes: nothing to export");
  auto add = [&](const std::string& path, const exchange::Exported& e, const char* what) {
    for (const std::string& note : e.notes) spdlog::warn("{}: {}", what, note);
    files.emplace_back(path, e.text);
  };
  if (!opt.encodings.empty()) add(opt.encodings, exchange::aimet_encodings(entries), "AIMET encodings");
  if (!opt.trt_cache.empty()) add(opt.trt_cache, exchange::tensorrt_cache(entries), "TensorRT cache");
  return files;
}

namespace {

struct ExportCommandOptions {
  std::string model;
  ExportOptions out;
  bool json = false;
};

void run_export(const ExportCommandOptions& opt) {
  if (opt.out.encodings.empty() && opt.out.trt_cache.empty()) throw Error(ErrorKind::Usage, "give --encodings FILE and/or --trt-cache FILE");
  require_distinct_outputs({{"the model", opt.model}}, export_outputs(opt.out));
  const ir::Model model = onnx_io::load_model(opt.model);
  const auto files = export_files(model.graph, opt.out);
  write_files_atomically(files);
  for (const auto& [path, text] : files) spdlog::info("wrote {}", path);
  print_result(opt.json, {{"command", "export"}, {"model", opt.model}}, paths_of(files));
}

}  // namespace

void register_export(CLI::App& app) {
  auto opt = std::make_shared<ExportCommandOptions>();
  CLI::App* cmd = app.add_subcommand("export", "A quantized model's parameters for other toolchains: AIMET encodings, TensorRT calibration cache");
  cmd->add_option("model", opt->model, "A quantized (QDQ) ONNX model")->required();
  add_export_options(*cmd, opt->out, "--");
  add_json_flag(*cmd, opt->json);
  cmd->callback([opt] { run_export(*opt); });
}

}  // namespace quant::app
