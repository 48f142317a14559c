#!/usr/bin/env bash
# bench-compare.sh [RUNS] - the standard bench-protocol workloads (../shared/bench-protocol.md) for every
# client -> server pairing of imsg4j's core (J) and OpenBSD's C imsg (C): C->C, J->J, J->C, C->J, and of both
# clients with imsg4j's Spring starter as the server (@ImsgHandler methods, bench/SpringBenchServer: S with the
# default handler threads, I with imsg.handlers.inline=true), in
# both wire generations, RUNS times each (default 3). Prints a table of medians with ratios against C->C of
# the same generation, and one for the Spring server with ratios against the core server with the same
# client, all from one run on one machine. Before the timed runs, each Java server serves one untimed round
# of every workload (a daemon runs warm).
#
#   W1 send N 64      msgs/s        W2 send N 16000   MB/s
#   W3 send N 64 fd   msgs/s        W4 ping N 64      p50 and p99 in us (lower is better)
#
# Env: SCALE=K   divide every N by K (default 1: the protocol's 1000000/200000/100000/50000)
#      WARMUP=F  imsg4j clients first run F x N over another connection (default 1; 0 = cold)
#      WARMUP_SECS=S  ... and repeat that run until S seconds have passed (default 4: on the 2-CPU VM the JIT
#                needs seconds; with 0, W3 J->C measured 0.78-0.81x of C->C where 4 s gave 0.96-1.04x)
#      PIN=CPU   run everything under `taskset -c CPU`
#      ONLY="W1 W4"  run only these workloads
#      PAIRS="CC JJ JC CJ"  run only these client->server pairs (the Spring server's table is then partial)
#      RAW=FILE  also keep every result line in FILE
#      JAVA_OPTS="..."  options for every JVM, e.g. -Dimsg4j.transport=junixsocket (the FFM transport is the
#                default on Java 22+ when the jar was built on one)
#      CLIENT_OPTS="..."  options for every imsg4j client, e.g. --caller-reads (replies read on the client's
#                own thread: ChannelOptions.withCallerReads)
# Needs: a JDK and Maven (the jar is built if missing), gcc and make (the C peer is built from ../shared/cpeer).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
scale=${SCALE:-1}
warmup=${WARMUP:-1}
warmup_secs=${WARMUP_SECS:-4}
pin=()
[ -n "${PIN:-}" ] && pin=(taskset -c "$PIN")
read -r -a jopts <<< "${JAVA_OPTS:-}"
read -r -a copts <<< "${CLIENT_OPTS:-}"
. cli/bench-lib.sh
[ -d bench/target/classes ] || mvn -B -q -ntp -pl bench -am install -DskipTests
scp="bench/target/classes:$(mvn -q -ntp -pl bench dependency:build-classpath -Dmdep.outputFile=/dev/stdout)"
raw=${RAW:-$tmp/raw.txt}
: > "$raw"

client() { # IMPL GEN ARGS... -> one result line
  local impl=$1 gen=$2; shift 2
  if [ "$impl" = C ]; then
    "${pin[@]}" "$cdir/cbench-$gen" "$@"
  else
    local n=$3 w
    w=$(awk -v n="$n" -v f="$warmup" 'BEGIN { printf "%d", n * f }')
    "${pin[@]}" java "${jopts[@]}" -jar "$jar" bench "$1" --wire "$gen" --warmup "$w" --warmup-secs "$warmup_secs" "${copts[@]}" "${@:2}"
  fi
}

workloads=("W1 send $((1000000 / scale)) 64" "W2 send $((200000 / scale)) 16000" \
           "W3 send $((100000 / scale)) 64 fd" "W4 ping $((50000 / scale)) 64")
if [ -n "${ONLY:-}" ]; then
  kept=()
  for w in "${workloads[@]}"; do case " $ONLY " in *" ${w%% *} "*) kept+=("$w") ;; esac; done
  workloads=("${kept[@]}")
