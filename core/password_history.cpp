#include "core/password_history.hpp"

#include "core/password_policy.hpp"

namespace sesame {

std::vector<std::string> new_password_problems(const account& acc, std::string_view password,
                                               std::uint32_t min_length, std::size_t history,
                                               password_hasher& hasher) {
    const password_context ctx{acc.identifier, acc.first_name, acc.last_name, min_length};
    std::vector<std::string> reasons = password_weaknesses(password, ctx);
    if (!reasons.empty()) return reasons;
    bool reused = !acc.password_hash.empty() && hasher.verify(acc.password_hash, password);
    for (std::size_t i = 0; !reused && i < acc.password_history.size() && i + 1 < history; ++i)
        reused = hasher.verify(acc.password_history[i], password);
    if (reused) reasons.push_back("Vous avez déjà utilisé ce mot de passe récemment : choisissez-en un autre.");
    return reasons;
}

void rotate_password(account& acc, std::string new_hash, std::size_t history) {
    if (!acc.password_hash.empty()) acc.password_history.insert(acc.password_history.begin(), acc.password_hash);
    const std::size_t keep = history > 0 ? history - 1 : 0;
    if (acc.password_history.size() > keep) acc.password_history.resize(keep);
    acc.password_hash = std::move(new_hash);
}

}  // namespace sesame
