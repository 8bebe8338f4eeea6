// RNN, GRU and LSTM (ONNX semantics, inference), one time step at a time per direction.
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
#include <algorithm>
#include <cmath>
#include <functional>

#include "ops/kernels.h"

namespace quant::ops {
namespace {

using Activation = std::function<double(double)>;

// The activation functions ONNX's recurrent ops name, with their alpha/beta defaults.
Activation make_activation(const std::string& name, const float* alpha, const float* beta) {
  auto a = [&](double d) { return alpha ? static_cast<double>(*alpha) : d; };
  auto b = [&](double d) { return beta ? static_cast<double>(*beta) : d; };
  if (name == "Sigmoid") return [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  if (name == "Tanh") return [](double x) { return std::tanh(x); };
  if (name == "Relu") return [](double x) { return x > 0 ? x : 0.0; };
  if (name == "Affine") return [al = a(1.0), be = b(0.0)](double x) { return al * x + be; };
  if (name == "LeakyRelu") return [al = a(0.01)](double x) { return x >= 0 ? x : al * x; };
  if (name == "ThresholdedRelu") return [al = a(1.0)](double x) { return x > al ? x : 0.0; };
  if (name == "ScaledTanh") return [al = a(1.0), be = b(1.0)](double x) { return al * std::tanh(be * x); };
  if (name == "HardSigmoid") return [al = a(0.2), be = b(0.5)](double x) { return std::clamp(al * x + be, 0.0, 1.0); };
  if (name == "Elu") return [al = a(1.0)](double x) { return x >= 0 ? x : al * (std::exp(x) - 1.0); };
  if (name == "Softsign") return [](double x) { return x / (1.0 + std::abs(x)); };
  if (name == "Softplus") return [](double x) { return std::log1p(std::exp(x)); };
  throw Error(ErrorKind::Unsupported, "recurrent activation '" + name + "' is not supported");
}

enum class Cell { Rnn, Gru, Lstm };

struct Recurrent {
  Cell cell;
  int gates;                        // G
  int64_t seq, batch, in, hidden, dirs;
  bool layout_batch_first;
  std::vector<float> w, r, b, p;    // plain copies, float
  std::vector<int64_t> lens;
  std::vector<Activation> act;      // per direction: f, g, h (as many as the cell uses)
  double clip = 0;
  bool linear_before_reset = false, input_forget = false;
};

double dot(const float* a, const float* x, int64_t n) {
  double s = 0;
  for (int64_t k = 0; k < n; ++k) s += static_cast<double>(a[k]) * x[k];
  return s;
}

Outputs run_recurrent(const ir::Node& node, const Inputs& inputs, Cell cell) {
  Recurrent m;
  m.cell = cell;
  m.gates = cell == Cell::Rnn ? 1 : cell == Cell::Gru ? 3 : 4;
  const Tensor x = required_input(inputs, 0, "X").to_plain();
  require_float(x, "X");
  require_rank(x, 3, "X");
  m.layout_batch_first = node.attr_int("layout", 0) != 0;
  m.seq = x.dim(m.layout_batch_first ? 1 : 0), m.batch = x.dim(m.layout_batch_first ? 0 : 1), m.in = x.dim(2);
  m.hidden = node.attr_int("hidden_size");
  const std::string direction = node.attr_string("direction", "forward");
  m.dirs = direction == "bidirectional" ? 2 : 1;
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
  const std::vector<float> h0 = plain(optional_input(inputs, 5), m.dirs * m.batch * m.hidden, "initial_h");
  const std::vector<float> c0 = cell == Cell::Lstm ? plain(optional_input(inputs, 6), m.dirs * m.batch * m.hidden, "initial_c") : std::vector<float>{};
  if (cell == Cell::Lstm) m.p = plain(optional_input(inputs, 7), m.dirs * 3 * m.hidden, "P");
  m.clip = node.attr_float("clip", 0.0f);
  m.linear_before_reset = node.attr_int("linear_before_reset", 0) != 0;
  m.input_forget = node.attr_int("input_forget", 0) != 0;

  const int per_dir = cell == Cell::Rnn ? 1 : cell == Cell::Gru ? 2 : 3;
  const std::vector<std::string> names =
      node.has_attr("activations") ? node.attr("activations", ir::AttrKind::Strings).strings : std::vector<std::string>{};
  const std::vector<float> alphas = node.attr_floats("activation_alpha"), betas = node.attr_floats("activation_beta");
  for (int64_t d = 0; d < m.dirs; ++d)
    for (int k = 0; k < per_dir; ++k) {
      const size_t i = static_cast<size_t>(d * per_dir + k);
      const std::string name = i < names.size() ? names[i] : (cell == Cell::Rnn ? "Tanh" : k == 0 ? "Sigmoid" : "Tanh");
      m.act.push_back(make_activation(name, i < alphas.size() ? &alphas[i] : nullptr, i < betas.size() ? &betas[i] : nullptr));
    }

  const int64_t H = m.hidden;
  Tensor y(DType::Float32, m.layout_batch_first ? Shape{m.batch, m.seq, m.dirs, H} : Shape{m.seq, m.dirs, m.batch, H});  // zeros
  Tensor yh(DType::Float32, m.layout_batch_first ? Shape{m.batch, m.dirs, H} : Shape{m.dirs, m.batch, H});
  Tensor yc(DType::Float32, yh.shape());
  auto y_at = [&](int64_t t, int64_t d, int64_t n) {
    return y.data<float>() + (m.layout_batch_first ? ((n * m.seq + t) * m.dirs + d) * H : ((t * m.dirs + d) * m.batch + n) * H);
  };
  auto state_at = [&](Tensor& s, int64_t d, int64_t n) {
    return s.data<float>() + (m.layout_batch_first ? (n * m.dirs + d) * H : (d * m.batch + n) * H);
  };
  auto x_at = [&](int64_t t, int64_t n) { return x.data<float>() + (m.layout_batch_first ? (n * m.seq + t) : (t * m.batch + n)) * m.in; };
  auto clip = [&](double v) { return m.clip > 0 ? std::clamp(v, -m.clip, m.clip) : v; };

  std::vector<float> h(static_cast<size_t>(H)), c(static_cast<size_t>(H));
  std::vector<double> pre(static_cast<size_t>(gh)), rec(static_cast<size_t>(gh));
  for (int64_t d = 0; d < m.dirs; ++d) {
    const bool reverse = direction == "reverse" || d == 1;
    const float* W = m.w.data() + d * gh * m.in;
    const float* R = m.r.data() + d * gh * H;
    const float* Wb = m.b.data() + d * 2 * gh;
    const float* Rb = Wb + gh;
    const float* P = m.p.empty() ? nullptr : m.p.data() + d * 3 * H;
    const Activation& f = m.act[static_cast<size_t>(d * per_dir)];
    const Activation& g = m.act[static_cast<size_t>(d * per_dir + (per_dir > 1 ? 1 : 0))];
    const Activation& hf = m.act[static_cast<size_t>(d * per_dir + (per_dir > 2 ? 2 : 0))];
    for (int64_t n = 0; n < m.batch; ++n) {
      for (int64_t j = 0; j < H; ++j) {
        h[static_cast<size_t>(j)] = h0.empty() ? 0.0f : h0[static_cast<size_t>((d * m.batch + n) * H + j)];
        c[static_cast<size_t>(j)] = c0.empty() ? 0.0f : c0[static_cast<size_t>((d * m.batch + n) * H + j)];
      }
      const int64_t len = std::min(m.lens[static_cast<size_t>(n)], m.seq);
      for (int64_t s = 0; s < len; ++s) {
        const int64_t t = reverse ? len - 1 - s : s;
        const float* xt = x_at(t, n);
        for (int64_t q = 0; q < gh; ++q) {
          pre[static_cast<size_t>(q)] = dot(W + q * m.in, xt, m.in) + Wb[q];
          rec[static_cast<size_t>(q)] = dot(R + q * H, h.data(), H) + Rb[q];
        }
        if (cell == Cell::Rnn) {
          for (int64_t j = 0; j < H; ++j) h[static_cast<size_t>(j)] = static_cast<float>(f(clip(pre[static_cast<size_t>(j)] + rec[static_cast<size_t>(j)])));
        } else if (cell == Cell::Gru) {
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
        std::copy(h.begin(), h.end(), y_at(t, d, n));
      }
      std::copy(h.begin(), h.end(), state_at(yh, d, n));
      std::copy(c.begin(), c.end(), state_at(yc, d, n));
    }
  }
  Outputs out{y, yh};
  if (cell == Cell::Lstm) out.push_back(yc);
  return out;
}

}  // namespace

Outputs rnn_kernel(const ir::Node& n, const Inputs& in, const KernelConfig&) { return run_recurrent(n, in, Cell::Rnn); }
Outputs gru_kernel(const ir::Node& n, const Inputs& in, const KernelConfig&) { return run_recurrent(n, in, Cell::Gru); }
Outputs lstm_kernel(const ir::Node& n, const Inputs& in, const KernelConfig&) { return run_recurrent(n, in, Cell::Lstm); }

}  // namespace quant::ops
