// Samples from PNG/JPEG images (a folder, a list file or one image), decoded by stb_image, then:
//   1. channels: gray (1) or RGB (3), in the order the model wants (rgb, bgr or gray);
//   2. resized to the model input's height and width, bilinear with half-pixel centres:
//      source x = (x_out + 0.5) * in_w / out_w - 0.5, clamped to the image (no antialiasing);
//   3. value = (pixel - mean[c]) / std[c], pixel in [0, 255] (mean 0, std 1 keep raw pixels);
//   4. laid out as the input wants: CHW (NCHW models) or HWC (NHWC models).
#pragma once
#include "dataset/source.h"

namespace quant::dataset {

enum class ChannelOrder { Rgb, Bgr, Gray };
ChannelOrder channel_order_from_name(const std::string& name);  // throws Usage

struct ImageSpec {
  int64_t height = 0, width = 0, channels = 3;
  bool channels_last = false;  // HWC instead of CHW
  ChannelOrder order = ChannelOrder::Rgb;
  std::vector<float> mean{0.0f}, std{1.0f};  // one value, or one per channel
};

// The image layout a model input implies: [N, C, H, W] with C in {1, 3} -> CHW, [N, H, W, C] -> HWC.
// `layout` "auto", "nchw" or "nhwc". Throws Data when the input is not an image.
ImageSpec image_spec_for(const SampleSpec& input, const std::string& layout);

std::unique_ptr<SampleSource> open_image_samples(const std::string& path, const ImageSpec& spec);

// Bilinear resize of an 8-bit interleaved image (h x w x c) to out_h x out_w, as floats (pure, tested).
std::vector<float> resize_bilinear(const uint8_t* pixels, int h, int w, int c, int64_t out_h, int64_t out_w);

}  // namespace quant::dataset
