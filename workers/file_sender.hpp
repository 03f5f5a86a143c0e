// The file outbox: a sender that appends each message as one JSON line to
// outbox.file (API.md, "File outbox format"), used for a channel with no SMTP
// server or SMS gateway configured. Depends on core (outbox, clock) and
// workers/sender.hpp; Boost.JSON in the .cpp.
#pragma once

#include <filesystem>
#include <string>

#include "core/time.hpp"
#include "workers/sender.hpp"

namespace sesame::workers {

class file_sender final : public sender {
public:
    // Creates the missing directories (0700) and the file (0600: it holds
    // codes; an existing file keeps its mode) and opens it with O_APPEND.
    // Throws std::system_error naming the path when it cannot, so a bad
    // outbox.file fails at start-up. `clock` must outlive the sender.
    file_sender(std::filesystem::path path, const clock& clock);
    ~file_sender() override;
    file_sender(const file_sender&) = delete;
    file_sender& operator=(const file_sender&) = delete;

    // Appends format_line(m, clock.now()) with a single write(2), inline on
    // the caller's thread (a page-cache append; no fsync), so lines from
    // concurrent senders, even other processes, never interleave. Completes
    // with `accepted`, or `temporary_failure` and the errno text when the
    // write fails or is short. Not cancellable (nothing to wait for).
    boost::asio::awaitable<send_result> send(const outbox_message& m) override;

    // The line for `m` with its '\n': {"at", "channel", "to", "subject"
    // (e-mail), "text", "html" (e-mail), "reference" (or null), "purpose",
    // "message_id", "identifier" (or null)}.
    static std::string format_line(const outbox_message& m, timestamp at);

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    const clock& clock_;
    int fd_ = -1;
};

}  // namespace sesame::workers
