// Byte layout of the domain records the repository keeps (account,
// session_record, journal_entry, outbox_message) and of their keys, in one
// place (STYLE.md practice 9). Depends on core (account, outbox) and
// store/codec.hpp; never on RocksDB.
//
// VALUES. Each record starts with a format-version byte (record_format_version)
// then its fields in declaration order, with the codec's field encodings
// (store/codec.hpp). Enums are one byte; vectors are a varint count then the
// elements; birth_date is a zigzag count of days since 1970-01-01. A record
// written by this version decodes to an equal value. Decoding throws
// store_error on an unknown version byte, an out-of-range enum, truncation or
// trailing bytes. journal_entry::cursor is not stored (the repository fills
// it when reading).
//
// KEYS. Built with key_builder (parts joined by 0x00); see store/repository.hpp
// for the layout of each family. Text parts must not contain 0x00
// (std::invalid_argument): callers check with has_nul() before a lookup.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/account.hpp"
#include "core/oidc.hpp"
#include "core/outbox.hpp"
#include "core/recovery_flow.hpp"
#include "store/database.hpp"

namespace sesame::store {

inline constexpr std::uint8_t record_format_version = 1;
// Layouts that grew: version 2 appends last_login_at to the account, and
// outcome, asked and user_agent to the flow. Version 1 records still decode.
inline constexpr std::uint8_t account_format_version = 2;
inline constexpr std::uint8_t flow_format_version = 2;

// Throws std::invalid_argument for a birth_date that is not a valid date.
std::string encode_account(const account& a);
account decode_account(std::string_view bytes);

std::string encode_session(const session_record& s);
session_record decode_session(std::string_view bytes);

std::string encode_journal_entry(const journal_entry& e);
journal_entry decode_journal_entry(std::string_view bytes);

std::string encode_outbox_message(const outbox_message& m);
outbox_message decode_outbox_message(std::string_view bytes);

std::string encode_audit_entry(const audit_entry& a);
audit_entry decode_audit_entry(std::string_view bytes);

// The value of a name-index key: what a search filters on without reading
// the account.
struct name_entry {
    profile prof = profile::eleve;
    std::string_view establishment;  // a view into the decoded bytes
};
std::string encode_name_entry(profile prof, std::string_view establishment);
// `bytes` must outlive the result (its establishment is a view into them).
name_entry decode_name_entry(std::string_view bytes);

std::string encode_flow(const recovery_flow& f);
recovery_flow decode_flow(std::string_view bytes);

// An index record an account owns: (family, key, value). The external id,
// phone and e-mail indexes, the staff list, and the name-search tokens.
struct index_record {
    family f;
    std::string key;
    std::string value;
};
std::vector<index_record> index_records(const account& a);
// OpenID Connect records, version byte first.
std::string encode_oidc_client(const oidc_client& c);
oidc_client decode_oidc_client(std::string_view bytes);
std::string encode_oidc_code(const oidc_code& c);
oidc_code decode_oidc_code(std::string_view bytes);
std::string encode_oidc_grant(const oidc_grant& g);
oidc_grant decode_oidc_grant(std::string_view bytes);
std::string encode_oidc_refresh(const oidc_refresh& r);
oidc_refresh decode_oidc_refresh(std::string_view bytes);
std::string encode_signing_key(const oidc_signing_key& k);
oidc_signing_key decode_signing_key(std::string_view bytes);

// True when `s` holds a 0x00 byte: it cannot be a text key part, so no
// record can be stored under it.
inline bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

namespace keys {

std::string account(std::string_view identifier);
std::string external_id(std::string_view establishment, std::string_view external_id);
std::string external_id_prefix(std::string_view establishment);
std::string phone(std::string_view e164, std::string_view identifier);
std::string phone_prefix(std::string_view e164);
std::string email(std::string_view email, std::string_view identifier);
std::string email_prefix(std::string_view email);
// The digest is raw bytes (it may hold 0x00): always the last part, appended
// as is after the separator.
std::string session(std::string_view digest);
std::string session_of(std::string_view identifier, std::string_view digest);
std::string sessions_of_prefix(std::string_view identifier);
std::string journal(std::string_view identifier, timestamp at, std::uint64_t sequence);
std::string journal_prefix(std::string_view identifier);
std::string outbox(std::string_view message_id);
// audit family: "a" 0 time(at) 0 u64 sequence -> entry (cursors as the
// journal's, with audit_part as the identifier).
inline constexpr std::string_view audit_part = "a";
std::string audit(timestamp at, std::uint64_t sequence);
std::string audit_prefix();
// names family: token 0 identifier -> name_entry.
std::string name(std::string_view token, std::string_view identifier);
// flows family: "f" 0 id -> flow; "r" 0 reference -> id; "a" 0 identifier 0 time 0 id -> "".
std::string flow(std::string_view id);
std::string flow_reference(std::string_view reference);
std::string flow_of(std::string_view identifier, timestamp created, std::string_view id);
std::string flows_of_prefix(std::string_view identifier);

// oidc family: "c" 0 digest -> code; "g" 0 grant id -> grant;
// "s" 0 hex(session digest) 0 grant id -> ""; "u" 0 identifier 0 grant id ->
// session digest; "r" 0 digest -> refresh token; "v" 0 identifier 0
// client_id -> last use (time). Digests are raw bytes: last part.
std::string oidc_code(std::string_view digest);
std::string oidc_grant(std::string_view id);
std::string oidc_grant_of_session(std::string_view session_digest, std::string_view grant_id);
std::string oidc_grants_of_session_prefix(std::string_view session_digest);
std::string oidc_grant_of_account(std::string_view identifier, std::string_view grant_id);
std::string oidc_grants_of_account_prefix(std::string_view identifier);
std::string oidc_refresh(std::string_view digest);
std::string oidc_service(std::string_view identifier, std::string_view client_id);
std::string oidc_services_prefix(std::string_view identifier);

// The last part of an index key (the identifier of phone/e-mail keys, the
// digest of session_of keys) after `prefix`.
std::string_view suffix_after(std::string_view key, std::string_view prefix);

// Journal paging cursor: 32 lowercase hex digits, the 16 bytes of the key
// after the identifier (8-byte time part, 8-byte sequence). URL-safe and
// opaque to clients.
std::string journal_cursor(std::string_view journal_key);
// The journal key a cursor designates for `identifier`, or nullopt when the
// cursor is malformed.
std::optional<std::string> journal_key_from_cursor(std::string_view identifier, std::string_view cursor);

}  // namespace keys

}  // namespace sesame::store
