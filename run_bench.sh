#!/usr/bin/env bash
# heapbench driver script: a thin layer over build/heapbench, cmake and
# gnuplot.  `./run_bench.sh help` lists the subcommands; docs/running.md
# describes them.
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")"
BUILD=${HB_BUILD:-build}
ASAN_BUILD=${HB_ASAN_BUILD:-build-asan}
HB="$BUILD/heapbench"
JOBS=$(nproc 2>/dev/null || echo 2)

# Debian packages: what the build, the charts and selfbench need, and the
# system allocators compared (optional: their cells are skipped when absent).
REQUIRED_PKGS=(cmake gcc make pkg-config libyaml-dev liblzma-dev zlib1g-dev gnuplot-nox
               hyperfine xz-utils)
OPTIONAL_PKGS=(libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4)
CHARTS=(utilization malloc_latency free_latency throughput footprint)

say() { printf '%s\n' "$*" >&2; }
die() { say "run_bench.sh: $*"; exit 1; }

usage() {
    cat <<'EOF'
usage: ./run_bench.sh COMMAND [ARGS]

  all                  deps, build, synthetic traces, run, plots; then each phase's time
  quick [ARGS]         a first look in under a minute after the build: run with
                       bench-quick.yaml, then plots
  deps                 check (and as root install) the Debian packages needed
  build                configure and build build/ (Release; HB_WERROR=1 adds -Werror)
  gen                  generate the synthetic traces into build/traces/synthetic
  run [ARGS]           heapbench bench [--config F] [--out DIR] [--resume DIR]
                       [--filter-allocator G] [--filter-trace G] [-j N]
  plots [RUN_DIR]      draw the charts of a run (default results/latest)
  test                 -Werror build + every test, then ASan/UBSan build + tests
  list [ARGS]          allocators and traces bench.yaml sees
  plan [ARGS]          one self-contained command line per cell
  record ARGS          heapbench record ARGS (record a program's allocations)
  trace ARGS           heapbench trace ARGS (stats, check, convert, gen, cache)
  selfbench            heapbench scaling, hyperfine over whole replays, and the
                       harness's own cost (reference loop, null allocator, loading)
  help                 this text

Results: results/<run-id>/{results.csv,env.txt,config.yaml,plan.txt,logs/,plots/},
results/latest -> the newest run; charts also copied to plots/.
EOF
}

# True when the package (or, for gnuplot, any gnuplot) is installed.
have_pkg() {
    case $1 in
        gnuplot-nox) command -v gnuplot >/dev/null && return 0 ;;
    esac
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif sudo -n true 2>/dev/null; then sudo -n "$@"; else return 1; fi
}

apt_install() {
    # An image without package lists cannot install anything: update first.
    if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null; then
        as_root apt-get update
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" ||
        { as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y --no-install-recommends "$@"; }
}

