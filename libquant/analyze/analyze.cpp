#include "analyze/analyze.h"

#include <cstring>

#include <algorithm>
#include <map>
#include <set>

#include "analyze/qdq_layout.h"
#include "core/parallel.h"
#include "interp/interpreter.h"
#include "ops/op_table.h"

namespace quant::analyze {

namespace {

// What to compare: a float-model tensor, the quant-model value that stands for it, and where the
// quantizer's input is (for clipping), when quantized.
struct Comparison {
  std::string float_name, quant_name, q_input;
  double clip_lo = 0, clip_hi = 0;  // values beyond these (range +- half a step) were clipped
  size_t row;
};

std::vector<float> as_floats(const Tensor& t) { return t.to_plain().to_float_vector(); }

}  // namespace

void OutputRow::add(const Tensor& float_value, const Tensor& quant_value) {
  if (dtype_is_float(float_value.dtype()) && float_value.dtype() == quant_value.dtype() && float_value.shape() == quant_value.shape()) {
    const std::vector<float> x = as_floats(float_value), y = as_floats(quant_value);
    error.add(x.data(), y.data(), static_cast<int64_t>(x.size()));
    return;
  }
  ++whole_samples;
  const Tensor a = float_value.to_plain(), b = quant_value.to_plain();
  const bool equal = a.dtype() == b.dtype() && a.shape() == b.shape() &&
                     std::memcmp(a.raw(), b.raw(), static_cast<size_t>(a.numel()) * dtype_size(a.dtype())) == 0;
  differing_samples += equal ? 0 : 1;
}

void OutputRow::merge(const OutputRow& other) {
  error.merge(other.error);
  whole_samples += other.whole_samples;
  differing_samples += other.differing_samples;
}

std::string OutputRow::whole_comparison() const {
  if (whole_samples == 0) return "";
  return "identical in " + std::to_string(whole_samples - differing_samples) + " of " + std::to_string(whole_samples) + " samples";
}

double lowest_sqnr(const std::vector<OutputRow>& outputs) {
  double lowest = std::numeric_limits<double>::infinity();
  for (const OutputRow& o : outputs)
    if (o.error.count > 0) lowest = std::min(lowest, o.error.sqnr_db());
  return lowest;
}

void require_matching_models(const ir::Graph& a, const ir::Graph& b) {
  auto names = [](const std::vector<ir::ValueInfo>& v) {
    std::set<std::string> s;
    for (const ir::ValueInfo& x : v) s.insert(x.name);
    return s;
  };
  auto list = [](const std::set<std::string>& s) {
    std::string out;
    for (const std::string& x : s) out += (out.empty() ? "" : ", ") + x;
    return out;
  };
  if (names(a.inputs) != names(b.inputs))
    throw Error(ErrorKind::Usage, "the models have different inputs (float: " + list(names(a.inputs)) + "; quantized: " + list(names(b.inputs)) +
                                      "): give the float model the quantized one was made from");
  if (names(a.outputs) != names(b.outputs))
    throw Error(ErrorKind::Usage, "the models have different outputs (float: " + list(names(a.outputs)) + "; quantized: " + list(names(b.outputs)) +
                                      "): give the float model the quantized one was made from");
  for (const ir::ValueInfo& in : a.inputs)
    for (const ir::ValueInfo& other : b.inputs)
      if (in.name == other.name && in.has_shape && other.has_shape && in.shape_string() != other.shape_string())
        throw Error(ErrorKind::Usage, "input '" + in.name + "' is " + in.shape_string() + " in the float model and " + other.shape_string() +
                                          " in the quantized one: give the float model the quantized one was made from");
  // Quantization keeps every node of the float model (by name and op) and only adds Q/DQ nodes.
  std::map<std::string, std::string> op_of;
  for (const ir::Node& n : b.nodes) op_of[n.name] = n.op_type;
  for (const ir::Node& n : a.nodes) {
    auto it = op_of.find(n.name);
    if (it == op_of.end() || it->second != n.op_type)
      throw Error(ErrorKind::Usage, "the float model's node '" + n.name + "' (" + n.op_type + ") is not in the quantized model" +
                                        (it == op_of.end() ? "" : " (there it is " + it->second + ")") +
                                        ": give the float model the quantized one was made from");
  }
}

namespace {

// Runs `graph` on sample i, keeping the values named in `wanted` (and the outputs).
interp::TensorMap run_keeping(const interp::Interpreter& interpreter, const interp::TensorMap& inputs, const std::set<std::string>& wanted) {
  interp::TensorMap kept;
  for (const auto& [name, t] : inputs)
    if (wanted.count(name)) kept[name] = t;
  interp::TensorMap outputs = interpreter.run(inputs, [&](const ir::Node&, const std::string& name, const Tensor& value) {
    if (wanted.count(name)) kept[name] = value.to_plain();
  });
  for (auto& [name, t] : outputs) kept[name] = t;
  return kept;
}

int64_t argmax_row(const std::vector<float>& v, int64_t row, int64_t width) {
  const auto first = v.begin() + row * width;
  return std::max_element(first, first + width) - first;
}

// Runs f(i) for every sample, in chunks spread over the threads; f's results are merged by the
// caller in sample order, so sums do not depend on the thread count.
template <typename PerSample, typename Merge>
void for_samples(int64_t total, PerSample per_sample, Merge merge, const calib::ProgressFn& progress, int pass, int passes) {
  constexpr int64_t kChunk = 64;
  for (int64_t start = 0; start < total; start += kChunk) {
    const int64_t n = std::min(kChunk, total - start);
    std::vector<decltype(per_sample(int64_t{0}))> results(static_cast<size_t>(n));
    parallel_for_each(0, n, [&](int64_t k) { results[static_cast<size_t>(k)] = per_sample(start + k); });
    for (auto& r : results) merge(r);
    if (progress) progress(pass, passes, start + n, total);
  }
}

}  // namespace

Report analyze(const ir::Graph& float_graph, const ir::Graph& quant_graph, const std::vector<calib::CalibrationInput>& data, const Options& options) {
  require_matching_models(float_graph, quant_graph);
  const QdqLayout layout = find_qdq_layout(quant_graph, float_graph);
  Report report;
  report.samples = calib::calibration_sample_count(data, options.max_samples);

  // Per tensor: every float node output the quant model has, quantized (through its pair) or as it is.
  std::map<std::string, const ActivationPair*> pair_of;
  for (const ActivationPair& p : layout.activations) pair_of[p.tensor] = &p;
  std::set<std::string> quant_values;
  for (const ir::Node& n : quant_graph.nodes) quant_values.insert(n.outputs.begin(), n.outputs.end());
  std::vector<Comparison> comparisons;
  auto compare = [&](const std::string& name, const ir::Node* producer) {
    TensorRow row;
    row.name = name;
    row.producer = producer ? producer->name : "";
    row.op_type = producer ? producer->op_type : "input";
    Comparison c{name, name, "", 0, 0, report.tensors.size()};
    if (auto it = pair_of.find(name); it != pair_of.end()) {
      const ActivationPair& p = *it->second;
      row.dtype = p.dtype, row.range_lo = p.range_lo(), row.range_hi = p.range_hi();
      c.quant_name = p.dq_output, c.q_input = p.q_input;
      c.clip_lo = row.range_lo - p.scale / 2, c.clip_hi = row.range_hi + p.scale / 2;
    } else if (!quant_values.count(name)) {
      return;
    }
    report.tensors.push_back(row);
    comparisons.push_back(c);
  };
  if (options.tensors) {
    for (const ir::ValueInfo& in : float_graph.inputs)
      if (in.dtype == DType::Float32) compare(in.name, nullptr);
    for (const ir::Node& n : float_graph.nodes) {
      const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
      if (op && op->facts.kind == ops::OpKind::ShapeOnly) continue;
      for (const std::string& out : n.outputs)
        if (!out.empty()) compare(out, &n);
    }
  }
  std::set<std::string> float_wanted, quant_wanted;
  for (const Comparison& c : comparisons) {
    float_wanted.insert(c.float_name);
    quant_wanted.insert(c.quant_name);
    if (!c.q_input.empty()) quant_wanted.insert(c.q_input);
  }
  for (const ir::ValueInfo& o : float_graph.outputs) report.outputs.push_back({o.name, {}});

  const interp::Interpreter float_run(float_graph), quant_run(quant_graph);
  const int passes = 1 + (options.sensitivity ? 1 : 0);
  struct SampleResult {
    std::vector<ErrorSums> tensors;
    std::vector<OutputRow> outputs;
    int64_t float_correct = 0, quant_correct = 0, agree = 0;
  };
  int64_t float_correct = 0, quant_correct = 0, agree = 0;
  for_samples(
      report.samples,
      [&](int64_t i) {
        const interp::TensorMap inputs = calib::sample_inputs(data, i);
        const interp::TensorMap f = run_keeping(float_run, inputs, float_wanted);
        const interp::TensorMap q = run_keeping(quant_run, inputs, quant_wanted);
        SampleResult r;
        r.tensors.resize(comparisons.size());
        for (size_t k = 0; k < comparisons.size(); ++k) {
          const Comparison& c = comparisons[k];
          auto fi = f.find(c.float_name), qi = q.find(c.quant_name);
          if (fi == f.end() || qi == q.end() || fi->second.dtype() != DType::Float32) continue;
          const std::vector<float> x = as_floats(fi->second), y = as_floats(qi->second);
          if (x.size() != y.size()) continue;
          std::vector<float> qin;
          if (!c.q_input.empty()) qin = as_floats(q.at(c.q_input));
          r.tensors[k].add(x.data(), y.data(), static_cast<int64_t>(x.size()), qin.empty() ? nullptr : qin.data(), c.clip_lo, c.clip_hi);
        }
        r.outputs.resize(report.outputs.size());
        for (size_t k = 0; k < report.outputs.size(); ++k) {
          r.outputs[k].add(f.at(report.outputs[k].name), q.at(report.outputs[k].name));
          if (k == 0 && options.labels) {
            const std::vector<float> x = as_floats(f.at(report.outputs[k].name)), y = as_floats(q.at(report.outputs[k].name));
            const int64_t fa = argmax_row(x, 0, static_cast<int64_t>(x.size())), qa = argmax_row(y, 0, static_cast<int64_t>(y.size()));
            const int64_t label = options.labels->value_as_int64(i);
            r.float_correct = fa == label, r.quant_correct = qa == label, r.agree = fa == qa;
          }
        }
        return r;
      },
      [&](const SampleResult& r) {
        for (size_t k = 0; k < r.tensors.size(); ++k) report.tensors[comparisons[k].row].error.merge(r.tensors[k]);
        for (size_t k = 0; k < r.outputs.size(); ++k) report.outputs[k].merge(r.outputs[k]);
        float_correct += r.float_correct, quant_correct += r.quant_correct, agree += r.agree;
      },
      options.progress, 1, passes);
  // Tensors with no values compared (non-float, or shapes that differ) are left out.
  std::erase_if(report.tensors, [](const TensorRow& r) { return r.error.count == 0; });
  if (options.labels) {
    if (options.labels->numel() < report.samples)
      throw Error(ErrorKind::Data, "--labels holds " + std::to_string(options.labels->numel()) + " labels for " + std::to_string(report.samples) + " samples");
    const double n = static_cast<double>(report.samples);
    report.accuracy_float = static_cast<double>(float_correct) / n;
    report.accuracy_quant = static_cast<double>(quant_correct) / n;
    report.top1_agreement = static_cast<double>(agree) / n;
  }

  // Per layer: each node that reads a DequantizeLinear output (a quantized layer), alone.
  if (options.sensitivity) {
    std::set<std::string> dq_outputs;
    for (const ActivationPair& p : layout.activations) dq_outputs.insert(p.dq_output);
    for (const ConstantDq& c : layout.constants) dq_outputs.insert(c.dq_output);
    std::vector<const ir::Node*> layers;
    for (const ir::Node& n : quant_graph.nodes) {
      if (n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear") continue;
      const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
      if (!op || op->facts.kind != ops::OpKind::Compute) continue;
      if (std::any_of(n.inputs.begin(), n.inputs.end(), [&](const std::string& in) { return dq_outputs.count(in) != 0; })) layers.push_back(&n);
    }
    int layer_index = 0;
    for (const ir::Node* layer : layers) {
      const ir::Graph only = keep_only(quant_graph, float_graph, layout, layer_dq_nodes(quant_graph, layout, *layer));
      const interp::Interpreter only_run(only);
      std::vector<OutputRow> out_error(report.outputs.size());
      for_samples(
          report.samples,
          [&](int64_t i) {
            const interp::TensorMap inputs = calib::sample_inputs(data, i);
            const interp::TensorMap f = float_run.run(inputs), q = only_run.run(inputs);
            std::vector<OutputRow> e(report.outputs.size());
            for (size_t k = 0; k < e.size(); ++k) e[k].add(f.at(report.outputs[k].name), q.at(report.outputs[k].name));
            return e;
          },
          [&](const std::vector<OutputRow>& e) {
            for (size_t k = 0; k < e.size(); ++k) out_error[k].merge(e[k]);
          },
          nullptr, 2, passes);
      report.layers.push_back({layer->name, layer->op_type, lowest_sqnr(out_error)});
      if (options.progress) options.progress(2, passes, ++layer_index, static_cast<int64_t>(layers.size()));
    }
  }
  return report;
}

}  // namespace quant::analyze
