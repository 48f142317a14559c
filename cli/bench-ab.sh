#!/usr/bin/env bash
# bench-ab.sh JAR_A JAR_B [ROUNDS] - two builds of the imsg4j client, interleaved: each round C->C, then A and B
# against one imsg4j server (J, run from JAR_A) and one C server, in both wire generations; prints the medians of
# msgs/s with ratios to C->C and B/A. A change's effect on this 2-CPU VM is often smaller than the spread between
# minutes, so only runs interleaved in the same minutes are compared (docs/benchmarks.md).
#
# Env: ARGS="100000 64 fd"  the `send` workload (default W3: 100,000 x 64 B, a descriptor each)
#      WARMUP_SECS=S        each imsg4j client first repeats an untimed run for S seconds (default 4)
#      RAW=FILE             keep the raw lines
# Build a jar of another commit with `git worktree add /tmp/x COMMIT` and `mvn -q package -DskipTests -pl cli -am`
# there. Needs what cli/bench-compare.sh needs.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 JAR_A JAR_B [ROUNDS]" >&2; exit 2; }
jar_a=$(realpath "$1")
jar_b=$(realpath "$2")
rounds=${3:-6}
cd "$(dirname "$0")/.."
. cli/bench-lib.sh
read -r -a args <<< "${ARGS:-100000 64 fd}"
n=${args[0]}
warmup_secs=${WARMUP_SECS:-4}
raw=${RAW:-$tmp/raw.txt}
: > "$raw"

rate() { grep -o 'msgs_per_s=[0-9]*' | cut -d= -f2; }

for gen in current classic; do
  "$cdir/cbench-$gen" server "$tmp/C-$gen.sock" > "$tmp/C-$gen.out" & pids+=($!)
  java -jar "$jar_a" bench server --wire "$gen" "$tmp/J-$gen.sock" > "$tmp/J-$gen.out" 2>&1 & pids+=($!)
  await_listening "$tmp/J-$gen.out"
  until [ -S "$tmp/C-$gen.sock" ]; do sleep 0.1; done
  # a daemon runs warm: two untimed rounds into the imsg4j server first
  for _ in 1 2; do "$cdir/cbench-$gen" send "$tmp/J-$gen.sock" "${args[@]}" > /dev/null; done
  for r in $(seq "$rounds"); do
    echo "$gen CC $("$cdir/cbench-$gen" send "$tmp/C-$gen.sock" "${args[@]}" | rate)" | tee -a "$raw"
    for sv in J C; do
      for ab in A B; do
        jar=$jar_a; [ "$ab" = B ] && jar=$jar_b
        echo "$gen $ab$sv $(java -jar "$jar" bench send --wire "$gen" --warmup "$n" --warmup-secs "$warmup_secs" \
          "$tmp/$sv-$gen.sock" "${args[@]}" | rate)" | tee -a "$raw"
      done
    done
  done > /dev/null
done

echo "machine: $(nproc) CPUs, $(uname -r); java: $(java -version 2>&1 | head -1); rounds: $rounds; send ${args[*]}"
echo
echo "| gen | C->C | A->J | B->J | B/A | A->C | B->C | B/A |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
awk 'function median(k,   m, i, j, t, x) { m = n[k]; for (i = 1; i <= m; i++) x[i] = v[k, i]
       for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
       return (m % 2) ? x[(m + 1) / 2] : (x[m / 2] + x[m / 2 + 1]) / 2 }
     { k = $1 " " $2; v[k, ++n[k]] = $3 }
     END { split("current classic", g, " ")
       for (i = 1; i <= 2; i++) { c = median(g[i] " CC"); aj = median(g[i] " AJ"); bj = median(g[i] " BJ")
         ac = median(g[i] " AC"); bc = median(g[i] " BC")
         printf "| %s | %d | %d (%.2fx) | %d (%.2fx) | **%.2fx** | %d (%.2fx) | %d (%.2fx) | **%.2fx** |\n", g[i], c,
           aj, aj / c, bj, bj / c, bj / aj, ac, ac / c, bc, bc / c, bc / ac } }' "$raw"
