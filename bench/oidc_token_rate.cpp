// Token responses per second (SPEC §7: code exchange with ES256 signing):
// a client that first mints --codes authorization codes through GET
// /oidc/authorize with a session cookie (every code with the same PKCE
// challenge), then exchanges them on --connections keep-alive connections
// (POST /oidc/token, client_secret_basic, the verifier), one thread per
// connection, and reports the exchange phase alone: token responses/s and
// their latency. Each code is used once; a non-200 answer is counted as an
// error. Loopback only. Output: one JSON object on stdout.
// With --mint-only FILE it stops after the first phase and writes the codes
// to FILE, one a line (`scripts/bench sso_token` exchanges them through
// loadgen: its {#oidc_code} placeholder uses each line once); the verifier
// is RFC 7636's example, dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cctype>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/histogram.hpp"
#include "core/crypto.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

struct options {
    std::string host = "127.0.0.1", port, cookie, client_id, client_secret, redirect_uri, mint_only;
    std::size_t codes = 50000, connections = 16;
};

const char* verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const char* challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

std::string encode(std::string_view s) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out.push_back(char(c));
        else out += {'%', digits[c >> 4], digits[c & 15]};
    }
    return out;
}

std::string base64(std::string_view s) {  // standard alphabet, padded (RFC 7617)
    std::string b = sesame::base64url(s);
    std::replace(b.begin(), b.end(), '-', '+');
    std::replace(b.begin(), b.end(), '_', '/');
    while (b.size() % 4) b.push_back('=');
    return b;
}

