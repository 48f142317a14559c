#!/usr/bin/env bash
# scale.sh [IDLE] [CLIENTS] [N] - one bench-protocol endpoint under many connections, for each server kind:
#   core    `imsg4j bench server` (ImsgServer, no Spring)
#   spring  SpringBenchServer: the starter, @ImsgHandler methods, SO_PEERCRED authorisation (same user allowed)
# 1. IDLE connections (default 10000), each answered once (PING/PONG), then held: the server's heap after a full
#    GC (jcmd) and its thread and descriptor counts, before and with them; heap growth per connection.
# 2. CLIENTS active connections (default 1000) each sending N DATA messages of 64 bytes (default 10000) at once,
#    checked against the server's DONE totals; aggregate rate, and the server's threads afterwards.
# 3. Ping latency (PING/PONG round trips, one client) while the IDLE connections are held, against a twin server
#    of the same kind with no idle connections, measured alternately in the same minutes: with epoll (the FFM
#    transport) idle connections should cost a turn nothing. Also the server's own CPU time per round trip
#    (/proc/PID/stat over each ping run), which the VM's neighbours disturb far less than a p99.
# JAVA_OPTS is given to every JVM (e.g. -Dimsg4j.transport=junixsocket); PINGS=K measures each latency K times
# (default 5) and reports the medians; PING_RAW=FILE keeps each run's p50 and p99 in FILE.
# "before" is taken after a first small exchange, so that threads started lazily are counted in it. Servers and
# clients run under `ulimit -n 20000` (the machines' hard limit). Needs a JDK and Maven.
set -euo pipefail
cd "$(dirname "$0")/.."
idle=${1:-10000}
clients=${2:-1000}
n=${3:-10000}
[ -f cli/target/imsg4j-cli.jar ] || mvn -B -q -ntp -pl cli -am package -DskipTests
[ -d bench/target/classes ] || mvn -B -q -ntp -pl bench -am install -DskipTests
cp="bench/target/classes:$(mvn -q -ntp -pl bench dependency:build-classpath -Dmdep.outputFile=/dev/stdout)"
# every JVM below, however started, takes JAVA_OPTS (the JVM notes it on stderr)
[ -n "${JAVA_OPTS:-}" ] && export JAVA_TOOL_OPTIONS="$JAVA_OPTS"
# The p99 of one 20,000-round-trip run swings 0.8-2.9x between runs on the 2-vCPU VM, and drifts over minutes:
# the latency with IDLE connections held is therefore compared with a twin server of the same kind that holds
# none, in the same minutes, PINGS times each (default 5), alternating, and the medians of p50 and p99 reported.
pings=${PINGS:-5}
ping_once() { # SOCK -> p50 p99 of 20,000 round trips by a warm client
  java -jar cli/target/imsg4j-cli.jar bench ping --warmup 20000 "$1" 20000 64 \
    | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "p50_us") a = kv[2]; if (kv[1] == "p99_us") b = kv[2] } }
      END { print a, b }'
}
cpu_ticks() { # PID -> user + system CPU time so far, in clock ticks
  awk '{ print $14 + $15 }' /proc/"$1"/stat
}
ping_measured() { # SOCK PID -> p50 p99 and the server's CPU microseconds per round trip (warm-up included)
  local t0 t1 lat
  t0=$(cpu_ticks "$2")
  lat=$(ping_once "$1")
  t1=$(cpu_ticks "$2")
  echo "$lat $(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", d * 1e6 / hz / 40000 }')"
}
ping_pair() { # SOCK_WITH PID_WITH SOCK_ALONE PID_ALONE -> medians: with_p50 with_p99 alone_p50 alone_p99 with_cpu alone_cpu
  for _ in $(seq "$pings"); do
    echo "with $(ping_measured "$1" "$2")"
    echo "alone $(ping_measured "$3" "$4")"
  done | tee -a "${PING_RAW:-/dev/null}" | awk 'function median(v, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
    $1 == "with" { w50[++nw] = $2; w99[nw] = $3; wc[nw] = $4 } $1 == "alone" { a50[++na] = $2; a99[na] = $3; ac[na] = $4 }
    END { print median(w50, nw), median(w99, nw), median(a50, na), median(a99, na), median(wc, nw), median(ac, na) }'
}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT

