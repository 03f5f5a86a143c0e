// RocksDB behind store::database (contract in store/database.hpp). The only
// file of the store that includes RocksDB headers.
#include "store/database.hpp"

#include <sys/random.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <system_error>

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>

#include <condition_variable>
#include <thread>
#include <rocksdb/snapshot.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include "core/log.hpp"
#include "store/codec.hpp"
#include "store/wal_syncer.hpp"

namespace sesame::store {

namespace {

constexpr std::size_t lock_stripes = 1024;
constexpr std::size_t expiry_header_bytes = 8;
constexpr std::size_t server_secret_bytes = 32;

static_assert([] {
    for (std::size_t i = 0; i < family_count; ++i)
        if (static_cast<std::size_t>(all_families[i]) != i) return false;
    return true;
}(), "all_families lists every family in enum order");

// Families read mostly by exact key get a bloom filter; the scanned logs do not.
bool point_lookups(family f) { return f != family::journal && f != family::audit && f != family::names; }

void check(const rocksdb::Status& s, std::string_view what) {
    if (!s.ok()) throw store_error("store: " + std::string(what) + " : " + s.ToString());
}

// 0 = never. Expiries at or before the epoch become 1, so they stay expired.
std::uint64_t encode_expiry(std::optional<timestamp> t) {
    if (!t) return 0;
    auto ms = to_millis(*t);
    return ms <= 0 ? 1 : static_cast<std::uint64_t>(ms);
}

bool is_expired(std::uint64_t expiry, std::int64_t now_ms) {
    return expiry != 0 && now_ms >= 0 && expiry <= static_cast<std::uint64_t>(now_ms);
}

std::uint64_t read_expiry(std::string_view stored) {
    if (stored.size() < expiry_header_bytes)
        throw store_error("store: enregistrement expirant sans en-tête d'expiration");
    return read_big_endian_u64(stored.substr(0, expiry_header_bytes));
}

// Smallest string greater than every string starting with `prefix`;
// empty when there is none (all bytes 0xff).
std::string prefix_successor(std::string_view prefix) {
    std::string s(prefix);
    while (!s.empty() && static_cast<unsigned char>(s.back()) == 0xff) s.pop_back();
    if (!s.empty()) s.back() = static_cast<char>(static_cast<unsigned char>(s.back()) + 1);
    return s;
}

std::string_view view(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// An iterator over the keys that start with `prefix` (RocksDB's bounds
// hold views of the strings kept here, so they live as long as it).
struct prefix_iterator {
    std::string lower, upper;
    rocksdb::Slice lower_slice, upper_slice;
    std::unique_ptr<rocksdb::Iterator> it;

    prefix_iterator(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* f, std::string_view prefix)
        : lower(prefix), upper(prefix_successor(prefix)), lower_slice(lower), upper_slice(upper) {
        rocksdb::ReadOptions ro;
        if (!lower.empty()) ro.iterate_lower_bound = &lower_slice;
        if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
        it.reset(db->NewIterator(ro, f));
    }
};

// Drops records whose expiry header is at or before the time the compaction
// started. Malformed records are kept: losing data silently is worse.
class expiry_filter final : public rocksdb::CompactionFilter {
public:
    explicit expiry_filter(std::int64_t now_ms) : now_ms_(now_ms) {}
    bool Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value, std::string*,
                bool*) const override {
        if (value.size() < expiry_header_bytes) return false;
        return is_expired(read_big_endian_u64(view(value).substr(0, expiry_header_bytes)), now_ms_);
    }
    const char* Name() const override { return "sesame.expiry_filter"; }

private:
    std::int64_t now_ms_;
};

class expiry_filter_factory final : public rocksdb::CompactionFilterFactory {
public:
    explicit expiry_filter_factory(const sesame::clock& c) : clock_(c) {}
    std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
        const rocksdb::CompactionFilter::Context&) override {
        return std::make_unique<expiry_filter>(to_millis(clock_.now()));
    }
    const char* Name() const override { return "sesame.expiry_filter_factory"; }

private:
    const sesame::clock& clock_;
};

rocksdb::CompressionType best_compression() {
    const auto supported = rocksdb::GetSupportedCompressions();
    for (auto c : {rocksdb::kLZ4Compression, rocksdb::kSnappyCompression})
        if (std::find(supported.begin(), supported.end(), c) != supported.end()) return c;
    return rocksdb::kNoCompression;
}

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    std::size_t got = 0;
    while (got < n) {
        ssize_t r = ::getrandom(out.data() + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            throw store_error(std::string("store: getrandom a échoué : ") + std::strerror(errno));
        }
        got += static_cast<std::size_t>(r);
    }
    return out;
}

