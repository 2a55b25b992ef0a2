#!/bin/sh
# Measurements of the agent (not tests): read cost (JMH), start-up cost, heap figures for 50M weights.
# Build first:   ./quant4j mvn -B -q -pl benchmarks,agent-it -am -DskipTests verify
# Then:          benchmarks/run-agent-benchmarks.sh [read|startup|memory|all]
# read and startup run from benchmarks/target/benchmarks.jar; memory runs agent-it's MemoryClaimMain, the
# program its MemoryClaimTest checks. Figures and how to read them: docs/AGENT.md.
set -eu
cd "$(dirname "$0")/.."
. ./.mvn/find-jdk.sh && quant4j_find_jdk
JAVA="$JAVA_HOME/bin/java"
AGENT=agent/target/quant4j-agent.jar
BENCH=benchmarks/target/benchmarks.jar
CP="$(cat agent-it/target/test-classpath.txt 2>/dev/null):agent-it/target/test-classes"
[ -f "$AGENT" ] && [ -f "$BENCH" ] && [ -d agent-it/target/test-classes ] || {
  echo "build first: ./quant4j mvn -B -q -pl benchmarks,agent-it -am -DskipTests verify" >&2; exit 1; }
what="${1:-all}"

if [ "$what" = read ] || [ "$what" = all ]; then
  for cache in budget:256m none; do
    echo "== field read cost, cache=$cache =="
    "$JAVA" --add-modules jdk.incubator.vector --sun-misc-unsafe-memory-access=allow \
      -javaagent:"$AGENT"=cache=$cache -cp "$BENCH" org.openjdk.jmh.Main FieldReadBenchmark -rf text \
      -rff "benchmarks/target/jmh-read-${cache%%:*}.txt" 2>&1 | grep -E "^(Benchmark|FieldRead)" || true
  done
fi

if [ "$what" = startup ] || [ "$what" = all ]; then
  echo "== start-up cost =="
  "$JAVA" -cp "$BENCH" dev.quant4j.benchmarks.agent.StartupCostBenchmark "$AGENT" 300 15
fi

if [ "$what" = memory ] || [ "$what" = all ]; then
  echo "== heap after quantize + GC, 48 x 2^20 = 50,331,648 weights =="
  run() { # $1 heap flags, $2 agent options, $3 scheme
    echo "-- $1, cache=$2, scheme $3"
    "$JAVA" $1 --add-modules jdk.incubator.vector -javaagent:"$AGENT"=cache=$2 -cp "$CP" \
      dev.quant4j.it.memory.MemoryClaimMain quantize 48 1048576 "$3" 2>/dev/null | grep -v checksum | tr '\n' ' '
    echo
  }
  run "-Xmx160m -XX:+UseSerialGC" budget:16m q8s
  run "-Xmx160m -XX:+UseSerialGC" none q8s
  run "-Xmx96m -XX:+UseSerialGC" budget:16m q4s:block32
  run "-Xmx96m -XX:+UseSerialGC" budget:16m q4s:block32:f16
  run "-Xmx256m -XX:+UseG1GC" budget:16m q8s
  echo "-- float32, no quantization, -Xmx160m (expected: OutOfMemoryError)"
  "$JAVA" -Xmx160m -XX:+UseSerialGC --add-modules jdk.incubator.vector -cp "$CP" \
    dev.quant4j.it.memory.MemoryClaimMain float32 48 1048576 q8s 2>&1 | grep -m1 -E "OutOfMemoryError|weights=" || true
fi
