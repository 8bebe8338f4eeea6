// Calibration in groups of samples: which samples a shard's groups hold (hand-computed), stacking a
// group's inputs, the check that finds each tensor's batch axis, and calibration stacked equal to
// observing every sample alone.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <unistd.h>

#include "calib/sample_groups.h"
#include "calib/value_copies.h"
#include "dataset/npy_source.h"
#include "small_graphs.h"
#include "tensorio/npy.h"

using namespace quant;

namespace {

// Sample i is [i, -i, 2i, -2i] (4 values), as a source without files.
class RampSource : public dataset::SampleSource {
 public:
  explicit RampSource(int64_t n) : n_(n) {}
  int64_t size() const override { return n_; }
  Tensor sample(int64_t i) const override {
    const auto v = static_cast<float>(i);
    return Tensor::from_vector<float>({4}, {v, -v, 2 * v, -2 * v});
  }
  std::string where(int64_t i) const override { return "sample " + std::to_string(i); }

 private:
  int64_t n_;
};

// x [N, 4] -> OP -> y.
ir::Graph one_op_graph(const std::string& op) {
  ir::Graph g;
  g.inputs.push_back({"x", DType::Float32, {{-1, "N"}, {4, ""}}, true});
  g.outputs.push_back(test::value("y"));
  g.nodes.push_back(test::node("n", op, {"x"}, {"y"}));
  return g;
}

}  // namespace

TEST_CASE("a shard takes every N-th group of 16 samples", "[calib]") {
  static_assert(calib::kSampleGroup == 16);
  // 301 samples: groups 0..18, the last [288, 301) of 13.
  const calib::Shard s0{0, 3}, s1{1, 3}, s2{2, 3};
  CHECK(s0.groups_of(301) == 7);  // groups 0, 3, ..., 18
  CHECK(s1.groups_of(301) == 6);  // 1, 4, ..., 16
  CHECK(s2.groups_of(301) == 6);  // 2, 5, ..., 17
  CHECK(s1.group(0, 301).begin == 16);
  CHECK(s1.group(0, 301).end == 32);
  CHECK(s1.group(5, 301).begin == 256);
  CHECK(s0.group(6, 301).begin == 288);
  CHECK(s0.group(6, 301).end == 301);
  CHECK(s0.samples_of(301) == 109);
  CHECK(s1.samples_of(301) == 96);
  CHECK(s2.samples_of(301) == 96);
  CHECK(calib::Shard{}.samples_of(301) == 301);
  CHECK(calib::Shard{}.groups_of(301) == 19);
  CHECK(s2.samples_of(32) == 0);  // two groups: shard 2 has none
  CHECK(calib::Shard{}.samples_of(0) == 0);
}

TEST_CASE("a group's inputs stack along axis 0, padded with the last sample", "[calib]") {
  auto row = [](float a, float b) { return interp::TensorMap{{"x", Tensor::from_vector<float>({1, 2}, {a, b})}}; };
  const std::optional<interp::TensorMap> stacked = calib::stack_samples({row(1, 2), row(3, 4)}, 4);
  REQUIRE(stacked);
  CHECK(stacked->at("x").shape() == Shape{4, 2});
  CHECK(stacked->at("x").to_float_vector() == std::vector<float>{1, 2, 3, 4, 3, 4, 3, 4});
  // Samples of different shapes, or without a batch axis of 1, do not stack.
  interp::TensorMap wide{{"x", Tensor::from_vector<float>({1, 3}, {1, 2, 3})}};
  CHECK_FALSE(calib::stack_samples({row(1, 2), wide}, 2));
  CHECK_FALSE(calib::stack_samples({{{"x", Tensor::from_vector<float>({2}, {1, 2})}}}, 2));
}

