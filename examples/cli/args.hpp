// Command-line parsing for the fer tool: subcommands with long options, generated --help.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace cli {

// Thrown for a malformed command line; main prints it with a hint and exits with status 2.
struct UsageError {
    std::string message;
};

// Thrown for anything else the tool cannot do (an output it cannot write, a folder that is not
// one); main prints the one-line message and exits with status 1.
struct Failure {
    std::string message;
};

// What an option's value names, for the checks parse() makes before any work is done.
enum class ValueKind { text, output_file, output_dir };

struct Option {
    std::string name;        // without the leading "--"
    std::string value_name;  // empty for a flag
    std::string help;
    ValueKind kind = ValueKind::text;
};

// `help` followed by " (default VALUE)", VALUE as the library's own option structs hold it.
template <class Value>
std::string with_default(const std::string& help, const Value& value) {
    std::ostringstream out;
    out << help << " (default " << value << ")";
    return out.str();
}

// Throws Failure unless `dir` is an existing, writable folder; `what` names the option and path.
inline void check_writable_folder(const std::string& what, const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec))
        throw Failure{what + ": folder '" + dir.string() + "' does not exist"};
    if (!std::filesystem::is_directory(dir, ec))
        throw Failure{what + ": '" + dir.string() + "' is not a folder"};
    if (::access(dir.c_str(), W_OK) != 0)
        throw Failure{what + ": cannot write in '" + dir.string() + "'"};
}

// Throws Failure unless a file can be created at `path`: its folder exists and is writable, and
// the path itself is not a folder.
inline void check_output_file(const std::string& what, const std::string& path) {
    const std::filesystem::path p(path);
    std::error_code ec;
    if (path.empty() || std::filesystem::is_directory(p, ec))
        throw Failure{what + ": '" + path + "' is a folder, not a file name"};
    check_writable_folder(what, p.has_parent_path() ? p.parent_path() : ".");
}

// Throws Failure unless `path` is a writable folder, or one that can be made in a writable folder.
inline void check_output_folder(const std::string& what, const std::string& path) {
    const std::filesystem::path p(path);
    std::error_code ec;
    if (std::filesystem::exists(p, ec)) return check_writable_folder(what, p);
    check_writable_folder(what, p.has_parent_path() ? p.parent_path() : ".");
}

class Arguments {
  public:
    std::vector<std::string> positional;

    bool flag(const std::string& name) const { return values_.count(name) != 0; }

    // The last value given for `name`, or `fallback` when absent.
    std::string text(const std::string& name, const std::string& fallback = "") const {
        const auto it = values_.find(name);
        return it == values_.end() ? fallback : it->second.back();
    }

    // Every value given for a repeatable option, in order.
    std::vector<std::string> all(const std::string& name) const {
        const auto it = values_.find(name);
        return it == values_.end() ? std::vector<std::string>{} : it->second;
    }

    long integer(const std::string& name, long fallback, long lowest, long highest) const {
        if (!flag(name)) return fallback;
        const std::string value = text(name);
        char* end = nullptr;
        const long parsed = std::strtol(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || parsed < lowest || parsed > highest)
            throw UsageError{"--" + name + " expects a whole number from " +
                             std::to_string(lowest) + " to " + std::to_string(highest) + ", got '" +
                             value + "'"};
        return parsed;
    }

    double real(const std::string& name, double fallback, double lowest, double highest) const {
        if (!flag(name)) return fallback;
        const std::string value = text(name);
        char* end = nullptr;
        const double parsed = std::strtod(value.c_str(), &end);
        if (value.empty() || *end != '\0' || !(parsed >= lowest && parsed <= highest)) {
            char range[64];
            std::snprintf(range, sizeof range, "%g to %g", lowest, highest);
            throw UsageError{"--" + name + " expects a number from " + range + ", got '" + value +
                             "'"};
        }
        return parsed;
    }

    void add(const std::string& name, const std::string& value) { values_[name].push_back(value); }

  private:
    std::map<std::string, std::vector<std::string>> values_;
};

struct Command {
    std::string name;
    std::string operands;  // e.g. "IMAGE..."
    std::string summary;   // one line, for `fer --help`
    std::string details;   // paragraphs for `fer NAME --help`
    std::vector<Option> options;
    std::function<int(const Arguments&)> run;

    void print_help(std::FILE* out) const {
        std::fprintf(out, "usage: fer %s [options] %s\n\n%s\n", name.c_str(), operands.c_str(),
                     summary.c_str());
        if (!details.empty()) std::fprintf(out, "\n%s\n", details.c_str());
        std::fprintf(out, "\noptions:\n");
        for (const Option& o : options) {
            const std::string left =
                "--" + o.name + (o.value_name.empty() ? "" : " " + o.value_name);
            std::fprintf(out, "  %-24s %s\n", left.c_str(), o.help.c_str());
        }
        std::fprintf(out, "  %-24s %s\n", "-h, --help", "show this help and exit");
    }

    // Splits argv into options and operands. "--name value" and "--name=value" both work; "--"
    // ends the options.
    Arguments parse(int argc, char** argv) const {
        Arguments args;
        bool options_done = false;
        for (int i = 0; i < argc; ++i) {
            std::string word = argv[i];
            if (options_done || word.size() < 2 || word[0] != '-' || word == "-") {
                args.positional.push_back(word);
                continue;
            }
            if (word == "--") {
                options_done = true;
                continue;
            }
            if (word == "-h" || word == "--help") {
                args.add("help", "");
                continue;
            }
            if (word.rfind("--", 0) != 0) throw UsageError{"unknown option '" + word + "'"};
            std::string option_name = word.substr(2);
            std::string value;
            const std::size_t equals = option_name.find('=');
            const bool inline_value = equals != std::string::npos;
            if (inline_value) {
                value = option_name.substr(equals + 1);
                option_name = option_name.substr(0, equals);
            }
            const Option* option = find(option_name);
            if (option == nullptr) throw UsageError{"unknown option '--" + option_name + "'"};
            if (option->value_name.empty()) {
                if (inline_value) throw UsageError{"--" + option_name + " takes no value"};
            } else if (!inline_value) {
                if (i + 1 >= argc)
                    throw UsageError{"--" + option_name + " needs a value (" + option->value_name +
                                     ")"};
                value = argv[++i];
            }
            if (option->kind == ValueKind::output_file)
                check_output_file("--" + option_name, value);
            else if (option->kind == ValueKind::output_dir)
                check_output_folder("--" + option_name, value);
            args.add(option_name, value);
        }
        return args;
    }

  private:
    const Option* find(const std::string& wanted) const {
        for (const Option& o : options)
            if (o.name == wanted) return &o;
        return nullptr;
    }
};

}  // namespace cli
