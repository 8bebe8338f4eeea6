// Work items spread over the OpenMP threads, one thread each, with exceptions carried out of the
// parallel region (an exception must not leave one: the program would terminate).
#pragma once
#include <atomic>
#include <cstdint>
#include <exception>
#include <vector>

#include <omp.h>

namespace quant {

// Runs body(i) for every i in [begin, end), each on one thread, handed out in order one at a time
// (items of uneven cost keep every thread busy). Kernels inside an item run on its thread alone
// (OpenMP does not nest teams), so what an item computes does not depend on the thread count,
// even for a single item. When items throw, the exception of the lowest failing i is rethrown:
// items above a failed one are skipped, every item below it still runs, so which error is said
// does not depend on thread timing (and a long loop stops soon after its first failure).
template <typename Body>
void parallel_for_each(int64_t begin, int64_t end, Body&& body) {
  if (end <= begin) return;
  std::vector<std::exception_ptr> failures(static_cast<size_t>(end - begin));
  std::atomic<int64_t> lowest_failed{end};
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t i = begin; i < end; ++i) {
    if (i > lowest_failed.load(std::memory_order_relaxed)) continue;
    try {
      body(i);
    } catch (...) {
      failures[static_cast<size_t>(i - begin)] = std::current_exception();
      int64_t seen = lowest_failed.load();
      while (i < seen && !lowest_failed.compare_exchange_weak(seen, i)) {
      }
    }
  }
  for (const std::exception_ptr& failure : failures)
    if (failure) std::rethrow_exception(failure);
}

// While it lives, kernels called on this thread outside a parallel loop run on it alone (OpenMP's
// thread count for it set to 1, restored after), as they do inside one.
class OneThread {
 public:
  OneThread() : previous_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~OneThread() { omp_set_num_threads(previous_); }
  OneThread(const OneThread&) = delete;
  OneThread& operator=(const OneThread&) = delete;

 private:
  int previous_;
};

}  // namespace quant
