// quantize optimize MODEL.onnx --calib PATH -o OUT.onnx [--params OUT.json] [options]
// quantize calibrate MODEL.onnx --calib PATH --stats-out STATS.json
// The main job: calibrate (or reuse saved statistics), plan the quantization parameters, and write
// the QDQ model and its parameters JSON. Both files are written only when everything succeeded.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>

#include "analyze/auto_precision.h"
#include "calib/stats_file.h"
#include "calib_data.h"
#include "commands.h"
#include "core/file_io.h"
#include "emit/params_json.h"
#include "emit/qdq.h"
#include "onnx/save.h"
#include "pipeline.h"
#include "tensor_files.h"
#include "transform/bias_correction.h"

namespace quant::app {
namespace {

struct OptimizeOptions {
  std::string model, output, params, stats, script, save_float_model;
  bool ignore_missing_layers = false;
  CalibDataOptions data;
  std::string method = "minmax";
  double percentile = 99.99;
  std::string activation_type = "uint8";
  bool per_tensor_weights = false;
  bool fp16 = false;
  bool strict = false;
  bool full_integer = false;
  double headroom_16bit = 0.25;
  std::vector<std::string> keep_float, keep_float_ops;
  int target_opset = 0;
  onnx_io::ExternalData external_data = onnx_io::ExternalData::Auto;
  ExportOptions exports;
  bool auto_precision = false;
  double target_sqnr = 40, max_16bit_fraction = 1.0;
  std::string script_out;
  bool json = false;
};

struct CalibrateOptions {
  std::string model, stats_out, script;
  bool ignore_missing_layers = false;
  CalibDataOptions data;
  bool histograms = true;
  std::string shard;  // "I/N", "" = all samples
  int target_opset = 0;
  bool json = false;
};

// --shard I/N: 0 <= I < N.
calib::Shard parse_shard(const std::string& text) {
  calib::Shard shard;
  const size_t slash = text.find('/');
  try {
    size_t used_i = 0, used_n = 0;
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    shard.index = std::stoll(text.substr(0, slash), &used_i);
    shard.count = std::stoll(text.substr(slash + 1), &used_n);
    if (used_i != slash || used_n != text.size() - slash - 1) throw std::invalid_argument("trailing characters");
  } catch (const std::exception&) {
    throw Error(ErrorKind::Usage, "--shard takes I/N (this run's shard I of N, from 0), got '" + text + "'");
  }
  if (!shard.valid()) throw Error(ErrorKind::Usage, "--shard I/N needs 0 <= I < N, got '" + text + "'");
  return shard;
}

// One line per reason: the nodes left float, then the constants kept float (all of them; the JSON
// has the same lists).
void log_decisions(const plan::NodeDecisions& d, bool full_integer) {
  if (full_integer) spdlog::info("--full-integer: every float activation quantized, fragile ops at 16 bits");
  else spdlog::info("default policy: Conv/Gemm/MatMul and the ops between them on integers; fragile ops and model outputs float "
                    "(--full-integer quantizes everything)");
  spdlog::info("{} nodes: {} quantized, {} left float; {} float constants read by quantized nodes or in subgraphs ({} weights)", d.nodes, d.quantized,
               d.float_nodes.size(), d.float_constants.size(), d.float_weights());
  auto by_reason = [](const std::vector<plan::FloatItem>& items, const char* what) {
    std::map<std::string, std::vector<std::string>> groups;
    for (const plan::FloatItem& f : items) groups[f.reason].push_back(f.tensor.empty() ? f.node : f.tensor + " (" + f.node + ")");
    for (const auto& [reason, names] : groups) {
      std::string list;
      for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
      spdlog::info("  {} ({}, {}): {}", what, reason, names.size(), list);
    }
  };
  by_reason(d.float_nodes, "left float");
  by_reason(d.float_constants, "kept float");
  by_reason(d.float_tensors, "activation not quantized");
}

std::string default_params_path(const std::string& output) {
  std::filesystem::path p(output);
  p.replace_extension(".json");
  return p.string();
}

// The files a run reads: the model, the script, saved statistics and calibration sources.
std::vector<NamedPath> inputs_of(const std::string& model, const std::string& script, const std::string& stats, const CalibDataOptions& data) {
  std::vector<NamedPath> in{{"the input model", model}, {"the model script", script}, {"the statistics file", stats}};
  for (const std::string& spec : data.calib) in.push_back({"calibration data", split_name_path(spec).second});
  return in;
}

struct ChosenPrecision {
  std::string script;          // for --script-out
  nlohmann::ordered_json json; // the steps, for --json
};

// --auto-precision: raises layers to a16_w16 (in plan_options) until the target SQNR holds on the
// calibration data; returns the model script that says so (for --script-out) and the steps.
ChosenPrecision choose_precision(const ir::Model& model, const calib::Statistics& stats, plan::PlanOptions& plan_options, const CalibDataOptions& data,
                             const OptimizeOptions& opt) {
  if (data.calib.empty()) throw Error(ErrorKind::Usage, "--auto-precision measures the error on the calibration data: give --calib (not only --stats)");
  if (!(opt.max_16bit_fraction >= 0 && opt.max_16bit_fraction <= 1)) throw Error(ErrorKind::Usage, "--max-16bit-fraction must be between 0 and 1");
  const OpenedCalibData calib_data = open_calib_data(model.graph, data);
  analyze::AutoPrecisionOptions options;
  options.target_sqnr_db = opt.target_sqnr;
  options.max_16bit_fraction = opt.max_16bit_fraction;
  options.max_samples = data.calib_size;
  const analyze::AutoPrecisionResult r = analyze::auto_precision(model, stats, plan_options, calib_data.inputs, options);
  std::string script = fmt::format(
      "# quantize optimize --auto-precision --target-sqnr {}: layers raised to 16 bits in order of sensitivity,\n"
      "# then those not needed taken back; lowest output SQNR on the calibration data. At the start (8 bits): {:.2f} dB\n",
      opt.target_sqnr, r.steps[0].sqnr_db);
  spdlog::info("auto-precision: {:.1f} dB at the start (target {:.1f} dB)", r.steps[0].sqnr_db, opt.target_sqnr);
  for (size_t i = 1; i < r.steps.size(); ++i)
    spdlog::info("auto-precision: + {} at 16 bits: {:.1f} dB ({:.1f}% of MACs at 16 bits)", r.steps[i].layer, r.steps[i].sqnr_db,
                 r.steps[i].mac_fraction * 100);
  for (const analyze::AutoPrecisionStep& s : r.over_budget)
    spdlog::warn("auto-precision: {} left at 8 bits: it would bring the MACs at 16 bits to {:.1f}%, over --max-16bit-fraction {}", s.layer,
                 s.mac_fraction * 100, opt.max_16bit_fraction);
  const analyze::AutoPrecisionStep& last = r.steps.back();
  if (!r.reached)
    throw Error(ErrorKind::Unsupported, fmt::format("--auto-precision: {:.2f} dB with {} layers at 16 bits ({:.1f}% of MACs), short of --target-sqnr {}: "
                                                    "raise --max-16bit-fraction or lower the target",
                                                    last.sqnr_db, r.layers_16bit.size(), last.mac_fraction * 100, opt.target_sqnr));
  for (const analyze::AutoPrecisionStep& s : r.taken_back) spdlog::info("auto-precision: - {} back to 8 bits: {:.1f} dB without it", s.layer, s.sqnr_db);
  spdlog::info("auto-precision: target reached with {} of {} layers at 16 bits: {:.1f} dB, {:.1f}% of MACs at 16 bits", r.layers_16bit.size(),
               r.candidates, r.final_sqnr_db, r.final_mac_fraction * 100);
  for (const std::string& layer : r.layers_16bit) script += fmt::format("quantization_param({}, precision_mode=a16_w16)\n", layer);
  script += fmt::format("# result: {:.2f} dB, {:.1f}% of MACs at 16 bits\n", r.final_sqnr_db, r.final_mac_fraction * 100);
  for (const std::string& layer : r.layers_16bit) plan_options.rules.precision[layer] = analyze::precision_for_layer();
  auto steps_json = [](const std::vector<analyze::AutoPrecisionStep>& steps) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const analyze::AutoPrecisionStep& s : steps)
      list.push_back({{"layer", s.layer}, {"sqnr_db", s.sqnr_db}, {"mac_fraction_16bit", s.mac_fraction}});
    return list;
  };
  return {script,
          {{"target_sqnr_db", opt.target_sqnr},
           {"steps", steps_json(r.steps)},
           {"taken_back", steps_json(r.taken_back)},
           {"over_budget", steps_json(r.over_budget)},
           {"layers_16bit", r.layers_16bit},
           {"sqnr_db", r.final_sqnr_db},
           {"mac_fraction_16bit", r.final_mac_fraction}}};
}