state() { # PID -> heap_used_kib threads fds
  jcmd "$1" GC.run > /dev/null
  local heap
  heap=$(jcmd "$1" GC.heap_info | awk '/used/ { for (i = 1; i <= NF; i++) if ($i == "used") { print $(i + 1) + 0; exit } }')
  echo "$heap $(awk '/^Threads/ { print $2 }' /proc/"$1"/status) $(ls /proc/"$1"/fd | wc -l)"
}

start_server() { # KIND SOCK OUT VAR: a server of KIND listening on SOCK, its pid in VAR (a job of this shell)
  local server
  if [ "$1" = core ]; then
    server=(java -Xmx1g -jar cli/target/imsg4j-cli.jar bench server "$2")
  else
    server=(java -Xmx1g -cp "$cp" io.github.imsg4j.bench.SpringBenchServer "$2")
  fi
  bash -c 'ulimit -n 20000 && exec "$@"' _ "${server[@]}" > "$3" 2>&1 &
  printf -v "$4" %s $!
  until grep -q '^listening' "$3" 2>/dev/null; do sleep 0.2; kill -0 "${!4}"; done
}

for kind in core spring; do
  sock=$tmp/$kind.sock
  start_server "$kind" "$sock" "$tmp/$kind.out" spid
  start_server "$kind" "$tmp/$kind-twin.sock" "$tmp/$kind-twin.out" twin
  # A first small exchange starts what starts lazily (event loops, handler threads), so "before" counts them.
  for s in "$sock" "$tmp/$kind-twin.sock"; do
    java -cp "$cp" io.github.imsg4j.bench.ManyClients active "$s" 4 100 64 > /dev/null
  done
  read -r h0 t0 f0 < <(state "$spid")

  mkfifo "$tmp/hold"
  bash -c 'ulimit -n 20000 && exec java -Xmx1g -cp "$0" io.github.imsg4j.bench.ManyClients idle "$1" "$2"' \
    "$cp" "$sock" "$idle" < "$tmp/hold" > "$tmp/idle.out" 2>&1 &
  cpid=$!
  exec 9> "$tmp/hold"
  until grep -q '^idle connections=' "$tmp/idle.out" 2>/dev/null; do sleep 0.5; kill -0 "$cpid"; done
  read -r h1 t1 f1 < <(state "$spid")
  read -r p50b p99b p50a p99a cpub cpua < <(ping_pair "$sock" "$spid" "$tmp/$kind-twin.sock" "$twin")
  kill "$twin"; wait "$twin" || true
  exec 9>&-
  wait "$cpid" || true
  rm -f "$tmp/hold"
  for _ in $(seq 300); do [ "$(ls /proc/"$spid"/fd | wc -l)" -le "$f0" ] && break; sleep 0.2; done
  awk -v k="$kind" -v n="$idle" -v h0="$h0" -v h1="$h1" -v t0="$t0" -v t1="$t1" -v f0="$f0" -v f1="$f1" 'BEGIN {
    printf "server=%s idle_connections=%d heap_before_kib=%d heap_with_kib=%d heap_per_conn_kib=%.2f threads_before=%d threads_with=%d fds_before=%d fds_with=%d\n",
      k, n, h0, h1, (h1 - h0) / n, t0, t1, f0, f1 }'
  awk -v k="$kind" -v n="$idle" -v a50="$p50a" -v a99="$p99a" -v b50="$p50b" -v b99="$p99b" -v ac="$cpua" -v bc="$cpub" 'BEGIN {
    printf "server=%s ping_alone_p50_us=%s ping_alone_p99_us=%s ping_with_%d_idle_p50_us=%s p99_us=%s p99_ratio=%.2f server_cpu_us_per_round_trip alone=%s with=%s ratio=%.2f (alone: a twin server, same minutes)\n",
      k, a50, a99, n, b50, b99, (a99 > 0) ? b99 / a99 : 0, ac, bc, (ac > 0) ? bc / ac : 0 }'

  line=$(bash -c 'ulimit -n 20000 && exec java -Xmx2g -cp "$0" io.github.imsg4j.bench.ManyClients active "$1" "$2" "$3" 64' \
    "$cp" "$sock" "$clients" "$n")
  read -r h2 t2 f2 < <(state "$spid")
  echo "server=$kind $line server_threads_after=$t2"
  kill "$spid"; wait "$spid" || true
done
