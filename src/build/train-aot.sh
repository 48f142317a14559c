#!/usr/bin/env bash
# train-aot.sh JAR CACHE - writes a JDK AOT cache for the imsg4j command (JEP 483/514: classes loaded and linked
# ahead of time, with method profiles), with the first JDK >= 25 on this machine (src/build/find-jdk.sh), from one
# training run: `bench send` of 100,000 messages with a descriptor each into `bench server`, both from JAR. Also
# writes CACHE.java, the real path of the java that wrote it: cli/imsg4j uses the cache only with that java (a
# cache is valid only for the JDK build and class path that made it).
# Best effort: without such a JDK, or if the training fails, it says so in one line and leaves no cache; it never
# fails the build. Measured effect: docs/benchmarks.md, "a JDK AOT cache for the CLI".
set -uo pipefail
jar=$1 cache=$2
rm -f "$cache" "$cache.java"
jdk= version=
read -r jdk version < <(bash "$(dirname "$0")/find-jdk.sh" 25) || true
if [ -z "$jdk" ]; then
	echo "[INFO] imsg4j-cli: no AOT cache (it needs a JDK >= 25; none found)"
	exit 0
fi
java=$(readlink -f "$jdk/bin/java")
tmp=$(mktemp -d)
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
"$java" -jar "$jar" bench server "$tmp/train.sock" > "$tmp/server.out" 2>&1 &
server=$!
for _ in $(seq 300); do
	grep -q listening "$tmp/server.out" 2>/dev/null && break
	kill -0 "$server" 2>/dev/null || break
	sleep 0.1
done
if ! grep -q listening "$tmp/server.out" 2>/dev/null; then
	echo "[INFO] imsg4j-cli: no AOT cache (the training server did not start: $(tail -1 "$tmp/server.out"))"
	exit 0
fi
if "$java" -XX:AOTCacheOutput="$cache" -jar "$jar" bench send --warmup 100000 --warmup-secs 0 "$tmp/train.sock" \
		100000 64 fd > "$tmp/train.out" 2>&1 && [ -s "$cache" ]; then
	printf '%s\n' "$java" > "$cache.java"
	echo "[INFO] imsg4j-cli: AOT cache $cache written with Java $version ($java)"
else
	rm -f "$cache"
	echo "[INFO] imsg4j-cli: no AOT cache (the training run failed: $(tail -1 "$tmp/train.out"))"
fi
exit 0
