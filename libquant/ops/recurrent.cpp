// RNN, GRU and LSTM (ONNX semantics, inference): reading the node, and the reference path (one
// batch entry and time step at a time, in double); recurrent_batched.cpp is the fast path.
// Shapes (layout 0): X [seq, batch, in]; W [dirs, G*H, in]; R [dirs, G*H, H]; B [dirs, 2*G*H] (Wb, Rb);
// Y [seq, dirs, batch, H]; Y_h (and LSTM's Y_c) [dirs, batch, H]. layout 1 swaps seq and batch
// (X [batch, seq, in], Y [batch, seq, dirs, H], Y_h [batch, dirs, H]). Steps past a batch entry's
// sequence_lens are not run: Y is 0 there and the state keeps its last value. With f, g, h the
// activations (defaults Sigmoid, Tanh, Tanh; RNN: Tanh), "x·W" the product with the gate's rows, and
// pre-activations clipped to [-clip, clip] when clip is set:
//   RNN  (G = 1):  H = f(x·Wi + H·Ri + Wbi + Rbi)
//   GRU  (G = 3, gates z, r, h):
//     z = f(x·Wz + H·Rz + Wbz + Rbz);  r = f(x·Wr + H·Rr + Wbr + Rbr)
//     n = g(x·Wh + (r ⊙ H)·Rh + Rbh + Wbh)          linear_before_reset = 0
//     n = g(x·Wh + r ⊙ (H·Rh + Rbh) + Wbh)          linear_before_reset = 1
//     H = (1 - z) ⊙ n + z ⊙ H
//   LSTM (G = 4, gates i, o, f, c; peepholes P [dirs, 3H] = Pi, Po, Pf):
//     i = f(x·Wi + H·Ri + Pi ⊙ C + Wbi + Rbi);  f' = f(x·Wf + H·Rf + Pf ⊙ C + Wbf + Rbf)
//     c = g(x·Wc + H·Rc + Wbc + Rbc);  C = f' ⊙ C + i ⊙ c   (input_forget = 1: f' = 1 - i)
//     o = f(x·Wo + H·Ro + Po ⊙ C + Wbo + Rbo);  H = o ⊙ h(C)
#include "ops/recurrent.h"

#include <algorithm>
#include <cmath>

#include "ops/kernels.h"
#include "ops/vector_math.h"

