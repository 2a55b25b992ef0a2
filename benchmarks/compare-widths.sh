#!/usr/bin/env bash
# One command for the per-width table of docs/PERFORMANCE.md: our kernels at 512, 256 and 128 bits next to
# ggml's CPU build for the same width, in one session, single thread, both sides timed in CPU time.
#
#   benchmarks/compare-widths.sh [--quick] [--reps N] [--flush-mib N] [--widths "512 256 256avx2 128"]
#   benchmarks/compare-widths.sh --table-only     (prints the table again from the outputs in $OUT)
#
# Width configurations (quant4j JVM flags ; ggml CPU variant, GGML_CPU_VARIANT):
#   512      -Dquant4j.vectorBits=512                  ; the best-scoring AVX-512 build (zen4/sapphirerapids...)
#   256      -Dquant4j.vectorBits=256 (AVX-512VL forms) ; haswell (AVX2 + FMA)
#   256avx2  -XX:UseAVX=2 (what an AVX2-only CPU runs)  ; haswell
#   128      -Dquant4j.vectorBits=128 (AVX-512VL forms) ; sse42
#   128sse   -XX:UseAVX=0 (SSE4.2 only, as ggml's sse42) ; sse42
# ggml: shared/peer-bench/ggml_bench.c built from a copy with two changes only: the flush size comes from
# FLUSH_MIB (as compare-with-ggml.sh does) and the clock is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID)
# instead of CLOCK_MONOTONIC. quant4j: ./quant4j bench --json, whose *_threadcpu_gbps figures are the calling
# thread's CPU time. Both: medians of the timed runs. CPU time leaves out the time a thread waited for a core
# (this machine is shared), not the time it stalled on memory.
# Env: PEER_BENCH (folder of ggml_bench.c and run.sh; default ../shared/peer-bench next to the repo,
#      or ../../shared/peer-bench from a worktree),
#      OUT (outputs; default benchmarks/target/widths), PEER_WORK (npm folder; default $TMPDIR/quant4j-peer-bench).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peer="${PEER_BENCH:-$root/../shared/peer-bench}"
# A worktree under wt/ sits one level deeper than the main checkout.
[ -n "${PEER_BENCH:-}" ] || [ -f "$peer/ggml_bench.c" ] || peer="$root/../../shared/peer-bench"
out="${OUT:-$root/benchmarks/target/widths}"
work="${PEER_WORK:-${TMPDIR:-/tmp}/quant4j-peer-bench}"
quick=()
reps=5
flush=""
# 128sse is left out by default: at -XX:UseAVX=0 the JVM ran over 25 minutes without finishing Bench.
widths="512 256 256avx2 128"
table_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=(--quick) ;;
    --reps) reps="$2"; shift ;;
    --flush-mib) flush="$2"; shift ;;
    --widths) widths="$2"; shift ;;
    --table-only) table_only=1 ;;
    *) echo "usage: $0 [--quick] [--reps N] [--flush-mib N] [--widths \"512 256 256avx2 128 128sse\"] [--table-only]" >&2; exit 2 ;;
  esac
  shift
done
if [ "$table_only" = 0 ]; then
if [ ! -f "$peer/ggml_bench.c" ]; then
  echo "no peer bench at $peer; set PEER_BENCH to the folder holding run.sh and ggml_bench.c" >&2
  exit 2
fi
if [ -z "$flush" ]; then
  llc_kib=$(tr -dc 0-9 < /sys/devices/system/cpu/cpu0/cache/index3/size 2>/dev/null || true)
  flush=$(( ${llc_kib:-32768} * 4 / 1024 ))
  [ "$flush" -lt 128 ] && flush=128
  [ "$flush" -gt 1024 ] && flush=1024
fi
mkdir -p "$out" "$work"
lib="$work/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
if [ ! -d "$lib" ]; then
  (cd "$work" && npm i --no-save --no-audit --no-fund -E @node-llama-cpp/linux-x64@3.21.1 >/dev/null)
fi
sed 's/static const size_t FLUSH_BYTES = (size_t)128 << 20;/static size_t FLUSH_BYTES = (size_t)128 << 20;/;
     s/flush_buf = aligned_alloc(64, FLUSH_BYTES);/if (getenv("FLUSH_MIB")) FLUSH_BYTES = (size_t)atoi(getenv("FLUSH_MIB")) << 20; flush_buf = aligned_alloc(64, FLUSH_BYTES);/;
     s/CLOCK_MONOTONIC/CLOCK_THREAD_CPUTIME_ID/' "$peer/ggml_bench.c" > "$work/ggml_bench_cpu.c"
gcc -O3 -march=native -fopenmp-simd -o "$work/ggml_bench_cpu" "$work/ggml_bench_cpu.c" -ldl -lm
pin=()
if command -v taskset >/dev/null; then pin=(taskset -c 1); fi
# Builds the bench jar once (./quant4j does it when stale) before anything is timed.
"$root/quant4j" bench --help >/dev/null 2>&1 || true

{ echo "# $(date -u +%FT%TZ) load at start: $(cat /proc/loadavg)"
  lscpu | grep -E "Model name|^CPU\(s\)|L3"
  echo "flush ${flush} MiB, ${reps} timed runs per figure"; } > "$out/machine.txt"
