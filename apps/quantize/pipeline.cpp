#include "pipeline.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "calib/value_copies.h"
#include "commands.h"
#include "interp/interpreter.h"
#include "onnx/load.h"
#include "plan/plan.h"
#include "qmath/qparams.h"
#include "script/layers.h"
#include "tensor_files.h"
#include "transform/equalization.h"
#include "transform/normalization.h"
#include "transform/weights_clipping.h"

namespace quant::app {
namespace {

// model_optimization_flavor(optimization_level=N): 0 (default) nothing extra; 1 cross-layer
// equalization; 2 equalization and bias correction. Explicit pre/post_quantization_optimization
// policies override the level.
struct Optimizations {
  bool equalization = false, bias_correction = false;
};
Optimizations optimizations_of(const script::ScriptRules& rules) {
  const int level = rules.optimization_level.value_or(0);
  return {rules.equalization.value_or(level >= 1), rules.bias_correction.value_or(level >= 2)};
}

// For optimize: the tensors no plan of `plan_options` reads (plan::tensors_needing_statistics)
// join `options.unobserved`, so that calibration folds only what the plan quantizes (a ViT's
// LayerNormalization outputs, GELU's inner tensors: a third of its histograms). They still exist
// for the plan, which then chooses exactly as from a calibration of every tensor (tested against
// calibrate + optimize --stats). Left as is: a model with an If (a sample may take a branch the
// first did not), a value a Relu reads that would then run fused (other kernels), and the source
// of a value copy the plan reads.
void observe_only_planned(const ir::Model& model, const interp::Interpreter& interpreter, const std::vector<calib::CalibrationInput>& inputs,
                          const plan::PlanOptions& plan_options, calib::CalibrateOptions& options) {
  for (const ir::Node& n : model.graph.nodes)
    if (ir::has_subgraphs(n)) return;
  std::set<std::string> seen;
  try {
    seen = calib::tensors_observed_on_first_sample(interpreter, inputs, options.unobserved);
  } catch (const Error&) {
    return;  // the calibration itself reports the first sample's problem, with its place
  }
  const std::set<std::string> needed = plan::tensors_needing_statistics(
      model.graph, plan_options, [&](const std::string& v) { return seen.count(v) != 0 || options.unobserved.count(v) != 0; });
  std::set<std::string> keep = needed;
  for (const auto& [copy, source] : options.copies)
    if (needed.count(copy)) keep.insert(source);
  const std::set<std::string> fusable = interpreter.fusable_values();
  size_t dropped = 0;
  for (const std::string& v : seen) {
    if (keep.count(v) || fusable.count(v)) continue;
    options.unobserved.insert(v);
    options.copies.erase(v);
    ++dropped;
  }
  spdlog::info("calibration observes {} of the {} float tensors: the others are not quantized under these options", seen.size() - dropped,
               seen.size());
}

}  // namespace

Prepared prepare(const std::string& model_path, const std::string& script_path, bool ignore_missing_layers, CalibDataOptions data,
                 int target_opset) {
  Prepared p;
  p.model = onnx_io::load_model(model_path);
  apply_input_shapes(p.model.graph, data.input_shapes);
  p.fixed_inputs = apply_input_values(p.model.graph, data.input_values);
  prepare_and_log(p.model, {.target_opset = target_opset});
  if (!script_path.empty()) {
    p.rules = script::load_rules(script_path);
    script::check_layers(*p.rules, p.model.graph, ignore_missing_layers);
    for (const std::string& w : p.rules->warnings) spdlog::warn("{}", w);
    if (!p.rules->normalizations.empty()) {
      transform::apply_normalizations(p.model, *p.rules, p.plan_rules);
      if (data.normalization_given) spdlog::warn("the model script's normalization(...) takes over --mean/--std: calibration images are fed as raw pixels");
      data.mean = {0.0f};
      data.std = {1.0f};
    }
    transform::clip_weights(p.model, *p.rules);
    const Optimizations o = optimizations_of(*p.rules);
    if (o.equalization) spdlog::info("equalization: {} layer pairs equalized", transform::equalize_layers(p.model));
    p.bias_correction = o.bias_correction;
    plan::PlanRules from_script = plan::plan_rules(*p.rules, p.model.graph);
    from_script.tensor_range = p.plan_rules.tensor_range;
    p.plan_rules = from_script;
    if (data.batch_size < 0 && p.rules->batch_size) data.batch_size = *p.rules->batch_size;
    if (data.calib_size < 0 && p.rules->calibset_size) data.calib_size = *p.rules->calibset_size;
  }
  if (data.batch_size < 0) data.batch_size = 32;
  p.data = std::move(data);
  return p;
}

calib::Statistics run_calibration(const ir::Model& model, const CalibDataOptions& data, bool histograms, const calib::Shard& shard,
                                  const plan::PlanOptions* only_for_plan) {
  const interp::Interpreter interpreter(model.graph);
  const OpenedCalibData calib_data = open_calib_data(model.graph, data);
  calib::CalibrateOptions options;
  options.batch_size = data.batch_size;
  options.max_samples = data.calib_size;
  options.histograms = histograms;
  options.unobserved = plan::fused_outputs(model.graph);
  options.copies = calib::value_copies(model.graph, options.unobserved);
  options.shard = shard;
  if (only_for_plan) observe_only_planned(model, interpreter, calib_data.inputs, *only_for_plan, options);
  options.progress = terminal_progress();
  const int64_t dataset = calib::calibration_sample_count(calib_data.inputs, data.calib_size);
  const int64_t samples = shard.samples_of(dataset);
  if (shard.count > 1)
    spdlog::info("calibrating shard {}: {} of {} samples (every {}th group of {} from group #{}), {}, {} samples per step", shard.name(), samples,
                 dataset, shard.count, calib::kSampleGroup, shard.index, histograms ? "min/max and histograms" : "min/max", data.batch_size);
  else
    spdlog::info("calibrating on {} samples ({}, {} samples per step)", samples, histograms ? "min/max and histograms" : "min/max", data.batch_size);
  const auto t0 = std::chrono::steady_clock::now();
  calib::Statistics stats = calib::calibrate(interpreter, calib_data.inputs, options);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info("calibrated {} tensors in {:.2f} s ({:.0f} samples/s)", stats.tensors.size(), s, static_cast<double>(samples) / std::max(s, 1e-9));
  return stats;
}

plan::PlanOptions make_plan_options(const QuantChoices& c, const Prepared& prepared) {
  plan::PlanOptions plan_options;
  plan_options.method = calib::method_from_name(c.method);
  plan_options.method_options.percentile = c.percentile;
  if (c.activation_type != "int8" && c.activation_type != "uint8") throw Error(ErrorKind::Usage, "--activation-type must be uint8 or int8");
  plan_options.activation_type = c.activation_type == "int8" ? DType::Int8 : DType::UInt8;
  const qmath::QRange act = qmath::qrange(plan_options.activation_type);
  plan_options.method_options.levels = static_cast<int>(act.qmax - act.qmin);
  plan_options.per_channel_weights = !c.per_tensor_weights;
  plan_options.rules = prepared.plan_rules;
  plan_options.full_integer = c.full_integer;
  for (const ir::Node* n : script::resolve_option_layers("--keep-float", c.keep_float, prepared.model.graph))
    plan_options.rules.keep_float[n->name] = "--keep-float";
  for (const ir::Node* n : script::resolve_option_op_types("--keep-float-ops", c.keep_float_ops, prepared.model.graph))
    plan_options.rules.keep_float[n->name] = "--keep-float-ops";
  if (!(c.headroom_16bit >= 0 && c.headroom_16bit <= 10))
    throw Error(ErrorKind::Usage, "--headroom-16bit must be between 0 and 10 (a fraction of the range's width), got " + std::to_string(c.headroom_16bit));
  plan_options.headroom_16bit = c.headroom_16bit;
  return plan_options;
}

}  // namespace quant::app
