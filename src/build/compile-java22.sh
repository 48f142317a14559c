#!/usr/bin/env bash
# Compiles imsg4j-core's src/main/java22 (the FFM socket layer: epoll, sendmsg/recvmsg, posix_spawn) with
# --release 22 into the classes directory, using the first JDK >= 22 on this machine, whatever JDK runs Maven.
# A jar built on JDK 17 then still holds the layer Java 22+ applications run on; the core loads those classes
# only after checking the running JDK. With no JDK >= 22 it prints one prominent warning and leaves them out,
# unless called with --require (the release profile), which fails the build instead.
#
# usage: compile-java22.sh CLASSES_DIR SOURCE_DIR CLASSPATH [--require]
# Looks in: IMSG4J_JDK22, the JDK running Maven (MAVEN_JAVA_HOME), JAVA<N>_HOME, JAVA_HOME, then the usual
# install directories (Debian's /usr/lib/jvm, SDKMAN, IntelliJ's ~/.jdks, /opt, /usr/java).
set -euo pipefail
out=$1 src=$2 cp=$3 require=${4:-}

# The feature version of the JDK at $1 (from its release file), or nothing when it is not a JDK.
feature() {
	[ -x "$1/bin/javac" ] && [ -r "$1/release" ] || return 0
	sed -n 's/^JAVA_VERSION="\([0-9][0-9]*\).*/\1/p' "$1/release"
}

candidates() {
	printf '%s\n' "${IMSG4J_JDK22:-}" "${MAVEN_JAVA_HOME:-}"
	env | sed -n 's/^JAVA[0-9][0-9]*_HOME=//p'
	printf '%s\n' "${JAVA_HOME:-}"
	for d in /usr/lib/jvm/* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/* /opt/java/* /opt/jdk* /usr/java/*; do
		printf '%s\n' "$d"
	done
}

jdk=
while IFS= read -r c; do
	[ -n "$c" ] || continue
	v=$(feature "$c")
	if [ -n "$v" ] && [ "$v" -ge 22 ]; then
		jdk=$c
		break
	fi
done < <(candidates)

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

echo "[INFO] imsg4j-core: compiling the FFM socket layer with $jdk (Java $(feature "$jdk"))"
find "$src" -name '*.java' > "$out/../java22-sources.txt"
"$jdk/bin/javac" --release 22 -Xlint:all,-serial,-processing,-restricted -proc:none -encoding UTF-8 -d "$out" \
	-cp "$out:$cp" @"$out/../java22-sources.txt"
