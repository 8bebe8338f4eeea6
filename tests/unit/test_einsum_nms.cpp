// Einsum on float32 (the sgemm path; the ONNX backend tests run float64 on the plain loops) against
// a sum over every label written here, and its errors; NonMaxSuppression's limits and errors (its
// selections are the ONNX backend tests').
#include <catch2/catch.hpp>
#include <map>
#include <random>

#include "ops/kernels.h"

using namespace quant;

namespace {

Tensor random_tensor(const Shape& shape, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1, 1);
  Tensor t(DType::Float32, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

Tensor einsum(const std::string& equation, const std::vector<const Tensor*>& inputs) {
  ir::Node node;
  node.op_type = "Einsum";
  node.attributes["equation"] = ir::Attribute{.kind = ir::AttrKind::String, .s = equation};
  return ops::einsum_kernel(node, inputs, {})[0];
}

// Y[out] = sum over all other labels of the product of the operands, by visiting every assignment
// of the labels (letters only; an axis of size 1 broadcasts).
std::vector<double> brute_force(const std::vector<std::string>& terms, const std::string& out, const std::vector<const Tensor*>& xs) {
  std::map<char, int64_t> size;
  for (size_t i = 0; i < terms.size(); ++i)
    for (size_t a = 0; a < terms[i].size(); ++a) size[terms[i][a]] = std::max(size[terms[i][a]], xs[i]->dim(static_cast<int64_t>(a)));
  std::vector<char> labels;
  for (const auto& [c, n] : size) labels.push_back(c);
  int64_t out_count = 1;
  for (char c : out) out_count *= size[c];
  std::vector<double> y(static_cast<size_t>(out_count), 0.0);
  std::map<char, int64_t> at;
  for (char c : labels) at[c] = 0;
  for (;;) {
    double p = 1;
    for (size_t i = 0; i < terms.size(); ++i) {
      int64_t flat = 0;
      for (size_t a = 0; a < terms[i].size(); ++a) {
        const int64_t d = xs[i]->dim(static_cast<int64_t>(a));
        flat = flat * d + (d == 1 ? 0 : at[terms[i][a]]);
      }
      p *= xs[i]->data<float>()[flat];
    }
    int64_t o = 0;
    for (char c : out) o = o * size[c] + at[c];
    y[static_cast<size_t>(o)] += p;
    size_t k = labels.size();
    while (k-- > 0 && ++at[labels[k]] == size[labels[k]]) at[labels[k]] = 0;
    if (k == static_cast<size_t>(-1)) break;
  }
  return y;
}

}  // namespace

TEST_CASE("Einsum on float32 equals the sum over every label", "[kernels][einsum]") {
  std::mt19937 rng(12);
  struct Case {
    std::string equation;
    std::vector<std::string> terms;  // the equation with "..." written as letters, for brute_force
    std::string out;
    std::vector<Shape> shapes;
  };
  const std::vector<Case> cases = {
      {"nqhd,nkhd->nhqk", {"nqhd", "nkhd"}, "nhqk", {{2, 5, 3, 4}, {2, 6, 3, 4}}},  // attention scores
      {"nhqk,nkhd->nqhd", {"nhqk", "nkhd"}, "nqhd", {{2, 3, 5, 6}, {2, 6, 3, 4}}},  // attention values
      {"ij,jk", {"ij", "jk"}, "ik", {{3, 4}, {4, 5}}},                              // implicit output
      {"...ij,...jk->...ik", {"abij", "bjk"}, "abik", {{2, 1, 3, 4}, {3, 4, 5}}},    // broadcast batch
      {"ij,ij->", {"ij", "ij"}, "", {{3, 4}, {3, 4}}},
      {"abc,cd,de->abe", {"abc", "cd", "de"}, "abe", {{2, 3, 4}, {4, 5}, {5, 6}}},
      {"ij->j", {"ij"}, "j", {{3, 4}}},
      {"bij , bjk -> bki", {"bij", "bjk"}, "bki", {{2, 3, 4}, {2, 4, 5}}},
  };
  for (const Case& c : cases) {
    INFO(c.equation);
    std::vector<Tensor> xs;
    for (const Shape& s : c.shapes) xs.push_back(random_tensor(s, rng));
    std::vector<const Tensor*> ptrs;
    for (const Tensor& x : xs) ptrs.push_back(&x);
    const Tensor y = einsum(c.equation, ptrs);
    const std::vector<double> want = brute_force(c.terms, c.out, ptrs);
    REQUIRE(y.numel() == static_cast<int64_t>(want.size()));
    for (int64_t i = 0; i < y.numel(); ++i) REQUIRE(y.data<float>()[i] == Approx(want[static_cast<size_t>(i)]).margin(1e-5));
  }
  // The diagonal of a repeated label: "ii->i".
  const Tensor m = random_tensor({4, 4}, rng);
  const Tensor d = einsum("ii->i", {&m});
  REQUIRE(d.shape() == Shape{4});
  for (int64_t i = 0; i < 4; ++i) REQUIRE(d.data<float>()[i] == m.data<float>()[i * 5]);
}

TEST_CASE("Einsum refuses equations that do not fit its inputs, saying so", "[kernels][einsum]") {
  std::mt19937 rng(5);
  const Tensor a = random_tensor({3, 4}, rng), b = random_tensor({5, 6}, rng);
  REQUIRE_THROWS_WITH(einsum("ij,jk->ik", {&a, &b}), Catch::Contains("a label spans axes of sizes 4 and 5"));
  REQUIRE_THROWS_WITH(einsum("ijk->i", {&a}), Catch::Contains("does not fit an operand of rank 2"));
  REQUIRE_THROWS_WITH(einsum("ij,jk->ik", {&a}), Catch::Contains("2 operands for 1 inputs"));
  REQUIRE_THROWS_WITH(einsum("i1->i", {&a}), Catch::Contains("unexpected character '1'"));
  REQUIRE_THROWS_WITH(einsum("ij->iz", {&a}), Catch::Contains("an output label must appear once, and in an operand"));
}

TEST_CASE("NonMaxSuppression keeps at most max_output_boxes_per_class and checks its shapes", "[kernels][nms]") {
  // Four boxes in a row along x, [y1, x1, y2, x2], none overlapping; one class.
  Tensor boxes(DType::Float32, {1, 4, 4}), scores(DType::Float32, {1, 1, 4});
  for (int i = 0; i < 4; ++i) {
    const float b[4] = {0, 2.0f * i, 1, 2.0f * i + 1};
    std::copy(b, b + 4, boxes.data<float>() + i * 4);
    scores.data<float>()[i] = 0.1f * static_cast<float>(i + 1);
  }
  ir::Node node;
  node.op_type = "NonMaxSuppression";
  auto run = [&](int64_t max_out, const Tensor* threshold) {
    Tensor m(DType::Int64, {1});
    m.data<int64_t>()[0] = max_out;
    Tensor iou(DType::Float32, {1});
    iou.data<float>()[0] = 0.5f;
    return ops::non_max_suppression_kernel(node, {&boxes, &scores, &m, &iou, threshold}, {})[0];
  };
  REQUIRE(run(0, nullptr).shape() == Shape{0, 3});  // ONNX's default: no boxes
  const Tensor two = run(2, nullptr);
  REQUIRE(two.shape() == Shape{2, 3});
  REQUIRE(two.data<int64_t>()[2] == 3);  // the best score first
  REQUIRE(two.data<int64_t>()[5] == 2);
  Tensor threshold(DType::Float32, {1});
  threshold.data<float>()[0] = 0.2f;  // drops the boxes scoring 0.1 and 0.2 (<= threshold)
  REQUIRE(run(10, &threshold).shape() == Shape{2, 3});
  // Two boxes whose IoU is exactly the threshold, 0.5 (intersection 2 of union 4): both kept.
  const float pair[8] = {0, 0, 1, 3, 0, 1, 1, 4};
  Tensor pair_boxes(DType::Float32, {1, 2, 4}), pair_scores(DType::Float32, {1, 1, 2});
  std::copy(pair, pair + 8, pair_boxes.data<float>());
  pair_scores.data<float>()[0] = 0.9f;
  pair_scores.data<float>()[1] = 0.8f;
  Tensor m(DType::Int64, {1}), iou(DType::Float32, {1});
  m.data<int64_t>()[0] = 10;
  iou.data<float>()[0] = 0.5f;
  REQUIRE(ops::non_max_suppression_kernel(node, {&pair_boxes, &pair_scores, &m, &iou}, {})[0].shape() == Shape{2, 3});
  iou.data<float>()[0] = 0.49f;
  REQUIRE(ops::non_max_suppression_kernel(node, {&pair_boxes, &pair_scores, &m, &iou}, {})[0].shape() == Shape{1, 3});
  Tensor wrong(DType::Float32, {1, 1, 3});
  REQUIRE_THROWS_WITH(ops::non_max_suppression_kernel(node, {&boxes, &wrong}, {}), Catch::Contains("do not fit"));
}
