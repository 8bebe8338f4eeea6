#include "transform/bias_correction.h"

#include <spdlog/spdlog.h>
#include <unordered_map>

#include "interp/interpreter.h"
#include "ops/op_table.h"
#include "qmath/rounding.h"

namespace quant::transform {
namespace {

struct Target {
  const ir::Node* node;
  const ops::OpEntry* op;
  Tensor weight_error;            // W - dequant(quant(W))
  std::string bias;
  std::vector<double> sum;        // per output channel
  int64_t count = 0;              // values summed per channel
};

Tensor dequantized(const Tensor& w, const plan::TensorQuant& q) {
  const Tensor codes = plan::quantize_initializer(w, q);
  Tensor out(DType::Float32, w.shape(), Init::Uninitialized);
  int64_t inner = 1, channels = 1;
  if (q.axis >= 0) {
    for (size_t d = static_cast<size_t>(q.axis) + 1; d < w.shape().size(); ++d) inner *= w.shape()[d];
    channels = w.shape()[static_cast<size_t>(q.axis)];
  }
  for (int64_t i = 0; i < w.numel(); ++i) {
    const size_t c = q.axis >= 0 ? static_cast<size_t>((i / inner) % channels) : 0;
    out.data<float>()[i] = qmath::dequantize_value(codes.value_as_int64(i), q.scale[c], q.zero_point[c]);
  }
  return out;
}

}  // namespace

int correct_biases(ir::Model& model, const plan::QuantPlan& plan, const std::vector<calib::CalibrationInput>& inputs, int64_t samples) {
  ir::Graph& g = model.graph;
  std::vector<Target> targets;
  std::unordered_map<std::string, std::vector<size_t>> wanted;  // tensor -> targets reading it as input 0
  for (const ir::Node& n : g.nodes) {
    const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
    if (!op || (n.op_type != "Conv" && n.op_type != "Gemm") || !n.has_input(2)) continue;
    const plan::TensorQuant* wq = plan.find(n.inputs[1]);
    auto b = g.initializers.find(n.inputs[2]);
    if (!wq || wq->role != plan::Role::Weight || b == g.initializers.end() || b->second.rank() != 1) continue;
    const Tensor& w = g.initializers.at(n.inputs[1]);
    Tensor err = w.clone();
    const Tensor dq = dequantized(w, *wq);
    for (int64_t i = 0; i < err.numel(); ++i) err.data<float>()[i] -= dq.data<float>()[i];
    Target t{&n, op, err, n.inputs[2], std::vector<double>(static_cast<size_t>(b->second.numel()), 0.0), 0};
    wanted[n.inputs[0]].push_back(targets.size());
    targets.push_back(std::move(t));
  }
  if (targets.empty()) return 0;

  const interp::Interpreter interpreter(g);
  for (int64_t i = 0; i < samples; ++i) {
    const interp::TensorMap sample = calib::sample_inputs(inputs, i);
    auto measure = [&](const std::string& name, const Tensor& x) {
      auto it = wanted.find(name);
      if (it == wanted.end()) return;
      for (size_t k : it->second) {
        Target& t = targets[k];
        // The layer applied to its float input with the weight error only (no bias).
        ir::Node bare = *t.node;
        const Tensor y = t.op->kernel(bare, {&x, &t.weight_error, nullptr}, {})[0].to_plain();
        const int64_t channels = static_cast<int64_t>(t.sum.size());
        const int64_t inner = y.numel() / (y.dim(0) * channels);
        const float* v = y.data<float>();
        for (int64_t n = 0; n < y.dim(0); ++n)
          for (int64_t c = 0; c < channels; ++c)
            for (int64_t p = 0; p < inner; ++p) t.sum[static_cast<size_t>(c)] += v[(n * channels + c) * inner + p];
        t.count += y.dim(0) * inner;
      }
    };
    for (const auto& [name, t] : sample) measure(name, t);
    interpreter.run(sample, [&](const ir::Node&, const std::string& name, const Tensor& value) { measure(name, value); });
  }
  for (Target& t : targets) {
    Tensor bias = g.initializers.at(t.bias).clone();
    double largest = 0;
    for (size_t c = 0; c < t.sum.size(); ++c) {
      const double shift = t.sum[c] / static_cast<double>(std::max<int64_t>(t.count, 1));
      bias.data<float>()[c] += static_cast<float>(shift);
      largest = std::max(largest, std::abs(shift));
    }
    g.initializers[t.bias] = bias;
    spdlog::debug("bias correction: '{}' largest shift {:.3g}", t.node->name, largest);
  }
  return static_cast<int>(targets.size());
}

}  // namespace quant::transform
