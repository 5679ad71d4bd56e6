// fer - the command-line tool: describe, detect, classify, follow faces in video, quantize,
// evaluate. Each subcommand lives in its own file (commands.hpp lists them).
//
// Every subcommand prints one JSON object per input on stdout and reasons for failures, one line
// each, on stderr. Exit status: 0 success, 1 some input or output failed, 2 bad command line.
#include <fer/fer.hpp>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <new>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"

namespace {

void print_usage(std::FILE* out, const std::vector<cli::Command>& all) {
    std::fprintf(out,
                 "usage: fer COMMAND [options] ...\n\n"
                 "Facial expression recognition on the CPU (fer %s).\n\ncommands:\n",
                 FER_VERSION_STRING);
    for (const cli::Command& c : all)
        std::fprintf(out, "  %-10s %s\n", c.name.c_str(), c.summary.c_str());
    std::fprintf(out,
                 "\nRun 'fer COMMAND --help' for a command's options.\n"
                 "  --version  print the version and exit\n  -h, --help show this help and exit\n");
}

// Runs `command`; every failure becomes one line on stderr and an exit status.
int run(const cli::Command& command, int argc, char** argv) {
    const char* name = command.name.c_str();
    try {
        const cli::Arguments args = command.parse(argc, argv);
        if (args.flag("help")) {
            command.print_help(stdout);
            return 0;
        }
        return command.run(args);
    } catch (const cli::UsageError& e) {
        std::fprintf(stderr, "fer %s: %s (see 'fer %s --help')\n", name, e.message.c_str(), name);
        return 2;
    } catch (const cli::Failure& e) {
        std::fprintf(stderr, "fer %s: %s\n", name, e.message.c_str());
    } catch (const fer::error& e) {
        std::fprintf(stderr, "fer %s: %s\n", name, e.what());
    } catch (const std::filesystem::filesystem_error& e) {
        std::fprintf(stderr, "fer %s: %s\n", name, e.what());
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "fer %s: out of memory\n", name);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fer %s: %s\n", name, e.what());
    }
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<cli::Command> all = {cli::info_command(),     cli::classify_command(),
                                           cli::detect_command(),   cli::video_command(),
                                           cli::quantize_command(), cli::eval_command()};
    if (argc < 2) {
        print_usage(stderr, all);
        return 2;
    }
    const std::string first = argv[1];
    if (first == "-h" || first == "--help" || first == "help") {
        print_usage(stdout, all);
        return 0;
    }
    if (first == "--version") {
        std::printf("fer %s\n", FER_VERSION_STRING);
        return 0;
    }
    for (const cli::Command& command : all)
        if (command.name == first) return run(command, argc - 2, argv + 2);
    std::fprintf(stderr, "fer: unknown command '%s' (see 'fer --help')\n", first.c_str());
    return 2;
}