bool is_lock_held(const rocksdb::Status& s) {
    if (!s.IsIOError()) return false;
    const std::string m = s.ToString();
    return m.find("While lock file") != std::string::npos ||
           m.find("lock hold by current process") != std::string::npos;
}

}  // namespace

std::string_view name(family f) {
    switch (f) {
        case family::meta: return rocksdb::kDefaultColumnFamilyName;
        case family::accounts: return "accounts";
        case family::identifiers: return "identifiers";
        case family::phones: return "phones";
        case family::emails: return "emails";
        case family::external_ids: return "external_ids";
        case family::staff: return "staff";
        case family::flows: return "flows";
        case family::codes: return "codes";
        case family::sessions: return "sessions";
        case family::windows: return "windows";
        case family::outbox: return "outbox";
        case family::journal: return "journal";
        case family::audit: return "audit";
        case family::names: return "names";
        case family::oidc_clients: return "oidc_clients";
        case family::oidc: return "oidc";
        case family::oidc_keys: return "oidc_keys";
    }
    throw std::invalid_argument("store: unknown family");
}

// ---- write_batch ----

void write_batch::put(family f, std::string_view key, std::string_view value) {
    put(f, key, value, std::nullopt);
}

void write_batch::put(family f, std::string_view key, std::string_view value,
                      std::optional<timestamp> expires_at) {
    if (expires_at && !expires(f))
        throw std::invalid_argument("store: expiry on family " + std::string(name(f)) +
                                    ", which does not expire");
    op o{true, f, std::string(key), {}};
    if (expires(f)) {
        o.value.reserve(expiry_header_bytes + value.size());
        append_big_endian_u64(o.value, encode_expiry(expires_at));
    }
    o.value.append(value.data(), value.size());
    bytes_ += o.key.size() + o.value.size();
    ops_.push_back(std::move(o));
}

void write_batch::del(family f, std::string_view key) {
    bytes_ += key.size();
    ops_.push_back(op{false, f, std::string(key), {}});
}

void write_batch::clear() {
    ops_.clear();
    bytes_ = 0;
}

// ---- database ----

// RocksDB's info log, forwarded to our JSON log (warnings and above); it
// writes no file.
class forwarding_logger final : public rocksdb::Logger {
public:
    explicit forwarding_logger(std::string path)
        : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), path_(std::move(path)) {}
    using rocksdb::Logger::Logv;
    void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }
    void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
        if (level < GetInfoLogLevel()) return;
        char text[1024];
        std::vsnprintf(text, sizeof text, format, ap);
        // RocksDB says ERROR for things it handles itself (a directory it is
        // about to create): our error level is kept for what it cannot.
        log::write(level >= rocksdb::InfoLogLevel::FATAL_LEVEL ? log::level::error : log::level::warn, "rocksdb",
                   {{"path", path_}, {"message", std::string_view(text)}});
    }

private:
    std::string path_;
};

// The database whose synced writes the current thread does not wait for
// (inside run_deferred), or nullptr.
static thread_local const void* deferring = nullptr;