void run_optimize(OptimizeOptions opt) {
  if (opt.params.empty() && !opt.fp16) opt.params = default_params_path(opt.output);
  std::vector<NamedPath> outputs = model_outputs("-o", opt.output);
  for (NamedPath& p : model_outputs("--save-float-model", opt.save_float_model)) outputs.push_back(std::move(p));
  outputs.push_back({"--params", opt.params});
  outputs.push_back({"--script-out", opt.script_out});
  for (NamedPath& p : export_outputs(opt.exports)) outputs.push_back(std::move(p));
  require_distinct_outputs(inputs_of(opt.model, opt.script, opt.stats, opt.data), outputs);
  require_writable_model(opt.output);
  if (!opt.save_float_model.empty()) require_writable_model(opt.save_float_model);
  Prepared prepared = prepare(opt.model, opt.script, opt.ignore_missing_layers, opt.data, opt.target_opset);
  const ir::Model& model = prepared.model;
  if (opt.fp16) {
    const auto files = onnx_io::serialize_model(emit::make_fp16_weight_model(model), opt.output, opt.external_data);
    write_files_atomically(files);
    spdlog::info("wrote {} (float16 weights, float32 compute)", opt.output);
    print_result(opt.json, {{"command", "optimize"}, {"model", opt.model}, {"fp16", true}}, paths_of(files));
    return;
  }
  require_writable_target(opt.params);
  if (opt.data.calib.empty() && opt.stats.empty()) throw Error(ErrorKind::Usage, "give calibration data (--calib) or saved statistics (--stats)");

  plan::PlanOptions plan_options = make_plan_options(
      {opt.method, opt.percentile, opt.activation_type, opt.per_tensor_weights, opt.full_integer, opt.headroom_16bit, opt.keep_float,
       opt.keep_float_ops},
      prepared);

  const bool histograms = calib::method_needs_histograms(plan_options.method) || plan_options.rules.needs_histograms();
  // --auto-precision tries plans of other precisions on these statistics: they must hold every tensor.
  const calib::Statistics stats = opt.stats.empty() ? run_calibration(model, prepared.data, histograms, {}, opt.auto_precision ? nullptr : &plan_options)
                                                    : calib::load_statistics(opt.stats);
  if (stats.shard.count > 1)
    spdlog::warn("'{}' holds shard {} only: {} of the {} calibration samples (merge all shards with 'quantize merge-stats')", opt.stats, stats.shard.name(),
                 stats.samples, stats.dataset_samples);
  ChosenPrecision chosen;
  if (opt.auto_precision) chosen = choose_precision(model, stats, plan_options, prepared.data, opt);
  else if (!opt.script_out.empty()) throw Error(ErrorKind::Usage, "--script-out writes what --auto-precision chose: give --auto-precision");
  const plan::QuantPlan plan = plan::make_plan(model.graph, stats, plan_options);
  log_decisions(plan.decisions, opt.full_integer);
  const auto widened = std::count_if(plan.tensors.begin(), plan.tensors.end(), [](const plan::TensorQuant& q) { return q.range_rule == "headroom (16-bit)"; });
  if (widened > 0)
    spdlog::info("16-bit headroom: {} ranges widened by {} of their width on each side beyond what calibration saw (--headroom-16bit; range_rule in the JSON)",
                 widened, opt.headroom_16bit);
  if (opt.strict && plan.decisions.float_weights() > 0) {
    std::string list;
    for (const plan::FloatItem& f : plan.decisions.float_constants)
      if (f.is_weight) list += (list.empty() ? "" : "; ") + f.tensor + " of " + f.op_type + " '" + f.node + "': " + f.reason;
    throw Error(ErrorKind::Unsupported, "--strict: " + std::to_string(plan.decisions.float_weights()) + " weights would stay float: " + list);
  }
  if (prepared.bias_correction) {
    if (prepared.data.calib.empty()) throw Error(ErrorKind::Usage, "bias correction needs the calibration data (--calib), not only --stats");
    const OpenedCalibData calib_data = open_calib_data(model.graph, prepared.data);
    const int64_t samples = calib::calibration_sample_count(calib_data.inputs, prepared.data.calib_size);
    spdlog::info("bias correction: {} layers corrected on {} samples",
                 transform::correct_biases(prepared.model, plan, calib_data.inputs, samples), samples);
  }
  if (!opt.save_float_model.empty()) {
    onnx_io::save_model(model, opt.save_float_model, opt.external_data);
    spdlog::info("wrote the float model as the script left it to {}", opt.save_float_model);
  }
  const ir::Model qdq = emit::make_qdq_model(model, plan);
  // Serialize both before writing either, so that a failure leaves nothing behind.
  std::vector<std::pair<std::string, std::string>> files = onnx_io::serialize_model(qdq, opt.output, opt.external_data);
  emit::ParamsContext params_context{opt.model, opt.output, stats.samples};
  params_context.fixed_inputs = prepared.fixed_inputs;
  params_context.data_adjustments = stats.data_adjustments;
  files.emplace_back(opt.params, emit::params_json(plan, params_context).dump(2) + "\n");
  for (auto& f : export_files(qdq.graph, opt.exports)) files.push_back(std::move(f));
  if (!opt.script_out.empty()) files.emplace_back(opt.script_out, chosen.script);
  write_files_atomically(files);
  std::map<plan::Role, int> count;
  for (const plan::TensorQuant& q : plan.tensors) ++count[q.role];
  const int activations = count[plan::Role::Input] + count[plan::Role::Output] + count[plan::Role::Activation];
  spdlog::info("wrote {} ({} activations, {} weights, {} biases, {} conversions quantized, {}) and {}", opt.output, activations,
               count[plan::Role::Weight], count[plan::Role::Bias], count[plan::Role::Conversion], opt.method, opt.params);
  nlohmann::ordered_json result = {
      {"command", "optimize"},
      {"model", opt.model},
      {"method", opt.method},
      {"samples", stats.samples},
      {"quantized", {{"activations", activations}, {"weights", count[plan::Role::Weight]}, {"biases", count[plan::Role::Bias]},
                     {"conversions", count[plan::Role::Conversion]}}},
      {"nodes", {{"total", plan.decisions.nodes}, {"quantized", plan.decisions.quantized}, {"float", plan.decisions.float_nodes.size()}}}};
  if (opt.auto_precision) result["auto_precision"] = chosen.json;
  print_result(opt.json, result, paths_of(files));
}