TEST_CASE("stacking finds each tensor's batch axis, checked against the samples run alone", "[calib]") {
  RampSource source(20);
  const std::vector<calib::CalibrationInput> inputs{{"x", &source, true}};
  {
    const calib::Stacking s = calib::check_stacking(interp::Interpreter(one_op_graph("Relu")), inputs, 20);
    CHECK(s.problem.empty());
    CHECK(s.sample_run == std::map<std::string, int64_t>{{"x", 4}, {"y", 4}});
  }
  {
    // Transpose puts the batch last: [4, 1] for one sample, [4, 2] for two (as a sequence-first
    // attention's [seq, batch, dim]): the samples' values in turns, one at a time.
    const calib::Stacking s = calib::check_stacking(interp::Interpreter(one_op_graph("Transpose")), inputs, 20);
    CHECK(s.problem.empty());
    CHECK(s.sample_run == std::map<std::string, int64_t>{{"x", 4}, {"y", 1}});
  }
  {
    // A mean over everything is [1, 1] for one sample and for two: no axis follows the batch.
    CHECK_THAT(calib::check_stacking(interp::Interpreter(one_op_graph("ReduceMean")), inputs, 20).problem,
               Catch::Contains("tensor 'y' is [1, 1] for 16 stacked samples and [1, 1] for one (no axis follows the batch)"));
  }
  {
    // Softmax over axis 0 doubles axis 0, but mixes the samples' values.
    ir::Graph g = one_op_graph("Softmax");
    g.nodes[0].attributes["axis"] = ir::int_attribute(0);
    CHECK_THAT(calib::check_stacking(interp::Interpreter(g), inputs, 20).problem,
               Catch::Contains("tensor 'y' of two samples stacked in 16 rows differs from the samples run alone, whatever axis is taken as the batch"));
  }
  {
    // A sample that is the whole input (a fixed first axis above 1) is never stacked.
    const std::vector<calib::CalibrationInput> whole{{"x", &source, false}};
    CHECK_THAT(calib::check_stacking(interp::Interpreter(one_op_graph("Relu")), whole, 20).problem, Catch::Contains("fixed first axis"));
  }
}

TEST_CASE("calibration in stacked groups equals every sample observed alone", "[calib]") {
  RampSource source(21);  // a full group and one of 5
  const std::vector<calib::CalibrationInput> inputs{{"x", &source, true}};
  // Each op's y for one sample, from its x.
  const std::map<std::string, std::function<std::vector<float>(const Tensor&)>> y_of = {
      {"Relu",
       [](const Tensor& x) {
         std::vector<float> v = x.to_float_vector();
         for (float& e : v) e = std::max(e, 0.f);
         return v;
       }},
      {"Transpose", [](const Tensor& x) { return x.to_float_vector(); }},  // y's batch axis is 1: the last group's 5 samples are gathered
      {"ReduceMean", [](const Tensor&) { return std::vector<float>{0.f}; }},  // does not stack
  };
  for (const auto& [op, y_alone] : y_of) {
    INFO(op);
    const ir::Graph g = one_op_graph(op);
    const interp::Interpreter interpreter(g);
    calib::CalibrateOptions options;
    options.histograms = true;
    const calib::Statistics stats = calib::calibrate(interpreter, inputs, options);
    CHECK(stats.groups_stacked == (op != "ReduceMean"));
    CHECK(stats.samples == 21);
    calib::TensorStats x, y;
    for (int64_t i = 0; i < 21; ++i) {
      calib::observe(x, source.sample(i), true);
      calib::observe(y, y_alone(source.sample(i)), true);
    }
    for (const auto& [name, alone] : {std::pair{"x", &x}, std::pair{"y", &y}}) {
      INFO(name);
      const calib::TensorStats& got = stats.tensors.at(name);
      CHECK(got.count == alone->count);  // the padding samples are not observed
      CHECK(got.min == alone->min);
      CHECK(got.max == alone->max);
      CHECK(got.signed_hist.counts == alone->signed_hist.counts);
      CHECK(got.abs_hist.counts == alone->abs_hist.counts);
    }
    CHECK(stats.tensors.at("x").count == 84);
  }
  // A tensor asked not to be observed is not, and is listed as such.
  calib::CalibrateOptions options;
  options.unobserved = {"y"};
  const calib::Statistics stats = calib::calibrate(interp::Interpreter(one_op_graph("Relu")), inputs, options);
  CHECK_FALSE(stats.tensors.count("y"));
  CHECK(stats.unobserved == std::set<std::string>{"y"});
}

TEST_CASE("a stacked group's first samples are gathered from their runs", "[calib]") {
  // [2, 32, 3], each sample holding runs of 6 values (2 positions of axis 1): element (o, p, c) = 100 o + 3 p + c.
  std::vector<float> v(2 * 32 * 3);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i / 96 * 100 + i % 96);
  const Tensor t = Tensor::from_vector<float>({2, 32, 3}, v);
  // The first 3 samples: the first 18 values of each block of 96, i.e. 0-17 and 100-117.
  std::vector<float> expected;
  for (int o = 0; o < 2; ++o)
    for (int i = 0; i < 18; ++i) expected.push_back(static_cast<float>(100 * o + i));
  CHECK(calib::first_samples_values(t, 6, 3) == expected);
  CHECK(calib::first_samples_values(t, 6, 16) == v);
  CHECK(calib::first_samples_values(t, 12, 1) == std::vector<float>(v.begin(), v.begin() + 12));  // one block of 192
  CHECK_THROWS_AS(calib::first_samples_values(t, 5, 1), Error);  // 192 values are no 16 runs of 5
}

