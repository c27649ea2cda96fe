#!/bin/sh
# Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer in a scratch copy (so
# build/Release stays the optimised one) and runs the compiled native tests against it.
# Besides test/native, a few storage tests drive the addon the way the log does (roll-time
# cuts under live mappings, releaseBuffer at close, lazily reopened segments).
# Each file is bounded in time (SANITIZER_FILE_TIMEOUT seconds, default 300). Ends with one
# line "sanitizers: N passed, N failed" (a file that dies or times out without a uvu summary
# counts as one failure), which .ci/run adds to its total.
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
passed=0
failed=0
for test in out/test/native/*.test.js out/test/storage/partition-log.test.js out/test/storage/mapping-budget.test.js \
  out/test/storage/retention.test.js out/test/storage/fd-budget.test.js; do
  echo "# $test"
  output=$(mktemp)
  timeout "${SANITIZER_FILE_TIMEOUT:-300}" node --expose-gc "$test" >"$output" 2>&1 || status=1
  cat "$output"
  plain=$(sed 's/\x1b\[[0-9;]*m//g' "$output")
  total=$(printf '%s\n' "$plain" | sed -n 's/^ *Total: *\([0-9]*\).*/\1/p' | tail -n 1)
  ok=$(printf '%s\n' "$plain" | sed -n 's/^ *Passed: *\([0-9]*\).*/\1/p' | tail -n 1)
  skipped=$(printf '%s\n' "$plain" | sed -n 's/^ *Skipped: *\([0-9]*\).*/\1/p' | tail -n 1)
  rm -f "$output"
  if [ -z "$total" ] || [ -z "$ok" ]; then
    failed=$((failed + 1))
    status=1
  else
    passed=$((passed + ok))
    failed=$((failed + total - ok - ${skipped:-0}))
  fi
done
echo "sanitizers: $passed passed, $failed failed"
exit $status
