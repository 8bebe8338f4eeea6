#include "dataset/image_source.h"

#include "core/file_io.h"
#include "dataset/png_check.h"

#include <stb/stb_image.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>

namespace quant::dataset {

ChannelOrder channel_order_from_name(const std::string& name) {
  if (name == "rgb") return ChannelOrder::Rgb;
  if (name == "bgr") return ChannelOrder::Bgr;
  if (name == "gray") return ChannelOrder::Gray;
  throw Error(ErrorKind::Usage, "unknown channel order '" + name + "' (expected rgb, bgr or gray)");
}

ImageSpec image_spec_for(const SampleSpec& input, const std::string& layout) {
  const Shape& s = input.shape;  // without the batch axis
  if (s.size() != 3)
    throw Error(ErrorKind::Data, "model input '" + input.input_name + "' has shape [N, " + shape_to_string(s).substr(1) +
                                     ", not an image [N, C, H, W] or [N, H, W, C]: give .npy calibration data instead");
  if (input.dtype != DType::Float32) throw Error(ErrorKind::Data, "model input '" + input.input_name + "' is not float32: give .npy calibration data");
  auto is_channels = [](int64_t d) { return d == 1 || d == 3; };
  ImageSpec spec;
  bool last;
  if (layout == "nchw") last = false;
  else if (layout == "nhwc") last = true;
  else if (layout == "auto") last = !is_channels(s[0]) && is_channels(s[2]);
  else throw Error(ErrorKind::Usage, "unknown --layout '" + layout + "' (expected auto, nchw or nhwc)");
  spec.channels = last ? s[2] : s[0];
  spec.height = last ? s[0] : s[1];
  spec.width = last ? s[1] : s[2];
  spec.channels_last = last;
  if (!is_channels(spec.channels) || spec.height <= 0 || spec.width <= 0)
    throw Error(ErrorKind::Data, "model input '" + input.input_name + "' " + shape_to_string(s) +
                                     " does not look like an image with 1 or 3 channels and a fixed size (use --input-shape, --layout)");
  spec.order = spec.channels == 1 ? ChannelOrder::Gray : ChannelOrder::Rgb;
  return spec;
}

std::vector<float> resize_bilinear(const uint8_t* pixels, int h, int w, int c, int64_t out_h, int64_t out_w) {
  std::vector<float> out(static_cast<size_t>(out_h * out_w * c));
  auto source = [](int64_t o, int64_t in, int64_t out_len, int64_t& i0, int64_t& i1, float& frac) {
    const double x = std::clamp((o + 0.5) * static_cast<double>(in) / static_cast<double>(out_len) - 0.5, 0.0, static_cast<double>(in - 1));
    i0 = static_cast<int64_t>(std::floor(x));
    i1 = std::min(i0 + 1, in - 1);
    frac = static_cast<float>(x - static_cast<double>(i0));
  };
  for (int64_t y = 0; y < out_h; ++y) {
    int64_t y0, y1;
    float fy;
    source(y, h, out_h, y0, y1, fy);
    for (int64_t x = 0; x < out_w; ++x) {
      int64_t x0, x1;
      float fx;
      source(x, w, out_w, x0, x1, fx);
      for (int ch = 0; ch < c; ++ch) {
        auto px = [&](int64_t yy, int64_t xx) { return static_cast<float>(pixels[(yy * w + xx) * c + ch]); };
        const float top = px(y0, x0) + fx * (px(y0, x1) - px(y0, x0));
        const float bottom = px(y1, x0) + fx * (px(y1, x1) - px(y1, x0));
        out[static_cast<size_t>((y * out_w + x) * c + ch)] = top + fy * (bottom - top);
      }
    }
  }
  return out;
}

namespace {

constexpr int64_t kMaxImagePixels = int64_t{8192} * 8192;

class ImageSamples final : public SampleSource {
 public:
  ImageSamples(std::vector<std::string> files, ImageSpec spec) : files_(std::move(files)), spec_(std::move(spec)), read_(files_.size()) {}
  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  std::string where(int64_t i) const override { return files_[static_cast<size_t>(i)]; }
  std::vector<std::string> adjustments() const override {
    int64_t read = 0, resized = 0;
    for (const auto& r : read_) read += r != 0, resized += r == kResized;
    if (resized == 0) return {};
    std::lock_guard lock(first_resized_mutex_);
    return {std::to_string(resized) + " of " + std::to_string(read) + " images read were resized (bilinear) to the model's " +
            std::to_string(spec_.height) + "x" + std::to_string(spec_.width) + " (first: " + first_resized_ + ")"};
  }

