#include "core/account_import.hpp"

#include <unordered_map>
#include <unordered_set>

#include "core/activation_code.hpp"
#include "core/csv.hpp"
#include "core/establishment.hpp"
#include "core/identifier.hpp"
#include "core/journal_entry.hpp"

namespace sesame {

namespace {

std::string external_key(std::string_view establishment, std::string_view external_id) {
    std::string k(establishment);
    k.push_back('\0');
    k.append(external_id);
    return k;
}

}  // namespace

new_account make_account(const account_row& row, const std::function<bool(std::string_view)>& is_taken, crypto& c,
                          timestamp now) {
    new_account out;
    account& a = out.acc;
    a.identifier = next_free_identifier(base_identifier(row.first_name, row.last_name), is_taken);
    a.prof = row.prof;
    a.first_name = row.first_name;
    a.last_name = row.last_name;
    a.establishment = row.establishment;
    a.academie = std::string(academie_for_uai(row.establishment));
    a.class_name = row.class_name;
    a.external_id = row.external_id;
    a.birth_date = row.birth_date;
    a.children = row.children;
    a.phone = row.phone;
    a.email = row.email;
    a.email_validated = false;
    a.status = account_status::pending;
    a.must_change_password = true;
    a.created_at = now;
    a.updated_at = now;
    out.activation_code = generate_activation_code(c);
    a.activation_digest = activation_digest(c, out.activation_code);
    return out;
}

bool update_from_row(account& acc, const account_row& row, timestamp now) {
    const account before = acc;
    acc.first_name = row.first_name;
    acc.last_name = row.last_name;
    acc.class_name = row.class_name;
    if (row.birth_date) acc.birth_date = row.birth_date;
    acc.children = row.children;
    if (row.phone) acc.phone = row.phone;
    // A school record never overwrites an address the user validated.
    if (!row.email.empty() && row.email != acc.email && !acc.email_validated) acc.email = row.email;
    const bool changed = acc.first_name != before.first_name || acc.last_name != before.last_name ||
                         acc.class_name != before.class_name || acc.birth_date != before.birth_date ||
                         acc.children != before.children || acc.phone != before.phone || acc.email != before.email;
    if (changed) acc.updated_at = now;
    return changed;
}

import_report import_csv(std::string_view csv, account_repository& accounts, change_sink& sink, crypto& c,
                         timestamp now, const import_options& options) {
    import_report report;
    csv_reader reader(csv);
    csv_record record;
    if (!reader.next(record)) {
        report.errors.push_back({1, "fichier vide : la ligne d'en-tête est absente"});
        return report;
    }
    auto header = csv_header_map::from_header(record);
    if (!header) {
        report.errors.push_back({1, header.error().message});
        return report;
    }

    // Identifiers taken by rows of the open batch (earlier batches are in
    // the store already), and the line of every external id of the file by
    // a 64-bit hash (duplicates within the file; a collision, about 1 in
    // 10^7 for a million rows, would only report a false duplicate).
    std::unordered_set<std::string> new_identifiers;
    std::unordered_map<std::uint64_t, std::size_t> line_by_external;
    std::vector<issued_credential> batch_credentials;
    auto is_taken = [&](std::string_view id) {
        return new_identifiers.count(std::string(id)) > 0 || accounts.identifier_exists(id);
    };

    changes batch;
    batch.synced = false;
    auto flush = [&](bool last) {
        if (batch.empty()) return;
        batch.synced = last;
        sink.apply(batch);
        batch = changes{};
        batch.synced = false;
        new_identifiers.clear();
        if (options.on_credential) {
            for (const auto& c : batch_credentials) options.on_credential(c);
        } else {
            report.credentials.insert(report.credentials.end(), std::make_move_iterator(batch_credentials.begin()),
                                      std::make_move_iterator(batch_credentials.end()));
        }
        batch_credentials.clear();
        if (options.progress) options.progress(reader.position(), reader.size(), report.rows);
    };

    // A full batch is written just before the next account joins it, so the
    // last batch is never empty once anything was written: its synced write
    // then makes every earlier buffered batch durable too.
    auto make_room = [&] {
        if (batch.accounts.size() >= options.batch_rows) flush(false);
    };

    while (reader.next(record)) {
        ++report.rows;
        if (record.error != csv_error::none) {
            report.errors.push_back({record.line, describe(record.error)});
            break;  // the reader stops after an unterminated quote
        }
        auto row = parse_row(*header, record);
        if (!row) {
            const auto& e = row.error();
            report.errors.push_back({record.line, e.field.empty() ? e.message : e.field + " : " + e.message});
            continue;
        }
        if (options.refuse) {
            if (std::string why = options.refuse(*row); !why.empty()) {
                report.errors.push_back({record.line, std::move(why)});
                continue;
            }
        }
        const std::string ext_key = external_key(row->establishment, row->external_id);
        const std::uint64_t ext_hash = std::hash<std::string>{}(ext_key);
        if (auto seen = line_by_external.find(ext_hash); seen != line_by_external.end()) {
            report.errors.push_back({record.line, "external_id : « " + row->external_id.substr(0, 40) +
                                                       " » figure déjà ligne " + std::to_string(seen->second) +
                                                       " pour cet établissement"});
            continue;
        }
        line_by_external.emplace(ext_hash, record.line);

        if (auto existing = accounts.identifier_by_external_id(row->establishment, row->external_id)) {
            auto acc = accounts.find_account(*existing);
            if (!acc) {
                report.errors.push_back({record.line, "compte introuvable pour cet external_id (index incohérent)"});
                continue;
            }
            if (acc->prof != row->prof) {
                report.errors.push_back({record.line, "profile : ce compte existe déjà avec le profil " +
                                                          std::string(to_string(acc->prof))});
                continue;
            }
            if (update_from_row(*acc, *row, now)) {
                make_room();
                batch.add_journal(acc->identifier, make_journal_entry(now, journal_type::account_updated, {}, options.actor,
                                                                "Fiche mise à jour par l'établissement."));
                batch.accounts.push_back(std::move(*acc));
            }
            ++report.updated;
        } else {
            make_room();
            new_account fresh = make_account(*row, is_taken, c, now);
            new_identifiers.insert(fresh.acc.identifier);
            batch_credentials.push_back({row->external_id, fresh.acc.identifier, fresh.activation_code});
            batch.add_journal(fresh.acc.identifier, make_journal_entry(now, journal_type::account_created, {}, options.actor,
                                                                 "Compte créé à partir des données de l'établissement."));
            batch.accounts.push_back(std::move(fresh.acc));
            ++report.created;
        }
    }
    flush(true);
    if (options.progress) options.progress(reader.size(), reader.size(), report.rows);
    return report;
}

}  // namespace sesame
