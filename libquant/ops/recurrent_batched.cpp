// The batched path of RNN, GRU and LSTM (recurrent.h; formulas in recurrent.cpp). Per direction:
//   1. the input products of every step and batch entry at once: XW [rows, G*H] = X [rows, in] · Wᵀ
//      + Wb (+ Rb where it simply adds: every gate but GRU's h with linear_before_reset), one sgemm;
//   2. per step, the recurrent product of all batch entries: [batch, G*H] = H [batch, H] · Rᵀ, one
//      sgemm (GRU without linear_before_reset: z and r first, then (r ⊙ H) · Rhᵀ, a second one);
//   3. the gates over [batch, H] float arrays, Sigmoid and Tanh vectorized (ops/vector_math.h), the
//      other activations through their double formula.
// A batch entry past its sequence length is computed with the others but not taken: its state and Y
// stay as they were. Each entry's arithmetic is that of its own row, so a sample's result does not
// depend on the others in the batch. The reference path (config.reference) keeps doubles throughout.
#include <algorithm>

#include "ops/gemm.h"
#include "ops/recurrent.h"
#include "ops/vector_math.h"

namespace quant::ops {
namespace {

// y = act(y) over n floats, with y clipped to [-clip, clip] first when clip > 0.
void activate(const RecurrentActivation& act, double clip, float* y, int64_t n) {
  if (clip > 0) {
    const auto c = static_cast<float>(clip);
    for (int64_t i = 0; i < n; ++i) y[i] = std::clamp(y[i], -c, c);
  }
  if (act.floats && vector_math_supported()) return act.floats(y, y, n);
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(act.fn(y[i]));
}

// c [m, n] = a [m, k] · bᵀ (b [n, k], rows of ldb floats), row-major, c's rows ldc apart.
void product_transposed(const float* a, int64_t m, int64_t k, const float* b, int64_t ldb, int64_t n, float* c, int64_t ldc) {
  GemmArgs g;
  g.trans_b = true;
  g.m = m, g.n = n, g.k = k;
  g.a = a, g.lda = k;
  g.b = b, g.ldb = ldb;
  g.c = c, g.ldc = ldc;
  sgemm(g, false);
}

// One direction: the steps of every batch entry, writing Y and the final states.
void run_direction(const Recurrent& m, int64_t d, RecurrentOutputs& out) {
  const int64_t H = m.hidden, gh = m.gates * H, B = m.batch, rows = m.seq * m.batch;
  const float* W = m.w.data() + d * gh * m.in;
  const float* R = m.r.data() + d * gh * H;
  const float* Wb = m.b.data() + d * 2 * gh;
  const float* Rb = Wb + gh;
  const float* P = m.p.empty() ? nullptr : m.p.data() + d * 3 * H;
  const bool gru_split = m.cell == Cell::Gru && !m.linear_before_reset;  // (r ⊙ H) · Rhᵀ: a second product
  const bool gru_lbr = m.cell == Cell::Gru && m.linear_before_reset;     // r ⊙ (H · Rhᵀ + Rbh)

  // 1. XW, row x_row(t, n) for step t of entry n (left uninitialized: the product writes it all;
  // zeroing it first: memset was 4.5% of the corpus LSTM's perf samples, 1% after).
  Tensor xw_tensor(DType::Float32, {rows, gh}, Init::Uninitialized);
  float* const xw = xw_tensor.data<float>();
  product_transposed(m.x.data<float>(), rows, m.in, W, m.in, gh, xw, gh);
  for (int64_t row = 0; row < rows; ++row) {
    float* v = xw + row * gh;
    for (int64_t q = 0; q < gh; ++q) v[q] += Wb[q] + (gru_lbr && q >= 2 * H ? 0.0f : Rb[q]);
  }

  // The state, [batch, H] each, from the initial values.
  std::vector<float> h(static_cast<size_t>(B * H), 0.0f), c(static_cast<size_t>(B * H), 0.0f);
  for (int64_t n = 0; n < B; ++n) {
    if (!m.h0.empty()) std::copy_n(m.h0.begin() + m.state_offset(d, n), H, h.begin() + n * H);
    if (!m.c0.empty()) std::copy_n(m.c0.begin() + m.state_offset(d, n), H, c.begin() + n * H);
  }
  // Per step: the recurrent products [batch, G*H], the gates' pre-activations and values [batch, H] each.
  std::vector<float> rec(static_cast<size_t>(B * gh)), gate(static_cast<size_t>(B * gh)), next(static_cast<size_t>(B * H)),
      reset_h(gru_split ? static_cast<size_t>(B * H) : 0);
  const int64_t longest = *std::max_element(m.lens.begin(), m.lens.end());
  for (int64_t s = 0; s < longest; ++s) {
    // Entry n takes step t(n) while s < its length; the others compute on row 0 and are dropped.
    auto step_of = [&](int64_t n) { return m.reverse(d) ? m.lens[static_cast<size_t>(n)] - 1 - s : s; };
    auto active = [&](int64_t n) { return s < m.lens[static_cast<size_t>(n)]; };
    product_transposed(h.data(), B, H, R, H, gru_split ? 2 * H : gh, rec.data(), gh);
    for (int64_t n = 0; n < B; ++n) {
      const float* x = xw + (active(n) ? m.x_row(step_of(n), n) : 0) * gh;
      const float* r = rec.data() + n * gh;
      float* pre = gate.data() + n * gh;
      const int64_t summed = gru_split || gru_lbr ? 2 * H : gh;  // the gates whose parts simply add
      for (int64_t q = 0; q < summed; ++q) pre[q] = x[q] + r[q];
      if (m.cell == Cell::Lstm && P) {
        const float* cs = c.data() + n * H;
        for (int64_t j = 0; j < H; ++j) pre[j] += P[j] * cs[j], pre[2 * H + j] += P[2 * H + j] * cs[j];  // i, f
      }
    }
    // The gates, in rows of G*H per entry: RNN's one activation over the whole [batch, H] array, GRU's
    // and LSTM's per entry and gate.
    const RecurrentActivation &f = m.activation(d, 0), &g = m.activation(d, 1), &hf = m.activation(d, 2);
    if (m.cell == Cell::Rnn) {
      activate(f, m.clip, gate.data(), B * gh);
      std::copy(gate.begin(), gate.end(), next.begin());
    } else if (m.cell == Cell::Gru) {
      for (int64_t n = 0; n < B; ++n) activate(f, m.clip, gate.data() + n * gh, 2 * H);  // z, r
      if (gru_split) {
        for (int64_t n = 0; n < B; ++n)
          for (int64_t j = 0; j < H; ++j) reset_h[static_cast<size_t>(n * H + j)] = gate[static_cast<size_t>(n * gh + H + j)] * h[static_cast<size_t>(n * H + j)];
        product_transposed(reset_h.data(), B, H, R + 2 * H * H, H, H, rec.data() + 2 * H, gh);
      }
      for (int64_t n = 0; n < B; ++n) {
        const float* x = xw + (active(n) ? m.x_row(step_of(n), n) : 0) * gh;
        const float *z = gate.data() + n * gh, *rg = z + H, *rh = rec.data() + n * gh + 2 * H;
        float* cand = gate.data() + n * gh + 2 * H;
        for (int64_t j = 0; j < H; ++j) cand[j] = x[2 * H + j] + (gru_lbr ? rg[j] * (rh[j] + Rb[2 * H + j]) : rh[j]);
        activate(g, m.clip, cand, H);
        const float* hs = h.data() + n * H;
        float* hn = next.data() + n * H;
        for (int64_t j = 0; j < H; ++j) hn[j] = (1.0f - z[j]) * cand[j] + z[j] * hs[j];
      }
    } else {
      // i, o, f, c at 0, H, 2H, 3H of each row. Without peepholes and input_forget, i, o and f are
      // one activation over [0, 3H) (o does not wait for C'; one call instead of three per entry).
      const bool iof_in_one_call = !P && !m.input_forget;
      for (int64_t n = 0; n < B; ++n) {
        float* row = gate.data() + n * gh;
        if (iof_in_one_call) {
          activate(f, m.clip, row, 3 * H);                              // i, o, f
        } else {
          activate(f, m.clip, row, H);                                  // i
          if (m.input_forget) {
            for (int64_t j = 0; j < H; ++j) row[2 * H + j] = 1.0f - row[j];
          } else {
            activate(f, m.clip, row + 2 * H, H);                        // f
          }
        }
        activate(g, m.clip, row + 3 * H, H);                            // c
        const float* cs = c.data() + n * H;
        float* hn = next.data() + n * H;
        // C' = f ⊙ C + i ⊙ c, kept in hn for now; o needs C' for its peephole.
        for (int64_t j = 0; j < H; ++j) hn[j] = row[2 * H + j] * cs[j] + row[j] * row[3 * H + j];
        if (iof_in_one_call) continue;
        if (P)
          for (int64_t j = 0; j < H; ++j) row[H + j] += P[H + j] * hn[j];
        activate(f, m.clip, row + H, H);                                // o
      }
    }
    // Take the step for the active entries: LSTM's C' and H = o ⊙ h(C'); every cell's H and Y.
    for (int64_t n = 0; n < B; ++n) {
      if (!active(n)) continue;
      float* hs = h.data() + n * H;
      const float* hn = next.data() + n * H;
      if (m.cell == Cell::Lstm) {
        float* cs = c.data() + n * H;
        std::copy(hn, hn + H, cs);
        std::copy(hn, hn + H, hs);
        activate(hf, 0, hs, H);
        const float* o = gate.data() + n * gh + H;
        for (int64_t j = 0; j < H; ++j) hs[j] *= o[j];
      } else {
        std::copy(hn, hn + H, hs);
      }
      std::copy(hs, hs + H, out.y.data<float>() + m.y_offset(step_of(n), d, n));
    }
  }
  for (int64_t n = 0; n < B; ++n) {
    std::copy_n(h.begin() + n * H, H, out.yh.data<float>() + m.state_offset(d, n));
    if (m.cell == Cell::Lstm) std::copy_n(c.begin() + n * H, H, out.yc.data<float>() + m.state_offset(d, n));
  }
}

}  // namespace

void run_recurrent_batched(const Recurrent& m, RecurrentOutputs& out) {
  if (m.batch == 0 || m.seq == 0 || m.hidden == 0) return run_recurrent_reference(m, out);
  for (int64_t d = 0; d < m.dirs; ++d) run_direction(m, d, out);
}

}  // namespace quant::ops