TEST_CASE("rearranged tensors get their source's statistics bit for bit, without being observed", "[calib]") {
  // x [N, 4] -> Reshape [N, 2, 2] (s) -> Transpose perm 0,2,1 (t) -> Flatten (f); a constant w
  // reshaped (ws) is no copy (calibration does not observe constants).
  ir::Graph g;
  g.inputs.push_back({"x", DType::Float32, {{-1, "N"}, {4, ""}}, true});
  g.outputs = {test::value("f"), test::value("ws")};
  g.initializers["shape"] = Tensor::from_vector<int64_t>({3}, {-1, 2, 2});
  g.initializers["w"] = Tensor::from_vector<float>({1, 4}, {0.5f, -1.5f, 2.5f, 3.0f});
  ir::Node transpose = test::node("t", "Transpose", {"s"}, {"t"});
  transpose.attributes["perm"] = ir::ints_attribute({0, 2, 1});
  g.nodes = {test::node("s", "Reshape", {"x", "shape"}, {"s"}), transpose, test::node("f", "Flatten", {"t"}, {"f"}),
             test::node("ws", "Reshape", {"w", "shape"}, {"ws"})};
  CHECK(calib::value_copies(g, {}) == std::map<std::string, std::string>{{"s", "x"}, {"t", "x"}, {"f", "x"}});
  // An unobserved tensor is no source: the chain starts at the first observed one.
  CHECK(calib::value_copies(g, {"x"}) == std::map<std::string, std::string>{{"t", "s"}, {"f", "s"}});

  // Calibrated without ws (a tensor that does not follow the batch would stop the stacking).
  g.nodes.pop_back();
  g.outputs.pop_back();
  RampSource source(37);  // two full groups and one of 5
  const std::vector<calib::CalibrationInput> inputs{{"x", &source, true}};
  const interp::Interpreter interpreter(g);
  calib::CalibrateOptions observed_all;
  observed_all.histograms = true;
  calib::CalibrateOptions copying = observed_all;
  copying.copies = calib::value_copies(g, {});
  const calib::Statistics direct = calib::calibrate(interpreter, inputs, observed_all);
  const calib::Statistics copied = calib::calibrate(interpreter, inputs, copying);
  CHECK(copied.groups_stacked);
  for (const std::string name : {"x", "s", "t", "f"}) {
    INFO(name);
    REQUIRE(copied.tensors.count(name));
    const calib::TensorStats &a = direct.tensors.at(name), &b = copied.tensors.at(name);
    CHECK(b.count == a.count);
    CHECK(b.min == a.min);
    CHECK(b.max == a.max);
    CHECK(b.signed_hist.exponent == a.signed_hist.exponent);
    CHECK(b.signed_hist.first == a.signed_hist.first);
    CHECK(b.signed_hist.counts == a.signed_hist.counts);
    CHECK(b.abs_hist.counts == a.abs_hist.counts);
  }
  CHECK(direct.tensors.at("f").count == 37 * 4);
}

