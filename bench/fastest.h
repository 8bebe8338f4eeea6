// What the one-kernel benchmarks share (conv_bench, layout_bench, pool_bench): their command line
// and their timing.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

// The arguments of a one-kernel benchmark: `count` integers, then an optional REPEATS (default 30).
// With fewer, prints "usage: USAGE [REPEATS=30]" and exits with 2.
struct BenchArgs {
  std::vector<int64_t> values;
  int repeats = 30;
};

inline BenchArgs bench_args(int argc, char** argv, int count, const char* usage) {
  if (argc < count + 1) {
    std::fprintf(stderr, "usage: %s [REPEATS=30]\n", usage);
    std::exit(2);
  }
  BenchArgs args;
  for (int i = 1; i <= count; ++i) args.values.push_back(std::atoll(argv[i]));
  if (argc > count + 1) args.repeats = std::atoi(argv[count + 1]);
  return args;
}

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
