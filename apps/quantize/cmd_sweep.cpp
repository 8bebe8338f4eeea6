// quantize sweep MODEL.onnx --calib PATH --data PATH [--labels Y.npy] --out DIR [grid options | --grid FILE.json]
// Scores every configuration of a grid (calibration methods, percentiles, calibration sizes,
// activation types, weight granularity, model scripts) on evaluation data and writes DIR/sweep.csv,
// sweep.json and sweep.svg. One calibration pass per (script, calibration size) feeds every range
// choice that shares its statistics. With no grid given, it sweeps the four calibration methods.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

#include "analyze/analyze.h"
#include "analyze/sweep_report.h"
#include "calib/range.h"
#include "commands.h"
#include "emit/qdq.h"
#include "pipeline.h"
#include "tensor_files.h"
#include "transform/bias_correction.h"

namespace quant::app {
namespace {

struct SweepOptions {
  std::string model, out_dir, grid_file, labels;
  std::vector<std::string> data;
  int64_t data_size = -1;
  CalibDataOptions calib;
  // The grid from the command line (each overrides the grid file's list of the same name).
  std::vector<std::string> methods, activation_types, weights, scripts;
  std::vector<double> percentiles;
  std::vector<int64_t> calib_sizes;
  bool full_integer = false;
  double headroom_16bit = 0.25;
  std::vector<std::string> keep_float, keep_float_ops;
  int target_opset = 0;
  bool ignore_missing_layers = false;
  bool json = false;
};

struct Grid {
  std::vector<std::string> methods{"minmax", "percentile", "entropy", "mse"};
  std::vector<double> percentiles{99.99};
  std::vector<int64_t> calib_sizes{-1};  // -1: all the calibration data (or --calib-size)
  std::vector<std::string> activation_types{"uint8"};
  std::vector<std::string> weights{"per-channel"};
  std::vector<std::string> scripts{""};
  bool percentiles_given = false;  // by the grid file or the command line
};

// The grid file: {"methods": [...], "percentiles": [...], "calib_sizes": [...],
// "activation_types": [...], "weights": [...], "scripts": [...]}, every key optional.
Grid read_grid_file(const std::string& path, Grid grid) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::Io, "cannot read the grid file", {.file = path});
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Parse, std::string("the grid file is not JSON: ") + e.what(), {.file = path});
  }
  if (!j.is_object()) throw Error(ErrorKind::Parse, "the grid file must hold a JSON object", {.file = path});
  static const std::set<std::string> kKeys = {"methods", "percentiles", "calib_sizes", "activation_types", "weights", "scripts"};
  for (const auto& [key, value] : j.items()) {
    if (!kKeys.count(key))
      throw Error(ErrorKind::Usage, "unknown grid key '" + key + "' (expected methods, percentiles, calib_sizes, activation_types, weights, scripts)",
                  {.file = path});
    if (!value.is_array() || value.empty()) throw Error(ErrorKind::Usage, "grid key '" + key + "' must be a non-empty list", {.file = path});
  }
  try {
    if (j.contains("methods")) grid.methods = j["methods"].get<std::vector<std::string>>();
    if (j.contains("percentiles")) grid.percentiles = j["percentiles"].get<std::vector<double>>(), grid.percentiles_given = true;
    if (j.contains("calib_sizes")) grid.calib_sizes = j["calib_sizes"].get<std::vector<int64_t>>();
    if (j.contains("activation_types")) grid.activation_types = j["activation_types"].get<std::vector<std::string>>();
    if (j.contains("weights")) grid.weights = j["weights"].get<std::vector<std::string>>();
    if (j.contains("scripts")) grid.scripts = j["scripts"].get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Usage, std::string("a grid list holds values of the wrong type: ") + e.what(), {.file = path});
  }
  return grid;
}

Grid make_grid(const SweepOptions& opt) {
  Grid grid;
  if (opt.calib.calib_size > 0) grid.calib_sizes = {opt.calib.calib_size};
  if (!opt.grid_file.empty()) grid = read_grid_file(opt.grid_file, grid);
  if (!opt.methods.empty()) grid.methods = opt.methods;
  if (!opt.percentiles.empty()) grid.percentiles = opt.percentiles, grid.percentiles_given = true;
  if (!opt.calib_sizes.empty()) grid.calib_sizes = opt.calib_sizes;
  if (!opt.activation_types.empty()) grid.activation_types = opt.activation_types;
  if (!opt.weights.empty()) grid.weights = opt.weights;
  if (!opt.scripts.empty()) grid.scripts = opt.scripts;
  for (const std::string& m : grid.methods) calib::method_from_name(m);  // throws Usage listing the methods
  for (double p : grid.percentiles)
    if (!(p > 0 && p <= 100)) throw Error(ErrorKind::Usage, "percentiles must lie in (0, 100], got " + std::to_string(p));
  for (int64_t n : grid.calib_sizes)
    if (n == 0 || n < -1) throw Error(ErrorKind::Usage, "calibration sizes must be at least 1, got " + std::to_string(n));
  for (const std::string& t : grid.activation_types)
    if (t != "uint8" && t != "int8") throw Error(ErrorKind::Usage, "activation types are uint8 or int8, got '" + t + "'");
  for (const std::string& w : grid.weights)
    if (w != "per-channel" && w != "per-tensor") throw Error(ErrorKind::Usage, "weights are per-channel or per-tensor, got '" + w + "'");
  if (grid.percentiles_given && std::find(grid.methods.begin(), grid.methods.end(), "percentile") == grid.methods.end())
    spdlog::warn("the percentiles apply to the percentile method only, which the grid's methods do not include: they are not swept");
  return grid;
}