void run_calibrate(const CalibrateOptions& opt) {
  require_distinct_outputs(inputs_of(opt.model, opt.script, "", opt.data), {{"--stats-out", opt.stats_out}});
  require_writable_target(opt.stats_out);
  const Prepared prepared = prepare(opt.model, opt.script, opt.ignore_missing_layers, opt.data, opt.target_opset);
  const calib::Shard shard = opt.shard.empty() ? calib::Shard{} : parse_shard(opt.shard);
  const calib::Statistics stats = run_calibration(prepared.model, prepared.data, opt.histograms, shard);
  calib::save_statistics(opt.stats_out, stats);
  spdlog::info("wrote {}", opt.stats_out);
  nlohmann::ordered_json result{{"command", "calibrate"}, {"model", opt.model}, {"samples", stats.samples}, {"tensors", stats.tensors.size()}};
  if (shard.count > 1) result["shard"] = {{"index", shard.index}, {"count", shard.count}, {"dataset_samples", stats.dataset_samples}};
  print_result(opt.json, result, {opt.stats_out});
}

void add_script_options(CLI::App& cmd, std::string& script, bool& ignore_missing_layers, const char* help) {
  cmd.add_option("--script,--model-script", script, help);
  cmd.add_flag("--ignore-missing-layers", ignore_missing_layers,
               "Layers the script names that the model does not have (Hailo's own names such as conv42) are warnings, not errors");
}

}  // namespace

