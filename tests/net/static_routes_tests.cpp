#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <array>
#include <string>

#include "net/static_routes.hpp"

using namespace sesame;
using net::content_coding;

namespace {

// A table like the generated one: a page with compressed forms, a hashed
// font without, and the 404 page.
const std::array<web::asset, 3> table{{
    {"/", "text/html; charset=utf-8", "aaaa1111", web::asset_kind::page, "<h1>page</h1>", "GZ", "BR"},
    {"/assets/f.bbbb2222.woff2", "font/woff2", "bbbb2222", web::asset_kind::hashed, "wOF2", "", ""},
    {"", "text/html; charset=utf-8", "cccc3333", web::asset_kind::not_found, "<h1>introuvable</h1>", "gz404", ""},
}};

net::request get(std::string_view path, std::string_view accept = {}, std::string_view inm = {}) {
    net::request r;
    r.verb = net::method::get;
    r.path = path;
    r.accept_encoding = accept;
    r.if_none_match = inm;
    return r;
}

bool has_line(const net::response& r, std::string_view line) {
    return r.static_headers.find(line) != std::string_view::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(static_routes)

BOOST_AUTO_TEST_CASE(coding_follows_accept_encoding) {
    BOOST_TEST(int(net::choose_coding("gzip, deflate, br", true, true)) == int(content_coding::brotli));
    BOOST_TEST(int(net::choose_coding("gzip", true, true)) == int(content_coding::gzip));
    BOOST_TEST(int(net::choose_coding("br;q=0, gzip;q=0.8", true, true)) == int(content_coding::gzip));
    BOOST_TEST(int(net::choose_coding("gzip;q=0", true, false)) == int(content_coding::identity));
    BOOST_TEST(int(net::choose_coding("GZIP", true, false)) == int(content_coding::gzip));
    BOOST_TEST(int(net::choose_coding("*", true, false)) == int(content_coding::gzip));
    BOOST_TEST(int(net::choose_coding("*, gzip;q=0.0", true, false)) == int(content_coding::identity));
    BOOST_TEST(int(net::choose_coding("", true, true)) == int(content_coding::identity));
    BOOST_TEST(int(net::choose_coding("br", false, false)) == int(content_coding::identity));
}

BOOST_AUTO_TEST_CASE(etags_compare_weakly_across_codings) {
    BOOST_TEST(net::etag_matches("\"aaaa1111\"", "aaaa1111"));
    BOOST_TEST(net::etag_matches("W/\"aaaa1111-gz\"", "aaaa1111"));
    BOOST_TEST(net::etag_matches("\"zz\", \"aaaa1111-br\"", "aaaa1111"));
    BOOST_TEST(net::etag_matches("*", "aaaa1111"));
    BOOST_TEST(!net::etag_matches("\"aaaa1111-xx\"", "aaaa1111"));
    BOOST_TEST(!net::etag_matches("\"aaaa111\"", "aaaa1111"));
    BOOST_TEST(!net::etag_matches("aaaa1111", "aaaa1111"));
}

BOOST_AUTO_TEST_CASE(a_page_is_revalidated_and_negotiated) {
    const net::static_site site(table);
    const auto* page = site.find("/");
    BOOST_REQUIRE(page != nullptr);
    const auto plain = site.answer(get("/"), *page);
    BOOST_TEST(plain.status == 200u);
    BOOST_TEST(plain.static_body == "<h1>page</h1>");
    BOOST_TEST(has_line(plain, "Cache-Control: no-cache\r\n"));
    BOOST_TEST(has_line(plain, "Vary: Accept-Encoding\r\n"));
    BOOST_TEST(has_line(plain, "ETag: \"aaaa1111\"\r\n"));
    BOOST_TEST(has_line(plain, "Content-Security-Policy: default-src 'self'; script-src 'self';"));
    BOOST_TEST(has_line(plain, "X-Frame-Options: DENY\r\n"));
    BOOST_TEST(!has_line(plain, "Content-Encoding"));
    const auto gz = site.answer(get("/", "gzip"), *page);
    BOOST_TEST(gz.static_body == "GZ");
    BOOST_TEST(has_line(gz, "Content-Encoding: gzip\r\n"));
    BOOST_TEST(has_line(gz, "ETag: \"aaaa1111-gz\"\r\n"));
    const auto br = site.answer(get("/", "gzip, br"), *page);
    BOOST_TEST(br.static_body == "BR");
    const auto again = site.answer(get("/", "gzip", "\"aaaa1111-gz\""), *page);
    BOOST_TEST(again.status == 304u);
    BOOST_TEST(again.static_body.empty());
    BOOST_TEST(has_line(again, "ETag: \"aaaa1111\"\r\n"));
    BOOST_TEST(has_line(again, "Cache-Control: no-cache\r\n"));
    BOOST_TEST(site.answer(get("/", {}, "\"other\""), *page).status == 200u);
}

BOOST_AUTO_TEST_CASE(a_hashed_asset_is_immutable_and_never_recompressed) {
    const net::static_site site(table);
    const auto* font = site.find("/assets/f.bbbb2222.woff2");
    BOOST_REQUIRE(font != nullptr);
    const auto r = site.answer(get(font->path, "gzip, br"), *font);
    BOOST_TEST(r.static_body == "wOF2");
    BOOST_TEST(has_line(r, "Cache-Control: public, max-age=31536000, immutable\r\n"));
    BOOST_TEST(has_line(r, "Content-Type: font/woff2\r\n"));
    BOOST_TEST(!has_line(r, "Content-Encoding"));
    BOOST_TEST(!has_line(r, "Vary"));
    BOOST_TEST(site.find("/assets/f.00000000.woff2") == nullptr);
}

BOOST_AUTO_TEST_CASE(every_body_is_in_the_memfd_at_its_offset) {
    const net::static_site site(table);
    for (const char* accept : {"", "gzip", "br"}) {
        const auto r = site.answer(get("/", accept), *site.find("/"));
        BOOST_REQUIRE(r.static_fd >= 0);
        std::string copy(r.static_body.size(), '\0');
        BOOST_TEST(::pread(r.static_fd, copy.data(), copy.size(), off_t(r.static_offset)) == ssize_t(copy.size()));
        BOOST_TEST(copy == r.static_body);
    }
}

BOOST_AUTO_TEST_CASE(the_not_found_page_is_html_with_the_same_headers) {
    const net::static_site site(table);
    BOOST_TEST(site.find("") == nullptr);
    const auto r = site.not_found(get("/nulle-part", "gzip", "\"cccc3333\""));
    BOOST_TEST(r.status == 404u);
    BOOST_TEST(r.static_body == "gz404");
    BOOST_TEST(has_line(r, "Content-Type: text/html; charset=utf-8\r\n"));
    BOOST_TEST(has_line(r, "X-Frame-Options: DENY\r\n"));
}

BOOST_AUTO_TEST_CASE(routes_cover_pages_and_assets_with_head) {
    const net::static_site site(table);
    net::router r;
    site.add_routes(r);
    auto req = get("/");
    BOOST_TEST(int(r.find(req).kind) == int(net::route_match::found));
    auto head = get("/assets/f.bbbb2222.woff2");
    head.verb = net::method::head;
    BOOST_TEST(int(r.find(head).kind) == int(net::route_match::found));
    auto post = get("/");
    post.verb = net::method::post;
    BOOST_TEST(int(r.find(post).kind) == int(net::route_match::wrong_method));
}

BOOST_AUTO_TEST_SUITE_END()