TEST_CASE("a tensor whose rows stop following the batch in a later group is a data error said once", "[calib]") {
  // Samples 0-15 hold two positive values, sample 16 one, the rest two: y (the positive values of
  // the whole batch, GatherND of NonZero) has 2 rows per sample on the first two samples, so the
  // stacking check passes, and 1 + 2 * 15 = 31 rows for the second group (padded to 16 samples).
  class Positives : public dataset::SampleSource {
   public:
    int64_t size() const override { return 21; }
    Tensor sample(int64_t i) const override {
      return Tensor::from_vector<float>({4}, {1, i == 16 ? -1.f : 1.f, -1, -1});
    }
    std::string where(int64_t i) const override { return std::string("#").append(std::to_string(i)); }
  } source;
  ir::Graph g;
  g.inputs.push_back({"x", DType::Float32, {{-1, "N"}, {4, ""}}, true});
  g.outputs.push_back(test::value("y"));
  g.initializers["zero"] = Tensor::scalar<float>(0.f);
  g.nodes = {test::node("positive", "Greater", {"x", "zero"}, {"mask"}), test::node("where", "NonZero", {"mask"}, {"at"}),
             test::node("pairs", "Transpose", {"at"}, {"index"}), test::node("gather", "GatherND", {"x", "index"}, {"y"})};
  const interp::Interpreter interpreter(g);
  const std::vector<calib::CalibrationInput> inputs{{"x", &source, true}};
  REQUIRE(calib::check_stacking(interpreter, inputs, 21).problem.empty());
  try {
    calib::calibrate(interpreter, inputs, {});
    FAIL("expected a data error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Data);
    const std::string said = e.what();
    CHECK_THAT(said, Catch::StartsWith("calibration samples #16 to #20: tensor 'y' has [31] for a stacked group of 16 samples"));
    CHECK(said.find("calibration", 1) == std::string::npos);  // located once
  }
}

TEST_CASE("a group's samples are read as one batch, padded with the last; one by one when they cannot be", "[calib]") {
  // Samples as .npy files: a folder of a 10-sample file, a one-sample file and a 15-sample file
  // (26 samples, sample i = [i, i + 0.5, -i]); groups read across the files' boundaries equal
  // the samples read one at a time.
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("quant_read_group_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, int64_t first, int64_t n, bool batched) {
    std::vector<float> v(static_cast<size_t>(3 * n));
    for (int64_t k = 0; k < n; ++k) {
      const auto i = static_cast<float>(first + k);
      v[static_cast<size_t>(3 * k)] = i, v[static_cast<size_t>(3 * k + 1)] = i + 0.5f, v[static_cast<size_t>(3 * k + 2)] = -i;
    }
    const Tensor t = batched ? Tensor::from_vector<float>({n, 3}, v) : Tensor::from_vector<float>({3}, v);
    std::ofstream(dir / name, std::ios::binary) << tensorio::serialize_npy(t);
  };
  write("a.npy", 0, 10, true);
  write("b.npy", 10, 1, false);
  write("c.npy", 11, 15, true);
  const std::unique_ptr<dataset::SampleSource> npy = dataset::open_npy_samples(dir.string(), {"x", DType::Float32, {3}});
  REQUIRE(npy->size() == 26);
  std::vector<uint8_t> bytes(12 * 3 * sizeof(float));
  REQUIRE(npy->read_samples(5, 12, DType::Float32, {3}, bytes.data()));  // samples 5-16 from all three files
  for (int64_t i = 0; i < 12; ++i) {
    const Tensor one = npy->sample(5 + i);
    CHECK(std::memcmp(bytes.data() + i * one.nbytes(), one.raw(), one.nbytes()) == 0);
  }
  CHECK_FALSE(npy->read_samples(0, 2, DType::Float32, {1, 3}, bytes.data()));  // another shape

  // read_group: the last group of 26 holds samples 16-25 and 6 repeats of sample 25.
  const std::vector<calib::CalibrationInput> inputs{{"x", npy.get(), true}};
  calib::Stacking stacking;
  stacking.first_inputs = calib::sample_inputs(inputs, 0);
  const std::optional<interp::TensorMap> group = calib::read_group(inputs, {16, 26}, stacking);
  REQUIRE(group);
  const Tensor& x = group->at("x");
  CHECK(x.shape() == Shape{16, 3});
  for (int64_t r = 0; r < 16; ++r) {
    const float i = static_cast<float>(std::min<int64_t>(16 + r, 25));
    CHECK(x.to_float_vector()[static_cast<size_t>(r * 3)] == i);
    CHECK(x.to_float_vector()[static_cast<size_t>(r * 3 + 2)] == -i);
  }
  // The default read_samples (a source without files) gives the same as its samples.
  RampSource ramp(21);
  const std::vector<calib::CalibrationInput> ramp_inputs{{"x", &ramp, true}};
  stacking.first_inputs = calib::sample_inputs(ramp_inputs, 0);
  const std::optional<interp::TensorMap> ramp_group = calib::read_group(ramp_inputs, {16, 21}, stacking);
  REQUIRE(ramp_group);
  CHECK(ramp_group->at("x").to_float_vector()[4 * 4] == 20.f);   // row 4: sample 20
  CHECK(ramp_group->at("x").to_float_vector()[15 * 4 + 3] == -40.f);  // row 15: sample 20 again

  // Not read as one: a sample of another shape than the first, and a non-finite value (calibration
  // then reads the samples one by one and names the one that holds it).
  class Odd : public dataset::SampleSource {
   public:
    int64_t size() const override { return 4; }
    Tensor sample(int64_t i) const override {
      if (i == 2) return Tensor::from_vector<float>({2}, {1, 2});
      return Tensor::from_vector<float>({4}, {1, i == 3 ? std::numeric_limits<float>::quiet_NaN() : 2.f, 3, 4});
    }
    std::string where(int64_t i) const override { return std::string("#").append(std::to_string(i)); }
  } odd;
  const std::vector<calib::CalibrationInput> odd_inputs{{"x", &odd, true}};
  stacking.first_inputs = calib::sample_inputs(odd_inputs, 0);
  CHECK(calib::read_group(odd_inputs, {0, 2}, stacking));
  CHECK_FALSE(calib::read_group(odd_inputs, {1, 3}, stacking));  // sample 2 is [2]
  CHECK_FALSE(calib::read_group(odd_inputs, {3, 4}, stacking));  // sample 3 holds a NaN
  std::filesystem::remove_all(dir);
}
