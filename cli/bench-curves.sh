#!/usr/bin/env bash
# bench-curves.sh [RUNS] - cost curves of the bench protocol (../shared/bench-protocol.md), imsg4j's core (J)
# against OpenBSD's C imsg (C), every client -> server pairing (C->C, J->J, J->C, C->J), both wire generations:
#   throughput of `send N SIZE` for SIZE 16, 64, 256, 1024, 4096, 16368 (the largest a 16 KiB message holds)
#   latency of `ping N 64` with 1, 10 and 100 clients at once (C: that many processes; imsg4j: one JVM with
#   `--clients K`); p50/p99 are the medians over the clients of each client's own p50/p99
# RUNS times each (default 3), medians, then SVG plots and a markdown table made from the result lines by
# cli/bench-plot.py. Unpinned; a Java client first runs its workload once over another connection (warm-up),
# and the Java server is warmed by an untimed round before the timed ones.
# Env: OUT=DIR (default docs/img) for the SVGs, RAW=FILE (default docs/bench-curves-raw.txt) for every line.
# Needs: a JDK, Maven, gcc and make, python3 (standard library only).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
out=${OUT:-docs/img}
raw=${RAW:-docs/bench-curves-raw.txt}
. cli/bench-lib.sh
field() { # NAME LINE -> value
  echo "$2" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
median_of() { # FIELD K: the median of FIELD over the K client result files
  local i
  for i in $(seq "$2"); do field "$1" "$(cat "$tmp/ping.$i")"; done | median
}

send() { # IMPL GEN SOCK N SIZE -> result line
  if [ "$1" = C ]; then "$cdir/cbench-$2" send "$3" "$4" "$5"
  else java -jar "$jar" bench send --wire "$2" --warmup "$4" "$3" "$4" "$5"; fi
}

ping_clients() { # IMPL GEN SOCK K N -> one line with p50_us and p99_us
  local impl=$1 gen=$2 sock=$3 k=$4 n=$5
  if [ "$impl" = J ]; then
    java -jar "$jar" bench ping --wire "$gen" --warmup "$n" --clients "$k" "$sock" "$n" 64
    return
  fi
  local i
  for i in $(seq "$k"); do "$cdir/cbench-$gen" ping "$sock" "$n" 64 > "$tmp/ping.$i" & done
  wait # runs in $(...): its only children are these clients
  echo "mode=ping impl=c-$gen n=$n size=64 clients=$k p50_us=$(median_of p50_us "$k") p99_us=$(median_of p99_us "$k")"
}
record() { # CURVE X FUNCTION ARGS...: FUNCTION IMPL GEN SOCK ARGS for every pairing, its line kept in $raw
  local curve=$1 x=$2 fn=$3 pair line
  shift 3
  for pair in CC JJ JC CJ; do
    line=$("$fn" "${pair:0:1}" "$gen" "$tmp/${pair:1:1}-$gen.sock" "$@")
    echo "curve=$curve gen=$gen run=$run pair=${pair:0:1}-${pair:1:1} x=$x $line" | tee -a "$raw" >&2
  done
}

mkdir -p "$out"
: > "$raw"
echo "# bench-curves.sh $runs on $(nproc) CPUs, $(uname -sr), $(java -version 2>&1 | head -1), $(date -u +%F)" >> "$raw"
for gen in current classic; do
  "$cdir/cbench-$gen" server "$tmp/C-$gen.sock" > "$tmp/C-$gen.out" & pids+=($!)
  java -jar "$jar" bench server --wire "$gen" "$tmp/J-$gen.sock" > "$tmp/J-$gen.out" & pids+=($!)
  await_listening "$tmp/C-$gen.out"; await_listening "$tmp/J-$gen.out"
  for size in 16 64 1024 16368; do "$cdir/cbench-$gen" send "$tmp/J-$gen.sock" 200000 "$size" > /dev/null; done
  "$cdir/cbench-$gen" ping "$tmp/J-$gen.sock" 20000 64 > /dev/null
  for run in $(seq "$runs"); do
    for size in 16 64 256 1024 4096 16368; do
      n=$(( 400000000 / size )); [ "$n" -gt 1000000 ] && n=1000000
      record size "$size" send "$n" "$size"
    done
    for k in 1 10 100; do
      n=$(( 20000 / k )); [ "$n" -lt 200 ] && n=200
      record clients "$k" ping_clients "$k" "$n"
    done
  done
done
python3 cli/bench-plot.py "$raw" "$out"
