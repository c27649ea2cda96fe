#!/bin/sh
# Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer in a scratch copy (so
# build/Release stays the optimised one) and runs the compiled native tests against it.
# Usage, after `npx tsc -p tsconfig.json`: sh test/native/sanitizers.sh
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/skein-sanitizers-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cp -r "$root/native" "$root/binding.gyp" "$root/package.json" "$scratch/"
ln -s "$root/node_modules" "$scratch/node_modules"
mkdir "$scratch/out" && cp -r "$root/out/src" "$root/out/test" "$scratch/out/"
cd "$scratch"
node -e '
  const fs = require("fs");
  const gyp = fs.readFileSync("binding.gyp", "utf8")
    .replace(/"-O3"/, "\"-O1\", \"-g\", \"-fno-omit-frame-pointer\", \"-fsanitize=address,undefined\", \"-fno-sanitize-recover=undefined\"")
    .replace(/"cflags_cc":/, "\"ldflags\": [\"-fsanitize=address,undefined\"], \"cflags_cc\":");
  fs.writeFileSync("binding.gyp", gyp);
'
npm run --silent install >/dev/null
# Node is not built with ASan: preload the runtimes; leaks of the process itself are not ours.
LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
ASAN_OPTIONS=detect_leaks=0
export LD_PRELOAD ASAN_OPTIONS
status=0
for test in out/test/native/*.test.js; do
  echo "# $test"
  node --expose-gc "$test" || status=1
done
exit $status
