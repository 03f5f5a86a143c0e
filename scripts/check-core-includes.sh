#!/bin/sh
# Fails when core/ includes an I/O library (STYLE.md: core is sans-I/O).
dir=${1:-core}
hits=$(grep -rnE '#[[:space:]]*include[[:space:]]*[<"](boost/(asio|beast)|rocksdb/|openssl/|sys/socket|netinet/)' "$dir")
if [ -n "$hits" ]; then
  echo "core includes I/O headers:"; echo "$hits"; exit 1
fi
echo "core is sans-I/O: ok"
