#!/usr/bin/env bash
# bench-w4-readers.sh JAR [ROUNDS] [GEN] - W4 p50 (50,000 pings of 64 B), interleaved per round: C->C, C->J, then
# the imsg4j client with the default loop reader and with --caller-reads, into the imsg4j server (J) and the C server.
# Prints raw lines "PAIR p50_us" (CC, CJ, DJ, RJ, DC, RC: D = default, R = caller reads). java: $JAVA_HOME/bin/java, else the one on PATH.
# Needs what cli/bench-compare.sh needs (target/cpeer built).
set -u
cd "$(dirname "$0")/.."
if [ -n "${JAVA_HOME:-}" ]; then export PATH="$JAVA_HOME/bin:$PATH"; fi
JAR=$(realpath "$1"); ROUNDS=${2:-6}; GEN=${3:-current}
T=$(mktemp -d)
target/cpeer/cbench-$GEN server $T/C.sock > /dev/null & CP=$!
java -jar $JAR bench server --wire $GEN $T/J.sock > $T/J.out 2>&1 & JP=$!
until grep -q listening $T/J.out; do sleep 0.2; done; until [ -S $T/C.sock ]; do sleep 0.1; done
for _ in 1 2; do target/cpeer/cbench-$GEN send $T/J.sock 100000 64 > /dev/null; done
p50() { grep -o 'p50_us=[0-9.]*' | cut -d= -f2; }
for r in $(seq $ROUNDS); do
  echo "CC $(target/cpeer/cbench-$GEN ping $T/C.sock 50000 64 | p50)"
  echo "CJ $(target/cpeer/cbench-$GEN ping $T/J.sock 50000 64 | p50)"
  for sv in J C; do
    echo "D$sv $(java -jar $JAR bench ping --wire $GEN --warmup 50000 --warmup-secs 2 $T/$sv.sock 50000 64 | p50)"
    echo "R$sv $(java -jar $JAR bench ping --wire $GEN --caller-reads --warmup 50000 --warmup-secs 2 $T/$sv.sock 50000 64 | p50)"
  done
done
kill $CP $JP; wait 2>/dev/null
