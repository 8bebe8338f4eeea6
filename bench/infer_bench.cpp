// Throughput of the float interpreter: runs MODEL on the batch in INPUT.npy REPEATS times after a
// warm-up and prints the median time per batch and images/s. Threads: OMP_NUM_THREADS. As
// `quantize infer` does, the batch is cut into one part per thread, run side by side
// (interp::run_batches); with one thread it runs whole.
//   infer_bench MODEL.onnx INPUT_NAME INPUT.npy [REPEATS]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "interp/interpreter.h"
#include "interp/run_batches.h"
#include "onnx/load.h"
#include "tensorio/npy.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: infer_bench MODEL.onnx INPUT_NAME INPUT.npy [REPEATS]\n");
    return 2;
  }
  try {
    const quant::ir::Model model = quant::onnx_io::load_model(argv[1]);
    const quant::interp::Interpreter interpreter(model.graph);
    const quant::Tensor input = quant::tensorio::read_npy(argv[3]);
    const int repeats = argc > 4 ? std::stoi(argv[4]) : 50;
    const quant::interp::TensorMap inputs{{argv[2], input}};
    const int64_t rows = input.dim(0), parts = std::min<int64_t>(rows, std::max(1, omp_get_max_threads()));
    std::vector<quant::interp::TensorMap> batches;
    for (int64_t p = 0; p < parts; ++p) batches.push_back(quant::interp::slice_rows(inputs, rows * p / parts, rows * (p + 1) / parts - rows * p / parts));
    auto run = [&] { return quant::interp::run_batches(interpreter, batches); };
    for (int i = 0; i < 3; ++i) run();  // warm-up: thread pool, GEMM kernels
    std::vector<double> ms;
    for (int i = 0; i < repeats; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      run();
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    const double median = ms[ms.size() / 2];
    const double batch = static_cast<double>(input.dim(0));
    std::printf("quant %.3f ms/batch %.0f images/s\n", median, batch * 1000.0 / median);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "infer_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
