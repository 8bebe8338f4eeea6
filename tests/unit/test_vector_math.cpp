// The vectorized float functions (ops/vector_math.h) against the double formulas, over a sweep of
// the float line and its special values, and their independence from a value's position.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "ops/vector_math.h"

using namespace quant;

namespace {

// Values from -120 to 120: a dense grid, powers of two and their neighbours down to denormals,
// and the special values.
std::vector<float> sweep() {
  std::vector<float> v;
  for (int i = -240000; i <= 240000; ++i) v.push_back(static_cast<float>(i) * 5e-4f);
  for (int e = -149; e <= 6; ++e)
    for (float s : {1.0f, -1.0f}) {
      const float p = s * std::ldexp(1.0f, e);
      v.insert(v.end(), {p, std::nextafter(p, 0.0f), std::nextafter(p, 2 * p)});
    }
  const float inf = std::numeric_limits<float>::infinity();
  v.insert(v.end(), {0.0f, -0.0f, inf, -inf, 88.72f, 88.73f, -103.9f, -104.5f, 120.0f, -120.0f, std::numeric_limits<float>::max(),
                     -std::numeric_limits<float>::max(), std::numeric_limits<float>::quiet_NaN()});
  return v;
}

// |got - want| within `ulps` units in the last place of want (or `floor`, for results near 0).
void require_near(float got, double want, double ulps, double floor, float x) {
  INFO("x = " << x << " got " << got << " want " << want);
  if (std::isnan(want)) {
    REQUIRE(std::isnan(got));
    return;
  }
  if (std::isinf(want) || want == 0) {
    REQUIRE((got == static_cast<float>(want) || std::abs(got - want) <= floor));
    return;
  }
  // A float's unit in the last place: 2^(e - 23), and 2^-149 for denormals (e stops at -126; a want
  // that rounds to 0 in float has ilogb(0) = FP_ILOGB0, the int minimum, also stopped there).
  const double ulp = std::ldexp(1.0, std::max(std::ilogb(static_cast<float>(want)), -126) - 23);
  REQUIRE(std::abs(got - want) <= std::max(ulps * ulp, floor));
}

template <class Floats, class Exact>
void check(Floats floats, Exact exact, double ulps, double floor) {
  const std::vector<float> x = sweep();
  std::vector<float> y(x.size());
  floats(x.data(), y.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) require_near(y[i], exact(static_cast<double>(x[i])), ulps, floor, x[i]);
}

}  // namespace

TEST_CASE("vectorized exp, sigmoid, tanh and erf are within a few units in the last place of the exact functions", "[kernels][vector_math]") {
  if (!ops::vector_math_supported()) return;
  // exp: 2 ulp over the normal range; below FLT_MIN the result is a denormal or 0, exact to 1e-44.
  check(ops::exp_floats, [](double x) { return std::exp(x); }, 2, 1.5e-44);
  check(ops::sigmoid_floats, [](double x) { return 1.0 / (1.0 + std::exp(-x)); }, 3, 1.5e-38);
  check(ops::tanh_floats, [](double x) { return std::tanh(x); }, 3, 1.5e-44);
  check(ops::erf_floats, [](double x) { return std::erf(x); }, 4, 1.5e-44);
  // Exact where the function is: exp(0) = 1, sigmoid(0) = 1/2, tanh(-0) = erf(-0) = -0, the limits at infinity.
  const float in[] = {0.0f, -0.0f, std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()};
  float out[4];
  ops::exp_floats(in, out, 4);
  CHECK(out[0] == 1.0f);
  CHECK(out[2] == std::numeric_limits<float>::infinity());
  CHECK(out[3] == 0.0f);
  ops::sigmoid_floats(in, out, 4);
  CHECK(out[0] == 0.5f);
  CHECK(out[2] == 1.0f);
  CHECK(out[3] == 0.0f);
  for (auto odd : {ops::tanh_floats, ops::erf_floats}) {
    odd(in, out, 4);
    CHECK((out[1] == 0.0f && std::signbit(out[1])));
    CHECK(out[2] == 1.0f);
    CHECK(out[3] == -1.0f);
  }
}

