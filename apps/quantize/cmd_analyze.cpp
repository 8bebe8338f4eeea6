// quantize analyze FLOAT.onnx QUANT.onnx --data PATH [--labels Y.npy] --report DIR
// Which tensors and layers lose accuracy, and how much: runs both models on the same inputs and
// writes DIR/report.json and DIR/report.html (libquant/analyze).
#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>

#include "analyze/analyze.h"
#include "analyze/report.h"
#include "calib_data.h"
#include "commands.h"
#include "onnx/load.h"
#include "tensor_files.h"

namespace quant::app {
namespace {

struct AnalyzeOptions {
  std::string float_model, quant_model, labels, report_dir;
  CalibDataOptions data;
  bool sensitivity = true;
  bool json = false;
};

void run_analyze(const AnalyzeOptions& opt) {
  const std::string json_path = (std::filesystem::path(opt.report_dir) / "report.json").string();
  const std::string html_path = (std::filesystem::path(opt.report_dir) / "report.html").string();
  std::vector<NamedPath> inputs{{"the float model", opt.float_model}, {"the quantized model", opt.quant_model}, {"--labels", opt.labels}};
  for (const std::string& spec : opt.data.calib) inputs.push_back({"--data", split_name_path(spec).second});
  require_distinct_outputs(inputs, {{"report.json", json_path}, {"report.html", html_path}});

  // The float model prepared as optimize prepares it, so that its tensor names are the ones the
  // quantized model was made from; the quantized model as it is.
  ir::Model float_model = onnx_io::load_model(opt.float_model);
  ir::Model quant_model = onnx_io::load_model(opt.quant_model);
  for (ir::Model* m : {&float_model, &quant_model}) {
    apply_input_shapes(m->graph, opt.data.input_shapes);
    apply_input_values(m->graph, opt.data.input_values);
  }
  prepare_and_log(float_model, {});
  analyze::require_matching_models(float_model.graph, quant_model.graph);
  const OpenedCalibData data = open_calib_data(float_model.graph, opt.data);
  Tensor labels;
  analyze::Options options;
  options.max_samples = opt.data.calib_size;
  options.sensitivity = opt.sensitivity;
  options.progress = terminal_progress();
  if (!opt.labels.empty()) {
    labels = read_tensor_file(opt.labels);
    options.labels = &labels;
  }
  spdlog::info("analyze: {} against {} on {} samples{}", opt.quant_model, opt.float_model,
               calib::calibration_sample_count(data.inputs, options.max_samples), opt.sensitivity ? ", with per-layer sensitivity" : "");
  const analyze::Report report = analyze::analyze(float_model.graph, quant_model.graph, data.inputs, options);

  for (const analyze::OutputRow& o : report.outputs) {
    if (o.error.count > 0)
      spdlog::info("output {}: SQNR {:.1f} dB, max abs error {:.4g}, RMS {:.4g}", o.name, o.error.sqnr_db(), o.error.max_abs, o.error.rms());
    if (o.whole_samples > 0)
      spdlog::info("output {}: compared whole (an integer output, or its shape differs): {}", o.name, o.whole_comparison());
  }
  if (report.top1_agreement)
    spdlog::info("top-1 agreement with float {:.2f}%, accuracy float {:.2f}%, quantized {:.2f}%", *report.top1_agreement * 100,
                 *report.accuracy_float * 100, *report.accuracy_quant * 100);
  std::vector<const analyze::LayerRow*> layers;
  for (const analyze::LayerRow& l : report.layers) layers.push_back(&l);
  std::stable_sort(layers.begin(), layers.end(), [](auto* a, auto* b) { return a->sensitivity_db < b->sensitivity_db; });
  for (size_t i = 0; i < layers.size() && i < 3; ++i)
    spdlog::info("most sensitive layer {}: {} ({}), output SQNR {:.1f} dB when only it is quantized", i + 1, layers[i]->node, layers[i]->op_type,
                 layers[i]->sensitivity_db);

  std::error_code ec;
  std::filesystem::create_directories(opt.report_dir, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create the report folder: " + ec.message(), {.file = opt.report_dir});
  const analyze::ReportContext context{opt.float_model, opt.quant_model, opt.data.calib.empty() ? "" : opt.data.calib.front()};
  const nlohmann::ordered_json report_json = analyze::report_json(report, context);
  write_files_atomically({{json_path, report_json.dump(2) + "\n"}, {html_path, analyze::report_html(report, context)}});
  spdlog::info("wrote {} and {}", json_path, html_path);
  nlohmann::ordered_json result{{"command", "analyze"}, {"samples", report.samples}, {"outputs", report_json["outputs"]}};
  if (report.top1_agreement) result["top1_agreement"] = *report.top1_agreement;
  print_result(opt.json, result, {json_path, html_path});
}

}  // namespace

void register_analyze(CLI::App& app) {
  auto opt = std::make_shared<AnalyzeOptions>();
  CLI::App* cmd = app.add_subcommand("analyze", "Per-tensor and per-layer error of a quantized model against its float model: report.json + report.html");
  cmd->add_option("float_model", opt->float_model, "The float ONNX model")->required();
  cmd->add_option("quant_model", opt->quant_model, "The quantized (QDQ) ONNX model made from it")->required();
  add_calib_data_options(*cmd, opt->data, true, "--data,-d", "--data-size");
  cmd->add_option("--labels", opt->labels, "Integer class labels (.npy), one per sample: adds top-1 accuracy and agreement (first output)");
  cmd->add_option("--report", opt->report_dir, "Folder for report.json and report.html")->required();
  cmd->add_flag("!--no-sensitivity", opt->sensitivity, "Skip the per-layer sensitivity (one more pass over the data per layer)");
  add_json_flag(*cmd, opt->json);
  cmd->callback([opt] { run_analyze(*opt); });
}

}  // namespace quant::app
