// RNN, GRU and LSTM: the batched path (recurrent_batched.cpp: sgemm products, float gates) against
// the reference (one entry and step at a time, in double) over the attributes the ONNX backend
// tests leave out: both directions and reverse, sequence lengths that differ per entry, layout 1,
// GRU's linear_before_reset, LSTM's peepholes and input_forget, clip, initial states, and
// activations the batched path does not vectorize; and layout 1 against layout 0 on transposed
// tensors, initial states included (both paths once read those as [dirs, batch, H] in layout 1).
#include <catch2/catch.hpp>

#include <random>

#include "ops/kernels.h"
#include "small_graphs.h"

using namespace quant;

namespace {

struct RecurrentCase {
  std::string op;
  std::string direction = "forward";
  int64_t layout = 0;
  bool lens = false, initial = false, peepholes = false;
  int64_t linear_before_reset = 0, input_forget = 0;
  float clip = 0;
  std::vector<std::string> activations;
};

void require_close(const Tensor& fast, const Tensor& ref) {
  REQUIRE(fast.shape() == ref.shape());
  for (int64_t i = 0; i < ref.numel(); ++i) REQUIRE(fast.data<float>()[i] == Approx(ref.data<float>()[i]).margin(1e-5).epsilon(1e-4));
}

}  // namespace

TEST_CASE("recurrent ops: the batched path equals the reference", "[kernels][recurrent]") {
  const std::vector<RecurrentCase> cases = {
      {"GRU"},
      {"GRU", "bidirectional", 0, true, true},
      {"GRU", "reverse", 1, true, false, false, 1},
      {"GRU", "forward", 0, false, false, false, 1, 0, 0.5f},
      {"GRU", "forward", 0, true, false, false, 0, 0, 0, {"HardSigmoid", "Softsign"}},
      {"LSTM"},
      {"LSTM", "bidirectional", 1, true, true, true},
      {"LSTM", "reverse", 0, true, false, true, 0, 1},
      {"LSTM", "forward", 0, false, true, false, 0, 0, 0.7f, {"Sigmoid", "Relu", "Tanh"}},
      {"RNN"},
      {"RNN", "bidirectional", 0, true, true, false, 0, 0, 0, {"Tanh", "LeakyRelu"}},
      {"RNN", "reverse", 1},
  };
  std::mt19937 rng(31);
  for (const RecurrentCase& c : cases) {
    const int64_t seq = 5, batch = 4, in = 3, hidden = 6, dirs = c.direction == "bidirectional" ? 2 : 1;
    const int64_t gates = c.op == "GRU" ? 3 : c.op == "LSTM" ? 4 : 1;
    INFO(c.op << " " << c.direction << " layout " << c.layout << (c.lens ? " lens" : "") << (c.initial ? " initial" : "")
              << (c.peepholes ? " peepholes" : "") << " lbr " << c.linear_before_reset << " input_forget " << c.input_forget << " clip " << c.clip);
    const Tensor x = test::random_floats(c.layout ? Shape{batch, seq, in} : Shape{seq, batch, in}, rng, 2.0f);
    const Tensor w = test::random_floats({dirs, gates * hidden, in}, rng);
    const Tensor r = test::random_floats({dirs, gates * hidden, hidden}, rng);
    const Tensor b = test::random_floats({dirs, 2 * gates * hidden}, rng, 0.5f);
    const Tensor lens = Tensor::from_vector<int32_t>({batch}, {5, 2, 0, 4});
    const Shape state = c.layout ? Shape{batch, dirs, hidden} : Shape{dirs, batch, hidden};
    const Tensor h0 = test::random_floats(state, rng), c0 = test::random_floats(state, rng);
    const Tensor p = test::random_floats({dirs, 3 * hidden}, rng);
    ir::Node node = test::node("rnn", c.op, {}, {"y", "y_h", "y_c"});
    node.attributes["hidden_size"] = ir::int_attribute(hidden);
    node.attributes["direction"] = ir::Attribute{.kind = ir::AttrKind::String, .s = c.direction};
    node.attributes["layout"] = ir::int_attribute(c.layout);
    if (c.op == "GRU") node.attributes["linear_before_reset"] = ir::int_attribute(c.linear_before_reset);
    if (c.op == "LSTM") node.attributes["input_forget"] = ir::int_attribute(c.input_forget);
    if (c.clip > 0) node.attributes["clip"] = ir::Attribute{.kind = ir::AttrKind::Float, .f = c.clip};
    if (!c.activations.empty()) {
      std::vector<std::string> names;
      for (int64_t d = 0; d < dirs; ++d) names.insert(names.end(), c.activations.begin(), c.activations.end());
      node.attributes["activations"] = ir::Attribute{.kind = ir::AttrKind::Strings, .strings = names};
    }
    ops::Inputs inputs{&x, &w, &r, &b, c.lens ? &lens : nullptr, c.initial ? &h0 : nullptr};
    if (c.op == "LSTM") inputs.insert(inputs.end(), {c.initial ? &c0 : nullptr, c.peepholes ? &p : nullptr});
    const auto kernel = c.op == "GRU" ? ops::gru_kernel : c.op == "LSTM" ? ops::lstm_kernel : ops::rnn_kernel;
    const ops::Outputs fast = kernel(node, inputs, {});
    const ops::Outputs reference = kernel(node, inputs, {.reference = true});
    REQUIRE(fast.size() == reference.size());
    for (size_t k = 0; k < fast.size(); ++k) {
      INFO("output " << k);
      require_close(fast[k], reference[k]);
    }
    // Past an entry's length Y is 0 (entry 2 has none: all of its Y, and its Y_h is the initial state).
    if (c.lens) {
      const Tensor& y = fast[0];
      for (int64_t t = 0; t < seq; ++t)
        for (int64_t d = 0; d < dirs; ++d)
          for (int64_t j = 0; j < hidden; ++j)
            REQUIRE(y.data<float>()[(c.layout ? ((2 * seq + t) * dirs + d) : ((t * dirs + d) * batch + 2)) * hidden + j] == 0.0f);
    }
  }
}