namespace quant::ops {
namespace {

// The activation functions ONNX's recurrent ops name, with their alpha/beta defaults.
RecurrentActivation make_activation(const std::string& name, const float* alpha, const float* beta) {
  auto a = [&](double d) { return alpha ? static_cast<double>(*alpha) : d; };
  auto b = [&](double d) { return beta ? static_cast<double>(*beta) : d; };
  auto with = [&](std::function<double(double)> fn) { return RecurrentActivation{std::move(fn)}; };
  if (name == "Sigmoid") return {[](double x) { return 1.0 / (1.0 + std::exp(-x)); }, sigmoid_floats};
  if (name == "Tanh") return {[](double x) { return std::tanh(x); }, tanh_floats};
  if (name == "Relu") return with([](double x) { return x > 0 ? x : 0.0; });
  if (name == "Affine") return with([al = a(1.0), be = b(0.0)](double x) { return al * x + be; });
  if (name == "LeakyRelu") return with([al = a(0.01)](double x) { return x >= 0 ? x : al * x; });
  if (name == "ThresholdedRelu") return with([al = a(1.0)](double x) { return x > al ? x : 0.0; });
  if (name == "ScaledTanh") return with([al = a(1.0), be = b(1.0)](double x) { return al * std::tanh(be * x); });
  if (name == "HardSigmoid") return with([al = a(0.2), be = b(0.5)](double x) { return std::clamp(al * x + be, 0.0, 1.0); });
  if (name == "Elu") return with([al = a(1.0)](double x) { return x >= 0 ? x : al * (std::exp(x) - 1.0); });
  if (name == "Softsign") return with([](double x) { return x / (1.0 + std::abs(x)); });
  if (name == "Softplus") return with([](double x) { return std::log1p(std::exp(x)); });
  throw Error(ErrorKind::Unsupported, "recurrent activation '" + name + "' is not supported");
}

double dot(const float* a, const float* x, int64_t n) {
  double s = 0;
  for (int64_t k = 0; k < n; ++k) s += static_cast<double>(a[k]) * x[k];
  return s;
}

}  // namespace

Recurrent read_recurrent(const ir::Node& node, const Inputs& inputs, Cell cell) {
  Recurrent m;
  m.cell = cell;
  m.gates = cell == Cell::Rnn ? 1 : cell == Cell::Gru ? 3 : 4;
  m.x = required_input(inputs, 0, "X").to_plain();
  require_float(m.x, "X");
  require_rank(m.x, 3, "X");
  m.layout_batch_first = node.attr_int("layout", 0) != 0;
  m.seq = m.x.dim(m.layout_batch_first ? 1 : 0), m.batch = m.x.dim(m.layout_batch_first ? 0 : 1), m.in = m.x.dim(2);
  m.hidden = node.attr_int("hidden_size");
  const std::string direction = node.attr_string("direction", "forward");
  m.dirs = direction == "bidirectional" ? 2 : 1;
  m.reverse_only = direction == "reverse";
  const int64_t gh = m.gates * m.hidden;
  auto plain = [](const Tensor* t, int64_t expected, const char* what) -> std::vector<float> {
    if (!t) return {};
    if (t->numel() != expected) throw Error(ErrorKind::Data, std::string(what) + " " + t->describe() + " has the wrong size");
    return t->to_float_vector();
  };
  m.w = plain(&required_input(inputs, 1, "W"), m.dirs * gh * m.in, "W");
  m.r = plain(&required_input(inputs, 2, "R"), m.dirs * gh * m.hidden, "R");
  m.b = plain(optional_input(inputs, 3), m.dirs * 2 * gh, "B");
  if (m.b.empty()) m.b.assign(static_cast<size_t>(m.dirs * 2 * gh), 0.0f);
  if (const Tensor* lens = optional_input(inputs, 4)) m.lens = lens->to_int64_vector();
  else m.lens.assign(static_cast<size_t>(m.batch), m.seq);
  if (static_cast<int64_t>(m.lens.size()) != m.batch)
    throw Error(ErrorKind::Data, "sequence_lens has " + std::to_string(m.lens.size()) + " entries for a batch of " + std::to_string(m.batch));
  for (int64_t& len : m.lens) len = std::clamp<int64_t>(len, 0, m.seq);
  m.h0 = plain(optional_input(inputs, 5), m.dirs * m.batch * m.hidden, "initial_h");
  if (cell == Cell::Lstm) m.c0 = plain(optional_input(inputs, 6), m.dirs * m.batch * m.hidden, "initial_c");
  if (cell == Cell::Lstm) m.p = plain(optional_input(inputs, 7), m.dirs * 3 * m.hidden, "P");
  m.clip = node.attr_float("clip", 0.0f);
  m.linear_before_reset = node.attr_int("linear_before_reset", 0) != 0;
  m.input_forget = node.attr_int("input_forget", 0) != 0;

  const int per_dir = m.per_direction();
  const std::vector<std::string> names =
      node.has_attr("activations") ? node.attr("activations", ir::AttrKind::Strings).strings : std::vector<std::string>{};
  const std::vector<float> alphas = node.attr_floats("activation_alpha"), betas = node.attr_floats("activation_beta");
  for (int64_t d = 0; d < m.dirs; ++d)
    for (int k = 0; k < per_dir; ++k) {
      const size_t i = static_cast<size_t>(d * per_dir + k);
      const std::string name = i < names.size() ? names[i] : (cell == Cell::Rnn ? "Tanh" : k == 0 ? "Sigmoid" : "Tanh");
      m.act.push_back(make_activation(name, i < alphas.size() ? &alphas[i] : nullptr, i < betas.size() ? &betas[i] : nullptr));
    }
  return m;
}

void run_recurrent_reference(const Recurrent& m, RecurrentOutputs& out) {
  const int64_t H = m.hidden, gh = m.gates * H;
  auto clip = [&](double v) { return m.clip > 0 ? std::clamp(v, -m.clip, m.clip) : v; };
  std::vector<float> h(static_cast<size_t>(H)), c(static_cast<size_t>(H));
  std::vector<double> pre(static_cast<size_t>(gh)), rec(static_cast<size_t>(gh));
  for (int64_t d = 0; d < m.dirs; ++d) {
    const float* W = m.w.data() + d * gh * m.in;
    const float* R = m.r.data() + d * gh * H;
    const float* Wb = m.b.data() + d * 2 * gh;
    const float* Rb = Wb + gh;
    const float* P = m.p.empty() ? nullptr : m.p.data() + d * 3 * H;
    const auto& f = m.activation(d, 0).fn;
    const auto& g = m.activation(d, 1).fn;
    const auto& hf = m.activation(d, 2).fn;
    for (int64_t n = 0; n < m.batch; ++n) {
      for (int64_t j = 0; j < H; ++j) {
        h[static_cast<size_t>(j)] = m.h0.empty() ? 0.0f : m.h0[static_cast<size_t>(m.state_offset(d, n) + j)];
        c[static_cast<size_t>(j)] = m.c0.empty() ? 0.0f : m.c0[static_cast<size_t>(m.state_offset(d, n) + j)];
      }
      const int64_t len = m.lens[static_cast<size_t>(n)];
      for (int64_t s = 0; s < len; ++s) {
        const int64_t t = m.reverse(d) ? len - 1 - s : s;
        const float* xt = m.x.data<float>() + m.x_row(t, n) * m.in;
        for (int64_t q = 0; q < gh; ++q) {
          pre[static_cast<size_t>(q)] = dot(W + q * m.in, xt, m.in) + Wb[q];
          rec[static_cast<size_t>(q)] = dot(R + q * H, h.data(), H) + Rb[q];
        }
        if (m.cell == Cell::Rnn) {
          for (int64_t j = 0; j < H; ++j) h[static_cast<size_t>(j)] = static_cast<float>(f(clip(pre[static_cast<size_t>(j)] + rec[static_cast<size_t>(j)])));
        } else if (m.cell == Cell::Gru) {
          std::vector<double> z(static_cast<size_t>(H)), r(static_cast<size_t>(H));
          for (int64_t j = 0; j < H; ++j) {
            z[static_cast<size_t>(j)] = f(clip(pre[static_cast<size_t>(j)] + rec[static_cast<size_t>(j)]));
            r[static_cast<size_t>(j)] = f(clip(pre[static_cast<size_t>(H + j)] + rec[static_cast<size_t>(H + j)]));
          }
          std::vector<float> rh(static_cast<size_t>(H));
          for (int64_t j = 0; j < H; ++j) rh[static_cast<size_t>(j)] = static_cast<float>(r[static_cast<size_t>(j)] * h[static_cast<size_t>(j)]);
          std::vector<float> next(static_cast<size_t>(H));
          for (int64_t j = 0; j < H; ++j) {
            const size_t q = static_cast<size_t>(2 * H + j);
            const double hidden_term = m.linear_before_reset ? r[static_cast<size_t>(j)] * rec[q] : dot(R + (2 * H + j) * H, rh.data(), H) + Rb[2 * H + j];
            const double n_gate = g(clip(pre[q] + hidden_term));
            next[static_cast<size_t>(j)] = static_cast<float>((1.0 - z[static_cast<size_t>(j)]) * n_gate + z[static_cast<size_t>(j)] * h[static_cast<size_t>(j)]);
          }
          h = next;
        } else {
          for (int64_t j = 0; j < H; ++j) {
            const size_t J = static_cast<size_t>(j);
            const double cp = c[J];
            const double i = f(clip(pre[J] + rec[J] + (P ? P[j] * cp : 0.0)));
            const double fg = m.input_forget ? 1.0 - i : f(clip(pre[static_cast<size_t>(2 * H + j)] + rec[static_cast<size_t>(2 * H + j)] + (P ? P[2 * H + j] * cp : 0.0)));
            const double cc = g(clip(pre[static_cast<size_t>(3 * H + j)] + rec[static_cast<size_t>(3 * H + j)]));
            const double cn = fg * cp + i * cc;
            const double o = f(clip(pre[static_cast<size_t>(H + j)] + rec[static_cast<size_t>(H + j)] + (P ? P[H + j] * cn : 0.0)));
            c[J] = static_cast<float>(cn);
            h[J] = static_cast<float>(o * hf(cn));
          }
        }
        std::copy(h.begin(), h.end(), out.y.data<float>() + m.y_offset(t, d, n));
      }
      std::copy(h.begin(), h.end(), out.yh.data<float>() + m.state_offset(d, n));
      if (m.cell == Cell::Lstm) std::copy(c.begin(), c.end(), out.yc.data<float>() + m.state_offset(d, n));
    }
  }
}

namespace {

Outputs run_recurrent(const ir::Node& node, const Inputs& inputs, Cell cell, const KernelConfig& config) {
  const Recurrent m = read_recurrent(node, inputs, cell);
  const int64_t H = m.hidden;
  RecurrentOutputs out{Tensor(DType::Float32, m.layout_batch_first ? Shape{m.batch, m.seq, m.dirs, H} : Shape{m.seq, m.dirs, m.batch, H}),  // zeros
                       Tensor(DType::Float32, m.layout_batch_first ? Shape{m.batch, m.dirs, H} : Shape{m.dirs, m.batch, H}), Tensor()};
  out.yc = Tensor(DType::Float32, out.yh.shape());
  if (config.reference) run_recurrent_reference(m, out);
  else run_recurrent_batched(m, out);
  Outputs result{out.y, out.yh};
  if (cell == Cell::Lstm) result.push_back(out.yc);
  return result;
}

}  // namespace

Outputs rnn_kernel(const ir::Node& n, const Inputs& in, const KernelConfig& c) { return run_recurrent(n, in, Cell::Rnn, c); }
Outputs gru_kernel(const ir::Node& n, const Inputs& in, const KernelConfig& c) { return run_recurrent(n, in, Cell::Gru, c); }
Outputs lstm_kernel(const ir::Node& n, const Inputs& in, const KernelConfig& c) { return run_recurrent(n, in, Cell::Lstm, c); }

}  // namespace quant::ops
