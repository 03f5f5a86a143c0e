// libFuzzer target for the OpenID Connect request parsing
// (net/oidc_request.hpp) and the core rules it feeds (core/oidc.hpp): the
// input's first line is an Authorization header, the rest a query string or
// form body. Invariants: accepted forms have no repeated name; the login
// return query parses back without prompt=login and with auth_after;
// with_query's output parses back to the same pairs; scope normalisation is
// idempotent.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "core/oidc.hpp"
#include "net/oidc_request.hpp"

namespace {

using namespace sesame;

void check(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "fuzz_oidc_request: invariant violated: %s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto nl = input.find('\n');
    const std::string_view header = nl == std::string_view::npos ? std::string_view{} : input.substr(0, nl);
    const std::string_view body = nl == std::string_view::npos ? input : input.substr(nl + 1);

    (void)net::bearer_token(header);
    const auto params = net::parse_form(body);
    if (!params) return 0;
    std::set<std::string> names;
    for (const auto& [k, v] : *params) check(names.insert(k).second, "a repeated name was accepted");

    const authorization_request ar = net::authorization_request_from(*params);
    if (ar.scope) {
        const std::string once = to_string(parse_scope(*ar.scope));
        check(to_string(parse_scope(once)) == once, "scope normalisation is not idempotent");
    }
    if (ar.code_challenge) (void)pkce_text_valid(*ar.code_challenge);
    if (ar.redirect_uri) (void)redirect_uri_acceptable(*ar.redirect_uri);
    (void)net::token_request_from(*params, header);

    const auto back = net::parse_form(net::login_return_query(*params, 1234));
    check(back.has_value(), "the login return query does not parse");
    check(net::form_value(*back, "auth_after") == std::optional<std::string>("1234"), "auth_after lost");
    if (const auto prompt = net::form_value(*back, "prompt"))
        check(*prompt != "login", "prompt=login kept");

    if (params->empty()) return 0;
    const std::string uri = with_query("https://rp.example/cb", *params);
    const auto again = net::parse_form(std::string_view(uri).substr(uri.find('?') + 1));
    check(again.has_value() && *again == *params, "with_query does not round trip");
    return 0;
}
