// Calibration methods and the quantization plan on a small synthetic model, against values worked
// out by hand.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>

#include "calib/calibrator.h"
#include "calib/histogram_count.h"
#include "calib/range.h"
#include "plan/plan.h"

using namespace quant;

namespace {

Tensor tensor_of(const std::vector<float>& values) { return Tensor::from_vector<float>({static_cast<int64_t>(values.size())}, values); }

// Statistics of one tensor holding the given values, with histograms.
// A histogram of zeros on grid g.
calib::Histogram empty_on(const calib::Grid& g) {
  return calib::Histogram{g.exponent, g.first, std::vector<uint64_t>(static_cast<size_t>(g.last - g.first + 1), 0)};
}

calib::TensorStats stats_of(const std::vector<float>& values) {
  calib::TensorStats s;
  calib::observe(s, tensor_of(values), true);
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

namespace {

// The entropy method as docs/calibration.md defines it: KL(P || Q) of candidate i, P and Q built
// bin by bin, normalized, summed term by term. entropy_threshold regroups the same sums.
double kl_by_definition(const calib::Histogram& h, int i, int levels = 128) {
  const std::vector<uint64_t>& b = h.counts;
  const int n = static_cast<int>(b.size());
  std::vector<double> p(b.begin(), b.begin() + i), q(static_cast<size_t>(i), 0.0);
  for (int j = i; j < n; ++j) p[static_cast<size_t>(i - 1)] += static_cast<double>(b[static_cast<size_t>(j)]);
  const double merge = static_cast<double>(i) / levels;
  for (int level = 0; level < levels; ++level) {
    const int start = static_cast<int>(std::floor(level * merge));
    const int stop = level == levels - 1 ? i : static_cast<int>(std::floor((level + 1) * merge));
    double sum = 0;
    int nonempty = 0;
    for (int j = start; j < stop; ++j) sum += static_cast<double>(b[static_cast<size_t>(j)]), nonempty += b[static_cast<size_t>(j)] > 0;
    for (int j = start; j < stop; ++j)
      if (b[static_cast<size_t>(j)] > 0) q[static_cast<size_t>(j)] = sum / nonempty;
  }
  double pt = 0, qt = 0, kl = 0;
  for (int j = 0; j < i; ++j) pt += p[static_cast<size_t>(j)], qt += q[static_cast<size_t>(j)];
  for (int j = 0; j < i; ++j) {
    const double pj = p[static_cast<size_t>(j)] / pt, qj = q[static_cast<size_t>(j)] / qt;
    if (pj > 0) kl += qj > 0 ? pj * std::log(pj / qj) : std::numeric_limits<double>::infinity();
  }
  return kl;
}

// The mse method's cost of threshold t by its definition: every bin's error summed.
double mse_by_definition(const calib::TensorStats& s, double t, int levels) {
  const calib::Histogram& h = s.abs_hist;
  const double step = (std::min(s.max, t) - std::max(s.min, -t)) / levels;
  double err = 0;
  for (size_t b = 0; b < h.counts.size(); ++b) {
    const double v = (static_cast<double>(b) + 0.5) * h.bin_width(), c = static_cast<double>(h.counts[b]);
    err += c * (v > t ? (v - t) * (v - t) : step * step / 12.0);
  }
  return err;
}

}  // namespace

TEST_CASE("entropy and mse thresholds are those of their definitions", "[calib]") {
  // Histograms of many shapes: dense, sparse (most bins empty), noisy, a bulk and a lone far bin;
  // counts up to 1e9. Each threshold must be a candidate of least cost by the definition, computed
  // term by term: the same candidate, or one whose cost is the least one's within rounding (a bulk
  // of 1e8-count bins and a lone far bin of 1: clipping it costs KL ~1e-19, far below the rounding
  // of either computation, so either candidate may come out first).
  std::mt19937_64 rng(7);
  int checked = 0, same = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const int n = 129 + static_cast<int>(rng() % 1400);
    calib::TensorStats s;
    s.abs_hist.exponent = -10;
    s.abs_hist.counts.assign(static_cast<size_t>(n), 0);
    const int shape = trial % 4;
    const double scale = std::pow(10.0, static_cast<double>(rng() % 9));
    for (int j = 0; j < n; ++j) {
      const double x = static_cast<double>(j) / n;
      const double c = shape == 0   ? scale * std::exp(-6 * x)                               // bulk and thin tail
                       : shape == 1 ? (rng() % 5 == 0 ? scale * (rng() % 100) / 100.0 : 0)  // sparse
                       : shape == 2 ? scale * (1.0 - x) * (rng() % 1000) / 1000.0           // noisy ramp
                                    : (j < n / 3 ? scale : 0);                              // bulk, then a lone far bin
      s.abs_hist.counts[static_cast<size_t>(j)] = static_cast<uint64_t>(c);
    }
    s.abs_hist.counts.back() = std::max<uint64_t>(s.abs_hist.counts.back(), 1);  // the maximum's bin
    s.max = s.abs_hist.hi();
    s.min = trial % 2 ? -s.max / 2 : 0.0;
    INFO("trial " << trial << ", " << n << " bins, shape " << shape);
    const double w = s.abs_hist.bin_width();
    std::vector<double> kl;
    for (int i = 128; i <= n; ++i) kl.push_back(kl_by_definition(s.abs_hist, i));
    const double least_kl = *std::min_element(kl.begin(), kl.end());
    const int picked = static_cast<int>(std::lround(calib::entropy_threshold(s.abs_hist) / w - 0.5));
    REQUIRE(picked >= 128);
    REQUIRE(picked <= n);
    CHECK(kl[static_cast<size_t>(picked - 128)] <= least_kl + 1e-12);
    same += kl[static_cast<size_t>(picked - 128)] == least_kl;
    for (const int levels : {3, 255, 65535}) {
      double least_err = std::numeric_limits<double>::infinity();
      for (int i = 1; i <= n; ++i) least_err = std::min(least_err, mse_by_definition(s, i * w, levels));
      const double t = calib::mse_threshold(s, levels);
      CHECK(mse_by_definition(s, t, levels) <= least_err * (1 + 1e-12));
      same += mse_by_definition(s, t, levels) == least_err;
    }
    ++checked;
  }
  CHECK(checked == 60);
  CHECK(same >= 220);  // of 240: the same candidate nearly everywhere
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

TEST_CASE("the histogram grid is the smallest power-of-two width that fits the range", "[calib]") {
  // [0, 1]: 2^-11 would need bins 0..2048 (2049 bins), 2^-10 needs 0..1024.
  calib::Grid g = calib::grid_for(0.0, 1.0);
  CHECK(g.exponent == -10);
  CHECK(g.first == 0);
  CHECK(g.last == 1024);
  // [-1, 3]: at 2^-9 the bins -512..1536 are 2049, one too many; 2^-8 gives -256..768.
  g = calib::grid_for(-1.0, 3.0);
  CHECK(g.exponent == -8);
  CHECK(g.first == -256);
  CHECK(g.last == 768);
  // [-0.3, -0.1]: floor(-0.3 * 2^13) = -2458, floor(-0.1 * 2^13) = -820: 1639 bins at 2^-13.
  g = calib::grid_for(-0.3, -0.1);
  CHECK(g.exponent == -13);
  CHECK(g.first == -2458);
  CHECK(g.last == -820);
  // A constant: bins never finer than 2^-40 of the magnitude (2^-40 for 1.5 < 2^1 is 2^-39).
  g = calib::grid_for(1.5, 1.5);
  CHECK(g.exponent == 1 - 40);
  CHECK(g.first == g.last);
  // All zero: one bin.
  g = calib::grid_for(0.0, 0.0);
  CHECK(g.first == 0);
  CHECK(g.last == 0);
}

TEST_CASE("observing values bins them on the grid", "[calib]") {
  // [0, 1] on 2^-10: 0.25 -> bin 256, 1.0 -> bin 1024, 0.0009765625 = 2^-10 -> bin 1.
  const calib::TensorStats s = stats_of({0.0f, 0.25f, 1.0f, 0.0009765625f, 0.00097f});
  REQUIRE(s.has_histograms());
  CHECK(s.signed_hist.exponent == -10);
  CHECK(s.signed_hist.counts.size() == 1025);
  CHECK(s.signed_hist.counts[0] == 2);
  CHECK(s.signed_hist.counts[1] == 1);
  CHECK(s.signed_hist.counts[256] == 1);
  CHECK(s.signed_hist.counts[1024] == 1);
  CHECK(s.signed_hist.total() == 5);
  // Negative values floor downwards: -0.25 on [-0.25, 0.5]'s grid 2^-11 is bin -512, -2^-12 bin -1.
  const calib::TensorStats n = stats_of({-0.25f, -0.000244140625f, 0.5f});
  CHECK(n.signed_hist.exponent == -11);
  CHECK(n.signed_hist.first == -512);
  CHECK(n.signed_hist.counts[0] == 1);
  CHECK(n.signed_hist.counts[511] == 1);
  CHECK(n.abs_hist.first == 0);
  CHECK(n.abs_hist.total() == 3);
}

// Each histogram count, recounted one value at a time with std::floor in double (the values seen
// `times` times).
void check_counts_by_hand(const calib::Histogram& h, const std::vector<float>& values, bool absolute, uint64_t times = 1) {
  std::vector<uint64_t> expected(h.counts.size(), 0);
  for (float v : values) {
    if (std::isnan(v)) continue;
    const double x = absolute ? std::abs(static_cast<double>(v)) : static_cast<double>(v);
    const auto k = static_cast<int64_t>(std::floor(std::ldexp(x, -h.exponent))) - h.first;
    REQUIRE(k >= 0);
    REQUIRE(k < static_cast<int64_t>(expected.size()));
    expected[static_cast<size_t>(k)] += times;
  }
  CHECK(h.counts == expected);
}

TEST_CASE("histogram counts are floor(x / w) for every value, on each counting path", "[calib]") {
  // Sizes below and above the 4,096 values from which the counts spread over several sets, with
  // tails that are not a multiple of four; ranges whose grids count in 32-bit floats (width <= 1)
  // and in doubles (width > 1, or indices beyond 2^22); negative values on exact grid points
  // (-0.5 on the 2^-8 grid of [-1, 3]: floor's boundary), runs of one value, and NaNs (counted in
  // neither histogram); values observed again onto the grid they are on.
  struct Case {
    float lo, hi;
  };
  for (const Case range : {Case{-1.0f, 3.0f}, Case{0.0f, 6.0f}, Case{-3.0e6f, 5.0e6f}, Case{-0.3f, -0.1f}, Case{1.0e-30f, 1.0e-28f}}) {
    for (const int n : {7, 4095, 4096, 10003}) {
      std::vector<float> values = ramp(n, range.lo, range.hi);
      uint32_t state = 12345;
      for (size_t i = 0; i < values.size(); i += 3) {  // shuffle a third of them about
        state = state * 1664525u + 1013904223u;
        std::swap(values[i], values[state % values.size()]);
      }
      for (size_t i = 100; i < values.size() && i < 400; ++i) values[i] = values[99];  // a run
      if (range.lo < -0.5f && range.hi > 0) values[n / 2] = -0.5f;
      if (range.lo <= 0 && range.hi >= 0)  // zeros of both signs, as after a Relu (the vector loop counts them apart)
        for (size_t i = 1; i < values.size(); i += 3) values[i] = i % 2 ? -0.0f : 0.0f;
      values[n / 3] = std::nanf("");
      values.back() = std::nanf("");
      const calib::TensorStats s = stats_of(values);
      INFO("range [" << range.lo << ", " << range.hi << "], " << n << " values, grid 2^" << s.signed_hist.exponent);
      REQUIRE(s.has_histograms());
      CHECK(s.count == static_cast<uint64_t>(n));
      CHECK(s.signed_hist.total() == static_cast<uint64_t>(n - 2));
      check_counts_by_hand(s.signed_hist, values, false);
      check_counts_by_hand(s.abs_hist, values, true);
      // Seen again: the same grid, every count doubled.
      calib::TensorStats again = s;
      calib::observe(again, tensor_of(values), true);
      CHECK(again.signed_hist.exponent == s.signed_hist.exponent);
      check_counts_by_hand(again.signed_hist, values, false, 2);
      check_counts_by_hand(again.abs_hist, values, true, 2);
    }
  }
}

TEST_CASE("the vector histogram count equals the scalar one", "[calib]") {
  // Relu-like data (half zeros, some -0), a saturated tail (runs of one bin), NaNs, negative values
  // on grid points; the same shifted above 0 (no zeros, a grid without 0); sizes around the vector
  // loop's chunk of 1,024 and its 8 lanes; one histogram and the signed and |x| ones in one pass,
  // on grids counted in floats and in doubles.
  for (const float shift : {0.0f, 7.5f})
  for (const float scale : {1.0f, 1.0e6f}) {
    for (const int n : {5, 8, 1023, 1029, 4099, 20011}) {
      std::vector<float> values(static_cast<size_t>(n));
      uint32_t state = 777;
      for (float& v : values) {
        state = state * 1664525u + 1013904223u;
        const float u = static_cast<float>(state >> 8) / 16777216.0f;  // [0, 1)
        v = (u < 0.45f ? 0.0f : u < 0.5f ? -0.0f : u > 0.95f ? 6.0f : (u - 0.6f) * 10.0f) * scale;
      }
      values[static_cast<size_t>(n / 2)] = -0.5f * scale;
      if (shift != 0)  // (-0 + 0 would be +0)
        for (float& v : values) v += shift * scale;
      values[static_cast<size_t>(n / 3)] = std::nanf("");
      calib::TensorStats range;
      calib::observe(range, tensor_of(values), false);  // min/max: the grids of the histograms
      const calib::ValueRange own{static_cast<float>(range.min), static_cast<float>(range.max)};
      // The grids of the values' own range, and of one that earlier values widened on both sides
      // (the vector path then counts on the part the values span).
      calib::TensorStats wider = range;
      wider.min -= 3 * (range.max - range.min) + 1;
      wider.max += 5 * (range.max - range.min);
      for (const calib::TensorStats& grids : {range, wider}) {
        const calib::Grid sg = calib::signed_grid(grids), ag = calib::abs_grid(grids);
        INFO(n << " values, shift " << shift << ", scale " << scale << ", grid 2^" << sg.exponent << " from " << sg.first << " to " << sg.last);
        calib::Histogram scalar_signed = empty_on(sg), scalar_abs = empty_on(ag), fast_signed = empty_on(sg), fast_abs = empty_on(ag), alone = empty_on(ag);
        const calib::CountTarget scalar_targets[2] = {{&scalar_signed, false}, {&scalar_abs, true}};
        const calib::CountTarget fast_targets[2] = {{&fast_signed, false}, {&fast_abs, true}};
        const calib::CountTarget alone_target[1] = {{&alone, true}};
        calib::count_values(values, scalar_targets, own, calib::CountPath::Scalar);
        calib::count_values(values, fast_targets, own, calib::CountPath::Fastest);
        calib::count_values(values, alone_target, own, calib::CountPath::Fastest);
        CHECK(fast_signed.counts == scalar_signed.counts);
        CHECK(fast_abs.counts == scalar_abs.counts);
        CHECK(alone.counts == scalar_abs.counts);
        CHECK(scalar_signed.total() == static_cast<uint64_t>(n - 1));
        check_counts_by_hand(scalar_signed, values, false);
        check_counts_by_hand(scalar_abs, values, true);
      }
    }
  }
}

TEST_CASE("the signed and |x| histograms counted once on the finer grid equal two counts", "[calib]") {
  // The vector path counts a tensor with negative values once, on the finer of its two grids, and
  // moves each negative value on a grid point (x = k * 2^f) to |x| bin -k: values on grid points of
  // every fineness (multiples of 1/4 .. 1/4096), ranges whose |x| grid is one finer than the signed
  // one ([-1, 3]: 2^-8 and 2^-9; [-1, 1]: 2^-9 and 2^-10) or the same (a tiny negative tail:
  // [-0.001, 3], 2^-9 both), small and large counts (one counter set, and four).
  for (const float lo : {-1.0f, -0.001f})
    for (const float hi : {3.0f, 1.0f}) {
      for (const int n : {9, 1031, 5000}) {
        std::vector<float> values(static_cast<size_t>(n));
        uint32_t state = 4242;
        for (float& v : values) {
          state = state * 1664525u + 1013904223u;
          const float u = static_cast<float>(state >> 8) / 16777216.0f;  // [0, 1)
          const float x = lo + (hi - lo) * u;
          const float step = std::ldexp(1.0f, -2 - static_cast<int>(state % 11));  // 2^-2 .. 2^-12
          v = state % 3 == 0 ? x : std::floor(x / step) * step;
        }
        values[0] = lo;
        values[1] = hi;
        calib::TensorStats range;
        calib::observe(range, tensor_of(values), false);
        const calib::ValueRange own{static_cast<float>(range.min), static_cast<float>(range.max)};
        // Also on grids that earlier values widened (below and above: the count's window then
        // starts and ends inside them).
        calib::TensorStats wider = range;
        wider.min *= 1.75;
        wider.max *= 1.5;
        for (const calib::TensorStats& grids : {range, wider}) {
          const calib::Grid sg = calib::signed_grid(grids), ag = calib::abs_grid(grids);
          INFO("[" << lo << ", " << hi << "], " << n << " values, grids 2^" << sg.exponent << " and 2^" << ag.exponent << ", signed from " << sg.first);
          calib::Histogram scalar_signed = empty_on(sg), scalar_abs = empty_on(ag), fast_signed = empty_on(sg), fast_abs = empty_on(ag);
          const calib::CountTarget scalar_targets[2] = {{&scalar_signed, false}, {&scalar_abs, true}};
          const calib::CountTarget fast_targets[2] = {{&fast_signed, false}, {&fast_abs, true}};
          calib::count_values(values, scalar_targets, own, calib::CountPath::Scalar);
          calib::count_values(values, fast_targets, own, calib::CountPath::Fastest);
          CHECK(fast_signed.counts == scalar_signed.counts);
          CHECK(fast_abs.counts == scalar_abs.counts);
          check_counts_by_hand(scalar_abs, values, true);
        }
      }
    }
}

TEST_CASE("statistics do not depend on how the data is split", "[calib]") {
  // Values whose range grows from part to part, so that the grid widens while observing.
  std::vector<float> all = ramp(5000, -0.01f, 0.02f);
  for (float v : ramp(3000, -2.0f, 7.0f)) all.push_back(v);
  all.push_back(-50.0f);
  const calib::TensorStats whole = stats_of(all);
  // The same values in three parts, observed one after the other into one statistics...
  const std::vector<float> p1(all.begin(), all.begin() + 2500), p2(all.begin() + 2500, all.begin() + 6000), p3(all.begin() + 6000, all.end());
  calib::TensorStats serial;
  for (const auto* p : {&p1, &p2, &p3}) calib::observe(serial, tensor_of(*p), true);
  // ... or each on its own and merged, in another order.
  calib::TensorStats a, b, c, merged;
  calib::observe(a, tensor_of(p1), true);
  calib::observe(b, tensor_of(p2), true);
  calib::observe(c, tensor_of(p3), true);
  calib::merge_into(merged, c);
  calib::merge_into(merged, a);
  calib::merge_into(merged, b);
  for (const calib::TensorStats* s : {&serial, &merged}) {
    CHECK(s->min == whole.min);
    CHECK(s->max == whole.max);
    CHECK(s->count == whole.count);
    CHECK(s->signed_hist.exponent == whole.signed_hist.exponent);
    CHECK(s->signed_hist.first == whole.signed_hist.first);
    CHECK(s->signed_hist.counts == whole.signed_hist.counts);
    CHECK(s->abs_hist.exponent == whole.abs_hist.exponent);
    CHECK(s->abs_hist.counts == whole.abs_hist.counts);
  }
  // Non-negative values first (the |x| histogram is then a copy of the signed one), negative later.
  std::vector<float> up = ramp(3000, 0.0f, 1.0f), down = ramp(3000, -3.0f, 0.0f);
  std::vector<float> both = up;
  both.insert(both.end(), down.begin(), down.end());
  calib::TensorStats split;
  calib::observe(split, tensor_of(up), true);
  CHECK(split.abs_hist.counts == split.signed_hist.counts);
  calib::observe(split, tensor_of(down), true);
  const calib::TensorStats together = stats_of(both);
  CHECK(split.signed_hist.counts == together.signed_hist.counts);
  CHECK(split.abs_hist.counts == together.abs_hist.counts);
  CHECK(split.abs_hist.exponent == together.abs_hist.exponent);
  // With and without histograms do not mix.
  calib::TensorStats plain;
  calib::observe(plain, tensor_of(p1), false);
  CHECK_THROWS_WITH(calib::merge_into(plain, a), Catch::Contains("cannot be merged"));
}

TEST_CASE("unknown methods and missing histograms are usage errors", "[calib]") {
  CHECK_THROWS_WITH(calib::method_from_name("kl"), Catch::Contains("expected minmax, percentile, entropy or mse"));
  calib::TensorStats s;
  calib::observe(s, Tensor::from_vector<float>({2}, {0, 1}), false);
  CHECK_THROWS_WITH(calib::choose_range(s, calib::Method::Entropy, {}), Catch::Contains("needs histograms"));
}
