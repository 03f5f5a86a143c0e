// libFuzzer target: what staff type into the console and send over HTTP.
// The first byte picks the part: the search query folding
// (name_search_key) and the tokens an account is found by
// (name_search_tokens); one account's JSON fields through the import row
// rules (parse_fields); a CSV import over HTTP with the caller's scope
// refusing rows (import_csv with `refuse`, over the in-memory ports).
// Invariants: folding is idempotent and finds every token; errors name a
// column; refused rows never land.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/account_import.hpp"
#include "core/account_row.hpp"
#include "core/name_search.hpp"
#include "tests/fakes/fake_crypto.hpp"
#include "tests/fakes/memory_ports.hpp"

namespace {

void check(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "fuzz_staff_input: invariant violated: %s\n", what);
    std::abort();
}

bool searchable(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.'; }

void search_folding(std::string_view in) {
    const std::string key = sesame::name_search_key(in);
    check(key.size() <= sesame::max_name_token_bytes, "key too long");
    for (char c : key) check(searchable(c), "key holds a character outside [a-z0-9.]");
    check(sesame::name_search_key(key) == key, "folding is not idempotent");
    // The tokens of an account named from the input are found by themselves.
    const auto half = in.size() / 2;
    sesame::account a;
    a.identifier = "x.fuzz1";
    a.first_name = std::string(in.substr(0, half));
    a.last_name = std::string(in.substr(half));
    const auto tokens = sesame::name_search_tokens(a);
    check(!tokens.empty() && tokens.front() == a.identifier, "the identifier is the first token");
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        check(!tokens[i].empty() && tokens[i].size() <= sesame::max_name_token_bytes, "token size");
        check(sesame::name_search_key(tokens[i]) == tokens[i], "a token is not found by itself");
        for (std::size_t j = 0; j < i; ++j) check(tokens[i] != tokens[j], "duplicate token");
    }
    a.staff = sesame::staff_info{};
    check(sesame::name_search_tokens(a).empty(), "staff accounts are not searchable");
}

void json_fields(std::string_view in) {
    std::array<std::string, sesame::csv_column_count> fields;
    std::size_t k = 0;
    for (char c : in) {
        if (c == '\x1f') {
            if (++k == fields.size()) break;
            continue;
        }
        fields[k].push_back(c);
    }
    auto row = sesame::parse_fields(fields);
    if (row) return;
    bool named = false;
    for (std::size_t c = 0; c < sesame::csv_column_count; ++c)
        named = named || row.error().field == sesame::column_name(static_cast<sesame::csv_column>(c));
    check(named || row.error().field == "csv", "an error names no column");
}

void scoped_import(std::string_view csv) {
    sesame::testing::memory_ports store;
    sesame::testing::fake_crypto crypto;
    sesame::import_options options;
    options.batch_rows = 3;
    // The caller's scope: establishments whose digits add up to an even number.
    auto outside = [](const std::string& uai) {
        int sum = 0;
        for (char c : uai) sum += c >= '0' && c <= '9' ? c - '0' : 0;
        return sum % 2 == 1;
    };
    options.refuse = [&](const sesame::account_row& row) -> std::string {
        return outside(row.establishment) ? "hors périmètre" : "";
    };
    const auto report = sesame::import_csv(csv, store, store, crypto, sesame::from_millis(1'795'629'731'000), options);
    check(report.created == report.credentials.size(), "one credential per created account");
    for (const auto& c : report.credentials) {
        auto a = store.find_account(c.identifier);
        check(a.has_value(), "a created account is missing");
        check(!outside(a->establishment), "a refused row landed");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 3) {
        case 0: search_folding(in); break;
        case 1: json_fields(in); break;
        default: scoped_import(in); break;
    }
    return 0;
}
