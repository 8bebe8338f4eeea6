#include <catch2/catch.hpp>

#include <cmath>

#include "plan/headroom.h"

using quant::calib::Range;
using quant::plan::with_headroom;

TEST_CASE("16-bit headroom widens by a fraction of the width, keeps 0 edges, stops at op bounds", "[headroom]") {
  const float inf = INFINITY;
  // [-2, 6]: width 8, a quarter of it (2) on each side.
  Range r = with_headroom({-2, 6}, 0.25, -inf, inf);
  CHECK(r.lo == -4);
  CHECK(r.hi == 8);
  // A ReLU output [0, 8]: the 0 edge stays.
  r = with_headroom({0, 8}, 0.25, -inf, inf);
  CHECK(r.lo == 0);
  CHECK(r.hi == 10);
  // A Sigmoid output seen in [0.2, 0.9]: width 0.7, widened to [0.025, 1.075], cut to [0.025, 1].
  r = with_headroom({0.2, 0.9}, 0.25, 0, 1);
  CHECK(r.lo == Approx(0.025));
  CHECK(r.hi == 1);
  // Tanh seen in [-0.99, 0.98]: both sides stop at the bounds.
  r = with_headroom({-0.99, 0.98}, 0.25, -1, 1);
  CHECK(r.lo == -1);
  CHECK(r.hi == 1);
  // Bounds never narrow what was seen; fraction 0 and empty ranges are left alone.
  r = with_headroom({-0.5, 1.5}, 0.25, 0, 1);
  CHECK(r.lo == -0.5);
  CHECK(r.hi == 1.5);
  r = with_headroom({-2, 6}, 0, -inf, inf);
  CHECK((r.lo == -2 && r.hi == 6));
  r = with_headroom({3, 3}, 0.25, -inf, inf);
  CHECK((r.lo == 3 && r.hi == 3));
}
