#include "version.h"

#include <CLI/Version.hpp>
#include <google/protobuf/stubs/common.h>
#include <nlohmann/json.hpp>
#include <oneapi/dnnl/dnnl.h>
#include <onnx/common/version.h>
#include <spdlog/version.h>
#include <zlib.h>

#include <string>

namespace quant::app {

std::string version_text() {
  const dnnl_version_t* dnnl = dnnl_version();
  std::string text = std::string("quantize ") + QUANT_VERSION + "\n";
  text += std::string("  ONNX ") + ONNX_NAMESPACE::LAST_RELEASE_VERSION + " (schemas, checker, shape inference)\n";
  text += "  protobuf " + google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION) + "\n";
  text += "  oneDNN " + std::to_string(dnnl->major) + "." + std::to_string(dnnl->minor) + "." + std::to_string(dnnl->patch) + "\n";
  text += std::string("  CLI11 ") + CLI11_VERSION + "\n";
  text += "  nlohmann/json " + std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." + std::to_string(NLOHMANN_JSON_VERSION_MINOR) + "." +
          std::to_string(NLOHMANN_JSON_VERSION_PATCH) + "\n";
  text += "  spdlog " + std::to_string(SPDLOG_VER_MAJOR) + "." + std::to_string(SPDLOG_VER_MINOR) + "." + std::to_string(SPDLOG_VER_PATCH) + "\n";
  text += std::string("  zlib ") + zlibVersion() + "\n";
  text += "  stb_image (Debian libstb)";
  return text;
}

}  // namespace quant::app