struct database::impl {
    std::string path;
    std::atomic<std::uint64_t> written_batches{0}, written_keys{0}, written_bytes{0};
    // False after a write failed for lack of space or an I/O error, until
    // DB::Resume() succeeds (try_resume).
    std::atomic<bool> writable{true};
    std::mutex resume_mu;
    std::chrono::steady_clock::time_point last_resume{};
    bool try_resume();
    bool sync_writes = true;
    sesame::system_clock own_clock;
    const sesame::clock* clock = &own_clock;
    std::shared_ptr<rocksdb::Cache> cache;
    rocksdb::DB* db = nullptr;
    std::array<rocksdb::ColumnFamilyHandle*, family_count> handles{};
    std::vector<rocksdb::ColumnFamilyHandle*> foreign;  // families we do not know
    std::string server_secret;
    std::uint64_t schema_version = 0;
    // Each family has its own stripes, so holding a lock of one family while
    // taking one of another (a flow, then its account) can never meet the
    // same mutex twice.
    std::array<std::array<std::mutex, lock_stripes>, family_count> stripes;

    rocksdb::ColumnFamilyHandle* handle(family f) const {
        auto i = static_cast<std::size_t>(f);
        if (i >= family_count) throw std::invalid_argument("store: unknown family");
        return handles[i];
    }

    std::size_t stripe(family f, std::string_view key) const {
        std::uint64_t h = std::hash<std::string_view>{}(key);
        h ^= h >> 31;
        h *= 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 29;
        return static_cast<std::size_t>(h % lock_stripes);
    }

    // Group commit (store/wal_syncer.hpp), started once the database is open.
    std::unique_ptr<wal_syncer> syncer;

    void close() noexcept {
        syncer.reset();  // answers the waiters left, after a last fsync
        if (!db) return;
        auto release = [&](rocksdb::ColumnFamilyHandle*& h) {
            if (!h) return;
            auto s = db->DestroyColumnFamilyHandle(h);
            if (!s.ok()) log::error("store_close_failed", {{"path", path}, {"status", s.ToString()}});
            h = nullptr;
        };
        for (auto& h : handles) release(h);
        for (auto& h : foreign) release(h);
        auto s = db->Close();
        if (!s.ok()) log::error("store_close_failed", {{"path", path}, {"status", s.ToString()}});
        delete db;
        db = nullptr;
    }

    void load_meta();

    ~impl() { close(); }
};

database::database(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

database::~database() = default;

namespace {

rocksdb::DBOptions db_options(const open_options& o) {
    rocksdb::DBOptions dbo;
    dbo.create_if_missing = o.create_if_missing;
    dbo.create_missing_column_families = true;
    dbo.max_background_jobs = 2;
    // RocksDB's own diagnostics go to our JSON log, not to a LOG file in the
    // data directory: on a full disk that file's failed writes would abort
    // the process (Debian's RocksDB keeps its assertions).
    dbo.info_log = std::make_shared<forwarding_logger>(o.path);
    dbo.db_write_buffer_size = o.total_write_buffer_bytes;
    // Rarely written families must not pin old WAL files forever.
    dbo.max_total_wal_size = 256 << 20;
    dbo.bytes_per_sync = 1 << 20;
    // Writers waiting for their group's fsync sleep instead of spinning: on
    // a machine with few cores, spinning steals the CPU the requests need.
    dbo.enable_write_thread_adaptive_yield = false;
    // The WAL write of one group overlaps the memtable insert of the
    // previous one: more groups per second under synced writes.
    dbo.enable_pipelined_write = true;
    return dbo;
}

// Every family this binary knows, with its options, then the families on
// disk that it does not know (they must be opened too).
std::vector<rocksdb::ColumnFamilyDescriptor> family_descriptors(const open_options& o, const rocksdb::DBOptions& dbo,
                                                                const std::shared_ptr<rocksdb::Cache>& cache,
                                                                const sesame::clock& clk) {
    auto filter_factory = std::make_shared<expiry_filter_factory>(clk);
    const auto compression = best_compression();
    auto family_options = [&](family f) {
        rocksdb::ColumnFamilyOptions c;
        c.write_buffer_size = o.write_buffer_bytes;
        c.max_write_buffer_number = 3;
        c.compression = compression;
        c.level_compaction_dynamic_level_bytes = true;
        rocksdb::BlockBasedTableOptions t;
        t.block_cache = cache;
        t.cache_index_and_filter_blocks = true;
        t.pin_l0_filter_and_index_blocks_in_cache = true;
        if (point_lookups(f)) t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
        c.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
        if (expires(f)) {
            c.compaction_filter_factory = filter_factory;
            c.periodic_compaction_seconds = 24 * 3600;  // expired records leave within a day
        }
        return c;
    };
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (auto f : all_families) descriptors.emplace_back(std::string(name(f)), family_options(f));
    std::vector<std::string> on_disk;
    if (rocksdb::DB::ListColumnFamilies(dbo, o.path, &on_disk).ok()) {
        for (auto& n : on_disk) {
            bool known = std::any_of(all_families.begin(), all_families.end(),
                                     [&](family f) { return name(f) == n; });
            if (!known) descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions{});
        }
    }  // else the database does not exist yet: Open creates it or says why not
    return descriptors;
}

}  // namespace

