#!/usr/bin/env bash
# Runs the ggml peer bench and `./quant4j bench` in one session and prints our figures with the ratios
# to ggml's (the machine is noisy: only ratios from the same session mean much).
#
#   benchmarks/compare-with-ggml.sh [--quick] [--flush-mib N] [--wait-quiet]
#
# - ggml, official: shared/peer-bench/run.sh as it is (it flushes 128 MiB before each timed run).
# - ggml, same flush as ours: the same ggml_bench.c built from a copy whose flush size is read from
#   FLUSH_MIB (the only change), so both sides evict the same amount of cache. On a CPU whose
#   last-level cache is larger than 128 MiB the official run can still find part of its data in cache.
# - quant4j: ./quant4j bench --ggml <the same-flush ggml output>, which prints the ratios.
# Env: PEER_BENCH (folder of run.sh and ggml_bench.c; default ../shared/peer-bench next to the repo),
#      OUT (where the outputs go; default benchmarks/target/compare).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peer="${PEER_BENCH:-$root/../shared/peer-bench}"
out="${OUT:-$root/benchmarks/target/compare}"
work="${TMPDIR:-/tmp}/quant4j-peer-bench"
quick=()
flush=""
wait_quiet=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=(--quick) ;;
    --flush-mib) flush="$2"; shift ;;
    --wait-quiet) wait_quiet=1 ;;
    *) echo "usage: $0 [--quick] [--flush-mib N] [--wait-quiet]" >&2; exit 2 ;;
  esac
  shift
done
if [ ! -f "$peer/run.sh" ]; then
  echo "no peer bench at $peer; set PEER_BENCH to the folder holding run.sh and ggml_bench.c" >&2
  exit 2
fi
if [ -z "$flush" ]; then
  # The same default as Bench: 4 x the last-level cache, at least 128 MiB, at most 1 GiB.
  llc_kib=$(cat /sys/devices/system/cpu/cpu0/cache/index3/size 2>/dev/null | tr -dc 0-9 || true)
  flush=$(( ${llc_kib:-32768} * 4 / 1024 ))
  [ "$flush" -lt 128 ] && flush=128
  [ "$flush" -gt 1024 ] && flush=1024
fi
mkdir -p "$out"
if [ "$wait_quiet" = 1 ]; then
  # Wait (up to 30 minutes) for the 1-minute load average to fall below 0.5.
  for _ in $(seq 60); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    awk -v l="$load" 'BEGIN { exit !(l < 0.5) }' && break
    sleep 30
  done
fi
{ echo "# $(date -u +%FT%TZ) load: $(cat /proc/loadavg)"; lscpu | grep -E "Model name|^CPU\(s\)|L3|Flags" | sed 's/Flags:.*/Flags: (avx512f: '"$(grep -c avx512f /proc/cpuinfo)"' cpus)/'; } > "$out/machine.txt"

echo "== ggml peer bench, official (128 MiB flush)" >&2
bash "$peer/run.sh" "$work" > "$out/ggml-official.txt"
grep RESULT "$out/ggml-official.txt" >&2

echo "== ggml peer bench, ${flush} MiB flush" >&2
sed 's/static const size_t FLUSH_BYTES = (size_t)128 << 20;/static size_t FLUSH_BYTES = (size_t)128 << 20;/;
     s/flush_buf = aligned_alloc(64, FLUSH_BYTES);/if (getenv("FLUSH_MIB")) FLUSH_BYTES = (size_t)atoi(getenv("FLUSH_MIB")) << 20; flush_buf = aligned_alloc(64, FLUSH_BYTES);/' \
  "$peer/ggml_bench.c" > "$work/ggml_bench_flush.c"
gcc -O3 -march=native -fopenmp-simd -o "$work/ggml_bench_flush" "$work/ggml_bench_flush.c" -ldl -lm
pin=()
if command -v taskset >/dev/null; then pin=(taskset -c 1); fi
(cd "$work" && FLUSH_MIB="$flush" "${pin[@]}" ./ggml_bench_flush node_modules/@node-llama-cpp/linux-x64/bins/linux-x64 3) \
  > "$out/ggml-flush${flush}.txt"
grep RESULT "$out/ggml-flush${flush}.txt" >&2

echo "== quant4j bench, ${flush} MiB flush" >&2
"$root/quant4j" bench "${quick[@]}" --flush-mib "$flush" --ggml "$out/ggml-flush${flush}.txt" | tee "$out/quant4j.txt"
echo "outputs in $out" >&2
