// The calibration-data options `optimize` and `calibrate` share, and opening the sources they name.
#pragma once
#include <CLI/CLI.hpp>
#include <memory>

#include "calib/calibrator.h"
#include "dataset/source.h"

namespace quant::app {

struct CalibDataOptions {
  std::vector<std::string> calib;          // [NAME=]PATH
  std::vector<std::string> input_shapes;   // NAME:D0,D1,...
  std::vector<std::string> input_values;   // NAME=V0,V1,...
  int64_t calib_size = -1;   // -1: not given (all samples, unless a model script says otherwise)
  int64_t batch_size = -1;   // -1: not given (32, unless a model script says otherwise)
  std::string channel_order;               // "" = from the input's channel count
  std::string layout = "auto";
  std::vector<float> mean{0.0f}, std{1.0f};
  bool normalization_given = false;  // --mean or --std on the command line
};

// `data_option`/`size_option`: the names of the data and count options ("--calib,-c",
// "--calib-size"; `analyze` says "--data", "--data-size").
void add_calib_data_options(CLI::App& cmd, CalibDataOptions& opt, bool required, const std::string& data_option = "--calib,-c",
                            const std::string& size_option = "--calib-size");

struct OpenedCalibData {
  std::vector<std::unique_ptr<dataset::SampleSource>> sources;
  std::vector<calib::CalibrationInput> inputs;
};

// Opens each --calib source against the model input it feeds: .npy files/folders as tensors,
// anything else as images. Throws Usage/Io/Data naming the path.
OpenedCalibData open_calib_data(const ir::Graph& graph, const CalibDataOptions& opt);

// A progress line on stderr when it is a terminal: pass, samples, samples/s, ETA.
calib::ProgressFn terminal_progress();

}  // namespace quant::app