// The scores of one configuration: its QDQ model against the float model on the evaluation data.
// Fills the context's sample count and float accuracy from the first one.
analyze::SweepRow score(const Prepared& prepared, const calib::Statistics& stats, const QuantChoices& choices, const CalibDataOptions& eval,
                        const Tensor* labels, analyze::SweepContext& context) {
  const plan::QuantPlan plan = plan::make_plan(prepared.model.graph, stats, make_plan_options(choices, prepared));
  ir::Model model = prepared.model;
  if (prepared.bias_correction) {
    const OpenedCalibData calib_data = open_calib_data(model.graph, prepared.data);
    transform::correct_biases(model, plan, calib_data.inputs, calib::calibration_sample_count(calib_data.inputs, prepared.data.calib_size));
  }
  const ir::Model qdq = emit::make_qdq_model(model, plan);
  const OpenedCalibData data = open_calib_data(prepared.model.graph, eval);
  analyze::Options options;
  options.max_samples = eval.calib_size;
  options.sensitivity = false;
  options.tensors = false;
  options.labels = labels;
  const analyze::Report report = analyze::analyze(prepared.model.graph, qdq.graph, data.inputs, options);
  analyze::SweepRow row;
  row.sqnr_db = analyze::lowest_sqnr(report.outputs);
  for (const analyze::OutputRow& o : report.outputs) row.max_abs_error = std::max(row.max_abs_error, o.error.max_abs);
  row.accuracy = report.accuracy_quant;
  row.top1_agreement = report.top1_agreement;
  if (context.samples == 0) {
    context.samples = report.samples;
    context.float_accuracy = report.accuracy_float;
  }
  return row;
}

void run_sweep(const SweepOptions& opt) {
  const Grid grid = make_grid(opt);
  const std::filesystem::path dir(opt.out_dir);
  const std::vector<NamedPath> outputs{{"sweep.csv", (dir / "sweep.csv").string()}, {"sweep.json", (dir / "sweep.json").string()},
                                       {"sweep.svg", (dir / "sweep.svg").string()}};
  std::vector<NamedPath> inputs{{"the model", opt.model}, {"the grid file", opt.grid_file}, {"--labels", opt.labels}};
  for (const std::string& s : opt.calib.calib) inputs.push_back({"--calib", split_name_path(s).second});
  for (const std::string& s : opt.data) inputs.push_back({"--data", split_name_path(s).second});
  require_distinct_outputs(inputs, outputs);
  if (std::filesystem::is_directory(dir))
    for (const NamedPath& p : outputs) require_writable_target(p.path);

  Tensor labels;
  if (!opt.labels.empty()) labels = read_tensor_file(opt.labels);
  bool histograms = false;
  for (const std::string& m : grid.methods) histograms |= calib::method_needs_histograms(calib::method_from_name(m));
  size_t total = grid.scripts.size() * grid.calib_sizes.size() * grid.activation_types.size() * grid.weights.size();
  size_t per_size = 0;
  for (const std::string& m : grid.methods) per_size += m == "percentile" ? grid.percentiles.size() : 1;
  total *= per_size;
  spdlog::info("sweep: {} configurations, {} calibration pass{}", total, grid.scripts.size() * grid.calib_sizes.size(),
               grid.scripts.size() * grid.calib_sizes.size() == 1 ? "" : "es");

  std::vector<analyze::SweepRow> rows;
  analyze::SweepContext context{opt.model, 0, std::nullopt};
  for (const std::string& script : grid.scripts) {
    Prepared prepared = prepare(opt.model, script, opt.ignore_missing_layers, opt.calib, opt.target_opset);
    CalibDataOptions eval = prepared.data;  // the same input handling (layout, mean/std, script normalization)
    eval.calib = opt.data;
    eval.calib_size = opt.data_size;
    for (int64_t size : grid.calib_sizes) {
      prepared.data.calib_size = size;
      const calib::Statistics stats = run_calibration(prepared.model, prepared.data, histograms);
      for (const std::string& method : grid.methods)
        for (size_t p = 0; p < (method == "percentile" ? grid.percentiles.size() : 1); ++p)
          for (const std::string& act : grid.activation_types)
            for (const std::string& weights : grid.weights) {
              QuantChoices choices{method, method == "percentile" ? grid.percentiles[p] : 99.99, act, weights == "per-tensor", opt.full_integer,
                                   opt.headroom_16bit, opt.keep_float, opt.keep_float_ops};
              analyze::SweepRow row = score(prepared, stats, choices, eval, opt.labels.empty() ? nullptr : &labels, context);
              row.script = script;
              row.calib_size = static_cast<int64_t>(stats.samples);
              row.method = method;
              if (method == "percentile") row.percentile = grid.percentiles[p];
              row.activation_type = act;
              row.weights = weights;
              spdlog::info("[{}/{}] {}: {}SQNR {:.2f} dB, max abs error {:.4g}", rows.size() + 1, total, analyze::row_label(row),
                           row.accuracy ? fmt::format("accuracy {:.2f}%, ", *row.accuracy * 100) : "", row.sqnr_db, row.max_abs_error);
              rows.push_back(std::move(row));
            }
    }
  }
  const size_t best = analyze::best_row(rows);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create the output folder: " + ec.message(), {.file = opt.out_dir});
  const nlohmann::ordered_json json = analyze::sweep_json(rows, context);
  write_files_atomically({{outputs[0].path, analyze::sweep_csv(rows)}, {outputs[1].path, json.dump(2) + "\n"},
                          {outputs[2].path, analyze::sweep_svg(rows, context)}});
  const analyze::SweepRow& b = rows[best];
  spdlog::info("best: #{} {}: {}SQNR {:.2f} dB", best + 1, analyze::row_label(b), b.accuracy ? fmt::format("accuracy {:.2f}%, ", *b.accuracy * 100) : "",
               b.sqnr_db);
  spdlog::info("wrote {}, {} and {}", outputs[0].path, outputs[1].path, outputs[2].path);
  print_result(opt.json, {{"command", "sweep"}, {"model", opt.model}, {"configurations", rows.size()}, {"best", json["configurations"][best]}},
               {outputs[0].path, outputs[1].path, outputs[2].path});
}

}  // namespace

