// libFuzzer target for the account import's CSV path: core/csv.hpp's reader,
// then core/account_row.hpp's header map and row validation, as core/account_import.cpp drives them.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/account_row.hpp"
#include "core/contact.hpp"
#include "core/csv.hpp"
#include "core/establishment.hpp"
#include "core/identifier.hpp"

namespace {

// An invariant that must hold for every input; a violation is a finding.
void check(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "fuzz_csv: invariant violated: %s\n", what);
    std::abort();
}

bool has_control(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
    return false;
}

// Every field quoted, quotes doubled, ',' between fields and '\n' between
// records: the reader must detect ',' and give the same fields back.
std::string serialize(const std::vector<std::vector<std::string>>& records) {
    std::string out;
    for (const auto& fields : records) {
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (i) out.push_back(',');
            out.push_back('"');
            for (char c : fields[i]) {
                if (c == '"') out.push_back('"');
                out.push_back(c);
            }
            out.push_back('"');
        }
        out.push_back('\n');
    }
    return out;
}

std::vector<std::vector<std::string>> read_all(std::string_view text, bool& clean) {
    std::vector<std::vector<std::string>> out;
    sesame::csv_reader reader(text);
    sesame::csv_record record;
    clean = true;
    while (reader.next(record)) {
        if (record.error != sesame::csv_error::none) clean = false;
        out.push_back(record.fields);
    }
    return out;
}

void check_row(const sesame::account_row& row) {
    using namespace sesame;
    check(row.prof == profile::parent || row.prof == profile::eleve, "row: staff profile from CSV");
    check(!row.external_id.empty() && row.external_id.size() <= max_external_id_bytes, "row: external_id size");
    check(row.external_id.find('|') == std::string::npos && !has_control(row.external_id), "row: external_id chars");
    check(!row.last_name.empty() && row.last_name.size() <= max_name_bytes, "row: last_name size");
    check(!row.first_name.empty() && row.first_name.size() <= max_name_bytes, "row: first_name size");
    check(utf8_length(row.last_name) && utf8_length(row.first_name), "row: names not UTF-8");
    check(is_valid_uai(row.establishment), "row: establishment not a UAI");
    check(normalize_uai(row.establishment) == row.establishment, "row: UAI normalisation not idempotent");
    check(row.class_name.size() <= max_class_bytes, "row: class size");
    if (row.phone) {
        check(row.phone->size() > 1 && row.phone->front() == '+', "row: phone not E.164");
        check(normalize_french_mobile(*row.phone) == row.phone, "row: phone normalisation not idempotent");
    } else {
        check(row.prof != profile::parent, "row: parent without phone");
    }
    if (!row.email.empty()) check(normalize_email(row.email) == row.email, "row: e-mail normalisation not idempotent");
    if (row.birth_date) check(row.birth_date->ok(), "row: invalid birth date");
    check(row.children.size() <= max_children, "row: too many children");
    check(row.children.empty() || row.prof == profile::parent, "row: children for a pupil");
    for (std::size_t i = 0; i < row.children.size(); ++i) {
        check(!row.children[i].empty() && row.children[i].size() <= max_external_id_bytes, "row: child id size");
        for (std::size_t j = 0; j < i; ++j) check(row.children[i] != row.children[j], "row: duplicate child");
    }
}

// At least 8 digits or an '@': a contact-looking value no fixed message contains.
bool looks_like_contact(std::string_view s) {
    std::size_t digits = 0;
    for (char c : s) digits += (c >= '0' && c <= '9');
    return digits >= 8 || s.find('@') != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace sesame;
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    // 1. The reader alone: progress, line numbers, stop after an error.
    csv_reader reader(text);
    check(reader.separator() == ',' || reader.separator() == ';', "separator");
    csv_record record;
    std::size_t last_line = 0, last_position = 0;
    bool stopped = false, header_done = false, clean = true;
    std::optional<csv_header_map> header;
    std::vector<std::vector<std::string>> records;
    while (reader.next(record)) {
        check(!stopped, "record after an unterminated quote");
        check(record.line > last_line, "line numbers not increasing");
        check(reader.position() >= last_position && reader.position() <= reader.size(), "position");
        last_line = record.line;
        last_position = reader.position();
        bool all_empty = true;
        for (const auto& f : record.fields) all_empty = all_empty && f.empty();
        check(!all_empty || record.error != csv_error::none, "blank record not skipped");
        if (record.error != csv_error::none) {
            stopped = true;
            clean = false;
        }
        records.push_back(record.fields);

        // 2. The header, then each row, as import_csv does.
        if (!header_done) {
            header_done = true;
            auto h = csv_header_map::from_header(record);
            if (h) {
                check(h->width() == record.fields.size(), "header width");
                for (std::size_t c = 0; c < csv_column_count; ++c) {
                    const auto i = h->index(static_cast<csv_column>(c));
                    if (i) check(*i < h->width(), "header index past width");
                }
                header = *h;
            } else {
                check(h.error().code == errc::invalid_request && !h.error().field.empty(), "header error shape");
            }
            continue;
        }
        if (!header) continue;
        auto row = parse_row(*header, record);
        if (row) {
            check(record.error == csv_error::none, "row accepted from a broken record");
            check_row(*row);
        } else {
            const auto& e = row.error();
            check(e.code == errc::invalid_request && !e.field.empty() && !e.message.empty(), "row error shape");
            // Contacts are never echoed in messages.
            for (const csv_column c : {csv_column::phone, csv_column::email}) {
                const auto i = header->index(c);
                if (!i || *i >= record.fields.size() || e.field != column_name(c)) continue;
                const std::string& value = record.fields[*i];
                if (looks_like_contact(value)) check(e.message.find(value) == std::string::npos, "contact echoed");
            }
        }
    }
    check(reader.position() <= reader.size(), "final position");

    // 3. Round trip: re-serialised with full quoting, the records read back the same.
    if (clean) {
        bool clean_again = true;
        const auto again = read_all(serialize(records), clean_again);
        check(clean_again, "re-serialised CSV has an unterminated quote");
        check(again == records, "CSV round trip changed the records");
    }
    return 0;
}
