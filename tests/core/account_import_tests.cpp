#include <boost/test/unit_test.hpp>

#include "core/account_import.hpp"
#include "core/activation_code.hpp"
#include "tests/fakes/fake_crypto.hpp"
#include "tests/fakes/memory_ports.hpp"

using namespace sesame;

namespace {

const timestamp t0 = from_millis(1'795'629'731'000);

const char* header = "profile;external_id;last_name;first_name;establishment;class;birth_date;phone;email;children\n";

std::string rows(int n, int start = 0) {
    std::string out = header;
    for (int i = start; i < start + n; ++i)
        out += "eleve;INE" + std::to_string(i) + ";Dupont;Marie;0751234A;5e A;2013-01-02;;;\n";
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(account_import)

BOOST_AUTO_TEST_CASE(identifiers_are_unique_across_batches_and_the_last_write_is_synced) {
    testing::memory_ports store;
    testing::fake_crypto crypto;
    import_options opts;
    opts.batch_rows = 4;
    std::vector<issued_credential> streamed;
    opts.on_credential = [&](const issued_credential& c) { streamed.push_back(c); };
    const auto report = import_csv(rows(10), store, store, crypto, t0, opts);
    BOOST_TEST(report.created == 10u);
    BOOST_TEST(report.errors.empty());
    BOOST_TEST(report.credentials.empty());  // streamed instead
    BOOST_REQUIRE(streamed.size() == 10u);
    BOOST_TEST(streamed[0].identifier == "m.dupont");
    BOOST_TEST(streamed[1].identifier == "m.dupont1");
    BOOST_TEST(streamed[9].identifier == "m.dupont9");
    // 3 batches (4, 4, 2): the first two buffered, the last synced.
    BOOST_TEST(store.buffered_applies() == 2u);
    BOOST_TEST(store.synced_applies() == 1u);
    // The code works as the stored digest.
    const auto acc = store.find_account("m.dupont3");
    BOOST_REQUIRE(acc.has_value());
    BOOST_TEST(acc->activation_digest == activation_digest(crypto, streamed[3].activation_code));
    BOOST_TEST((acc->status == account_status::pending));
}

BOOST_AUTO_TEST_CASE(a_full_last_batch_is_still_synced) {
    testing::memory_ports store;
    testing::fake_crypto crypto;
    import_options opts;
    opts.batch_rows = 5;
    const auto report = import_csv(rows(10), store, store, crypto, t0, opts);
    BOOST_TEST(report.created == 10u);
    BOOST_TEST(report.credentials.size() == 10u);
    BOOST_TEST(store.synced_applies() == 1u);
    BOOST_TEST(store.buffered_applies() == 1u);
}

BOOST_AUTO_TEST_CASE(reimport_updates_in_place_and_duplicates_are_reported) {
    testing::memory_ports store;
    testing::fake_crypto crypto;
    import_csv(rows(3), store, store, crypto, t0);
    std::string again = header;
    again += "eleve;INE1;Dupont;Marie;0751234A;4e B;2013-01-02;;;\n";
    again += "eleve;INE1;Dupont;Marie;0751234A;4e C;2013-01-02;;;\n";
    again += "parent;INE2;Dupont;Marie;0751234A;;;0612345678;;\n";
    const auto report = import_csv(again, store, store, crypto, t0 + std::chrono::hours(1));
    BOOST_TEST(report.created == 0u);
    BOOST_TEST(report.updated == 1u);
    BOOST_REQUIRE(report.errors.size() == 2u);
    BOOST_TEST(report.errors[0].line == 3u);
    BOOST_TEST(report.errors[0].error.find("figure déjà ligne 2") != std::string::npos);
    BOOST_TEST(report.errors[1].line == 4u);
    BOOST_TEST(report.errors[1].error.find("profil") != std::string::npos);
    BOOST_TEST(store.find_account("m.dupont1")->class_name == "4e B");
}

BOOST_AUTO_TEST_CASE(header_errors_stop_everything) {
    testing::memory_ports store;
    testing::fake_crypto crypto;
    const auto report = import_csv("profile;external_id\neleve;1\n", store, store, crypto, t0);
    BOOST_REQUIRE(report.errors.size() == 1u);
    BOOST_TEST(report.errors[0].line == 1u);
    BOOST_TEST(report.created == 0u);
    BOOST_TEST(store.synced_applies() + store.buffered_applies() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