TEST_CASE("recurrent ops: layout 1 computes what layout 0 does on the transposed tensors", "[kernels][recurrent]") {
  // X [seq, batch, in] against [batch, seq, in], initial states [dirs, batch, H] against
  // [batch, dirs, H] (ONNX's layout attribute), on both paths: Y and the states come out transposed
  // the same way.
  std::mt19937 rng(8);
  const int64_t seq = 4, batch = 3, in = 2, hidden = 5, dirs = 2;
  for (const std::string op : {"GRU", "LSTM", "RNN"}) {
    const int64_t gates = op == "GRU" ? 3 : op == "LSTM" ? 4 : 1;
    const Tensor x0 = test::random_floats({seq, batch, in}, rng);
    const Tensor w = test::random_floats({dirs, gates * hidden, in}, rng), r = test::random_floats({dirs, gates * hidden, hidden}, rng);
    const Tensor b = test::random_floats({dirs, 2 * gates * hidden}, rng);
    const Tensor h0 = test::random_floats({dirs, batch, hidden}, rng), c0 = test::random_floats({dirs, batch, hidden}, rng);
    // t[i][j][k] -> t[j][i][k]
    auto swap01 = [](const Tensor& t) {
      Tensor out(DType::Float32, {t.dim(1), t.dim(0), t.dim(2)});
      for (int64_t i = 0; i < t.dim(0); ++i)
        for (int64_t j = 0; j < t.dim(1); ++j)
          for (int64_t k = 0; k < t.dim(2); ++k) out.data<float>()[(j * t.dim(0) + i) * t.dim(2) + k] = t.data<float>()[(i * t.dim(1) + j) * t.dim(2) + k];
      return out;
    };
    const Tensor x1 = swap01(x0), h1 = swap01(h0), c1 = swap01(c0);
    const auto kernel = op == "GRU" ? ops::gru_kernel : op == "LSTM" ? ops::lstm_kernel : ops::rnn_kernel;
    for (const bool reference : {false, true}) {
      INFO(op << (reference ? " reference" : " batched"));
      auto run = [&](int64_t layout, const Tensor& x, const Tensor& h, const Tensor& c) {
        ir::Node node = test::node("rnn", op, {}, {"y", "y_h", "y_c"});
        node.attributes["hidden_size"] = ir::int_attribute(hidden);
        node.attributes["direction"] = ir::Attribute{.kind = ir::AttrKind::String, .s = "bidirectional"};
        node.attributes["layout"] = ir::int_attribute(layout);
        ops::Inputs inputs{&x, &w, &r, &b, nullptr, &h};
        if (op == "LSTM") inputs.push_back(&c);
        return kernel(node, inputs, {.reference = reference});
      };
      const ops::Outputs zero = run(0, x0, h0, c0), one = run(1, x1, h1, c1);
      // Y: [seq, dirs, batch, H] against [batch, seq, dirs, H].
      for (int64_t t = 0; t < seq; ++t)
        for (int64_t d = 0; d < dirs; ++d)
          for (int64_t n = 0; n < batch; ++n)
            for (int64_t j = 0; j < hidden; ++j)
              REQUIRE(one[0].data<float>()[((n * seq + t) * dirs + d) * hidden + j] == zero[0].data<float>()[((t * dirs + d) * batch + n) * hidden + j]);
      for (size_t k = 1; k < zero.size(); ++k) require_close(one[k], swap01(zero[k]));
    }
  }
}