struct connection {
    asio::io_context io;
    beast::tcp_stream stream{io};
    beast::flat_buffer buffer;
    explicit connection(const options& o) {
        tcp::resolver r(io);
        stream.connect(r.resolve(o.host, o.port));
        stream.socket().set_option(tcp::no_delay(true));
    }
    http::response<http::string_body> send(http::request<http::string_body>& req) {
        req.keep_alive(true);
        req.prepare_payload();
        http::write(stream, req);
        http::response<http::string_body> res;
        http::read(stream, buffer, res);
        return res;
    }
};

}  // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--target") {
            o.host = v.substr(0, v.rfind(':'));
            o.port = v.substr(v.rfind(':') + 1);
        } else if (k == "--cookie") o.cookie = v;
        else if (k == "--client-id") o.client_id = v;
        else if (k == "--client-secret") o.client_secret = v;
        else if (k == "--redirect-uri") o.redirect_uri = v;
        else if (k == "--codes") o.codes = std::stoul(v);
        else if (k == "--connections") o.connections = std::stoul(v);
        else if (k == "--mint-only") o.mint_only = v;
        else {
            std::fprintf(stderr, "oidc_token_rate: unknown option %s\n", k.c_str());
            return 2;
        }
    }
    if (o.port.empty() || (o.host != "127.0.0.1" && o.host != "localhost") || o.cookie.empty() ||
        o.client_id.empty() || o.redirect_uri.empty()) {
        std::fputs("usage: oidc_token_rate --target 127.0.0.1:PORT --cookie C --client-id ID --client-secret S "
                   "--redirect-uri URI [--codes N] [--connections C] [--mint-only FILE]\n",
                   stderr);
        return 2;
    }
    const std::string authorize = "/oidc/authorize?response_type=code&scope=openid%20profile%20school&client_id=" +
                                  encode(o.client_id) + "&redirect_uri=" + encode(o.redirect_uri) +
                                  "&state=s&nonce=n&code_challenge=" + challenge + "&code_challenge_method=S256";
    const std::string basic = "Basic " + base64(encode(o.client_id) + ":" + encode(o.client_secret));

    // Phase 1: mint the codes (not measured).
    std::vector<std::string> codes(o.codes);
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> mint_errors{0};
    auto mint = [&] {
        connection c(o);
        for (std::size_t i; (i = next++) < o.codes;) {
            http::request<http::string_body> req{http::verb::get, authorize, 11};
            req.set(http::field::host, o.host);
            req.set(http::field::cookie, o.cookie);
            auto res = c.send(req);
            const std::string location(res[http::field::location]);
            const auto p = location.find("code=");
            if (res.result_int() != 302 || p == std::string::npos) {
                ++mint_errors;
                continue;
            }
            codes[i] = location.substr(p + 5, location.find('&', p) - p - 5);
        }
    };
    const auto mint_start = steady::now();
    {
        std::vector<std::thread> threads;
        for (std::size_t t = 0; t < o.connections; ++t) threads.emplace_back(mint);
        for (auto& t : threads) t.join();
    }
    const double mint_s = std::chrono::duration<double>(steady::now() - mint_start).count();
    if (!o.mint_only.empty()) {
        std::FILE* f = std::fopen(o.mint_only.c_str(), "w");
        if (!f) {
            std::fprintf(stderr, "oidc_token_rate: cannot write %s\n", o.mint_only.c_str());
            return 1;
        }
        for (const auto& code : codes)
            if (!code.empty()) std::fprintf(f, "%s\n", code.c_str());
        const bool written = std::fclose(f) == 0;
        std::printf("{\"codes\": %zu, \"mint_errors\": %zu, \"mint_s\": %.3f, \"mint_rps\": %.0f}\n", o.codes,
                    mint_errors.load(), mint_s, double(o.codes) / mint_s);
        return written && mint_errors.load() < o.codes ? 0 : 1;
    }

    // Phase 2: exchange every code once (measured).
    next = 0;
    std::mutex merge;
    sesame::bench::latency_histogram latency;
    std::map<unsigned, std::size_t> statuses;
    auto exchange = [&] {
        connection c(o);
        sesame::bench::latency_histogram mine;
        std::map<unsigned, std::size_t> seen;
        for (std::size_t i; (i = next++) < o.codes;) {
            if (codes[i].empty()) continue;
            http::request<http::string_body> req{http::verb::post, "/oidc/token", 11};
            req.set(http::field::host, o.host);
            req.set(http::field::authorization, basic);
            req.set(http::field::content_type, "application/x-www-form-urlencoded");
            req.body() = "grant_type=authorization_code&code=" + codes[i] + "&redirect_uri=" + encode(o.redirect_uri) +
                         "&code_verifier=" + verifier;
            const auto t0 = steady::now();
            auto res = c.send(req);
            mine.record(std::uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now() - t0).count()));
            ++seen[res.result_int()];
        }
        std::lock_guard lock(merge);
        latency.merge(mine);
        for (auto [s, n] : seen) statuses[s] += n;
    };
    const auto start = steady::now();
    {
        std::vector<std::thread> threads;
        for (std::size_t t = 0; t < o.connections; ++t) threads.emplace_back(exchange);
        for (auto& t : threads) t.join();
    }
    const double seconds = std::chrono::duration<double>(steady::now() - start).count();
    const std::size_t ok = statuses[200];
    std::string status_json;
    for (auto [s, n] : statuses)
        status_json += (status_json.empty() ? "" : ", ") + ("\"" + std::to_string(s) + "\": " + std::to_string(n));
    std::printf("{\"codes\": %zu, \"mint_errors\": %zu, \"mint_s\": %.3f, \"mint_rps\": %.0f, \"connections\": %zu, "
                "\"exchange_s\": %.3f, \"token_responses\": %zu, \"rps\": %.0f, \"status\": {%s}, "
                "\"latency_ms\": {\"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"max\": %.3f}}\n",
                o.codes, mint_errors.load(), mint_s, double(o.codes) / mint_s, o.connections, seconds, ok,
                double(ok) / seconds, status_json.c_str(), latency.quantile(0.50) / 1e6, latency.quantile(0.90) / 1e6,
                latency.quantile(0.99) / 1e6, latency.max() / 1e6);
    return ok > 0 ? 0 : 1;
}
