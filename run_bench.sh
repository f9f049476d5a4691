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
               hyperfine xz-utils gcovr)
OPTIONAL_PKGS=(libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4)
CHARTS=(utilization malloc_latency free_latency throughput footprint)

say() { printf '%s\n' "$*" >&2; }
die() { say "run_bench.sh: $*"; exit 1; }

usage() {
    cat <<'EOF'
usage: ./run_bench.sh COMMAND [ARGS]

  all                  deps, build, synthetic traces, run, plots
  deps                 check (and as root install) the Debian packages needed
  build                configure and build build/ (Release; HB_WERROR=1 adds -Werror)
  gen                  generate the synthetic traces into build/traces/synthetic
  run [ARGS]           heapbench bench [--config F] [--out DIR] [--resume DIR]
                       [--filter-allocator G] [--filter-trace G] [-j N]
  plots [RUN_DIR]      draw the charts of a run (default results/latest)
  test                 -Werror build + every test, then ASan/UBSan build + tests
                       with line coverage floors (gcovr)
  list [ARGS]          allocators and traces bench.yaml sees
  plan [ARGS]          one self-contained command line per cell
  record ARGS          heapbench record ARGS (record a program's allocations)
  trace ARGS           heapbench trace ARGS (stats, check, convert, gen, cache)
  selfbench            heapbench scaling, and hyperfine over whole replays
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

# Line coverage floors (percent) that `test` enforces, set just below what
# the tests reach (allocators 93.3 %, trace readers 91.2 % when set).
COVERAGE_FLOORS=("allocators/:92" "harness/src/trace/:90")

# The sanitizer build also counts lines (gcov): each folder of
# COVERAGE_FLOORS must keep its floor.
check_coverage() {
    command -v gcovr >/dev/null || die "gcovr not installed (./run_bench.sh deps)"
    local f dir floor rc=0
    for f in "${COVERAGE_FLOORS[@]}"; do
        dir=${f%%:*} floor=${f##*:}
        say "coverage of $dir (floor $floor % of lines):"
        gcovr -r . "$ASAN_BUILD" --filter "$dir" --print-summary -o /dev/null \
            --fail-under-line "$floor" >&2 || { say "coverage: $dir is below $floor %"; rc=1; }
    done
    return "$rc"
}

cmd_test() {
    cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DHB_WERROR=ON
    cmake --build "$BUILD" -j "$JOBS"
    ctest --test-dir "$BUILD" --output-on-failure -j 2
    cmake -S . -B "$ASAN_BUILD" -DCMAKE_BUILD_TYPE=Debug -DHB_SANITIZE=ON -DHB_WERROR=ON \
        -DHB_COVERAGE=ON
    cmake --build "$ASAN_BUILD" -j "$JOBS"
    find "$ASAN_BUILD" -name '*.gcda' -delete # counts of this run only
    ctest --test-dir "$ASAN_BUILD" --output-on-failure -j 2 -L '^(allocators|trace|run)$'
    check_coverage
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
    say "selfbench: $out/scaling.txt, $out/hyperfine.csv"
    [ "$scaling" -eq 0 ] || say "selfbench: heapbench scaling exited $scaling (see its verdicts)"
    return "$scaling"
}

main() {
    local cmd=${1:-help}
    [ $# -eq 0 ] || shift
    case $cmd in
        all)
            cmd_deps; cmd_build; cmd_gen; need_build
            # A trace that cannot be loaded (exit 3) still leaves every other
            # cell measured: draw them, then report the failure.
            local rc=0
            "$HB" bench "$@" || rc=$?
            [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || exit "$rc"
            cmd_plots
            exit "$rc" ;;
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
