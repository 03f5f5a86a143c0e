#!/bin/sh
# Fails when a layer includes what it must not see (STYLE.md, rule 1):
#   core    — no I/O library (Asio, Beast, RocksDB, OpenSSL, sockets), nor
#             anything of net/;
#   net     — no store/ or workers/ header (net sees core and config; app
#             wires the concrete parts);
#   workers — of net/, only blocking.hpp (Asio only, shared with net).
root=${1:-.}
status=0
hits=$(grep -rnE '#[[:space:]]*include[[:space:]]*([<"](boost/(asio|beast)|rocksdb/|openssl/|sys/socket|netinet/)|"net/)' "$root/core")
if [ -n "$hits" ]; then echo "core includes I/O headers:"; echo "$hits"; status=1; fi
hits=$(grep -rnE '#[[:space:]]*include[[:space:]]*"(store|workers)/' "$root/net")
if [ -n "$hits" ]; then echo "net includes store or workers:"; echo "$hits"; status=1; fi
if grep -qE 'sesame_(store|workers)' "$root/net/CMakeLists.txt"; then
  echo "net/CMakeLists.txt links store or workers"; status=1
fi
hits=$(grep -rnE '#[[:space:]]*include[[:space:]]*"net/' "$root/workers" | grep -v '"net/blocking.hpp"')
if [ -n "$hits" ]; then echo "workers include net beyond blocking.hpp:"; echo "$hits"; status=1; fi
[ "$status" = 0 ] && echo "layers: core is sans-I/O, net sees core and config only: ok"
exit "$status"