TEST_CASE("a vectorized function's result depends on the value only, not on its position", "[kernels][vector_math]") {
  if (!ops::vector_math_supported()) return;
  // The same 13 values at every offset 0..8 of arrays of every length up to 30: the last n % 8
  // run through a padded copy and must give the bits the whole vectors give.
  std::vector<float> values;
  for (int i = 0; i < 13; ++i) values.push_back(-6.0f + 0.937f * static_cast<float>(i));
  for (auto f : {ops::exp_floats, ops::sigmoid_floats, ops::tanh_floats, ops::erf_floats}) {
    std::vector<float> want(values.size());
    f(values.data(), want.data(), static_cast<int64_t>(values.size()));
    for (size_t offset = 0; offset <= 8; ++offset)
      for (size_t extra = 0; extra <= 9; ++extra) {
        std::vector<float> x(offset, 0.25f), y;
        x.insert(x.end(), values.begin(), values.end());
        x.insert(x.end(), extra, -0.5f);
        y.resize(x.size());
        f(x.data(), y.data(), static_cast<int64_t>(x.size()));
        REQUIRE(std::memcmp(y.data() + offset, want.data(), want.size() * sizeof(float)) == 0);
      }
  }
}

TEST_CASE("the vectorized softmax row is within a few ulps of the double formula, whatever the row's place", "[kernels][vector_math]") {
  if (!ops::vector_math_supported()) return;
  // Rows of 1 to 40 values (whole vectors, tails, both): spread values, a large shift (exp(x - max)
  // must not overflow), values far below the maximum (exponentials that underflow to 0), -inf
  // entries (weight 0), and a NaN (the row becomes NaN, as exp(NaN) does in the sum).
  uint32_t state = 99;
  auto next = [&] {
    state = state * 1664525u + 1013904223u;
    return static_cast<float>(state >> 8) / 16777216.0f;  // [0, 1)
  };
  for (int n = 1; n <= 40; ++n)
    for (const float spread : {1.0f, 30.0f, 200.0f})
      for (const float offset : {0.0f, 1.0e4f}) {
        std::vector<float> x(static_cast<size_t>(n));
        for (float& v : x) v = offset + spread * (next() - 0.5f);
        if (n > 3) x[2] = -std::numeric_limits<float>::infinity();
        std::vector<float> y(x.size());
        ops::softmax_floats(x.data(), y.data(), n);
        // The formula, with x - max rounded to float as the function takes it (that rounding alone
        // moves exp by up to |x - max| * 2^-24 of itself, more than the few ulps checked).
        float mx = -INFINITY;
        for (const float v : x) mx = std::max(mx, v);
        auto term = [&](float v) { return std::exp(static_cast<double>(v - mx)); };
        double sum = 0;
        for (const float v : x) sum += term(v);
        INFO(n << " values, spread " << spread << ", offset " << offset);
        for (int j = 0; j < n; ++j) require_near(y[static_cast<size_t>(j)], term(x[static_cast<size_t>(j)]) / sum, 3, 1e-45, x[static_cast<size_t>(j)]);
        // The same row placed elsewhere in a longer buffer gives the same bits.
        std::vector<float> shifted(x.size() + 5, 7.0f), out(shifted.size());
        std::copy(x.begin(), x.end(), shifted.begin() + 5);
        ops::softmax_floats(shifted.data() + 5, out.data() + 5, n);
        CHECK(std::memcmp(out.data() + 5, y.data(), y.size() * sizeof(float)) == 0);
      }
  std::vector<float> x{1.0f, std::nanf(""), 2.0f}, y(3);
  ops::softmax_floats(x.data(), y.data(), 3);
  CHECK((std::isnan(y[0]) && std::isnan(y[1]) && std::isnan(y[2])));
}
