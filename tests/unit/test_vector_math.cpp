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
