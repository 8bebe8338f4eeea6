// RNN, GRU and LSTM: the node read once into a Recurrent (recurrent.cpp), then run by one of two
// paths over it: the reference (recurrent.cpp: one batch entry and time step at a time, dot products
// and activations in double) and the batched one (recurrent_batched.cpp: per direction, the input
// products of all steps as one sgemm, then per step the recurrent product of all batch entries as
// one sgemm and the gates as float vectors). recurrent.cpp's header comment gives the formulas.
#pragma once
#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "ops/kernel.h"

namespace quant::ops {

enum class Cell { Rnn, Gru, Lstm };

// An activation ONNX's recurrent ops name, with its alpha/beta applied.
struct RecurrentActivation {
  std::function<double(double)> fn;   // the formula, in double
  // Sigmoid and Tanh: their vectorized float form (ops/vector_math.h), which the batched path runs
  // when vector_math_supported(); null for the others.
  void (*floats)(const float* x, float* y, int64_t n) = nullptr;
};

struct Recurrent {
  Cell cell;
  int gates;                           // G: 1, 3, 4
  int64_t seq, batch, in, hidden, dirs;
  bool layout_batch_first;
  bool reverse_only;                   // direction "reverse"
  Tensor x;                            // X, plain float
  std::vector<float> w, r, b, p;       // W [dirs, G*H, in], R [dirs, G*H, H], B [dirs, 2*G*H] (zeros if absent), P [dirs, 3H] or empty
  std::vector<float> h0, c0;           // initial states, laid out as Y_h (state_offset), or empty (zeros)
  std::vector<int64_t> lens;           // per batch entry, at most seq
  std::vector<RecurrentActivation> act;  // per direction: f, g, h (as many as the cell uses: per_direction())
  double clip = 0;                     // 0: none
  bool linear_before_reset = false, input_forget = false;

  int per_direction() const { return cell == Cell::Rnn ? 1 : cell == Cell::Gru ? 2 : 3; }
  // The k-th activation (0 f, 1 g, 2 h) of direction d; a cell with fewer uses its last.
  const RecurrentActivation& activation(int64_t d, int k) const {
    return act[static_cast<size_t>(d * per_direction() + std::min(k, per_direction() - 1))];
  }
  bool reverse(int64_t d) const { return reverse_only || d == 1; }
  // Offsets into Y [seq, dirs, batch, H] (layout 1: [batch, seq, dirs, H]), Y_h/Y_c and the initial
  // states [dirs, batch, H] ([batch, dirs, H]) and X [seq, batch, in] ([batch, seq, in]).
  int64_t y_offset(int64_t t, int64_t d, int64_t n) const {
    return (layout_batch_first ? (n * seq + t) * dirs + d : (t * dirs + d) * batch + n) * hidden;
  }
  int64_t state_offset(int64_t d, int64_t n) const { return (layout_batch_first ? n * dirs + d : d * batch + n) * hidden; }
  int64_t x_row(int64_t t, int64_t n) const { return layout_batch_first ? n * seq + t : t * batch + n; }
};

// Reads and checks the node's inputs and attributes (Data/Unsupported errors name what is wrong).
Recurrent read_recurrent(const ir::Node& node, const Inputs& inputs, Cell cell);

// Y, Y_h (and LSTM's Y_c), zero-initialized by the caller, filled by the reference or batched path.
struct RecurrentOutputs {
  Tensor y, yh, yc;
};
void run_recurrent_reference(const Recurrent& m, RecurrentOutputs& out);
void run_recurrent_batched(const Recurrent& m, RecurrentOutputs& out);

}  // namespace quant::ops
