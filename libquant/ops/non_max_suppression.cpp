// NonMaxSuppression (opsets 10, 11): for each batch and class, the boxes kept by greedy
// suppression, as int64 rows [batch, class, box] in that order, boxes in the order chosen.
//   boxes  [B, N, 4]: center_point_box = 0: [y1, x1, y2, x2], any two opposite corners;
//                     center_point_box = 1: [x_center, y_center, width, height];
//   scores [B, C, N];  max_output_boxes_per_class (default 0: none), iou_threshold (default 0),
//   score_threshold (optional: boxes scoring <= it are dropped) are one-element inputs.
// Candidates are taken by descending score, ties by lower box index. A candidate is dropped when
// its IoU with a box already kept is > iou_threshold (equal is kept, as ONNX says), where
// IoU = intersection / (area_a + area_b - intersection); a box of zero area overlaps nothing.
// Detection exports end in it; its output is indices, so it is never quantized.
#include <algorithm>
#include <array>
#include <numeric>

#include "ops/kernels.h"

namespace quant::ops {
namespace {

struct Box {
  float lo_y, lo_x, hi_y, hi_x;
  float area() const { return (hi_y - lo_y) * (hi_x - lo_x); }
};

Box box_at(const float* b, bool center_point) {
  if (center_point) {
    const float half_w = b[2] / 2, half_h = b[3] / 2;
    return {b[1] - half_h, b[0] - half_w, b[1] + half_h, b[0] + half_w};
  }
  return {std::min(b[0], b[2]), std::min(b[1], b[3]), std::max(b[0], b[2]), std::max(b[1], b[3])};
}

bool overlaps_more_than(const Box& a, const Box& b, float iou_threshold) {
  const float area_a = a.area(), area_b = b.area();
  if (area_a <= 0 || area_b <= 0) return false;
  const float inter_h = std::min(a.hi_y, b.hi_y) - std::max(a.lo_y, b.lo_y);
  const float inter_w = std::min(a.hi_x, b.hi_x) - std::max(a.lo_x, b.lo_x);
  if (inter_h <= 0 || inter_w <= 0) return false;
  const float inter = inter_h * inter_w;
  return inter / (area_a + area_b - inter) > iou_threshold;
}

// A one-element input, or nullptr when the node leaves it out.
const Tensor* scalar_input(const Inputs& inputs, size_t i, const char* what) {
  const Tensor* t = optional_input(inputs, i);
  if (t && t->numel() != 1) throw Error(ErrorKind::Data, std::string(what) + " must hold one value, got " + t->describe());
  return t;
}

}  // namespace

Outputs non_max_suppression_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor boxes = float_input(inputs, 0, "boxes", 3), scores = float_input(inputs, 1, "scores", 3);
  const int64_t batches = boxes.dim(0), count = boxes.dim(1), classes = scores.dim(1);
  if (boxes.dim(2) != 4 || scores.dim(0) != batches || scores.dim(2) != count)
    throw Error(ErrorKind::Data, "boxes " + boxes.describe() + " and scores " + scores.describe() +
                                     " do not fit: boxes must be [B, N, 4] and scores [B, C, N]");
  const Tensor* max_input = scalar_input(inputs, 2, "max_output_boxes_per_class");
  const Tensor* iou_input = scalar_input(inputs, 3, "iou_threshold");
  const Tensor* score_input = scalar_input(inputs, 4, "score_threshold");
  const int64_t max_per_class = max_input ? max_input->value_as_int64(0) : 0;
  const float iou_threshold = iou_input ? static_cast<float>(iou_input->value_as_double(0)) : 0.0f;
  const float score_threshold = score_input ? static_cast<float>(score_input->value_as_double(0)) : 0.0f;
  const bool center_point = node.attr_int("center_point_box", 0) != 0;

  std::vector<std::array<int64_t, 3>> selected;
  std::vector<int64_t> order;
  std::vector<Box> kept;
  for (int64_t b = 0; b < batches && max_per_class > 0; ++b)
    for (int64_t c = 0; c < classes; ++c) {
      const float* s = scores.data<float>() + (b * classes + c) * count;
      order.clear();
      for (int64_t i = 0; i < count; ++i)
        if (!score_input || s[i] > score_threshold) order.push_back(i);
      std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return s[x] > s[y]; });
      kept.clear();
      for (int64_t i : order) {
        const Box candidate = box_at(boxes.data<float>() + (b * count + i) * 4, center_point);
        if (std::any_of(kept.begin(), kept.end(), [&](const Box& k) { return overlaps_more_than(k, candidate, iou_threshold); })) continue;
        kept.push_back(candidate);
        selected.push_back({b, c, i});
        if (static_cast<int64_t>(kept.size()) == max_per_class) break;
      }
    }
  Tensor y(DType::Int64, {static_cast<int64_t>(selected.size()), 3}, Init::Uninitialized);
  for (size_t r = 0; r < selected.size(); ++r) std::copy(selected[r].begin(), selected[r].end(), y.data<int64_t>() + r * 3);
  return {y};
}

}  // namespace quant::ops
