// A fake of core's jwt_codec port for unit tests: sign() hands out
// "jwt.<n>.<kid>" and remembers the claims; verify() gives them back for a
// token it made whose kid is among the keys given. Header-only; depends on
// core/oidc.hpp and the standard library. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/oidc.hpp"

namespace sesame::testing {

class fake_jwt final : public jwt_codec {
public:
    std::string sign(const token_claims& claims, std::string_view kid, std::string_view private_key) override {
        std::lock_guard lock(mutex_);
        const std::string token = "jwt." + std::to_string(++count_) + "." + std::string(kid);
        issued_[token] = {claims, std::string(kid), std::string(private_key)};
        return token;
    }
    std::optional<token_claims> verify(std::string_view token, const std::vector<jwk>& keys) override {
        std::lock_guard lock(mutex_);
        auto it = issued_.find(token);
        if (it == issued_.end()) return std::nullopt;
        for (const auto& k : keys)
            if (k.kid == it->second.kid) return it->second.claims;
        return std::nullopt;
    }
    // The private key a token was signed with (empty when unknown).
    std::string key_of(std::string_view token) const {
        std::lock_guard lock(mutex_);
        auto it = issued_.find(token);
        return it == issued_.end() ? std::string{} : it->second.private_key;
    }

private:
    struct entry {
        token_claims claims;
        std::string kid;
        std::string private_key;
    };
    mutable std::mutex mutex_;
    std::map<std::string, entry, std::less<>> issued_;
    std::size_t count_ = 0;
};

}  // namespace sesame::testing