// Reads the schema version and the server secret from meta, creating both
// on first open (one synced batch).
void database::impl::load_meta() {
    rocksdb::WriteBatch first;
    rocksdb::PinnableSlice v;
    auto meta = handle(family::meta);
    auto s = db->Get(rocksdb::ReadOptions{}, meta, std::string(schema_version_key), &v);
    if (s.IsNotFound()) {
        schema_version = current_schema_version;
        encoder e;
        e.put_varint(current_schema_version);
        check(first.Put(meta, std::string(schema_version_key), e.bytes()), "écriture de la version");
    } else {
        check(s, "lecture de la version du schéma");
        decoder dec(view(v));
        schema_version = dec.get_varint();
        dec.expect_end();
        if (schema_version > current_schema_version)
            throw store_error("la base « " + path + " » a le schéma " + std::to_string(schema_version) +
                              ", plus récent que celui de ce sesame (" + std::to_string(current_schema_version) +
                              ")");
    }
    v.Reset();
    s = db->Get(rocksdb::ReadOptions{}, meta, std::string(server_secret_key), &v);
    if (s.IsNotFound()) {
        server_secret = random_bytes(server_secret_bytes);
        check(first.Put(meta, std::string(server_secret_key), server_secret), "écriture du secret");
    } else {
        check(s, "lecture du secret du serveur");
        if (v.size() != server_secret_bytes)
            throw store_error("store: secret du serveur de taille " + std::to_string(v.size()));
        server_secret.assign(v.data(), v.size());
    }
    if (first.Count() > 0) {
        rocksdb::WriteOptions wo;
        wo.sync = true;
        check(db->Write(wo, &first), "initialisation de la base");
    }
}

std::unique_ptr<database> database::open(const open_options& o) {
    if (o.path.empty()) throw store_error("store: chemin de la base vide (store.path)");
    auto p = std::make_unique<impl>();
    p->path = o.path;
    p->sync_writes = o.sync_writes;
    if (o.clock) p->clock = o.clock;
    p->cache = rocksdb::NewLRUCache(o.block_cache_bytes);

    const auto dbo = db_options(o);
    const auto descriptors = family_descriptors(o, dbo, p->cache, *p->clock);
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    auto s = rocksdb::DB::Open(dbo, o.path, descriptors, &handles, &p->db);
    if (!s.ok()) {
        if (is_lock_held(s))
            throw store_locked_error("la base « " + o.path +
                                     " » est déjà utilisée par un autre processus sesame "
                                     "(verrou " + o.path + "/LOCK)");
        throw store_error("impossible d'ouvrir la base « " + o.path + " » : " + s.ToString());
    }
    for (std::size_t i = 0; i < handles.size(); ++i) {
        if (i < family_count) p->handles[i] = handles[i];
        else p->foreign.push_back(handles[i]);
    }

    std::unique_ptr<database> d(new database(std::move(p)));  // closes on throw below
    auto& m = *d->impl_;
    m.syncer = std::make_unique<wal_syncer>([&m] { return m.db->GetLatestSequenceNumber(); },
                                            [&m]() -> std::optional<std::string> {
                                                const auto s = m.db->SyncWAL();
                                                if (s.ok()) return std::nullopt;
                                                log::error("store_wal_sync_failed",
                                                           {{"path", m.path}, {"status", s.ToString()}});
                                                return s.ToString();
                                            });
    m.load_meta();
    return d;
}

