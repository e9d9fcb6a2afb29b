#!/bin/sh
# A worker that breaks the protocol in one way (MISBEHAVE) on `run`, for the run controller's
# supervision tests; everything else is the well-behaved fake-worker.sh. When MISBEHAVE_ONCE names a
# file, it misbehaves only on the run that creates that file (then behaves, so a restart recovers).
#   die_after_start    start line, then exit 1 (a dropped ssh connection)
#   stall_after_start  start line, then silence forever
#   hang_in_item_1     announces item 1, then hangs (a kernel that never returns)
#   huge_line          start line, then 17 MiB without a newline
#   bad_item           start line, a record for item 9223372036854775807, then exit 1
#   negative_total     a start line announcing -5 items, then exit 1
here=$(dirname "$0")
[ "$1" = run ] || exec "$here/fake-worker.sh" "$@"
if [ -n "$MISBEHAVE_ONCE" ]; then
  [ -e "$MISBEHAVE_ONCE" ] && exec "$here/fake-worker.sh" "$@"
  : > "$MISBEHAVE_ONCE"
fi
start_line() { head -n 1 "$here/cpu_stream.jsonl"; }
case "$MISBEHAVE" in
  die_after_start) start_line; exit 1 ;;
  stall_after_start) start_line; exec sleep 600 ;;
  hang_in_item_1)
    sed -n '1,4p' "$here/cpu_stream.jsonl"   # start, item 0 (progress + record), item 1's progress
    exec sleep 600 ;;
  huge_line) start_line; head -c 17825792 /dev/zero | tr '\0' x; exec sleep 600 ;;
  bad_item)
    start_line
    sed -n '3p' "$here/cpu_stream.jsonl" | sed 's/"item":0,/"item":9223372036854775807,/'
    exit 1 ;;
  negative_total) start_line | sed 's/"total":4/"total":-5/'; exit 1 ;;
  *) exec "$here/fake-worker.sh" "$@" ;;
esac
