// The store's infrastructure exceptions: what a RocksDB failure or a
// corrupted record becomes at the store boundary (STYLE.md practice 6).
// Depends on core/error.hpp only.
#pragma once

#include "core/error.hpp"

namespace sesame::store {

// Any store failure: a non-OK RocksDB Status, a truncated or malformed
// record, a bad path. Caught at the session or worker boundary (generic 500).
class store_error : public sesame::infrastructure_error {
public:
    using sesame::infrastructure_error::infrastructure_error;
};

// The data directory's LOCK is held, by another process or by another
// `database` in this process. The message is French and names the path,
// so `sesame import` or `serve` can show it to the operator as is.
class store_locked_error : public store_error {
public:
    using store_error::store_error;
};

}  // namespace sesame::store
