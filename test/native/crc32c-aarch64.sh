#!/bin/sh
# Builds native/crc32c*.cc for aarch64 and runs the cross-check under qemu, so the ARMv8 path
# (which the x86-64 machines never run) is compiled with our warnings and checked against the
# table path. Needs: apt-get install g++-aarch64-linux-gnu qemu-user
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/skein-aarch64-XXXXXX")
trap 'rm -rf "$out"' EXIT
aarch64-linux-gnu-g++ -std=c++17 -O2 -Wall -Wextra -Werror -static -I"$root/native" \
  "$root/test/native/crc32c_cross_check.cc" "$root/native/crc32c.cc" "$root/native/crc32c_table.cc" \
  "$root/native/crc32c_armv8.cc" "$root/native/crc32c_sse42.cc" -o "$out/crc32c_cross_check"
qemu-aarch64 -cpu max "$out/crc32c_cross_check"
