#!/usr/bin/env bash
# idle-connections.sh [N] - heap and threads of a core server holding N idle connections (default 9000).
# Starts EchoServerMain (core test classes) under `ulimit -n 20000`, opens N connections from a Python client
# (one round trip each, then idle), and prints heap used after a full GC (jcmd) and the thread count, before
# and after. Each connection costs the server two descriptors (junixsocket's selector needs a dup'd one), so
# with the 20000 hard limit of the CI machines N stays below 10000.
# Needs: python3, jcmd (the JDK); run from the repository root after `mvn -q -pl core test-compile`.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-9000}
cp=$(mvn -q -ntp -pl core dependency:build-classpath -Dmdep.outputFile=/dev/stdout):core/target/classes:core/target/test-classes
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
bash -c "ulimit -n 20000 && exec java -Xmx512m -cp '$cp' io.github.imsg4j.core.EchoServerMain '$tmp/s.sock'" > "$tmp/server.out" 2>&1 &
until grep -q '^listening' "$tmp/server.out" 2>/dev/null; do sleep 0.2; done
pid=$(pgrep -f "EchoServerMain $tmp/s.sock")
state() {
  jcmd "$pid" GC.run > /dev/null
  echo "heap_used_kib=$(jcmd "$pid" GC.heap_info | awk '/used/ { for (i = 1; i <= NF; i++) if ($i == "used") { print $(i + 1) + 0; exit } }') $(grep Threads /proc/"$pid"/status | tr -d '\t' | tr 'A-Z:' 'a-z=') fds=$(ls /proc/"$pid"/fd | wc -l)"
}
echo "before: $(state)"
python3 - "$tmp/s.sock" "$n" "$tmp/ready" <<'PY' &
import os, socket, struct, sys, time
path, n, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(path); socks.append(s)
for s in socks:
    s.sendall(struct.pack('=IIII', 1, 17, 0, os.getpid()) + b'\x2a')
answered = sum(1 for s in socks if len(s.recv(100)) == 17)
open(ready, 'w').write(str(answered))
time.sleep(600)
PY
until [ -f "$tmp/ready" ]; do sleep 0.2; done
echo "with $n idle connections ($(cat "$tmp/ready") answered): $(state)"
