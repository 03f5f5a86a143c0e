// The portal's pages and assets, served from memory (the table that
// web/build_assets.mjs embeds): the gzip or brotli form when the client
// accepts it, ETag and If-None-Match (304), long caching for hashed
// assets and revalidation for pages, and the security headers (CSP without
// inline script, nosniff, no referrer, no framing) on every one. Each
// representation's header lines are formatted once, at start-up.
// Depends on net/router.hpp and web/portal_assets.hpp (plain data).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/router.hpp"
#include "web/portal_assets.hpp"

namespace sesame::net {

// The Content-Security-Policy of every page and asset.
extern const std::string_view portal_csp;

enum class content_coding { identity, gzip, brotli };

// The best coding an Accept-Encoding header allows among those available
// (brotli, then gzip; q=0 refuses one).
content_coding choose_coding(std::string_view accept_encoding, bool has_gzip, bool has_brotli);

// Whether an If-None-Match header matches the entity tag `etag` (unquoted,
// compared weakly, whatever the coding suffix): RFC 9110 §13.1.2.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

class static_site {
public:
    // Also copies every body into a memfd once, so plain TCP answers can use
    // sendfile(2); without memfd_create they are written from the table.
    explicit static_site(std::span<const web::asset> assets);
    ~static_site();
    static_site(const static_site&) = delete;
    static_site& operator=(const static_site&) = delete;

    // The answer for a GET or HEAD of a known page or asset path; nullptr
    // when `path` is not one.
    const web::asset* find(std::string_view path) const;
    response answer(const request& req, const web::asset& a, unsigned status = 200) const;
    // The HTML 404 page (a plain one if the table has none).
    response not_found(const request& req) const;

    // GET (and HEAD) routes for every page and for /assets/{name}; the site
    // must outlive the router.
    void add_routes(router& r) const;

private:
    struct representation {
        std::string_view body;
        std::string headers;      // every header line but Content-Length and Connection
        std::uint64_t offset = 0;  // of the body in the memfd
    };
    struct entry {
        const web::asset* asset = nullptr;
        representation forms[3];   // by content_coding; empty body when absent
        std::string not_modified;  // the header lines of a 304
    };
    void fill_memfd();

    std::vector<entry> entries_;
    std::unordered_map<std::string_view, std::size_t> by_path_;
    const entry* not_found_ = nullptr;
    int fd_ = -1;  // the memfd holding every body, or -1
};

}  // namespace sesame::net
