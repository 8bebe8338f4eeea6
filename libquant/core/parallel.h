// Work items spread over the OpenMP threads, one thread each, with exceptions carried out of the
// parallel region (an exception must not leave one: the program would terminate).
#pragma once
#include <cstdint>
#include <exception>
#include <vector>

namespace quant {

// Runs body(i) for every i in [begin, end), each on one thread, handed out in order one at a time
// (items of uneven cost keep every thread busy). Kernels inside an item run on its thread alone
// (OpenMP does not nest teams), so what an item computes does not depend on the thread count,
// even for a single item. When items throw, every item still runs and the exception of the lowest
// failing i is rethrown: which error is said does not depend on thread timing.
template <typename Body>
void parallel_for_each(int64_t begin, int64_t end, Body&& body) {
  if (end <= begin) return;
  std::vector<std::exception_ptr> failures(static_cast<size_t>(end - begin));
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t i = begin; i < end; ++i) {
    try {
      body(i);
    } catch (...) {
      failures[static_cast<size_t>(i - begin)] = std::current_exception();
    }
  }
  for (const std::exception_ptr& failure : failures)
    if (failure) std::rethrow_exception(failure);
}

}  // namespace quant
