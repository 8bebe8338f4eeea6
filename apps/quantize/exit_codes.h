// Exit codes of the quantize command, one per error kind (documented in docs/cli.md).
#pragma once
#include "core/error.h"

namespace quant::app {

constexpr int kExitOk = 0;

inline int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Usage: return 2;
    case ErrorKind::Io: return 3;
    case ErrorKind::Parse: return 4;
    case ErrorKind::Model: return 5;
    case ErrorKind::Unsupported: return 6;
    case ErrorKind::Data: return 7;
    case ErrorKind::Internal: return 70;
  }
  return 1;
}

}  // namespace quant::app
