#include "net/static_routes.hpp"

#include <cerrno>

#include <boost/asio/awaitable.hpp>

#include <sys/mman.h>
#include <unistd.h>

namespace sesame::net {

const std::string_view portal_csp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

// Calls f(item) for each comma-separated item, trimmed.
template <class F>
void for_each_item(std::string_view list, F f) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        f(trim(list.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
}

// Whether the parameters after a coding ("q=0.5") accept it: a q that
// reads as zero refuses it; no q accepts.
bool accepted(std::string_view params) {
    while (!params.empty()) {
        const auto semi = params.find(';');
        const std::string_view p = trim(params.substr(0, semi));
        if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            const std::string_view v = p.substr(2);
            return !(v.empty() || (v[0] == '0' && v.find_first_of("123456789") == std::string_view::npos));
        }
        if (semi == std::string_view::npos) break;
        params.remove_prefix(semi + 1);
    }
    return true;
}

constexpr std::string_view coding_suffix[3] = {"", "-gz", "-br"};
constexpr std::string_view coding_header[3] = {"", "Content-Encoding: gzip\r\n", "Content-Encoding: br\r\n"};

}  // namespace

content_coding choose_coding(std::string_view accept_encoding, bool has_gzip, bool has_brotli) {
    bool gzip = false, brotli = false, star = false, gzip_refused = false, brotli_refused = false;
    for_each_item(accept_encoding, [&](std::string_view item) {
        const auto semi = item.find(';');
        const std::string_view name = trim(item.substr(0, semi));
        const bool ok = semi == std::string_view::npos || accepted(item.substr(semi + 1));
        if (iequals(name, "gzip") || iequals(name, "x-gzip")) (ok ? gzip : gzip_refused) = true;
        else if (iequals(name, "br")) (ok ? brotli : brotli_refused) = true;
        else if (name == "*") star = ok;
    });
    if (has_brotli && (brotli || (star && !brotli_refused))) return content_coding::brotli;
    if (has_gzip && (gzip || (star && !gzip_refused))) return content_coding::gzip;
    return content_coding::identity;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
    bool match = false;
    for_each_item(if_none_match, [&](std::string_view tag) {
        if (tag == "*") match = true;
        if (tag.starts_with("W/")) tag.remove_prefix(2);
        if (tag.size() < 2 || tag.front() != '"' || tag.back() != '"') return;
        tag = tag.substr(1, tag.size() - 2);
        for (const auto suffix : coding_suffix)
            if (tag.size() == etag.size() + suffix.size() && tag.starts_with(etag) && tag.ends_with(suffix)) match = true;
    });
    return match;
}

static_site::static_site(std::span<const web::asset> assets) {
    entries_.reserve(assets.size());
    for (const auto& a : assets) {
        entry e;
        e.asset = &a;
        const bool compressed = !a.gzip.empty() || !a.brotli.empty();
        const std::string_view cache = a.kind == web::asset_kind::hashed ? "public, max-age=31536000, immutable"
                                                                        : "no-cache";
        // The lines every representation and its 304 share.
        std::string common;
        if (compressed) common += "Vary: Accept-Encoding\r\n";
        common += "Cache-Control: ";
        common += cache;
        common += "\r\nContent-Security-Policy: ";
        common += portal_csp;
        common += "\r\nX-Frame-Options: DENY\r\n";
        const std::string_view bodies[3] = {a.identity, a.gzip, a.brotli};
        for (int c = 0; c < 3; ++c) {
            auto& form = e.forms[c];
            form.body = bodies[c];
            if (form.body.empty()) continue;
            form.headers = "Content-Type: ";
            form.headers += a.content_type;
            form.headers += "\r\n";
            form.headers += coding_header[c];
            form.headers += "ETag: \"";
            form.headers += a.etag;
            form.headers += coding_suffix[c];
            form.headers += "\"\r\n";
            form.headers += common;
        }
        e.not_modified = "ETag: \"" + std::string(a.etag) + "\"\r\n" + common;
        entries_.push_back(std::move(e));
    }
    fill_memfd();
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        const auto* a = entries_[i].asset;
        if (a->kind == web::asset_kind::not_found) not_found_ = &entries_[i];
        else by_path_.emplace(a->path, i);
    }
}

static_site::~static_site() {
    if (fd_ >= 0) ::close(fd_);
}

// Every body, one after the other, in an anonymous in-memory file; any
// failure leaves fd_ at -1 (answers are then written from the table).
void static_site::fill_memfd() {
    const int fd = ::memfd_create("sesame-portal", MFD_CLOEXEC);
    if (fd < 0) return;
    std::uint64_t offset = 0;
    for (auto& e : entries_) {
        for (auto& form : e.forms) {
            form.offset = offset;
            for (std::size_t done = 0; done < form.body.size();) {
                const ssize_t n = ::write(fd, form.body.data() + done, form.body.size() - done);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) {
                    ::close(fd);
                    return;
                }
                done += static_cast<std::size_t>(n);
            }
            offset += form.body.size();
        }
    }
    fd_ = fd;
}

const web::asset* static_site::find(std::string_view path) const {
    const auto it = by_path_.find(path);
    return it == by_path_.end() ? nullptr : entries_[it->second].asset;
}

response static_site::answer(const request& req, const web::asset& a, unsigned status) const {
    // entries_ follows the table's order, so the asset's index is its entry's.
    const entry& e = entries_[static_cast<std::size_t>(&a - entries_.front().asset)];
    response r;
    r.content_type.clear();
    r.status = status;
    if (status == 200 && !req.if_none_match.empty() && etag_matches(req.if_none_match, a.etag)) {
        r.status = 304;
        r.static_headers = e.not_modified;
        return r;
    }
    const auto coding = choose_coding(req.accept_encoding, !e.forms[1].body.empty(), !e.forms[2].body.empty());
    const representation& form = e.forms[static_cast<int>(coding)];
    r.static_headers = form.headers;
    r.static_body = form.body;
    r.static_fd = fd_;
    r.static_offset = form.offset;
    return r;
}

response static_site::not_found(const request& req) const {
    if (!not_found_) {
        return response::text(404, "<!doctype html><html lang=\"fr\"><title>Page introuvable — Sésame</title><h1>Page introuvable</h1>",
                              "text/html; charset=utf-8");
    }
    return answer(req, *not_found_->asset, 404);
}

void static_site::add_routes(router& r) const {
    route_options from_memory;  // answered from the table: never waits
    from_memory.never_waits = true;
    for (const auto& e : entries_) {
        if (e.asset->kind != web::asset_kind::page) continue;
        const web::asset* a = e.asset;
        r.add(
            method::get, std::string(a->path),
            [this, a](request& req) -> boost::asio::awaitable<response> { co_return answer(req, *a); }, from_memory);
    }
    r.add(
        method::get, "/assets/{name}",
        [this](request& req) -> boost::asio::awaitable<response> {
            if (const auto* a = find(req.path)) co_return answer(req, *a);
            co_return not_found(req);
        },
        from_memory);
}

}  // namespace sesame::net
