// Throughput of the float interpreter: runs MODEL on the batch in INPUT.npy REPEATS times after a
// warm-up and prints the median time per batch, images/s, and the fastest time. Threads:
// OMP_NUM_THREADS. As `quantize infer` does, the batch is cut into one part per thread, run side by side
// (interp::run_batches); with one thread it runs whole. With --per-op it runs the whole batch on the
// calling thread (kernels still use OMP_NUM_THREADS) and prints the summed time of each node over
// the repeats, slowest first: where a model's time goes.
//   infer_bench MODEL.onnx INPUT_NAME INPUT.npy [REPEATS] [--per-op]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "interp/interpreter.h"
#include "interp/run_batches.h"
#include "onnx/load.h"
#include "tensorio/npy.h"

namespace {

// Time between the observer's calls is the time of the node it reports (the observer sees every
// node's outputs right after it ran). Every tensor counts as unobserved, so Conv+Relu stays fused
// as in an unobserved run and shows as the Relu.
void print_per_op(const quant::interp::Interpreter& interpreter, const quant::interp::TensorMap& inputs, int repeats) {
  using clock = std::chrono::steady_clock;
  std::set<std::string> every_tensor;
  for (const quant::ir::Node& n : interpreter.graph().nodes) every_tensor.insert(n.outputs.begin(), n.outputs.end());
  std::map<std::string, double> ms_by_node;
  clock::time_point last;
  const quant::ir::Node* previous = nullptr;
  auto observer = [&](const quant::ir::Node& node, const std::string&, const quant::Tensor&) {
    if (&node == previous) return;  // a second output of the same node
    const clock::time_point now = clock::now();
    ms_by_node[node.op_type + " " + node.name] += std::chrono::duration<double, std::milli>(now - last).count();
    last = now, previous = &node;
  };
  for (int i = 0; i < repeats; ++i) {
    last = clock::now(), previous = nullptr;
    interpreter.run(inputs, observer, &every_tensor);
  }
  std::vector<std::pair<double, std::string>> rows;
  double total = 0;
  for (const auto& [name, ms] : ms_by_node) rows.emplace_back(ms / repeats, name), total += ms / repeats;
  std::sort(rows.rbegin(), rows.rend());
  std::printf("per op, ms per batch (whole batch, one caller thread; total %.3f):\n", total);
  for (const auto& [ms, name] : rows) std::printf("%9.3f  %5.1f%%  %s\n", ms, 100.0 * ms / total, name.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const bool per_op = argc > 1 && std::strcmp(argv[argc - 1], "--per-op") == 0;
  if (per_op) --argc;
  if (argc < 4) {
    std::fprintf(stderr, "usage: infer_bench MODEL.onnx INPUT_NAME INPUT.npy [REPEATS] [--per-op]\n");
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
    if (per_op) print_per_op(interpreter, inputs, repeats);
    std::sort(ms.begin(), ms.end());
    const double median = ms[ms.size() / 2];
    const double batch = static_cast<double>(input.dim(0));
    std::printf("quant %.3f ms/batch %.0f images/s (fastest %.3f ms)\n", median, batch * 1000.0 / median, ms.front());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "infer_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
