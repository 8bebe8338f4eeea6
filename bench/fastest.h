// The timing the one-kernel benchmarks share (conv_bench, layout_bench).
#pragma once
#include <algorithm>
#include <chrono>
#include <functional>

// The fastest of `repeats` runs of `run`, in ms, after one warm-up run (oneDNN builds its kernel,
// pages are touched).
inline double fastest_ms(int repeats, const std::function<void()>& run) {
  run();
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    run();
    best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}
