// Command-line flags of the bench tools: `--flag VALUE` or `--flag=VALUE`,
// -h/--help prints the usage and exits 0, any error prints it and exits 2.
// Header-only; standard library only.
#pragma once

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>

namespace sesame::bench {

class flags {
public:
    flags(std::string_view tool, std::string_view usage) : tool_(tool), usage_(usage) {}

    [[noreturn]] void usage_error(const std::string& msg) const {
        std::fprintf(stderr, "%.*s: %s\n\n%.*s", int(tool_.size()), tool_.data(), msg.c_str(), int(usage_.size()),
                     usage_.data());
        std::exit(2);
    }

    // A number within [lo, hi], else a usage error naming the flag.
    template <class T>
    T number(std::string_view flag, std::string_view s, T lo, T hi) const {
        T v{};
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !(v >= lo) || !(v <= hi))
            usage_error(std::string(flag) + " wants a number from " + std::to_string(lo) + " to " +
                        std::to_string(hi) + ", got '" + std::string(s) + "'");
        return v;
    }

    // Calls on_flag(name, value) for each flag, in order. on_flag returns
    // false for a flag it does not know (a usage error).
    void parse(int argc, char** argv,
               const std::function<bool(std::string_view flag, std::string_view value)>& on_flag) const {
        for (int i = 1; i < argc; ++i) {
            std::string_view arg = argv[i];
            if (arg == "-h" || arg == "--help") {
                std::fwrite(usage_.data(), 1, usage_.size(), stdout);
                std::exit(0);
            }
            std::string_view value;
            if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
                value = arg.substr(eq + 1);
                arg = arg.substr(0, eq);
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                usage_error(std::string(arg) + " needs a value");
            }
            if (!on_flag(arg, value)) usage_error("unknown option '" + std::string(arg) + "'");
        }
    }

private:
    std::string_view tool_;
    std::string_view usage_;
};

}  // namespace sesame::bench
