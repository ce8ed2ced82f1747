#!/bin/sh
# `worker --help` with stdin from a file: the job list as plain text on stdout, exit status 0.
set -eu
worker=$1
out=$("$worker" --help </dev/null)
printf '%s\n' "$out" | grep -qx '  sum_squares' || { echo "no job list in: $out"; exit 1; }
if printf '%s' "$out" | LC_ALL=C grep -q '[^[:print:][:space:]]'; then
  echo "binary output from --help"
  exit 1
fi
echo "ok"
