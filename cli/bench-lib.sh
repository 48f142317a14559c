# Sourced by cli/bench-compare.sh and cli/bench-curves.sh (from the repository root): the jar and the C peer
# built if missing, a scratch directory, and servers started in the background stopped on exit.
jar=cli/target/imsg4j-cli.jar
cdir=target/cpeer
[ -f "$jar" ] || mvn -B -q -ntp -pl cli -am package -DskipTests
[ -x "$cdir/cbench-current" ] || make -s -C ../shared/cpeer O="$PWD/$cdir"

tmp=$(mktemp -d)
pids=() # background servers, by pid
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

await_listening() { # FILE: until the server writing FILE says it listens
  for _ in $(seq 100); do grep -q '^listening ' "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "server did not start: $(cat "$1")" >&2; exit 1
}
