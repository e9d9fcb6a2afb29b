#!/bin/sh
# Stands in for `ssh HOST COMMAND...` in the remote-host tests: drops HOST and runs the rest through a
# shell, as sshd does with the words ssh joined. With FAKE_SSH_DROP_AFTER=N and FAKE_SSH_DROP_MARK=FILE
# (absent), the first connection drops after N lines of the worker's output, as a lost network does:
# ssh exits 255 and the remote worker dies on its next write (SIGPIPE).
shift
if [ -n "$FAKE_SSH_DROP_AFTER" ] && [ -n "$FAKE_SSH_DROP_MARK" ] && [ ! -e "$FAKE_SSH_DROP_MARK" ]; then
  : > "$FAKE_SSH_DROP_MARK"
  sh -c "$*" | head -n "$FAKE_SSH_DROP_AFTER"
  exit 255
fi
exec sh -c "$*"
