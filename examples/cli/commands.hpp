// The fer tool's subcommands, one translation unit each; main.cpp lists and dispatches them.
#pragma once

#include "args.hpp"

namespace cli {

Command info_command();
Command detect_command();
Command classify_command();
Command video_command();
Command quantize_command();
Command eval_command();

}  // namespace cli
