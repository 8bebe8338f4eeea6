#include <catch2/catch.hpp>

#include <cmath>

#include "analyze/error_sums.h"

using quant::analyze::ErrorSums;

TEST_CASE("error sums: SQNR, cosine, RMS, max and clipping against hand-computed values", "[analyze]") {
  // x = [3, 4], y = [3, 3]: signal 25, noise 1 -> SQNR 10 log10(25) = 13.979 dB;
  // cosine = (9 + 12) / sqrt(25 * 18) = 21 / 21.2132 = 0.98995; RMS sqrt(1/2); max 1.
  const float x[] = {3, 4}, y[] = {3, 3};
  ErrorSums e;
  e.add(x, y, 2);
  CHECK(e.sqnr_db() == Approx(13.9794).epsilon(1e-5));
  CHECK(e.cosine() == Approx(0.989949).epsilon(1e-5));
  CHECK(e.rms() == Approx(std::sqrt(0.5)));
  CHECK(e.max_abs == 1);
  CHECK((e.seen_min == 3 && e.seen_max == 4));
  // Merging two halves gives the sums of the whole; clipping counts quantizer inputs outside the range.
  const float q_in[] = {-2, 0.5f};
  ErrorSums a, b;
  a.add(x, y, 1, q_in, -1, 1);
  b.add(x + 1, y + 1, 1, q_in + 1, -1, 1);
  a.merge(b);
  CHECK(a.sqnr_db() == Approx(e.sqnr_db()));
  CHECK(a.clipped == 1);
  CHECK(a.clipped_fraction() == 0.5);
  // Equal paths: infinite SQNR, cosine 1.
  ErrorSums same;
  same.add(x, x, 2);
  CHECK(std::isinf(same.sqnr_db()));
  CHECK(same.cosine() == Approx(1));
}
