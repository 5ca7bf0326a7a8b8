#!/bin/sh
# run-go-shard.sh INDEX COUNT TIMEOUT PACKAGE: runs one shard of a Go test
# package, every COUNT-th of its top-level tests in name order starting at
# INDEX (0-based), so that ctest -j2 can run the shards side by side. The
# list comes from the package itself at run time: a new test always lands in
# exactly one shard.
set -eu
index=$1
count=$2
timeout=$3
pkg=$4
names=$(go test -list '.*' "$pkg" | grep '^Test')
pattern=$(printf '%s\n' "$names" | sort | awk -v i="$index" -v n="$count" '(NR - 1) % n == i' |
  paste -sd'|' -)
if [ -z "$pattern" ]; then
  echo "shard $index of $count of $pkg: no tests" >&2
  exit 0
fi
echo "shard $index of $count of $pkg: $(printf '%s\n' "$pattern" | tr '|' ' ')"
exec go test -count=1 -v -timeout "$timeout" -run "^($pattern)\$" "$pkg"
