#!/usr/bin/env bash
# Compiles imsg4j-core's src/main/java22 (the FFM socket layer: epoll, sendmsg/recvmsg, posix_spawn) with
# --release 22 into the classes directory, using the first JDK >= 22 on this machine, whatever JDK runs Maven.
# A jar built on JDK 17 then still holds the layer Java 22+ applications run on; the core loads those classes
# only after checking the running JDK. With no JDK >= 22 it prints one prominent warning and leaves them out,
# unless called with --require (the release profile), which fails the build instead.
#
# usage: compile-java22.sh CLASSES_DIR SOURCE_DIR CLASSPATH [--require]
# Where it looks: src/build/find-jdk.sh.
set -euo pipefail
out=$1 src=$2 cp=$3 require=${4:-}

jdk= version=
read -r jdk version < <(bash "$(dirname "$0")/find-jdk.sh" 22) || true

if [ -z "$jdk" ]; then
	line="imsg4j-core is built WITHOUT its FFM socket layer (src/main/java22): no JDK >= 22 found (set IMSG4J_JDK22 to one); applications on Java 22+ will fall back to junixsocket"
	if [ "$require" = --require ]; then
		echo "[ERROR] $line; a release build refuses that" >&2
		exit 1
	fi
	echo "[WARNING] ********************************************************************************" >&2
	echo "[WARNING] $line" >&2
	echo "[WARNING] ********************************************************************************" >&2
	exit 0
fi

echo "[INFO] imsg4j-core: compiling the FFM socket layer with $jdk (Java $version)"
find "$src" -name '*.java' > "$out/../java22-sources.txt"
"$jdk/bin/javac" --release 22 -Xlint:all,-serial,-processing,-restricted -proc:none -encoding UTF-8 -d "$out" \
	-cp "$out:$cp" @"$out/../java22-sources.txt"
