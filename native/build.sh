#!/usr/bin/env bash
# Builds native/build/mapped_file.node, the memory maps the prometheus_multiproc
# receiver reads multiprocess files through (see native/mapped_file.c). Needs a
# C compiler and Node's headers (Debian's nodejs and the official Node images
# ship them); without them the receiver reads files with read(2) instead,
# correct but slower, so a failed build is reported and not fatal.
#   native/build.sh            (npm run build runs it)
#   native/build.sh --required (fail when it cannot be built: CI)
set -uo pipefail
cd "$(dirname "$0")"
required=0
[ "${1:-}" = "--required" ] && required=1
include="$(node -p "require('path').resolve(process.execPath, '../../include/node')")"
cc="${CC:-cc}"
fail() {
  echo "native: $1; the prometheus_multiproc receiver will read files with read(2) (slower)" >&2
  exit "$required"
}
command -v "$cc" >/dev/null || fail "no C compiler ($cc)"
[ -f "$include/node_api.h" ] || fail "no Node headers in $include"
mkdir -p build
"$cc" -O2 -Wall -Wextra -Werror -std=c11 -shared -fPIC -pthread -DNODE_GYP_MODULE_NAME=mapped_file \
  -I"$include" mapped_file.c file_batches.c napi_arguments.c -o build/mapped_file.node.tmp || fail "the build of mapped_file.c failed"
mv build/mapped_file.node.tmp build/mapped_file.node