void register_sweep(CLI::App& app) {
  auto opt = std::make_shared<SweepOptions>();
  CLI::App* cmd = app.add_subcommand("sweep", "Score a grid of quantization configurations on evaluation data: sweep.csv, sweep.json, sweep.svg");
  cmd->add_option("model", opt->model, "Float ONNX model")->required();
  add_calib_data_options(*cmd, opt->calib, true);
  cmd->add_option("--data,-d", opt->data, "Evaluation data ([NAME=]PATH, as --calib takes); use data you did not calibrate on")->required();
  cmd->add_option("--data-size", opt->data_size, "Use only the first N evaluation samples");
  cmd->add_option("--labels", opt->labels, "Integer class labels (.npy) of the evaluation data: scores by top-1 accuracy (first output)");
  cmd->add_option("--out,-o", opt->out_dir, "Folder for sweep.csv, sweep.json and sweep.svg")->required();
  cmd->add_option("--grid", opt->grid_file, "A JSON grid: {\"methods\": [...], \"percentiles\": [...], \"calib_sizes\": [...], "
                                            "\"activation_types\": [...], \"weights\": [...], \"scripts\": [...]}");
  cmd->add_option("--methods", opt->methods, "Calibration methods to sweep (default: minmax percentile entropy mse)")->delimiter(',');
  cmd->add_option("--percentiles", opt->percentiles, "Percentiles for the percentile method (default 99.99)")->delimiter(',');
  cmd->add_option("--calib-sizes", opt->calib_sizes, "Calibration sample counts (default: all)")->delimiter(',');
  cmd->add_option("--activation-types", opt->activation_types, "uint8 and/or int8 (default uint8)")->delimiter(',');
  cmd->add_option("--weights", opt->weights, "per-channel and/or per-tensor (default per-channel)")->delimiter(',');
  cmd->add_option("--scripts", opt->scripts, "Model scripts, one configuration set each")->delimiter(',');
  cmd->add_flag("--ignore-missing-layers", opt->ignore_missing_layers, "Script layer names the model lacks are warnings");
  cmd->add_flag("--full-integer", opt->full_integer, "As optimize --full-integer, for every configuration");
  cmd->add_option("--headroom-16bit", opt->headroom_16bit, "As optimize --headroom-16bit (default 0.25)");
  cmd->add_option("--keep-float", opt->keep_float, "As optimize --keep-float, for every configuration")->delimiter(',');
  cmd->add_option("--keep-float-ops", opt->keep_float_ops, "As optimize --keep-float-ops, for every configuration")->delimiter(',');
  cmd->add_option("--target-opset", opt->target_opset, "As optimize --target-opset");
  add_json_flag(*cmd, opt->json);
  cmd->callback([opt] { run_sweep(*opt); });
}

}  // namespace quant::app
