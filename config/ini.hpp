// Reads the text of a config file (INI sections or flat dotted keys) into
// key/value entries, without judging keys or values. Standard library only.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sesame::config {

struct file_entry {
    std::string key;    // "http.listen", from "[http]" + "listen" or written flat
    std::string value;  // trimmed, surrounding double quotes removed
    int line = 0;       // 1-based
};

struct file_syntax_error {
    int line = 0;
    std::string message;  // French, never echoes a value
};

// Blank lines and lines starting with '#' or ';' are skipped; a UTF-8 BOM
// and CR line ends are accepted. Comments are whole lines only: a '#'
// after a value belongs to the value.
std::variant<std::vector<file_entry>, file_syntax_error> parse_config_text(std::string_view text);

}  // namespace sesame::config
