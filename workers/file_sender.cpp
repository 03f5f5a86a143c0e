#include "workers/file_sender.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace sesame::workers {

namespace {

// mkdir -p with mode 0700 for the directories it creates.
void make_parents(const std::filesystem::path& dir) {
    if (dir.empty()) return;
    std::vector<std::filesystem::path> missing;
    for (auto p = dir; !p.empty() && !std::filesystem::exists(p); p = p.parent_path()) {
        missing.push_back(p);
        if (p == p.parent_path()) break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it)
        if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST)
            throw std::system_error(errno, std::system_category(), "outbox file: mkdir " + it->string());
}

}  // namespace

file_sender::file_sender(std::filesystem::path path, const clock& clock) : path_(std::move(path)), clock_(clock) {
    make_parents(path_.parent_path());
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) throw std::system_error(errno, std::system_category(), "outbox file: open " + path_.string());
}

file_sender::~file_sender() {
    if (fd_ >= 0) ::close(fd_);
}

std::string file_sender::format_line(const outbox_message& m, timestamp at) {
    const bool email = m.ch == channel::email;
    boost::json::object o;  // keeps insertion order
    o["at"] = format_rfc3339(at);
    o["channel"] = to_string(m.ch);
    o["to"] = m.to;
    if (email) o["subject"] = m.subject;
    o["text"] = m.text;
    if (email) o["html"] = m.html;
    if (m.reference.empty())
        o["reference"] = nullptr;
    else
        o["reference"] = m.reference;
    o["purpose"] = m.purpose;
    o["message_id"] = m.id;
    if (m.identifier.empty())
        o["identifier"] = nullptr;
    else
        o["identifier"] = m.identifier;
    std::string line = boost::json::serialize(o);
    line.push_back('\n');
    return line;
}

boost::asio::awaitable<send_result> file_sender::send(const outbox_message& m) {
    const std::string line = format_line(m, clock_.now());
    ssize_t n = 0;
    do {
        n = ::write(fd_, line.data(), line.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        const int err = errno;
        co_return send_result{send_result::temporary_failure,
                              "outbox file write failed: " + std::system_category().message(err), {}};
    }
    if (static_cast<std::size_t>(n) != line.size())
        co_return send_result{send_result::temporary_failure,
                              "outbox file short write: " + std::to_string(n) + " of " +
                                  std::to_string(line.size()) + " bytes",
                              {}};
    co_return send_result{send_result::accepted, "appended to the outbox file", {}};
}

}  // namespace sesame::workers
