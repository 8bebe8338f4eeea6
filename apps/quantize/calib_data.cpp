#include "calib_data.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <tuple>

#include "dataset/image_source.h"
#include "dataset/npy_source.h"
#include "tensor_files.h"

namespace quant::app {

void add_calib_data_options(CLI::App& cmd, CalibDataOptions& opt, bool required, const std::string& data_option, const std::string& size_option) {
  auto* calib = cmd.add_option(data_option, opt.calib,
                               "Calibration data: a folder or list (.txt) of PNG/JPEG images, or .npy files; NAME=PATH per input of a multi-input model");
  if (required) calib->required();
  // -1 stands for "not given" inside; on the command line a count is at least 1.
  const auto at_least_one = [](const std::string& text) -> std::string {
    try {
      return std::stoll(text) >= 1 ? "" : "must be at least 1, got " + text;
    } catch (const std::exception&) {
      return "expects a count, got '" + text + "'";
    }
  };
  cmd.add_option(size_option, opt.calib_size, "Use the first N samples (default: all)")->check(at_least_one);
  cmd.add_option("--batch-size", opt.batch_size, "Progress shows each time this many more samples are done (default 32); does not change the result")->check(at_least_one);
  cmd.add_option("--input-shape", opt.input_shapes, "NAME:D0,D1,... fixes a dynamic input shape");
  cmd.add_option("--input-value", opt.input_values, kInputValueHelp);
  cmd.add_option("--channel-order", opt.channel_order, "Images: rgb, bgr or gray (default: gray for 1 channel, rgb for 3)");
  cmd.add_option("--layout", opt.layout, "Images: auto, nchw or nhwc (default auto, from the input shape)");
  cmd.add_option("--mean", opt.mean, "Images: per-channel mean in pixel units, value = (pixel - mean) / std (default 0)")
      ->delimiter(',')
      ->each([&opt](const std::string&) { opt.normalization_given = true; });
  cmd.add_option("--std", opt.std, "Images: per-channel std in pixel units (default 1)")
      ->delimiter(',')
      ->each([&opt](const std::string&) { opt.normalization_given = true; });
}

OpenedCalibData open_calib_data(const ir::Graph& graph, const CalibDataOptions& opt) {
  OpenedCalibData data;
  for (const std::string& spec : opt.calib) {
    std::string name, path;  // not a structured binding: the lambda below captures path
    std::tie(name, path) = split_name_path(spec);
    if (name.empty()) {
      if (graph.inputs.size() != 1)
        throw Error(ErrorKind::Usage, "--calib '" + spec + "': the model has " + std::to_string(graph.inputs.size()) + " inputs, write NAME=PATH per input");
      name = graph.inputs[0].name;
    }
    const ir::ValueInfo* input = graph.find_input(name);
    if (!input) throw Error(ErrorKind::Usage, "--calib '" + spec + "': the model has no input named '" + name + "'");
    for (const calib::CalibrationInput& c : data.inputs)
      if (c.name == name) throw Error(ErrorKind::Usage, "--calib: input '" + name + "' is given twice");
    // A sample is the input without its first axis (a batch axis), unless that axis is fixed to
    // more than 1: then a sample is the whole input tensor.
    const bool batched = input->dims.empty() || !input->dims[0].fixed() || input->dims[0].size == 1;
    dataset::SampleSpec sample{name, input->dtype, {}};
    for (size_t d = batched ? 1 : 0; d < input->dims.size(); ++d) sample.shape.push_back(input->dims[d].fixed() ? input->dims[d].size : -1);
    const bool npy = std::filesystem::path(path).extension() == ".npy" ||
                     (std::filesystem::is_directory(path) && [&] {
                       for (const auto& e : std::filesystem::directory_iterator(path))
                         if (e.path().extension() == ".npy") return true;
                       return false;
                     }());
    if (npy) {
      data.sources.push_back(dataset::open_npy_samples(path, sample));
    } else {
      dataset::ImageSpec image = dataset::image_spec_for(sample, opt.layout);
      if (!opt.channel_order.empty()) image.order = dataset::channel_order_from_name(opt.channel_order);
      image.mean = opt.mean;
      image.std = opt.std;
      data.sources.push_back(dataset::open_image_samples(path, image));
    }
    data.inputs.push_back({name, data.sources.back().get(), batched});
  }
  for (const ir::ValueInfo& in : graph.inputs) {
    bool given = false;
    for (const calib::CalibrationInput& c : data.inputs) given |= c.name == in.name;
    if (!given) throw Error(ErrorKind::Usage, "no calibration data for model input '" + in.name + "' (--calib " + in.name + "=PATH, or --input-value " + in.name +
                                                  "=V to fix it to a constant)");
  }
  return data;
}

calib::ProgressFn terminal_progress() {
  if (!isatty(STDERR_FILENO)) return nullptr;
  auto start = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  auto last_pass = std::make_shared<int>(0);
  return [start, last_pass](int pass, int passes, int64_t done, int64_t total) {
    if (pass != *last_pass) {
      *last_pass = pass;
      *start = std::chrono::steady_clock::now();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - *start).count();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
    const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0.0;
    const std::string which = passes > 1 ? ", pass " + std::to_string(pass) + "/" + std::to_string(passes) : "";
    std::fprintf(stderr, "\rcalibrating%s: %lld/%lld samples, %.0f samples/s, ETA %.0f s   ", which.c_str(), static_cast<long long>(done),
                 static_cast<long long>(total), rate, eta);
    if (done == total) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  };
}

}  // namespace quant::app
