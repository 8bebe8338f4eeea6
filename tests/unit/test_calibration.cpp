// Calibration methods and the quantization plan on a small synthetic model, against values worked
// out by hand.
#include <catch2/catch.hpp>
#include <cmath>

#include "calib/calibrator.h"
#include "calib/range.h"
#include "plan/plan.h"

using namespace quant;

namespace {

// Statistics of one tensor holding the given values (both passes).
calib::TensorStats stats_of(const std::vector<float>& values) {
  const Tensor t = Tensor::from_vector<float>({static_cast<int64_t>(values.size())}, values);
  calib::TensorStats s;
  calib::observe_minmax(s, t);
  calib::init_histograms(s);
  calib::observe_histograms(s, t);
  return s;
}

std::vector<float> ramp(int n, float lo, float hi) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = lo + (hi - lo) * static_cast<float>(i) / static_cast<float>(n - 1);
  return v;
}

// x -> Relu -> y, as the IR holds it.
ir::Graph relu_graph() {
  ir::Graph g;
  g.inputs.push_back({"x", DType::Float32, {{-1, "N"}, {4, ""}}, true});
  g.outputs.push_back({"y", DType::Float32, {}, false});
  ir::Node n;
  n.name = "relu";
  n.op_type = "Relu";
  n.opset = 13;
  n.inputs = {"x"};
  n.outputs = {"y"};
  g.nodes.push_back(n);
  return g;
}

}  // namespace

TEST_CASE("minmax and the scale/zp it gives", "[calib]") {
  // x holds [-1, 3]; y = relu(x) holds [0, 3].
  calib::Statistics stats;
  stats.tensors["x"] = stats_of(ramp(1001, -1.0f, 3.0f));
  stats.tensors["y"] = stats_of(ramp(1001, 0.0f, 3.0f));
  plan::PlanOptions options;
  options.full_integer = true;  // the model output too (the default leaves outputs float)
  const plan::QuantPlan p = plan::make_plan(relu_graph(), stats, options);
  const plan::TensorQuant* x = p.find("x");
  REQUIRE(x);
  // scale = 4 / 255; zp = round(0 - (-1) / (4/255)) = round(63.75) = 64.
  CHECK(x->scale[0] == static_cast<float>(4.0 / 255.0));
  CHECK(x->zero_point[0] == 64);
  CHECK(x->role == plan::Role::Input);
  const plan::TensorQuant* y = p.find("y");
  REQUIRE(y);
  CHECK(y->scale[0] == static_cast<float>(3.0 / 255.0));
  CHECK(y->zero_point[0] == 0);
  CHECK(y->role == plan::Role::Output);
}

TEST_CASE("percentile clips both tails at the hand-computed values", "[calib]") {
  // 10001 evenly spaced values in [0, 100]: the 99th percentile is 99, the 1st is 1 (to within a bin, 100/2048).
  const calib::TensorStats s = stats_of(ramp(10001, 0.0f, 100.0f));
  calib::MethodOptions o;
  o.percentile = 99.0;
  const calib::Range r = calib::choose_range(s, calib::Method::Percentile, o);
  CHECK(r.lo == Approx(1.0).margin(100.0 / 2048));
  CHECK(r.hi == Approx(99.0).margin(100.0 / 2048));
  // 99.99 on the same data: 99.99 and 0.01.
  o.percentile = 99.99;
  CHECK(calib::choose_range(s, calib::Method::Percentile, o).hi == Approx(99.99).margin(100.0 / 2048));
}