cmd_deps() {
    command -v dpkg-query >/dev/null || die "no dpkg-query: install by hand: ${REQUIRED_PKGS[*]}"
    local missing=() optional=() p
    for p in "${REQUIRED_PKGS[@]}"; do have_pkg "$p" || missing+=("$p"); done
    for p in "${OPTIONAL_PKGS[@]}"; do have_pkg "$p" || optional+=("$p"); done
    if [ ${#missing[@]} -eq 0 ] && [ ${#optional[@]} -eq 0 ]; then
        say "deps: all present"
        return 0
    fi
    if [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; then
        [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
        if [ ${#optional[@]} -gt 0 ]; then
            apt_install "${optional[@]}" ||
                say "deps: optional allocators not installed (their cells are skipped): ${optional[*]}"
        fi
        return 0
    fi
    [ ${#optional[@]} -eq 0 ] ||
        say "deps: optional, their cells are skipped without them: ${optional[*]}"
    if [ ${#missing[@]} -gt 0 ]; then
        say "deps: missing packages; install them with:"
        say "  sudo apt-get install -y ${missing[*]}"
        exit 1
    fi
}

cmd_build() {
    cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release ${HB_WERROR:+-DHB_WERROR=ON}
    cmake --build "$BUILD" -j "$JOBS"
}

need_build() { [ -x "$HB" ] || die "$HB not built; run ./run_bench.sh build"; }

cmd_gen() {
    need_build
    "$HB" trace gen --out-dir "$BUILD/traces/synthetic" --sync traces/synthetic/*.yaml
}

cmd_plots() {
    need_build
    local run=${1:-results/latest}
    [ -f "$run/results.csv" ] || die "$run/results.csv not found (run ./run_bench.sh run first)"
    run=$(readlink -f "$run")
    mkdir -p "$run/plots/data" plots
    "$HB" plotdata --out-dir "$run/plots/data" "$run/results.csv" >/dev/null
    local chart
    for chart in "${CHARTS[@]}"; do
        # A chart whose metric has no value in this run (every cell failed) is left out.
        if ! gnuplot -e "in='$run/plots/data'; out='$run/plots/$chart.png'" \
                "plots/$chart.gp" 2>"$run/plots/$chart.log"; then
            say "plots: $chart not drawn (see $run/plots/$chart.log)"
            continue
        fi
        rm -f "$run/plots/$chart.log" # only warnings: a column without values
        cp "$run/plots/$chart.png" "plots/$chart.png"
        say "plots: $run/plots/$chart.png"
    done
}

cmd_test() {
    cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DHB_WERROR=ON
    cmake --build "$BUILD" -j "$JOBS"
    ctest --test-dir "$BUILD" --output-on-failure -j 2
    cmake -S . -B "$ASAN_BUILD" -DCMAKE_BUILD_TYPE=Debug -DHB_SANITIZE=ON -DHB_WERROR=ON
    cmake --build "$ASAN_BUILD" -j "$JOBS"
    ctest --test-dir "$ASAN_BUILD" --output-on-failure -j 2 -L '^(allocators|trace|run)$'
}

cmd_selfbench() {
    need_build
    # Whole runs of the two largest recorded traces (about 50 ms each from
    # the trace cache, of which process start is a few): the replay and the
    # allocator's own setup, not the start, are most of what is timed.
    local out traces=(traces/recorded/python-textproc.trace.xz traces/recorded/lua-inventory.trace.xz)
    out="results/selfbench-$(date -u +%Y%m%d-%H%M%S)"
    mkdir -p "$out"
    # scaling exits 1 when an allocator leaves its complexity class: a
    # finding to report after the timings, not a reason to skip them.
    local scaling=0
    "$HB" scaling | tee "$out/scaling.txt" || scaling=$?
    local cmds=() a t
    for t in "${traces[@]}"; do
        "$HB" trace check "$t" >/dev/null || die "$t does not load"
        for a in glibc segfit; do cmds+=("$HB run --timing throughput $a $t"); done
    done
    hyperfine --warmup 1 --runs 10 --export-csv "$out/hyperfine.csv" \
        --export-markdown "$out/hyperfine.md" "${cmds[@]}"
    selfbench_speed "$out"
    say "selfbench: $out/scaling.txt, $out/hyperfine.csv, $out/speed.txt"
    [ "$scaling" -eq 0 ] || say "selfbench: heapbench scaling exited $scaling (see its verdicts)"
    return "$scaling"
}

# ---- selfbench: the harness's own cost ----------------------------------------

SB_ROUNDS=${HB_SELFBENCH_ROUNDS:-3} # interleaved rounds; the best of each side counts
SB_SYSTEM=(glibc jemalloc mimalloc tcmalloc)

# The value of column NAME in the last row of the CSV on stdin (empty if absent).
csv_col() {
    awk -F, -v name="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
                          { v = c ? $c : "" } END { print v }'
}

# The larger of two numbers (an empty one counts as 0).
num_max() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }

# Wall time of one command in nanoseconds.
wall_ns() {
    local t0 t1
    t0=$(date +%s%N); "$@" >/dev/null 2>&1 || return 1; t1=$(date +%s%N)
    echo $((t1 - t0))
}

# The best of three wall times of a command, in ns.
best_wall_ns() {
    local best="" r ns
    for ((r = 0; r < 3; r++)); do
        ns=$(wall_ns "$@") || return 1
        [ -n "$best" ] && [ "$best" -le "$ns" ] || best=$ns
    done
    echo "$best"
}

# One CSV row of heapbench run --timing throughput (empty when it fails).
run_csv() { "$HB" run --timing throughput --csv --csv-header "$@" 2>/dev/null || true; }

# The harness's untimed throughput as ops/s: the best pass when the CSV has
# it (the reference loop reports its best pass too), else throughput_ops_s.
harness_ops_s() {
    local csv col=throughput_ops_s
    csv=$(run_csv "$@")
    head -1 <<<"$csv" | tr , '\n' | grep -qx throughput_best_ops_s && col=throughput_best_ops_s
    csv_col "$col" <<<"$csv"
}

refloop_ops_s() { "$BUILD/hb_refloop" --csv "$@" 2>/dev/null | csv_col best_ops_s || true; }

# Exports every recorded trace as a flat op file for hb_refloop.
selfbench_export_ops() {
    local dir=$1 t
    mkdir -p "$dir"
    for t in traces/recorded/*.trace.xz; do
        "$HB" trace export-ops "$t" "$dir/$(basename "$t" .trace.xz).ops" ||
            die "$t: cannot export its operations"
    done
}

# Harness vs reference loop, wall clock: rounds interleaved, best of each.
selfbench_vs_reference() {
    local ops=$1 t name a r ref hb
    printf '\nharness vs reference loop (untimed replay, best of %s interleaved rounds; %s)\n' \
        "$SB_ROUNDS" "target >= 0.90"
    printf '  %-18s %-9s %12s %12s %7s\n' trace allocator "ref Mops/s" "hb Mops/s" ratio
    for t in traces/recorded/*.trace.xz; do
        name=$(basename "$t" .trace.xz)
        for a in "${SB_SYSTEM[@]}"; do
            ref=0 hb=0
            for ((r = 0; r < SB_ROUNDS; r++)); do
                ref=$(num_max "$ref" "$(refloop_ops_s "$a" "$ops/$name.ops")")
                hb=$(num_max "$hb" "$(harness_ops_s "$a" "$t")")
            done
            awk -v t="$name" -v a="$a" -v ref="$ref" -v hb="$hb" 'BEGIN {
                printf "  %-18s %-9s ", t, a
                if (ref <= 0 || hb <= 0) { print "not measured (allocator not loadable?)"; exit }
                q = hb / ref
                printf "%12.1f %12.1f %7.3f  %s\n", ref / 1e6, hb / 1e6, q,
                       (q >= 0.9 ? "ok" : "BELOW 0.90") }'
        done
    done
}

# Instructions of one callgrind run of CMD inside function FN (its standard
# output goes to OUT.csv); empty when it fails.  The static TLS reserve is
# set here, since a process that re-executed itself to get it would leave
# valgrind.
callgrind_ir() {
    local fn=$1 out=$2
    shift 2
    GLIBC_TUNABLES=glibc.rtld.optional_static_tls=0x40000 valgrind --tool=callgrind \
        --toggle-collect="$fn" --callgrind-out-file="$out" "$@" >"$out.csv" 2>/dev/null || return 0
    awk '/^totals:/ { print $2 }' "$out"
}

# Instructions per operation of one untimed pass, harness vs reference loop,
# counted by callgrind inside the pass functions only (deterministic).
selfbench_instructions() {
    local ops=$1 out=$2 fn=${HB_PASS_FN:-hb_pass_throughput} t name n ref hb passes
    if ! command -v valgrind >/dev/null; then
        say "selfbench: no valgrind: instruction counts skipped"
        return 0
    fi
    printf '\ninstructions per op, one untimed pass, glibc (callgrind in %s vs rl_pass; %s)\n' \
        "$fn" "target <= 1.10x"
    printf '  %-18s %10s %10s %7s\n' trace reference harness ratio
    for name in gcc-cc1 sqlite-orders; do
        t=traces/recorded/$name.trace.xz
        n=$("$BUILD/hb_refloop" --csv --passes 0 glibc "$ops/$name.ops" | csv_col ops || true)
        ref=$(callgrind_ir rl_pass "$out/cg.ref.$name" \
            "$BUILD/hb_refloop" --passes 1 glibc "$ops/$name.ops")
        hb=$(callgrind_ir "$fn" "$out/cg.hb.$name" \
            "$HB" run --timing throughput --csv --csv-header glibc "$t")
        passes=$(csv_col throughput_passes <"$out/cg.hb.$name.csv")
        awk -v t="$name" -v n="$n" -v ref="$ref" -v hb="$hb" -v p="${passes:-1}" 'BEGIN {
            if (!(n > 0 && ref > 0 && hb > 0)) { printf "  %-18s not measured\n", t; exit }
            r = ref / n; h = hb / (n * (p > 0 ? p : 1)); q = h / r
            printf "  %-18s %10.1f %10.1f %7.3f  %s\n", t, r, h, q,
                   (q <= 1.1 ? "ok" : "ABOVE 1.10") }'
    done
}

# The null allocator: what the harness costs per operation on its own.
selfbench_null() {
    local t=$1 best=0 r
    for ((r = 0; r < 5; r++)); do best=$(num_max "$best" "$(harness_ops_s null "$t")"); done
    awk -v t="$(basename "$t" .trace.xz)" -v v="$best" 'BEGIN {
        printf "\nnull allocator on %s (the harness alone, best of 5): ", t
        if (v <= 0) { print "not measured"; exit }
        printf "%.2f ns/op, %.1f Mops/s (target >= 100 Mops/s: %s)\n", 1e9 / v, v / 1e6,
               (v >= 1e8 ? "ok" : "BELOW") }'
}

# Trace parsing (no cache) in MB/s of text, and a load from the binary cache.
selfbench_loading() {
    local t=$1 out=$2 bytes text xz_ns text_ns cache_ns
    text=$out/$(basename "$t" .xz)
    xz -dc "$t" >"$text"
    bytes=$(stat -c %s "$text")
    xz_ns=$(best_wall_ns "$HB" trace check "$t")
    text_ns=$(best_wall_ns "$HB" trace check "$text")
    HB_CACHE_DIR=$out/cache "$HB" trace check --cache "$t" >/dev/null
    cache_ns=$(HB_CACHE_DIR=$out/cache best_wall_ns "$HB" trace check --cache "$t")
    awk -v b="$bytes" -v x="$xz_ns" -v p="$text_ns" -v c="$cache_ns" \
        -v n="$(basename "$t")" 'BEGIN {
        printf "\ntrace loading, %s (%.1f MB of text; whole process, best of 3)\n", n, b / 1e6
        printf "  parse .trace.xz, no cache  %7.1f ms  %6.1f MB/s\n", x / 1e6, b / x * 1e3
        printf "  parse .trace, no cache     %7.1f ms  %6.1f MB/s\n", p / 1e6, b / p * 1e3
        printf "  load from the binary cache %7.1f ms\n", c / 1e6 }'
    rm -f "$text"
}

# What per-op timing costs: the latency pass's wall time per op (process
# time of --timing per-op minus the same run's other work, measured as
# --timing throughput minus its own pass) next to the clock's read cost.
selfbench_perop() {
    local t=$1 a=glibc csv n thr_s clk lat_ns thr_ns
    csv=$(run_csv "$a" "$t")
    n=$(csv_col ops <<<"$csv")
    thr_s=$(csv_col replay_s <<<"$csv")
    clk=$("$HB" run --timing per-op --csv --csv-header "$a" "$t" | csv_col clock_overhead_ns ||
          true)
    lat_ns=$(best_wall_ns "$HB" run --timing per-op "$a" "$t" || true)
    thr_ns=$(best_wall_ns "$HB" run --timing throughput "$a" "$t" || true)
    awk -v n="$n" -v s="$thr_s" -v l="$lat_ns" -v tn="$thr_ns" -v c="$clk" -v a="$a" \
        -v t="$(basename "$t" .trace.xz)" 'BEGIN {
        if (!(n > 0 && l > 0 && tn > 0)) { print "\nper-op pass: not measured"; exit }
        thr = s * 1e9 / n; lat = (l - tn) / n + thr
        printf "\nper-op latency pass, %s on %s: %.1f ns/op wall (untimed pass %.1f ns/op),\n",
               a, t, lat, thr
        printf "  so per-op timing costs %.1f ns/op; the clock pair it subtracts: %s ns\n",
               lat - thr, c }'
}

# segfit against glibc on every recorded trace: throughput (best of the
# interleaved rounds) and utilization as `run` reports it.
selfbench_segfit() {
    local t name r s g su gu
    printf '\nsegfit vs glibc (throughput: best of %s interleaved rounds; %s)\n' \
        "$SB_ROUNDS" "utilization as run reports it"
    printf '  %-18s %11s %11s %7s %9s %9s\n' trace "segfit Mops" "glibc Mops" ratio \
        "segfit ut" "glibc ut"
    for t in traces/recorded/*.trace.xz; do
        name=$(basename "$t" .trace.xz)
        s=0 g=0
        for ((r = 0; r < SB_ROUNDS; r++)); do
            s=$(num_max "$s" "$(harness_ops_s segfit "$t")")
            g=$(num_max "$g" "$(harness_ops_s glibc "$t")")
        done
        su=$(run_csv segfit "$t" | csv_col utilization)
        gu=$(run_csv glibc "$t" | csv_col utilization)
        awk -v t="$name" -v s="$s" -v g="$g" -v su="$su" -v gu="$gu" 'BEGIN {
            printf "  %-18s %11.1f %11.1f %7.2f %9.3f %9.3f\n", t, s / 1e6, g / 1e6,
                   (g > 0 ? s / g : 0), su, gu }'
    done
}

# The sections of selfbench about speed; a summary also goes to OUT/speed.txt.
selfbench_speed() {
    local out=$1 ops largest
    [ -x "$BUILD/hb_refloop" ] || die "$BUILD/hb_refloop not built; run ./run_bench.sh build"
    ops=$out/ops
    selfbench_export_ops "$ops"
    largest=traces/recorded/$(basename "$(ls -S "$ops"/*.ops | head -1)" .ops).trace.xz
    {
        printf 'machine: %s, %s cores, %s\n' "$(uname -m)" "$(nproc)" \
            "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
        selfbench_null "$largest"
        selfbench_vs_reference "$ops"
        selfbench_instructions "$ops" "$out"
        selfbench_loading "$largest" "$out"
        selfbench_perop "$largest"
        selfbench_segfit
    } | tee "$out/speed.txt"
    rm -rf "$ops" "$out/cache"
}

# ---- phase times of all and quick ----------------------------------------------

PHASES=()

# Runs one phase (a name, then the command) and notes its wall time.
timed() {
    local name=$1 t0 rc=0
    shift
    t0=$(date +%s%N)
    "$@" || rc=$?
    PHASES+=("$name $(( ($(date +%s%N) - t0) / 1000000 ))")
    return "$rc"
}

phase_line() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "  %-8s %7.1f s", n, ms / 1000 }'; }

print_phases() {
    local p total=0
    say "phase times:"
    for p in "${PHASES[@]}"; do
        say "$(phase_line "${p%% *}" "${p#* }")"
        total=$((total + ${p#* }))
    done
    say "$(phase_line total "$total")"
}

# A first look: bench-quick.yaml (three recorded and three synthetic traces,
# no mmap baseline, one repetition), then the charts.
cmd_quick() {
    need_build
    timed gen cmd_gen
    local rc=0
    timed replay "$HB" bench --config bench-quick.yaml "$@" || rc=$?
    if [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ]; then timed charts cmd_plots; fi
    print_phases
    return "$rc"
}

main() {
    local cmd=${1:-help}
    [ $# -eq 0 ] || shift
    case $cmd in
        all)
            timed deps cmd_deps; timed build cmd_build; timed gen cmd_gen; need_build
            # A trace that cannot be loaded (exit 3) still leaves every other
            # cell measured: draw them, then report the failure.
            local rc=0
            timed replay "$HB" bench "$@" || rc=$?
            [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || { print_phases; exit "$rc"; }
            timed charts cmd_plots
            print_phases
            exit "$rc" ;;
        quick) cmd_quick "$@" ;;
        deps) cmd_deps ;;
        build) cmd_build ;;
        gen) cmd_gen ;;
        run) need_build; exec "$HB" bench "$@" ;;
        plots) cmd_plots "$@" ;;
        test) cmd_test ;;
        list) need_build; exec "$HB" list "$@" ;;
        plan) need_build; exec "$HB" plan "$@" ;;
        record) need_build; exec "$HB" record "$@" ;;
        trace) need_build; exec "$HB" trace "$@" ;;
        selfbench) cmd_selfbench ;;
        help | -h | --help) usage ;;
        *) usage >&2; exit 2 ;;
    esac
}

main "$@"
