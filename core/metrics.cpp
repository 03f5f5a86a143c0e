#include "core/metrics.hpp"

#include <cstdio>

namespace sesame {

void histogram::observe(double seconds) {
    std::size_t i = 0;
    while (i < bounds.size() && seconds > bounds[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_us_.fetch_add(std::uint64_t(seconds * 1e6), std::memory_order_relaxed);
}

static std::string with_label(const std::string& labels, const std::string& extra) {
    if (labels.empty()) return "{" + extra + "}";
    return "{" + labels + "," + extra + "}";
}

void histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
    std::uint64_t cumulative = 0;
    char buf[64];
    for (std::size_t i = 0; i <= bounds.size(); ++i) {
        cumulative += buckets_[i].load(std::memory_order_relaxed);
        if (i < bounds.size()) std::snprintf(buf, sizeof buf, "le=\"%g\"", bounds[i]);
        else std::snprintf(buf, sizeof buf, "le=\"+Inf\"");
        out += name + "_bucket" + with_label(labels, buf) + " " + std::to_string(cumulative) + "\n";
    }
    const std::string l = labels.empty() ? "" : "{" + labels + "}";
    std::snprintf(buf, sizeof buf, "%.6f", double(sum_us_.load(std::memory_order_relaxed)) / 1e6);
    out += name + "_sum" + l + " " + buf + "\n";
    out += name + "_count" + l + " " + std::to_string(count_.load(std::memory_order_relaxed)) + "\n";
}

std::size_t metrics_registry::family_index(const std::string& name, const std::string& help, const std::string& type) {
    for (std::size_t i = 0; i < families_.size(); ++i)
        if (families_[i].name == name) return i;
    families_.push_back({name, help, type});
    return families_.size() - 1;
}

counter& metrics_registry::add_counter(const std::string& name, const std::string& help, const std::string& labels) {
    std::lock_guard lk(mu_);
    for (auto& e : entries_)
        if (e.c && families_[e.family].name == name && e.labels == labels) return *e.c;
    auto& e = entries_.emplace_back(entry{family_index(name, help, "counter"), labels, {}, {}, {}, {}});
    e.c = std::make_unique<counter>();
    return *e.c;
}

gauge& metrics_registry::add_gauge(const std::string& name, const std::string& help, const std::string& labels) {
    std::lock_guard lk(mu_);
    for (auto& e : entries_)
        if (e.g && families_[e.family].name == name && e.labels == labels) return *e.g;
    auto& e = entries_.emplace_back(entry{family_index(name, help, "gauge"), labels, {}, {}, {}, {}});
    e.g = std::make_unique<gauge>();
    return *e.g;
}

histogram& metrics_registry::add_histogram(const std::string& name, const std::string& help, const std::string& labels) {
    std::lock_guard lk(mu_);
    for (auto& e : entries_)
        if (e.h && families_[e.family].name == name && e.labels == labels) return *e.h;
    auto& e = entries_.emplace_back(entry{family_index(name, help, "histogram"), labels, {}, {}, {}, {}});
    e.h = std::make_unique<histogram>();
    return *e.h;
}

void metrics_registry::add_callback(const std::string& name, const std::string& help, std::function<double()> read) {
    std::lock_guard lk(mu_);
    entries_.push_back(entry{family_index(name, help, "gauge"), {}, {}, {}, {}, std::move(read)});
}

std::string metrics_registry::render() const {
    std::lock_guard lk(mu_);
    std::string out;
    out.reserve(8192);
    for (std::size_t f = 0; f < families_.size(); ++f) {
        const auto& fam = families_[f];
        out += "# HELP " + fam.name + " " + fam.help + "\n# TYPE " + fam.name + " " + fam.type + "\n";
        for (const auto& e : entries_) {
            if (e.family != f) continue;
            const std::string l = e.labels.empty() ? "" : "{" + e.labels + "}";
            if (e.c) out += fam.name + l + " " + std::to_string(e.c->value()) + "\n";
            else if (e.g) out += fam.name + l + " " + std::to_string(e.g->value()) + "\n";
            else if (e.h) e.h->render(out, fam.name, e.labels);
            else if (e.read) {
                char buf[64];
                std::snprintf(buf, sizeof buf, "%.17g", e.read());
                out += fam.name + l + " " + buf + "\n";
            }
        }
    }
    return out;
}

}  // namespace sesame
