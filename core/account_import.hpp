// Creating and updating accounts from school records: one row (staff
// console) or a whole CSV file (import). New accounts get a generated
// identifier and an activation code (returned once, stored as SHA-256);
// re-imported external ids update their account in place.
// Depends on core only.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/account.hpp"
#include "core/account_row.hpp"
#include "core/crypto.hpp"
#include "core/ports.hpp"

namespace sesame {

struct issued_credential {
    std::string external_id;
    std::string identifier;
    std::string activation_code;  // shown once; never stored in clear
};

struct import_row_error {
    std::size_t line = 0;
    std::string error;  // French
};

struct import_report {
    std::size_t rows = 0;  // data records read
    std::size_t created = 0;
    std::size_t updated = 0;
    std::vector<import_row_error> errors;
    std::vector<issued_credential> credentials;  // empty when import_options::on_credential is set
};

struct import_options {
    std::size_t batch_rows = 4096;  // accounts per atomic write
    // Called after each batch: bytes of the file consumed, its size, rows so far.
    std::function<void(std::size_t done, std::size_t total, std::size_t rows)> progress;
    std::string actor = "import";
    // When set, each new account's credential goes here as soon as its
    // batch is written, instead of accumulating in the report (a million
    // accounts' codes need not sit in memory).
    std::function<void(const issued_credential&)> on_credential;
    // When set, a valid row it refuses (with a French reason) is reported as
    // an error at its line and does not land (the staff console's scope).
    std::function<std::string(const account_row&)> refuse;
};

// A new account from a row: identifier chosen with `is_taken`, fresh
// activation code. Does not write anything.
struct new_account {
    account acc;
    std::string activation_code;
};
new_account make_account(const account_row& row, const std::function<bool(std::string_view)>& is_taken, crypto& c,
                         timestamp now);

// Applies a re-imported row to an existing account (names, class, birth
// date, children, contacts). Returns true when something changed.
bool update_from_row(account& acc, const account_row& row, timestamp now);

// Imports a whole CSV file (API.md format). Bad rows are reported with
// their line and skipped; good rows land in batches. The last batch is
// synced, so everything reported as created/updated is durable on return.
// A header error yields one error at line 1 and nothing imported.
import_report import_csv(std::string_view csv, account_repository& accounts, change_sink& sink, crypto& c,
                         timestamp now, const import_options& options = {});

}  // namespace sesame
