// Batches run side by side (interp::run_batches) give each batch's own outputs, in order, and the
// first failing batch's error; slice_rows cuts rows out of every input; parallel_for_each (core/parallel.h)
// runs every item and says the lowest failing one.
#include <catch2/catch.hpp>

#include "core/parallel.h"
#include "interp/run_batches.h"
#include "small_graphs.h"

using namespace quant;

TEST_CASE("batches run side by side give each batch's outputs in order", "[interp]") {
  ir::Graph g;
  g.inputs.push_back({"x", DType::Float32, {{-1, "N"}, {2, ""}}, true});
  g.outputs.push_back(test::value("y"));
  g.nodes.push_back(test::node("relu", "Relu", {"x"}, {"y"}));
  const interp::Interpreter interpreter(g);
  const interp::TensorMap all{{"x", Tensor::from_vector<float>({5, 2}, {-1, 1, 2, -2, 3, 4, -5, 5, 6, -6})}};
  const interp::TensorMap rows = interp::slice_rows(all, 1, 3);
  CHECK(rows.at("x").shape() == Shape{3, 2});
  CHECK(rows.at("x").to_float_vector() == std::vector<float>{2, -2, 3, 4, -5, 5});
  const std::vector<interp::TensorMap> batches{interp::slice_rows(all, 0, 2), interp::slice_rows(all, 2, 2), interp::slice_rows(all, 4, 1)};
  const std::vector<interp::TensorMap> out = interp::run_batches(interpreter, batches);
  REQUIRE(out.size() == 3);
  CHECK(out[0].at("y").to_float_vector() == std::vector<float>{0, 1, 2, 0});
  CHECK(out[1].at("y").to_float_vector() == std::vector<float>{3, 4, 0, 5});
  CHECK(out[2].at("y").to_float_vector() == std::vector<float>{6, 0});
  // A batch the model refuses (3 columns) fails the whole call with its error.
  const std::vector<interp::TensorMap> bad{batches[0], {{"x", Tensor::from_vector<float>({1, 3}, {1, 2, 3})}}};
  CHECK_THROWS_WITH(interp::run_batches(interpreter, bad), Catch::Contains("input 'x' must have shape"));
  CHECK_THROWS_AS(interp::slice_rows(all, 4, 2), Error);
}

TEST_CASE("parallel_for_each runs every item, and after failures rethrows the lowest failing one's error", "[parallel]") {
  std::vector<int> ran(40, 0);
  quant::parallel_for_each(0, 40, [&](int64_t i) { ran[static_cast<size_t>(i)] = 1; });
  CHECK(std::count(ran.begin(), ran.end(), 1) == 40);
  std::vector<int> again(40, 0);
  try {
    quant::parallel_for_each(0, 40, [&](int64_t i) {
      again[static_cast<size_t>(i)] = 1;
      if (i == 31 || i == 7 || i == 23) throw Error(ErrorKind::Data, "item " + std::to_string(i));
    });
    FAIL("expected the error of item 7");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "item 7");
  }
  // Every item up to the lowest failing one ran (items above a failed one may be skipped).
  CHECK(std::count(again.begin(), again.begin() + 8, 1) == 8);
  quant::parallel_for_each(5, 5, [&](int64_t) { FAIL("an empty range runs nothing"); });
}
