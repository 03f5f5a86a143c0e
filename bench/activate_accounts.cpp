// activate_accounts: a bench fixture. Marks every account of a store (no
// server running) as activated, with one shared password hash and its
// imported e-mail validated, so recovery benches exercise the real path
// (code, message, outbox) rather than decoys. Never for production data.
//
//   activate_accounts STORE_PATH [PASSWORD MEMORY_KIB ITERATIONS]
//
// Without PASSWORD the shared hash is a fixed cheap one (nobody logs in with
// it); with it, a real Argon2id hash of PASSWORD at that cost, so logins
// with it (or wrong ones) cost what the server's own hashes cost.
#include <cstdio>
#include <string>
#include <vector>

#include "core/ports.hpp"
#include "store/database.hpp"
#include "store/records.hpp"
#include "store/repository.hpp"
#include "workers/argon2_hasher.hpp"
#include "workers/crypto_openssl.hpp"

int main(int argc, char** argv) {
    using namespace sesame;
    if (argc != 2 && argc != 5) {
        std::fprintf(stderr, "usage: activate_accounts STORE_PATH [PASSWORD MEMORY_KIB ITERATIONS]\n");
        return 2;
    }
    store::open_options opts;
    opts.path = argv[1];
    opts.create_if_missing = false;
    auto db = store::database::open(opts);
    store::repository repo(*db);
    const timestamp now = std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
    // A fixed, valid-looking PHC string: the bench never logs in with it.
    std::string hash = "$argon2id$v=19$m=64,t=1,p=1$c2Vzc2FtZWJlbmNoc2FsdA$YmVuY2hiZW5jaGJlbmNoYmVuY2hiZW5jaGJlbmNo";
    if (argc == 5) {
        workers::crypto_openssl crypto;
        workers::argon2_hasher hasher(crypto, std::uint32_t(std::stoul(argv[3])), std::uint32_t(std::stoul(argv[4])));
        hash = hasher.hash(argv[2]);
    }
    changes batch;
    batch.synced = false;
    std::size_t done = 0;
    db->scan_prefix(store::family::accounts, "", now, [&](std::string_view, std::string_view value) {
        account before = store::decode_account(value);
        account after = before;
        after.status = account_status::active;
        after.must_change_password = false;
        after.activation_digest.clear();
        after.password_hash = hash;
        if (!after.email.empty()) after.email_validated = true;
        batch.accounts.push_back(std::move(after));
        if (batch.accounts.size() == 4096) {
            repo.apply(batch);
            done += batch.accounts.size();
            batch = changes{};
            batch.synced = false;
        }
        return true;
    });
    done += batch.accounts.size();
    batch.synced = true;
    repo.apply(batch);
    db->flush();
    std::printf("%zu accounts activated\n", done);
    return 0;
}