namespace {

std::optional<record> read_record(rocksdb::DB& db, const rocksdb::ReadOptions& ro,
                                  rocksdb::ColumnFamilyHandle* h, family f, std::string_view key,
                                  timestamp now) {
    rocksdb::PinnableSlice v;
    auto s = db.Get(ro, h, rocksdb::Slice(key.data(), key.size()), &v);
    if (s.IsNotFound()) return std::nullopt;
    check(s, "lecture");
    if (!expires(f)) return record{std::string(v.data(), v.size()), std::nullopt};
    const auto stored = view(v);
    const auto expiry = read_expiry(stored);
    if (is_expired(expiry, to_millis(now))) return std::nullopt;
    record r{std::string(stored.substr(expiry_header_bytes)), std::nullopt};
    if (expiry != 0) r.expires_at = from_millis(static_cast<std::int64_t>(expiry));
    return r;
}

}  // namespace

std::optional<record> database::get_record(family f, std::string_view key, timestamp now) const {
    return read_record(*impl_->db, rocksdb::ReadOptions{}, impl_->handle(f), f, key, now);
}

std::vector<std::optional<std::string>> database::multi_get(
    const std::vector<std::pair<family, std::string_view>>& keys, timestamp now) const {
    rocksdb::ManagedSnapshot snap(impl_->db);
    rocksdb::ReadOptions ro;
    ro.snapshot = snap.snapshot();
    std::vector<std::optional<std::string>> out;
    out.reserve(keys.size());
    for (const auto& [f, k] : keys) {
        auto r = read_record(*impl_->db, ro, impl_->handle(f), f, k, now);
        out.push_back(r ? std::optional<std::string>(std::move(r->value)) : std::nullopt);
    }
    return out;
}

std::optional<std::string> database::get(family f, std::string_view key, timestamp now) const {
    auto r = get_record(f, key, now);
    if (!r) return std::nullopt;
    return std::move(r->value);
}

bool database::impl::try_resume() {
    if (writable.load()) return true;
    std::lock_guard lk(resume_mu);
    if (writable.load()) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_resume < std::chrono::milliseconds(500)) return false;  // bounded retries
    last_resume = now;
    const auto s = db->Resume();
    if (!s.ok()) return false;
    writable.store(true);
    log::warn("store_writable_again", {{"path", path}});
    return true;
}

bool database::writable() { return impl_->try_resume(); }

void database::write(const write_batch& batch, durability d) {
    if (batch.empty()) return;
    // A full disk or a failed write puts RocksDB in a read-only error state:
    // refuse at once (nothing of the batch is applied), and try to leave
    // that state, at most twice a second, as writes keep coming.
    if (!impl_->try_resume())
        throw unavailable_error("store: écriture impossible (disque plein ou erreur d'entrée-sortie) : " + impl_->path);
    rocksdb::WriteBatch wb(batch.byte_size() + 24 * batch.size() + 12);
    for (const auto& o : batch.ops_) {
        auto h = impl_->handle(o.f);
        if (o.is_put) check(wb.Put(h, o.key, o.value), "préparation du lot");
        else check(wb.Delete(h, o.key), "préparation du lot");
    }
    rocksdb::WriteOptions wo;  // never sync here: the syncer thread groups the fsyncs
    if (const auto s = impl_->db->Write(wo, &wb); !s.ok()) {
        if (s.IsNoSpace() || s.IsIOError()) {
            if (impl_->writable.exchange(false))
                log::error("store_not_writable", {{"path", impl_->path}, {"status", s.ToString()}});
            throw unavailable_error("store: écriture impossible : " + s.ToString());
        }
        check(s, "écriture");
    }
    impl_->written_batches.fetch_add(1, std::memory_order_relaxed);
    impl_->written_keys.fetch_add(batch.size(), std::memory_order_relaxed);
    impl_->written_bytes.fetch_add(batch.byte_size(), std::memory_order_relaxed);
    if (d == durability::synced && impl_->sync_writes && deferring != impl_.get())
        impl_->syncer->wait(impl_->db->GetLatestSequenceNumber());
}

