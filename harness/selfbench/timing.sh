#!/usr/bin/env bash
# selfbench: is every time figure stable, and does per-op timing agree with
# batched timing?  (docs/metrics.md, "Checks of the time figures")
#
#   harness/selfbench/timing.sh HEAPBENCH OUT_DIR [RUNS]
#
# 1. The same cell RUNS times (default 10), glibc and jemalloc interleaved,
#    on a generated trace of about a million small-block operations: the
#    spread of the calibrated clock overhead (target: under 2 ns), of the
#    trimmed-mean malloc and free latency (max/min at most 1.3), of the
#    median throughput (max/min at most 1.15), and whether glibc and
#    jemalloc keep their malloc order in every run.
# 2. Per-op against batched: the count-weighted mean latency per operation
#    (clock overhead subtracted) over the batched time per operation of the
#    throughput passes, for glibc and segfit (target 0.85 to 1.15).  A
#    timed window holds the allocator's call only; a batched pass also holds
#    the replay's own work per operation (reading the op, the slot, the
#    block writes), part of it overlapped with the call by the processor.
#    That work alone is measured with the null allocator (a bump pointer)
#    on the same trace and printed beside the gap, batched less per-op,
#    which it bounds.
# Exits 1 when a target is missed.
set -euo pipefail
hb=$1 out=$2 runs=${3:-10}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
"$hb" trace gen --out-dir "$out" "$here/million-small.yaml" >/dev/null
trace=$out/million-small.trace
rows=$out/timing-runs.csv

# One row per run: the CSV of `heapbench run`, its header once.
"$hb" run --csv --csv-header --name probe --timing throughput --passes 1 --min-time 0 \
    segfit "$here/../../traces/handmade/every-op.trace" | head -n 1 >"$rows"
allocs=(glibc jemalloc)
"$hb" run --csv --timing throughput --passes 1 --min-time 0 jemalloc "$trace" \
    >/dev/null 2>&1 || allocs=(glibc)
for ((i = 1; i <= runs; i++)); do
    for a in "${allocs[@]}"; do
        "$hb" run --csv --rep "$i" "$a" "$trace" >>"$rows"
    done
done
for a in segfit; do
    "$hb" run --csv --rep 1 "$a" "$trace" >>"$rows"
done
# The replay's own cost per operation: three null runs, the median kept.
for i in 1 2 3; do
    "$hb" run --csv --rep "$i" --timing throughput null "$trace" >>"$rows"
done

awk -F, -v runs="$runs" '
NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
function lo(k, v) { if (!(k in LO) || v < LO[k]) LO[k] = v }
function hi(k, v) { if (!(k in HI) || v > HI[k]) HI[k] = v }
function track(a, what, v) { lo(a SUBSEP what, v); hi(a SUBSEP what, v) }
$1 == "null" { nul[++nnul] = 1e9 / $c["throughput_median_ops_s"]; next }
$1 == "segfit" || ($1 == "glibc" && $3 == 1) {
    n = 0; s = 0
    split("malloc free realloc calloc aligned", k, " ")
    for (j = 1; j <= 5; j++) {
        cnt = $c[k[j] "_count"]
        if (cnt > 0) { n += cnt; s += cnt * $c[k[j] "_mean_ns"] }
    }
    perop[$1] = s / n; batch[$1] = 1e9 / $c["throughput_median_ops_s"]
}
$1 == "segfit" { next }
{
    a = $1; seen[a] = 1
    track(a, "ov", $c["clock_overhead_ns"])
    track(a, "m", $c["malloc_tmean_ns"])
    track(a, "f", $c["free_tmean_ns"])
    track(a, "tp", $c["throughput_median_ops_s"])
    m[a, $3] = $c["malloc_tmean_ns"]
    step = $c["clock_step_ns"]
}
function ratio(a, w) { return HI[a, w] / (LO[a, w] > 0 ? LO[a, w] : 1e-9) }
END {
    bad = 0
    printf "timing stability: %d runs of the same cell on million-small (clock step %.2f ns)\n", runs, step
    printf "%-9s %22s %24s %24s %22s\n", "", "overhead ns min..max", "malloc tmean ns (x)", "free tmean ns (x)", "median Mops/s (x)"
    for (a in seen) {
        printf "%-9s %9.2f..%-6.2f %5.2f %9.2f..%-7.2f %5.2f %9.2f..%-7.2f %5.2f %8.2f..%-6.2f %5.3f\n", a,
            LO[a, "ov"], HI[a, "ov"], HI[a, "ov"] - LO[a, "ov"],
            LO[a, "m"], HI[a, "m"], ratio(a, "m"), LO[a, "f"], HI[a, "f"], ratio(a, "f"),
            LO[a, "tp"] / 1e6, HI[a, "tp"] / 1e6, ratio(a, "tp")
        if (HI[a, "ov"] - LO[a, "ov"] >= 2) { bad = 1; print "  MISSED: overhead range under 2 ns" }
        if (ratio(a, "m") > 1.3 || ratio(a, "f") > 1.3) { bad = 1; print "  MISSED: tmean max/min at most 1.3" }
        if (ratio(a, "tp") > 1.15) { bad = 1; print "  MISSED: median throughput max/min at most 1.15" }
    }
    print "targets: overhead range < 2 ns; tmean max/min <= 1.3; median throughput max/min <= 1.15"
    if (("glibc" in seen) && ("jemalloc" in seen)) {
        g = 0
        for (r = 1; r <= runs; r++) g += m["glibc", r] < m["jemalloc", r]
        printf "malloc order: glibc faster than jemalloc in %d of %d runs", g, runs
        if (g != 0 && g != runs) { bad = 1; printf "  MISSED: the same order in every run" }
        printf "\n"
    }
    # the median of the null runs: the replay own work per operation
    for (i = 1; i <= nnul; i++) for (j = i + 1; j <= nnul; j++) if (nul[j] < nul[i]) { t = nul[i]; nul[i] = nul[j]; nul[j] = t }
    own = nnul ? (nnul % 2 ? nul[(nnul + 1) / 2] : (nul[nnul / 2] + nul[nnul / 2 + 1]) / 2) : 0
    printf "\nper-op against batched (million-small): mean latency per op over batched time per op\n"
    printf "%-9s %12s %12s %8s %10s\n", "", "per-op ns", "batched ns", "ratio", "gap ns"
    for (a in perop) {
        q = perop[a] / batch[a]
        printf "%-9s %12.2f %12.2f %8.3f %10.2f%s\n", a, perop[a], batch[a], q, batch[a] - perop[a], (q < 0.85 || q > 1.15) ? "  MISSED: 0.85..1.15" : ""
        if (q < 0.85 || q > 1.15) bad = 1
    }
    printf "the replay work per op, outside the timed window (null allocator, median of %d runs): %.2f ns;\n", nnul, own
    print "the gap (batched less per-op) is that work less what the processor overlaps with the call"
    print "target: ratio 0.85..1.15"
    exit bad
}' "$rows"
