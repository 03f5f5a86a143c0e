#include "store/integrity.hpp"

#include <map>
#include <set>
#include <utility>

#include "store/codec.hpp"
#include "store/records.hpp"

namespace sesame::store {

namespace {

constexpr timestamp no_expiry_check{};
constexpr family index_families[] = {family::external_ids, family::phones, family::emails, family::names,
                                     family::staff};

struct checker {
    database& db;
    timestamp now;
    integrity_report report;

    void problem(std::string text) {
        if (report.problems.size() < max_problems) report.problems.push_back(std::move(text));
        ++report.problem_count;
    }

    // Every account decodes; the index records they imply, by family and key.
    std::map<std::pair<family, std::string>, std::string> expected_indexes() {
        std::map<std::pair<family, std::string>, std::string> expected;
        db.scan_prefix(family::accounts, {}, no_expiry_check, [&](std::string_view key, std::string_view value) {
            ++report.accounts;
            try {
                const account a = decode_account(value);
                if (a.identifier != key_reader(key).text())
                    problem("compte « " + std::string(key) + " » : l'enregistrement porte un autre identifiant");
                for (auto& r : index_records(a)) expected.emplace(std::pair(r.f, std::move(r.key)), std::move(r.value));
            } catch (const std::exception& e) {
                problem("compte « " + std::string(key) + " » illisible : " + e.what());
            }
            return true;
        });
        return expected;
    }

    // Index records against the accounts: missing, wrong or stale ones.
    void indexes(bool repair) {
        auto expected = expected_indexes();
        write_batch fix;
        for (const family f : index_families) {
            db.scan_prefix(f, {}, no_expiry_check, [&](std::string_view key, std::string_view value) {
                ++report.index_records;
                auto it = expected.find(std::pair(f, std::string(key)));
                if (it == expected.end()) {
                    problem("index " + std::string(name(f)) + " : une entrée ne correspond à aucun compte");
                    if (repair) fix.del(f, key);
                } else {
                    if (it->second != value) {
                        problem("index " + std::string(name(f)) + " : une entrée a une valeur périmée");
                        if (repair) fix.put(f, key, it->second);
                    }
                    expected.erase(it);
                }
                return true;
            });
        }
        for (const auto& [k, value] : expected) {
            problem("index " + std::string(name(k.first)) + " : une entrée manque pour un compte");
            if (repair) fix.put(k.first, k.second, value);
        }
        if (repair && !fix.empty()) {
            report.repaired = fix.size();
            db.write(fix, durability::synced);
        }
    }

    // Flows: decode; their reference and per-account entries; their account; their messages.
    void flows() {
        std::set<std::string> flow_ids;
        std::vector<recovery_flow> all;
        db.scan_prefix(family::flows, keys::flow({}).substr(0, 2), now, [&](std::string_view key, std::string_view value) {
            ++report.flows;
            try {
                recovery_flow f = decode_flow(value);
                flow_ids.insert(f.id);
                all.push_back(std::move(f));
            } catch (const std::exception& e) {
                problem(std::string("flux illisible : ") + e.what());
            }
            return true;
        });
        for (const auto& f : all) {
            const auto ref = db.get(family::flows, keys::flow_reference(f.reference), now);
            if (!ref || *ref != f.id) problem("flux " + f.reference + " : sa référence ne mène pas à lui");
            if (!f.identifier.empty()) {
                if (!db.get(family::accounts, keys::account(f.identifier), no_expiry_check))
                    problem("flux " + f.reference + " : le compte « " + f.identifier + " » n'existe pas");
                if (!db.get(family::flows, keys::flow_of(f.identifier, f.created_at, f.id), now))
                    problem("flux " + f.reference + " : absent de la liste des flux de son compte");
            }
            for (const auto& id : f.message_ids)
                if (!db.get(family::outbox, keys::outbox(id), no_expiry_check))
                    problem("flux " + f.reference + " : le message " + id + " manque dans la file d'envoi");
        }
        // Per-account entries and references that lead nowhere.
        db.scan_prefix(family::flows, keys::flows_of_prefix({}).substr(0, 2), now, [&](std::string_view key, std::string_view) {
            key_reader r(key);
            r.text();
            r.text();
            r.time();
            if (!flow_ids.count(std::string(r.text()))) problem("flux : une entrée de compte mène à un flux absent");
            return true;
        });
    }

    void outbox() {
        db.scan_prefix(family::outbox, {}, no_expiry_check, [&](std::string_view, std::string_view value) {
            ++report.messages;
            try {
                const outbox_message m = decode_outbox_message(value);
                if (!m.identifier.empty() && !db.get(family::accounts, keys::account(m.identifier), no_expiry_check) &&
                    m.status == message_status::pending)
                    problem("message " + m.id + " en attente pour un compte absent « " + m.identifier + " »");
            } catch (const std::exception& e) {
                problem(std::string("message illisible : ") + e.what());
            }
            return true;
        });
    }
};

}  // namespace

integrity_report check_store(database& db, bool repair, timestamp now) {
    checker c{db, now, {}};
    c.indexes(repair);
    c.flows();
    c.outbox();
    return std::move(c.report);
}

}  // namespace sesame::store