write_totals database::written() const {
    return {impl_->written_batches.load(std::memory_order_relaxed), impl_->written_keys.load(std::memory_order_relaxed),
            impl_->written_bytes.load(std::memory_order_relaxed)};
}

std::uint64_t database::run_deferred(const std::function<void()>& work) {
    struct scope {
        const void* saved;
        explicit scope(const void* self) : saved(std::exchange(deferring, self)) {}
        ~scope() { deferring = saved; }
    } deferred(impl_.get());
    work();
    // Everything this thread wrote, and everything it could have read, sits
    // at or below the newest sequence number.
    return impl_->sync_writes ? impl_->db->GetLatestSequenceNumber() : 0;
}

void database::when_durable(std::uint64_t position, std::function<void(bool)> done) {
    impl_->syncer->when_durable(position, std::move(done));
}

void database::scan_prefix(family f, std::string_view prefix, timestamp now, const visitor& visit,
                           scan_order order, std::string_view after) const {
    if (!after.empty() && !starts_with(after, prefix))
        throw std::invalid_argument("store: scan cursor outside its prefix");
    prefix_iterator scan(impl_->db, impl_->handle(f), prefix);
    auto& it = scan.it;
    const rocksdb::Slice after_slice(after.data(), after.size());
    const bool ascending = order == scan_order::ascending;
    if (ascending) {
        if (after.empty()) it->SeekToFirst();
        else {
            it->Seek(after_slice);
            if (it->Valid() && it->key() == after_slice) it->Next();
        }
    } else {
        if (after.empty()) it->SeekToLast();
        else {
            it->SeekForPrev(after_slice);
            if (it->Valid() && it->key() == after_slice) it->Prev();
        }
    }
    const auto now_ms = to_millis(now);
    const bool expiring = expires(f);
    for (; it->Valid(); ascending ? it->Next() : it->Prev()) {
        const auto key = view(it->key());
        if (!starts_with(key, prefix)) break;  // bounds make this a safeguard only
        auto value = view(it->value());
        if (expiring) {
            if (is_expired(read_expiry(value), now_ms)) continue;
            value.remove_prefix(expiry_header_bytes);
        }
        if (!visit(key, value)) break;
    }
    check(it->status(), "parcours");
}

void database::scan_prefix_seeking(family f, std::string_view prefix, timestamp now,
                                   const seeking_visitor& visit) const {
    prefix_iterator scan(impl_->db, impl_->handle(f), prefix);
    auto& it = scan.it;
    const auto now_ms = to_millis(now);
    const bool expiring = expires(f);
    std::string seek_to;
    for (it->SeekToFirst(); it->Valid();) {
        const auto key = view(it->key());
        if (!starts_with(key, prefix)) break;
        auto value = view(it->value());
        if (expiring) {
            if (is_expired(read_expiry(value), now_ms)) {
                it->Next();
                continue;
            }
            value.remove_prefix(expiry_header_bytes);
        }
        if (!visit(key, value, seek_to)) break;
        if (seek_to.empty()) {
            it->Next();
        } else {
            if (std::string_view(seek_to) <= key) throw std::invalid_argument("store: a scan may only seek forward");
            it->Seek(seek_to);
            seek_to.clear();
        }
    }
    check(it->status(), "parcours");
}

std::unique_lock<std::mutex> database::lock_key(family f, std::string_view key) {
    return std::unique_lock<std::mutex>(impl_->stripes[static_cast<std::size_t>(f)][impl_->stripe(f, key)]);
}

std::vector<std::unique_lock<std::mutex>> database::lock_keys(
    std::initializer_list<std::pair<family, std::string_view>> keys) {
    std::vector<std::pair<std::size_t, std::size_t>> idx;  // (family, stripe): one global order
    idx.reserve(keys.size());
    for (const auto& [f, k] : keys) idx.emplace_back(static_cast<std::size_t>(f), impl_->stripe(f, k));
    std::sort(idx.begin(), idx.end());
    idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
    std::vector<std::unique_lock<std::mutex>> locks;
    locks.reserve(idx.size());
    for (auto [f, i] : idx) locks.emplace_back(impl_->stripes[f][i]);
    return locks;
}

