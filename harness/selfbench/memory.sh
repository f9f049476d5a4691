#!/usr/bin/env bash
# selfbench: does the resident footprint agree with each system allocator's
# own statistics, and is it repeatable?  (docs/metrics.md, "The allocator's
# own statistics")
#
#   harness/selfbench/memory.sh HEAPBENCH OUT_DIR [TRACE] [RUNS]
#
# For glibc, jemalloc, mimalloc and tcmalloc (those installed) on a
# recorded trace with tens of MiB live (default sqlite-warehouse): RUNS
# runs (default 5) from the binary trace cache and one with --no-cache.
# Targets: the resident footprint within 10 % of the allocator's own
# figure; the same resident footprint, to the page, in every run, with and
# without the cache.  Exits 1 when a target is missed.
set -euo pipefail
hb=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
trace=${3:-$here/../../traces/recorded/sqlite-warehouse.trace.xz}
runs=${4:-5}
mkdir -p "$out"
rows=$out/memory-runs.csv
quick=(--timing throughput --passes 1 --min-time 0)

"$hb" run --csv --csv-header "${quick[@]}" glibc "$here/../../traces/handmade/every-op.trace" |
    head -n 1 >"$rows"
for a in glibc jemalloc mimalloc tcmalloc; do
    "$hb" run --csv "${quick[@]}" "$a" "$trace" >/dev/null 2>&1 || continue
    for ((i = 1; i <= runs; i++)); do
        "$hb" run --csv --rep "$i" "${quick[@]}" "$a" "$trace" >>"$rows"
    done
    "$hb" run --csv --rep 0 --no-cache "${quick[@]}" "$a" "$trace" >>"$rows"
done

awk -F, -v runs="$runs" -v trace="$(basename "$trace")" '
NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
{
    a = $1; if (!(a in seen)) { order[++n] = a; seen[a] = 1 }
    res = $c["footprint_resident_bytes"]; st = $c["footprint_stats_bytes"]
    if ($3 == 0) { nocache[a] = res; next }
    if (!(a in lo) || res < lo[a]) lo[a] = res
    if (!(a in hi) || res > hi[a]) hi[a] = res
    stats[a] = st; method[a] = $c["footprint_stats_method"]; live[a] = $c["peak_live_bytes"]
}
END {
    bad = 0
    printf "resident footprint against the allocators own statistics: %s, %d runs + 1 without the cache\n", trace, runs
    printf "%-9s %12s %13s %13s %13s %7s  %s\n", "", "peak live", "resident", "no cache", "own stats", "ratio", "method"
    for (k = 1; k <= n; k++) {
        a = order[k]; q = stats[a] > 0 ? hi[a] / stats[a] : 0
        same = lo[a] == hi[a] && nocache[a] == hi[a]
        printf "%-9s %12d %13d %13d %13d %7.3f  %s%s%s\n", a, live[a], hi[a], nocache[a], stats[a], q,
            method[a], (q < 0.9 || q > 1.1) ? "  MISSED: within 10 %" : "",
            same ? "" : sprintf("  MISSED: identical (runs %d..%d)", lo[a], hi[a])
        if (q < 0.9 || q > 1.1 || !same) bad = 1
    }
    print "targets: resident within 10 % of the own statistics; identical to the page in every run, cache or not"
    exit bad
}' "$rows"