fi
for gen in current classic; do
  "${pin[@]}" "$cdir/cbench-$gen" server "$tmp/C-$gen.sock" > "$tmp/C-$gen.out" & pids+=($!)
  "${pin[@]}" java "${jopts[@]}" -jar "$jar" bench server --wire "$gen" "$tmp/J-$gen.sock" > "$tmp/J-$gen.out" & pids+=($!)
  "${pin[@]}" java "${jopts[@]}" -cp "$scp" io.github.imsg4j.bench.SpringBenchServer --wire "$gen" "$tmp/S-$gen.sock" \
    > "$tmp/S-$gen.out" 2>&1 & pids+=($!)
  "${pin[@]}" java "${jopts[@]}" -cp "$scp" io.github.imsg4j.bench.SpringBenchServer --wire "$gen" --inline "$tmp/I-$gen.sock" \
    > "$tmp/I-$gen.out" 2>&1 & pids+=($!)
  for sv in C J S I; do await_listening "$tmp/$sv-$gen.out"; done
  for w in "${workloads[@]}"; do # untimed: warms the Java servers
    set -- $w; shift
    for sv in J S I; do "$cdir/cbench-$gen" "$1" "$tmp/$sv-$gen.sock" "${@:2}" > /dev/null; done
  done
  for run in $(seq "$runs"); do
    for w in "${workloads[@]}"; do
      set -- $w; id=$1; shift
      for pair in ${PAIRS:-CC JJ JC CJ JS CS JI CI}; do
        cl=${pair:0:1}; sv=${pair:1:1}
        line=$(client "$cl" "$gen" "$1" "$tmp/$sv-$gen.sock" "${@:2}")
        echo "gen=$gen run=$run workload=$id pair=$cl-$sv $line" >> "$raw"
        echo "gen=$gen run=$run workload=$id pair=$cl->$sv $line" >&2
      done
    done
  done
done

echo
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); java: $(java -version 2>&1 | head -1)"
echo "runs: $runs, scale: 1/$scale, imsg4j client warm-up: $warmup x N for at least ${warmup_secs} s${PIN:+, pinned to CPU $PIN}${ONLY:+, only $ONLY}${JAVA_OPTS:+, JAVA_OPTS=$JAVA_OPTS}"
echo
awk '
function median(key,   n, i, j, t, a) {
  n = split(vals[key], a, " ")
  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
  return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
  for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
  wl = f["workload"]
  if (wl == "W1" || wl == "W3") { add(f["gen"], wl, "msgs/s", f["pair"], f["msgs_per_s"]) }
  else if (wl == "W2") { add(f["gen"], wl, "MB/s", f["pair"], f["mb_per_s"]) }
  else { add(f["gen"], wl, "p50 us", f["pair"], f["p50_us"]); add(f["gen"], wl, "p99 us", f["pair"], f["p99_us"]) }
}
function add(g, w, m, p, v,   key) {
  key = g SUBSEP w SUBSEP m
  if (!(key in seen)) { seen[key] = 1; order[++rows] = key }
  vals[key SUBSEP p] = vals[key SUBSEP p] " " v
}
END {
  printf "| gen | workload | metric | C->C | J->J | J->C | C->J |\n|---|---|---|---:|---:|---:|---:|\n"
  for (r = 1; r <= rows; r++) {
    key = order[r]; split(key, k, SUBSEP)
    base = median(key SUBSEP "C-C")
    printf "| %s | %s | %s | %.1f", k[1], k[2], k[3], base
    np = split("J-J J-C C-J", ps, " ")
    for (i = 1; i <= np; i++) {
      v = median(key SUBSEP ps[i])
      printf " | %.1f (%.2fx)", v, (base > 0) ? v / base : 0
    }
    printf " |\n"
  }
  printf "\nSpring server (S: handler threads, I: imsg.handlers.inline=true) against the core server (J), same client:\n\n"
  printf "| gen | workload | metric | J->J | J->S | J->I | C->J | C->S | C->I |\n|---|---|---|---:|---:|---:|---:|---:|---:|\n"
  for (r = 1; r <= rows; r++) {
    key = order[r]; split(key, k, SUBSEP)
    printf "| %s | %s | %s", k[1], k[2], k[3]
    nc = split("J C", cl, " ")
    for (c = 1; c <= nc; c++) {
      core = median(key SUBSEP cl[c] "-J")
      printf " | %.1f", core
      ns = split("S I", sv, " ")
      for (i = 1; i <= ns; i++) {
        v = median(key SUBSEP cl[c] "-" sv[i])
        printf " | %.1f (%.2fx)", v, (core > 0) ? v / core : 0
      }
    }
    printf " |\n"
  }
}' "$raw"
