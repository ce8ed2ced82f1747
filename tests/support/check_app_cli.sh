#!/bin/sh
# An app's command line: --help prints the options on stdout and exits 0; an unknown option and
# a bad value each exit 2 with a message on stderr that names the option.
# usage: check_app_cli.sh APP OPTION BAD_VALUE
set -u
app=$1 option=$2 bad=$3
fail() { echo "FAIL: $*"; exit 1; }

out=$("$app" --help 2>/dev/null); rc=$?
[ "$rc" -eq 0 ] || fail "--help exited $rc"
for want in -- "$option" --config --set; do
  [ "$want" = "--" ] && continue
  printf '%s\n' "$out" | grep -q -e "$want" || fail "--help does not mention $want: $out"
done

err=$("$app" --no-such-option 2>&1 >/dev/null); rc=$?
[ "$rc" -eq 2 ] || fail "an unknown option exited $rc"
printf '%s\n' "$err" | grep -q -e "--no-such-option" || fail "the error does not name it: $err"

err=$("$app" "$option" "$bad" 2>&1 >/dev/null); rc=$?
[ "$rc" -eq 2 ] || fail "$option $bad exited $rc"
printf '%s\n' "$err" | grep -q -e "$option" || fail "the error does not name $option: $err"
echo ok
