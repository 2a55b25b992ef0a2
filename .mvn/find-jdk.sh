# Sourced by ./quant4j, .ci/run (through ./quant4j) and benchmarks/run-agent-benchmarks.sh: makes JAVA_HOME point at a JDK 25 or newer.
# ./mvnw is the generated wrapper, left as maven-wrapper-plugin writes it; the build itself stops at once when
# Maven runs on an older java (the enforcer rule in pom.xml).
# Order: $JAVA_HOME if it is 25+, then the usual install folders, then `java` on the PATH.
# Prints what is missing and returns 1 when no JDK 25+ is found.
quant4j_java_major() {
  # $1: a JDK home; prints its feature version (e.g. 25), or nothing.
  [ -x "$1/bin/java" ] || return 0
  if [ -f "$1/release" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" | head -n 1
  else
    "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n 1
  fi
}
quant4j_find_jdk() {
  local need=25 cand major
  if [ -n "${JAVA_HOME:-}" ]; then
    major=$(quant4j_java_major "$JAVA_HOME")
    if [ -n "$major" ] && [ "$major" -ge "$need" ]; then return 0; fi
  fi
  for cand in /usr/lib/jvm/temurin-25* /usr/lib/jvm/*25* /usr/lib/jvm/* /opt/java/* /opt/jdk* \
              "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/* \
              /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$cand" ] || continue
    major=$(quant4j_java_major "$cand")
    if [ -n "$major" ] && [ "$major" -ge "$need" ]; then export JAVA_HOME="$cand"; return 0; fi
  done
  if command -v java >/dev/null 2>&1; then
    cand=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    major=$(quant4j_java_major "$cand")
    if [ -n "$major" ] && [ "$major" -ge "$need" ]; then export JAVA_HOME="$cand"; return 0; fi
  fi
  echo "quant4j: JDK $need or newer is required and none was found." >&2
  echo "  Looked at \$JAVA_HOME (${JAVA_HOME:-unset}), /usr/lib/jvm, /opt, ~/.sdkman and the 'java' on the PATH." >&2
  echo "  Install one (for example Temurin 25) and set JAVA_HOME to its folder." >&2
  return 1
}