TEST_CASE("entropy keeps a uniform range and clips a far outlier", "[calib]") {
  // Uniform data has nothing to clip: with all 2048 bins, 16 per level, Q equals P exactly (KL = 0),
  // so the threshold is the whole range, (2048 + 0.5) bin widths.
  const calib::TensorStats uniform = stats_of(ramp(20480, 0.0f, 1.0f));
  CHECK(calib::choose_range(uniform, calib::Method::Entropy, {}).hi == Approx(1.0).margin(1.0 / 2048));
  // A lone outlier cannot be clipped: folded into a level with no other mass, Q has nothing where P
  // has the outlier, KL is infinite for every candidate below it.
  std::vector<float> v = ramp(20000, 0.0f, 1.0f);
  v.push_back(100.0f);
  CHECK(calib::choose_range(stats_of(v), calib::Method::Entropy, {}).hi == Approx(100.0).margin(100.0 / 2048 + 1e-9));
  // A long, thin, contiguous tail is: exponential data (quantiles -ln(1 - u)), max ln(20001) = 9.9.
  std::vector<float> e;
  for (int k = 0; k < 20000; ++k) e.push_back(static_cast<float>(-std::log(1.0 - (k + 0.5) / 20000.0)));
  const calib::Range r = calib::choose_range(stats_of(e), calib::Method::Entropy, {});
  CHECK(r.hi < 0.9 * e.back());
  CHECK(r.hi > 2.0);  // well past the bulk (the 86th percentile)
  CHECK(r.lo == Approx(e.front()));
}

TEST_CASE("mse balances rounding and clipping error", "[calib]") {
  // Cost of threshold t: values beyond t cost (v - t)^2 each, the rest step^2 / 12 with step = t / levels.
  calib::MethodOptions o;
  o.levels = 255;
  // Uniform [0, 1]: almost nothing is worth clipping (within 1% of the maximum).
  const calib::TensorStats uniform = stats_of(ramp(20000, 0.0f, 1.0f));
  CHECK(calib::choose_range(uniform, calib::Method::Mse, o).hi > 0.99);
  // 20000 values in [0, 1] and one at 100, 8 bits: keeping the outlier costs
  // 20001 * (100/255)^2 / 12 = 256, clipping it near 1 costs 99^2 = 9801: it is kept (t > 90).
  std::vector<float> v = ramp(20000, 0.0f, 1.0f);
  v.push_back(100.0f);
  CHECK(calib::choose_range(stats_of(v), calib::Method::Mse, o).hi > 90.0);
  // The same data with 3 levels: keeping costs 20001 * (100/3)^2 / 12 = 1.85e6, clipping < 1e4:
  // the outlier is clipped and t lands near the bulk of the data (t < 5).
  calib::MethodOptions coarse;
  coarse.levels = 3;
  const double t = calib::choose_range(stats_of(v), calib::Method::Mse, coarse).hi;
  CHECK(t < 5.0);
  CHECK(t > 0.3);
}

TEST_CASE("statistics do not depend on how the data is split", "[calib]") {
  const std::vector<float> all = ramp(5000, -2.0f, 7.0f);
  calib::TensorStats whole = stats_of(all);
  // The same values in two halves, merged.
  calib::TensorStats a, b;
  const Tensor first = Tensor::from_vector<float>({2500}, std::vector<float>(all.begin(), all.begin() + 2500));
  const Tensor second = Tensor::from_vector<float>({2500}, std::vector<float>(all.begin() + 2500, all.end()));
  calib::observe_minmax(a, first);
  calib::observe_minmax(a, second);
  calib::init_histograms(a);
  b = a;
  std::fill(b.signed_hist.counts.begin(), b.signed_hist.counts.end(), 0);
  std::fill(b.abs_hist.counts.begin(), b.abs_hist.counts.end(), 0);
  calib::observe_histograms(a, first);
  calib::observe_histograms(b, second);
  calib::merge_into(a, b);
  CHECK(a.min == whole.min);
  CHECK(a.max == whole.max);
  CHECK(a.signed_hist.counts == whole.signed_hist.counts);
  CHECK(a.abs_hist.counts == whole.abs_hist.counts);
}

TEST_CASE("unknown methods and missing histograms are usage errors", "[calib]") {
  CHECK_THROWS_WITH(calib::method_from_name("kl"), Catch::Contains("expected minmax, percentile, entropy or mse"));
  calib::TensorStats s;
  calib::observe_minmax(s, Tensor::from_vector<float>({2}, {0, 1}));
  CHECK_THROWS_WITH(calib::choose_range(s, calib::Method::Entropy, {}), Catch::Contains("needs histograms"));
}
