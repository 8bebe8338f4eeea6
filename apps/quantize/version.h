// `quantize --version`: quant's version and those of the libraries it was built with.
#pragma once
#include <string>

namespace quant::app {

std::string version_text();

}  // namespace quant::app
