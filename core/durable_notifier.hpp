// An outbox_notifier that tells the next one only once the messages'
// batch is durable: a use case run under commit_log::run_deferred calls
// notify() right after apply(), before the fsync, and no message may leave
// (be sent by a worker) before the write that holds it is on disk. Outside
// run_deferred the position is already durable and the ids go through at
// once, on the caller's thread. Depends on core/ports.hpp only.
#pragma once

#include <string>
#include <vector>

#include "core/ports.hpp"

namespace sesame {

class durable_notifier final : public outbox_notifier {
public:
    durable_notifier(commit_log& log, outbox_notifier& next) : log_(log), next_(next) {}

    void notify(const std::vector<std::string>& message_ids) override {
        if (message_ids.empty()) return;
        // An empty run_deferred gives the position of everything written so
        // far, the caller's batch included.
        const auto position = log_.run_deferred([] {});
        log_.when_durable(position, [this, ids = message_ids](bool durable) {
            // A failed fsync: the messages may not be on disk. Not sending
            // them now is safe; the outbox scan at the next start sends
            // whatever survived.
            if (durable) next_.notify(ids);
        });
    }

private:
    commit_log& log_;
    outbox_notifier& next_;
};

}  // namespace sesame