void database::checkpoint(const std::string& dir) {
    std::error_code ec;
    if (std::filesystem::exists(dir, ec) || ec)
        throw store_error("store: la sauvegarde « " + dir + " » existe déjà");
    rocksdb::Checkpoint* raw = nullptr;
    check(rocksdb::Checkpoint::Create(impl_->db, &raw), "création de la sauvegarde");
    std::unique_ptr<rocksdb::Checkpoint> cp(raw);
    check(cp->CreateCheckpoint(dir), "sauvegarde vers « " + dir + " »");
}

void database::checkpoint_read_only(const std::string& path, const std::string& dir) {
    std::error_code ec;
    if (std::filesystem::exists(dir, ec) || ec)
        throw store_error("store: la sauvegarde « " + dir + " » existe déjà");
    rocksdb::DBOptions dbo;
    dbo.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
    std::vector<std::string> names;
    check(rocksdb::DB::ListColumnFamilies(dbo, path, &names), "lecture des familles de « " + path + " »");
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (auto& n : names) descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions{});
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw_db = nullptr;
    check(rocksdb::DB::OpenForReadOnly(dbo, path, descriptors, &handles, &raw_db),
          "ouverture en lecture seule de « " + path + " »");
    std::unique_ptr<rocksdb::DB> db(raw_db);
    auto release = [&] {
        for (auto h : handles) {
            auto s = db->DestroyColumnFamilyHandle(h);
            if (!s.ok()) log::warn("store_close_failed", {{"path", path}, {"status", s.ToString()}});
        }
        handles.clear();
    };
    try {
        rocksdb::Checkpoint* raw = nullptr;
        check(rocksdb::Checkpoint::Create(db.get(), &raw), "création de la sauvegarde");
        std::unique_ptr<rocksdb::Checkpoint> cp(raw);
        // A read-only instance cannot flush: copy the WAL instead.
        check(cp->CreateCheckpoint(dir, std::numeric_limits<std::uint64_t>::max()),
              "sauvegarde vers « " + dir + " »");
    } catch (...) {
        release();
        throw;
    }
    release();
    db.reset();
    open_options o;
    o.path = dir;
    o.create_if_missing = false;
    o.block_cache_bytes = 8 << 20;
    open(o);  // replays the copied WAL; throws if the copy does not open
}

void database::compact(family f) {
    rocksdb::CompactRangeOptions cro;
    cro.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    check(impl_->db->CompactRange(cro, impl_->handle(f), nullptr, nullptr), "compaction");
}

void database::flush() {
    check(impl_->db->FlushWAL(true), "synchronisation du journal");
    rocksdb::FlushOptions fo;
    fo.wait = true;
    std::vector<rocksdb::ColumnFamilyHandle*> all(impl_->handles.begin(), impl_->handles.end());
    check(impl_->db->Flush(fo, all), "vidage des memtables");
}

std::size_t database::raw_count(family f) const {
    std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions{}, impl_->handle(f)));
    std::size_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    check(it->status(), "comptage");
    return n;
}

family_stats database::stats(family f) const {
    family_stats st;
    auto h = impl_->handle(f);
    auto prop = [&](const std::string& p) {
        std::uint64_t v = 0;
        return impl_->db->GetIntProperty(h, p, &v) ? v : 0;
    };
    st.estimated_keys = prop(rocksdb::DB::Properties::kEstimateNumKeys);
    st.sst_bytes = prop(rocksdb::DB::Properties::kTotalSstFilesSize);
    st.memtable_bytes = prop(rocksdb::DB::Properties::kCurSizeAllMemTables);
    return st;
}

std::uint64_t database::block_cache_usage() const { return impl_->cache->GetUsage(); }

const std::string& database::server_secret() const { return impl_->server_secret; }
std::uint64_t database::schema_version() const { return impl_->schema_version; }
const std::string& database::path() const { return impl_->path; }

const sesame::clock& database::clock() const { return *impl_->clock; }

}  // namespace sesame::store
