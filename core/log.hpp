// Structured JSON log lines, one per event, written to stderr by a
// background flusher so request threads never block on the terminal.
// Callers must never pass secrets (codes, tokens, passwords, cookies) or
// unmasked contacts. Depends on the standard library only.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace sesame::log {

enum class level { debug, info, warn, error };

struct field {
    std::string_view key;
    std::variant<std::string_view, std::int64_t, double, bool> value;

    field(std::string_view k, std::string_view v) : key(k), value(v) {}
    field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
    field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
    field(std::string_view k, std::int64_t v) : key(k), value(v) {}
    field(std::string_view k, int v) : key(k), value(std::int64_t(v)) {}
    field(std::string_view k, unsigned v) : key(k), value(std::int64_t(v)) {}
    field(std::string_view k, std::size_t v) : key(k), value(std::int64_t(v)) {}
    field(std::string_view k, double v) : key(k), value(v) {}
    field(std::string_view k, bool v) : key(k), value(v) {}
};

// Lines below this level are dropped (default: info).
void set_min_level(level l);

// Appends `{"ts":..., "level":..., "event":..., <fields>}` to the buffer.
void write(level l, std::string_view event, std::initializer_list<field> fields = {});

inline void info(std::string_view event, std::initializer_list<field> f = {}) { write(level::info, event, f); }
inline void warn(std::string_view event, std::initializer_list<field> f = {}) { write(level::warn, event, f); }
inline void error(std::string_view event, std::initializer_list<field> f = {}) { write(level::error, event, f); }

// Writes out everything buffered so far (called at exit and by the flusher).
void flush();

// JSON string escaping, shared with anything that writes JSON by hand.
void append_json_string(std::string& out, std::string_view s);

}  // namespace sesame::log
