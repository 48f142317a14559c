#!/usr/bin/env bash
# The C bench client (../shared/cpeer) against the core's Java server and against the C server, same
# generation, same run, 3 runs each: W1 (1M x 64 B), W3 (100k x 64 B + fd), W2 (200k x 16000 B), ping 20k x 64 B.
# Usage, from the repository root after building the command (`mvn -q -pl cli -am package -DskipTests`)
# and the C peers into target/cpeer:  core/bench/server-vs-c.sh
# (cli/bench-compare.sh runs every pairing, clients included; this script is the first, server-only one.)
set -euo pipefail
cd "$(dirname "$0")/../.."
C=target/cpeer
JAR=cli/target/imsg4j-cli.jar
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$T"' EXIT
for gen in current classic; do
  for i in 1 2 3; do
    java -jar "$JAR" bench server --wire $gen "$T/j.sock" > "$T/j.out" & JP=$!
    $C/cbench-$gen server "$T/c.sock" > "$T/c.out" & CPID=$!
    until grep -q listening "$T/j.out" 2>/dev/null && grep -q listening "$T/c.out" 2>/dev/null; do sleep 0.2; done
    for w in "1000000 64" "100000 64 fd" "200000 16000"; do
      echo "$gen run$i server=java $($C/cbench-$gen send "$T/j.sock" $w)"
      echo "$gen run$i server=c    $($C/cbench-$gen send "$T/c.sock" $w)"
    done
    echo "$gen run$i server=java $($C/cbench-$gen ping "$T/j.sock" 20000 64)"
    echo "$gen run$i server=c    $($C/cbench-$gen ping "$T/c.sock" 20000 64)"
    kill $JP $CPID; wait $JP $CPID 2>/dev/null || true
  done
done