  Tensor sample(int64_t i) const override {
    const std::string& path = files_[static_cast<size_t>(i)];
    const int want = spec_.order == ChannelOrder::Gray ? 1 : 3;
    const std::string file = read_file(path);
    const auto* bytes = reinterpret_cast<const stbi_uc*>(file.data());
    const int length = static_cast<int>(std::min<size_t>(file.size(), INT32_MAX));
    int w = 0, h = 0, n = 0;
    // The header's size is checked before decoding: stb allocates the whole image at once, and a
    // 60-byte file can declare gigabytes (found by fuzz_image); a PNG's chunks and compressed
    // data are checked against the file and that size (png_check.h).
    if (stbi_info_from_memory(bytes, length, &w, &h, &n) && static_cast<int64_t>(w) * h > kMaxImagePixels)
      throw Error(ErrorKind::Data, "the image is " + std::to_string(w) + "x" + std::to_string(h) + ": more than the " + std::to_string(kMaxImagePixels) +
                                       " pixels quant decodes (8192x8192)",
                  {.file = path});
    if (is_png(bytes, file.size())) require_bounded_png(bytes, file.size(), path);
    std::unique_ptr<stbi_uc, void (*)(void*)> pixels(stbi_load_from_memory(bytes, length, &w, &h, &n, want), stbi_image_free);
    if (!pixels) throw Error(ErrorKind::Data, std::string("cannot decode the image: ") + stbi_failure_reason(), {.file = path});
    // Resizing changes the data the ranges are computed on: warned once per source, with the
    // first, and counted for adjustments().
    const bool other_size = h != spec_.height || w != spec_.width;
    // Per file, so that a second calibration pass does not count twice.
    read_[static_cast<size_t>(i)] = other_size ? kResized : kRead;
    if (other_size) {
      if (!resize_reported_.exchange(true)) {
        spdlog::warn("calibration images are resized (bilinear) to the model's {}x{}: '{}' is {}x{}", spec_.height, spec_.width, path, h, w);
        std::lock_guard lock(first_resized_mutex_);
        first_resized_ = "'" + path + "' is " + std::to_string(h) + "x" + std::to_string(w);
      }
    }
    const std::vector<float> resized = resize_bilinear(pixels.get(), h, w, want, spec_.height, spec_.width);
    const int64_t c = spec_.channels, hw = spec_.height * spec_.width;
    Tensor t(DType::Float32, spec_.channels_last ? Shape{spec_.height, spec_.width, c} : Shape{c, spec_.height, spec_.width}, Init::Uninitialized);
    float* out = t.data<float>();
    for (int64_t ch = 0; ch < c; ++ch) {
      // Decoded as RGB; BGR models take channel 2 first.
      const int64_t src_ch = spec_.order == ChannelOrder::Bgr ? 2 - ch : ch;
      const float mean = spec_.mean.size() == 1 ? spec_.mean[0] : spec_.mean[static_cast<size_t>(ch)];
      const float stdv = spec_.std.size() == 1 ? spec_.std[0] : spec_.std[static_cast<size_t>(ch)];
      for (int64_t p = 0; p < hw; ++p) {
        const float v = (resized[static_cast<size_t>(p * want + src_ch)] - mean) / stdv;
        out[spec_.channels_last ? p * c + ch : ch * hw + p] = v;
      }
    }
    return t;
  }

 private:
  std::vector<std::string> files_;
  ImageSpec spec_;
  static constexpr uint8_t kRead = 1, kResized = 2;
  mutable std::vector<std::atomic<uint8_t>> read_;  // per file: 0, kRead or kResized
  mutable std::atomic<bool> resize_reported_{false};
  mutable std::mutex first_resized_mutex_;
  mutable std::string first_resized_;
};

}  // namespace

std::unique_ptr<SampleSource> open_image_samples(const std::string& path, const ImageSpec& spec) {
  if ((spec.order == ChannelOrder::Gray) != (spec.channels == 1))
    throw Error(ErrorKind::Usage, "--channel-order gray needs a 1-channel input and rgb/bgr a 3-channel one (the input has " +
                                      std::to_string(spec.channels) + ")");
  for (const auto* v : {&spec.mean, &spec.std})
    if (v->size() != 1 && static_cast<int64_t>(v->size()) != spec.channels)
      throw Error(ErrorKind::Usage, "--mean/--std need 1 or " + std::to_string(spec.channels) + " values, got " + std::to_string(v->size()));
  for (float s : spec.std)
    if (s == 0.0f) throw Error(ErrorKind::Usage, "--std values must not be 0");
  return std::make_unique<ImageSamples>(list_files(path, {".png", ".jpg", ".jpeg", ".bmp"}, "image"), spec);
}

}  // namespace quant::dataset