cat "$out/machine.txt" >&2

ggml_run() {  # variant (empty: the best-scoring one) -> output file
  local v="$1" f="$out/ggml-${1:-best}.txt"
  if [ ! -s "$f" ]; then
    echo "== ggml ${v:-best} (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    (cd "$work" && env ${v:+GGML_CPU_VARIANT=$v} FLUSH_MIB="$flush" "${pin[@]}" ./ggml_bench_cpu "$lib" "$reps") \
      > "$f.tmp"
    mv "$f.tmp" "$f"
  fi
  echo "$f"
}
unset GGML_CPU_VARIANT
rm -f "$out"/ggml-*.txt "$out"/quant4j-*.json

for w in $widths; do
  case "$w" in
    512) flags="-Dquant4j.vectorBits=512"; variant="" ;;
    256) flags="-Dquant4j.vectorBits=256"; variant=haswell ;;
    256avx2) flags="-XX:UseAVX=2 -Dquant4j.vectorBits=256"; variant=haswell ;;
    128) flags="-Dquant4j.vectorBits=128"; variant=sse42 ;;
    128sse) flags="-XX:UseAVX=0 -Dquant4j.vectorBits=128"; variant=sse42 ;;
    *) echo "unknown width $w (use 512 256 256avx2 128 128sse)" >&2; exit 2 ;;
  esac
  g=$(ggml_run "$variant")
  echo "== quant4j $w: $flags (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  JAVA_OPTS="$flags" "$root/quant4j" bench "${quick[@]}" --reps "$reps" --flush-mib "$flush" --json \
    > "$out/quant4j-$w.json"
  echo "$w|$flags|$(grep -o 'CPU backend = [^ ]*' "$g" | head -1 | cut -d' ' -f4)|$g|$out/quant4j-$w.json" >> "$out/runs.txt.tmp"
done
mv "$out/runs.txt.tmp" "$out/runs.txt"
echo "# $(date -u +%FT%TZ) load at end: $(cat /proc/loadavg)" >> "$out/machine.txt"
fi

# The table: each cell is quant4j / ggml (both GB/s, CPU time); the last column is ours alone.
awk -F'|' '
function peer(file, key,   line, v) {
  v = "";
  while ((getline line < file) > 0) {
    if (match(line, "RESULT " key ": [0-9.]+ (MB|GB)/s")) {
      split(substr(line, RSTART, RLENGTH), p, " "); v = p[3] + 0; if (p[4] ~ /^MB/) v /= 1000;
    }
  }
  close(file); return v;
}
function ours(file, key,   line, v) {
  v = ""; getline line < file; close(file);
  if (match(line, "\"" key "\":[0-9.]+")) { v = substr(line, RSTART + length(key) + 3, RLENGTH - length(key) - 3) + 0; }
  return v;
}
function cell(a, b) { return (a == "" || b == "" || b == 0) ? "-" : sprintf("**%.2f** (%.2f / %.2f)", a / b, a, b); }
function mx(a, b) { return a > b ? a : b; }
BEGIN {
  print "| width | quant4j JVM flags | ggml build | quantize Q8S | quantize Q4F | dequantize Q8S | dequantize Q4F | matvec Q4 (f32 activations) | matvec Q4 (int8 activations) | matvec Q8 (f32 activations) | matvec Q8 (int8 activations) | ours: Q4 / f32 matvec, weights/s |";
  print "|---|---|---|---|---|---|---|---|---|---|---|---|";
}
{
  g = $4; j = $5; t = "_threadcpu_gbps";
  q8 = mx(peer(g, "cpu_from_float_q8_0"), peer(g, "quantize_chunk_q8_0"));
  q4 = mx(peer(g, "cpu_from_float_q4_0"), peer(g, "quantize_chunk_q4_0"));
  d4 = peer(g, "vec_dot_q4_0_q8_0"); d8 = peer(g, "vec_dot_q8_0_q8_0");
  f32 = ours(j, "matvec_f32" t); m4 = ours(j, "matvec_q4f_block32_f16" t);
  printf "| %s | `%s` | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3,
    cell(ours(j, "quantize_q8s_block32_f16" t), q8), cell(ours(j, "quantize_q4f_block32_f16" t), q4),
    cell(ours(j, "dequantize_q8s_block32_f16" t), peer(g, "to_float_q8_0")),
    cell(ours(j, "dequantize_q4f_block32_f16" t), peer(g, "to_float_q4_0")),
    cell(m4, d4), cell(ours(j, "matvec_int8_q4f_block32_f16" t), d4),
    cell(ours(j, "matvec_q8s_block32_f16" t), d8), cell(ours(j, "matvec_int8_q8s_block32_f16" t), d8),
    (f32 == "" || f32 == 0) ? "-" : sprintf("%.2f (%.2f / %.2f GB/s)", (m4 / (18.0 / 32)) / (f32 / 4), m4, f32);
}' "$out/runs.txt" | tee "$out/table.md"
echo "cells: quant4j / ggml ratio (quant4j GB/s / ggml GB/s), CPU time of the working thread, medians of $reps runs" | tee -a "$out/table.md"
echo "outputs in $out" >&2
