#!/usr/bin/env bash
# find-jdk.sh MIN - prints the home of the first JDK of feature version MIN or later on this machine, or nothing.
# Looks in: IMSG4J_JDK22, the JDK running Maven (MAVEN_JAVA_HOME), JAVA<N>_HOME, JAVA_HOME, then the usual
# install directories (Debian's /usr/lib/jvm, SDKMAN, IntelliJ's ~/.jdks, /opt, /usr/java).
# Used by compile-java22.sh (the FFM layer) and train-aot.sh (the CLI's AOT cache).
set -euo pipefail
min=$1

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

while IFS= read -r c; do
	[ -n "$c" ] || continue
	v=$(feature "$c")
	if [ -n "$v" ] && [ "$v" -ge "$min" ]; then
		printf '%s %s\n' "$c" "$v"
		exit 0
	fi
done < <(candidates)
