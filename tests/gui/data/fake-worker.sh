#!/bin/sh
# A stand-in for attnscope-cli that speaks the worker protocol from recorded fixtures, for GUI tests that
# need behaviour the real worker does not show on demand:
#   devices --json            → devices.json
#   backends … --dtype T --json → backends_T.json (flash2 is fp16/bf16-only there; one dtype per call)
#   run … --stream [--start-at K] → the lines of cpu_stream.jsonl for items ≥ K. When FAKE_WORKER_DIE_ONCE
#   names a file that does not exist yet, the first run creates it and kills itself (SIGKILL) right after
#   announcing item 1, the way a faulting kernel takes the worker down.
# When FAKE_WORKER_LOG names a file, every start appends one line "<command> <arguments>" to it, so a
# test can count the worker processes the app starts.
here=$(dirname "$0")
[ -n "$FAKE_WORKER_LOG" ] && printf '%s\n' "$*" >> "$FAKE_WORKER_LOG"
cmd=$1; shift
dtype=float16; start=0
while [ $# -gt 0 ]; do
  case "$1" in
    --dtype) dtype=$2; shift ;;
    --start-at) start=$2; shift ;;
  esac
  shift
done
case "$cmd" in
  devices) cat "$here/devices.json" ;;
  backends) cat "$here/backends_$dtype.json" ;;
  run)
    die=0
    if [ -n "$FAKE_WORKER_DIE_ONCE" ] && [ ! -e "$FAKE_WORKER_DIE_ONCE" ]; then : > "$FAKE_WORKER_DIE_ONCE"; die=1; fi
    head -n 1 "$here/cpu_stream.jsonl" | sed "s/\"start_at\":0/\"start_at\":$start/"
    # A redirected loop runs in this shell (no pipeline subshell), so kill -9 $$ ends the whole worker.
    while IFS= read -r line; do
      case "$line" in *'"type":"start"'*|*'"type":"end"'*) continue ;; esac
      item=$(printf '%s\n' "$line" | sed -n 's/.*"item":\([0-9]*\).*/\1/p' | head -n 1)
      [ "$item" -lt "$start" ] && continue
      printf '%s\n' "$line"
      case "$line" in *'"type":"progress"'*) [ "$die" = 1 ] && [ "$item" = 1 ] && kill -9 $$ ;; esac
    done < "$here/cpu_stream.jsonl"
    grep '"type":"end"' "$here/cpu_stream.jsonl" ;;
  *) echo "fake-worker: unknown command $cmd" >&2; exit 2 ;;
esac