void register_optimize(CLI::App& app) {
  auto opt = std::make_shared<OptimizeOptions>();
  CLI::App* cmd = app.add_subcommand("optimize", "Calibrate and quantize a float model: QDQ ONNX model + parameters JSON");
  cmd->add_option("model", opt->model, "Float ONNX model")->required();
  cmd->add_option("-o,--output", opt->output, "The quantized ONNX model to write")->required();
  cmd->add_option("--params", opt->params, "The parameters JSON to write (default: OUTPUT with .json)");
  cmd->add_option("--stats", opt->stats, "Reuse statistics saved by 'quantize calibrate' instead of calibrating");
  add_script_options(*cmd, opt->script, opt->ignore_missing_layers,
                     "A model script (Hailo .alls style): per-layer precision, forced ranges, normalization, ...");
  add_calib_data_options(*cmd, opt->data, false);
  cmd->add_option("--calib-method,-m", opt->method, "minmax (default), percentile, entropy or mse");
  cmd->add_option("--percentile", opt->percentile, "For --calib-method percentile (default 99.99)");
  cmd->add_option("--activation-type", opt->activation_type, "uint8 (default, asymmetric) or int8");
  cmd->add_flag("--per-tensor-weights", opt->per_tensor_weights, "One scale per weight tensor instead of per output channel");
  cmd->add_flag("--full-integer", opt->full_integer,
                "Quantize every float activation (integer-only accelerators): fragile ops (exp, div, sqrt, normalizations, sums) "
                "at 16 bits, outputs included. Default: integer compute ops and what lies between them; fragile ops and outputs float");
  cmd->add_option("--headroom-16bit", opt->headroom_16bit,
                  "16-bit activation ranges are widened by this fraction of their width on each side, up to the op's output bounds "
                  "(default 0.25; 0 keeps the calibrated range): values beyond what calibration saw are not clamped");
  cmd->add_option("--keep-float", opt->keep_float,
                  "Layers to leave float, with the Relu/Clip fused to them (node or output names, or {globs}; comma-separated or repeated): "
                  "their weights stay float and their inputs and outputs are quantized only where an integer op reads them")
      ->delimiter(',');
  cmd->add_option("--keep-float-ops", opt->keep_float_ops, "Op types whose nodes are left float, as --keep-float (e.g. MatMul,Gemm; comma-separated or repeated)")
      ->delimiter(',');
  cmd->add_flag("--strict", opt->strict,
                "Fail if any Conv/Gemm/MatMul/ConvTranspose weight would stay float (other than layers named by --keep-float or --keep-float-ops)");
  cmd->add_option("--target-opset", opt->target_opset, "Opset the model is upgraded to before quantization (default: 13, or the model's own when newer)");
  cmd->add_flag("--fp16", opt->fp16, "Write a float16-weight model instead (no calibration)");
  cmd->add_option("--save-float-model", opt->save_float_model,
                  "Also write the float model after the script's transforms (normalization, weight clipping, equalization, bias correction)");
  add_external_data_flag(*cmd, opt->external_data);
  add_export_options(*cmd, opt->exports, "--export-");
  add_json_flag(*cmd, opt->json);
  cmd->add_flag("--auto-precision", opt->auto_precision,
                "Raise the most sensitive layers to 16 bits (a16_w16), one at a time, until the outputs reach --target-sqnr on the calibration data");
  cmd->add_option("--target-sqnr", opt->target_sqnr, "For --auto-precision: the lowest output SQNR to reach, in dB (default 40)");
  cmd->add_option("--max-16bit-fraction", opt->max_16bit_fraction, "For --auto-precision: the share of multiply-accumulates allowed at 16 bits (default 1)");
  cmd->add_option("--script-out", opt->script_out, "For --auto-precision: write the chosen layers as a model script (quantization_param lines) to re-run with --script");
  cmd->callback([opt] { run_optimize(*opt); });
}

void register_calibrate(CLI::App& app) {
  auto opt = std::make_shared<CalibrateOptions>();
  CLI::App* cmd = app.add_subcommand("calibrate", "Run calibration only and save the statistics");
  cmd->add_option("model", opt->model, "Float ONNX model")->required();
  cmd->add_option("--stats-out", opt->stats_out, "The statistics JSON to write")->required();
  add_script_options(*cmd, opt->script, opt->ignore_missing_layers,
                     "A model script: its normalization and calibration settings apply (use the same script with optimize --stats)");
  add_calib_data_options(*cmd, opt->data, true);
  cmd->add_option("--target-opset", opt->target_opset, "Opset the model is upgraded to (use the same with optimize --stats)");
  cmd->add_flag("!--no-histograms", opt->histograms, "Only min/max (a little faster); then only minmax can use the statistics");
  cmd->add_option("--shard", opt->shard,
                  "I/N: calibrate only every N-th group of 16 samples from group I (0-based); 'quantize merge-stats' joins the N files into the statistics of one run");
  add_json_flag(*cmd, opt->json);
  cmd->callback([opt] { run_calibrate(*opt); });
}

}  // namespace quant::app
