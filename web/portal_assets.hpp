// The portal's pages and assets, embedded in the binary at build time by
// web/build_assets.mjs (generated portal_assets.cpp in the build tree).
// Plain data, no dependency: net/static_routes serves it.
#pragma once

#include <span>
#include <string_view>

namespace sesame::web {

enum class asset_kind {
    page,       // an HTML page at a fixed route ("/", "/mon-compte"...): revalidated on each visit
    hashed,     // /assets/NAME.HASH.EXT: the name changes with the content, cached for a year
    not_found,  // the HTML page for unknown paths outside /api/ (path empty)
};

struct asset {
    std::string_view path;          // "/", "/assets/app.3f9c2a1b07.css"; empty for not_found
    std::string_view content_type;  // "text/css; charset=utf-8"
    std::string_view etag;          // content hash, unquoted
    asset_kind kind;
    std::string_view identity;      // the bytes
    std::string_view gzip;          // gzip form, empty when not worth it (fonts)
    std::string_view brotli;        // brotli form, likewise
};

// Every page and asset; static storage.
std::span<const asset> portal_assets();

}  // namespace sesame::web
