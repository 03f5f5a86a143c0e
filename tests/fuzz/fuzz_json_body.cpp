// libFuzzer target for API request bodies: net/api_support.hpp's JSON field
// helpers as the handlers call them, then the core normalisers and checks those fields reach.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "core/contact.hpp"
#include "core/identifier.hpp"
#include "core/password_policy.hpp"
#include "core/recovery_flow.hpp"
#include "net/api_support.hpp"
#include "net/error_response.hpp"

namespace {

namespace json = boost::json;
using namespace sesame;

void check(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "fuzz_json_body: invariant violated: %s\n", what);
    std::abort();
}

// The body fields the handlers read, with their limits (net/*_routes.cpp).
struct field_spec {
    std::string_view key;
    std::size_t max_bytes;
};
constexpr field_spec fields[] = {
    {"identifier", 256}, {"password", 4096},     {"otp", 16},          {"current_password", 4096},
    {"new_password", 4096}, {"profile", 16},     {"phone", 256},       {"email", 256},
    {"code", 32},        {"token", 256},         {"reset_token", 256}, {"activation_token", 256},
    {"first_name", 200}, {"message_id", 128},    {"status", 16},       {"detail", 512},
};

// The answer a handler would send for this error: valid JSON naming the field.
void check_error_response(const domain_error& e, std::string_view key) {
    check(e.code == errc::invalid_request, "field error is not invalid_request");
    check(e.field == key, "field error names another field");
    const net::response r = net::error_response(e);
    check(r.status == 400, "invalid_request is not a 400");
    boost::system::error_code ec;
    const json::value v = json::parse(r.body, ec);
    check(!ec && v.is_object(), "error body is not a JSON object");
    const auto* f = v.as_object().if_contains("field");
    check(f && f->is_string() && f->as_string() == json::string_view(key.data(), key.size()), "error body field");
}

bool has_double(const json::value& v) {
    switch (v.kind()) {
        case json::kind::double_: return true;
        case json::kind::array:
            for (const auto& x : v.as_array())
                if (has_double(x)) return true;
            return false;
        case json::kind::object:
            for (const auto& kv : v.as_object())
                if (has_double(kv.value())) return true;
            return false;
        default: return false;
    }
}

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

void check_login(std::string_view s) {
    const std::string login = normalize_login(s);
    check(normalize_login(login) == login, "normalize_login not idempotent");
    check(login.size() <= s.size(), "normalize_login grew");
    check(login.empty() || (!is_ascii_space(login.front()) && !is_ascii_space(login.back())), "login not trimmed");
    for (char c : login) check(!(c >= 'A' && c <= 'Z'), "login not lower-cased");
}

void check_folded(std::string_view s) {
    const std::string folded = fold_to_ascii_lower(s);
    for (char c : folded) check((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'), "fold_to_ascii_lower output");
    check(fold_to_ascii_lower(folded) == folded, "fold_to_ascii_lower not idempotent");
}

void check_mobile(std::string_view s) {
    const auto phone = normalize_french_mobile(s);
    if (!phone) return;
    check(phone->size() >= 11 && phone->size() <= 13 && phone->front() == '+', "mobile not E.164");
    for (std::size_t i = 1; i < phone->size(); ++i) check((*phone)[i] >= '0' && (*phone)[i] <= '9', "mobile digits");
    check(normalize_french_mobile(*phone) == phone, "normalize_french_mobile not idempotent");
    (void)mask_phone(*phone);
}

void check_email(std::string_view s) {
    const auto email = normalize_email(s);
    if (!email) return;
    check(email->size() <= 254, "e-mail too long");
    check(email->find('@') != std::string::npos && email->find('@') == email->rfind('@'), "e-mail '@' count");
    check(normalize_email(*email) == email, "normalize_email not idempotent");
    (void)mask_email(*email);
}

void check_token(std::string_view s) {
    const auto t = parse_flow_token(s);
    if (!t) return;
    check(!t->flow_id.empty() && !t->secret.empty(), "empty token part");
    check(t->flow_id.find('.') == std::string::npos, "flow id with a dot");
    check(make_flow_token(t->flow_id, t->secret) == s, "flow token round trip");
}

void check_password(std::string_view pw, const password_context& ctx) {
    pw = pw.substr(0, 256);  // zxcvbn's cost grows fast with length
    const auto reasons = password_weaknesses(pw, ctx);
    if (reasons.empty()) {
        const auto length = utf8_length(pw);
        check(length && *length >= ctx.min_length && *length <= max_password_length, "password length accepted");
        check(pw.find('\0') == std::string_view::npos, "password with NUL accepted");
    }
    for (const auto& r : reasons) check(!r.empty(), "empty weakness");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 64 * 1024) return 0;  // http.max_body_bytes
    const std::string_view body(reinterpret_cast<const char*>(data), size);

    // 1. The body as the handlers see it.
    auto object = net::parse_json_object(body);
    if (!object) {
        check_error_response(object.error(), "body");
    } else {
        const json::object& o = *object;
        // Re-serialised, the object parses back equal (doubles aside: 1.81
        // parses them to within one ulp only).
        if (!has_double(o)) {
            auto again = net::parse_json_object(json::serialize(o));
            check(again.ok() && *again == o, "JSON object round trip");
        }
        std::optional<std::string> values[std::size(fields)];
        for (std::size_t i = 0; i < std::size(fields); ++i) {
            const auto& f = fields[i];
            auto opt = net::optional_string(o, f.key, f.max_bytes);
            auto req = net::required_string(o, f.key, f.max_bytes);
            if (!opt) check_error_response(opt.error(), f.key);
            if (!req) check_error_response(req.error(), f.key);
            check(req.ok() == (opt.ok() && opt->has_value()), "required_string and optional_string disagree");
            if (req) {
                check(req->size() <= f.max_bytes, "field longer than its limit");
                check(*req == **opt, "required_string and optional_string values differ");
                values[i] = *req;
            }
        }
        const auto value = [&](std::string_view key) -> std::string_view {
            for (std::size_t i = 0; i < std::size(fields); ++i)
                if (fields[i].key == key && values[i]) return *values[i];
            return {};
        };
        // 2. Each field through what its handler calls.
        check_login(value("identifier"));
        (void)parse_profile(value("profile"));
        check_mobile(value("phone"));
        check_email(value("email"));
        for (const char* t : {"token", "reset_token", "activation_token"}) check_token(value(t));
        check_folded(value("first_name"));
        password_context ctx;
        ctx.identifier = value("identifier");
        ctx.first_name = value("first_name");
        for (const char* p : {"password", "new_password"})
            if (!value(p).empty()) check_password(value(p), ctx);
    }

    // 3. The same checks on the raw bytes, for what JSON escaping hides.
    check_login(body);
    check_folded(body);
    check_mobile(body);
    check_email(body);
    check_token(body);
    password_context ctx;
    ctx.identifier = "m.dupont";
    ctx.first_name = "Marie";
    ctx.last_name = "Dupont";
    check_password(body, ctx);
    return 0;
}
