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
# Optional too: clang with libFuzzer, for the fuzz targets of `test` and `fuzz`.
FUZZ_PKGS=(clang libclang-rt-dev)
FUZZ_BUILD=${HB_FUZZ_BUILD:-build-fuzz}
FUZZ_TARGETS=(trace_native trace_rep trace_mtrace trace_cache config)
FUZZ_SECONDS=${HB_FUZZ_SECONDS:-15} # per target in `test`

say() { printf '%s\n' "$*" >&2; }
die() { say "run_bench.sh: $*"; exit 1; }

usage() {
    cat <<'EOF'
usage: ./run_bench.sh COMMAND [ARGS]

  all                  deps, build, synthetic traces, run, report (charts included)
  deps                 check (and as root install) the Debian packages needed
  build                configure and build build/ (Release; HB_WERROR=1 adds -Werror)
  gen                  generate the synthetic traces into build/traces/synthetic
  run [ARGS]           heapbench bench [--config F] [--out DIR] [--resume DIR]
                       [--filter-allocator G] [--filter-trace G] [-j N]
  plots [RUN] [--format png|svg|pdf] [--allocators LIST] [--traces GLOBS]
        [--baseline NAME] [--kinds LIST] [--detail-traces GLOBS] [--out DIR]
                       draw the charts of a run (default results/latest) into
                       RUN/plots (or DIR)
  report [RUN] [same options as plots]
                       the charts, then RUN/report.md
  test                 -Werror build + every test, then ASan/UBSan build + tests
  list [ARGS]          allocators and traces bench.yaml sees
  plan [ARGS]          one self-contained command line per cell
  record ARGS          heapbench record ARGS (record a program's allocations)
  trace ARGS           heapbench trace ARGS (stats, check, convert, gen, cache)
  selfbench            heapbench scaling, and hyperfine over whole replays
  fuzz-allocators [S]  libFuzzer on each suite allocator for S seconds (clang)
  fuzz TARGET SECONDS  run one libFuzzer target (needs clang) under ASan/UBSan;
                       targets: trace_native trace_rep trace_mtrace trace_cache config
  help [COMMAND]       this text, or what COMMAND does (also COMMAND --help)

Results: results/<run-id>/{results.csv,env.txt,config.yaml,plan.txt,logs/,plots/,report.md},
results/latest -> the newest run (its charts: results/latest/plots/).
EOF
}

COMMANDS=(all deps build gen run plots report test list plan record trace selfbench fuzz
          fuzz-allocators help)

# What one command does: its lines of the usage text.
help_for() {
    usage | awk -v cmd="$1" '
        /^  [a-z]/ { on = ($1 == cmd) }
        /^$/ { on = 0 }
        on { print }'
    case $1 in
        run | list | plan | record | trace)
            printf '\n  options: build/heapbench %s --help\n' "$([ "$1" = run ] && echo bench || echo "$1")" ;;
    esac
}

# A known command that the mistyped one is a prefix of, or the other way.
suggest() {
    local c
    for c in "${COMMANDS[@]}"; do
        if [[ $c == "$1"* || $1 == "$c"* ]]; then
            printf '%s' "$c"
            return
        fi
    done
}

unknown_command() {
    local hint
    hint=$(suggest "$1")
    say "run_bench.sh: unknown command '$1'${hint:+; did you mean '$hint'?}"
    usage >&2
    exit 2
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
    local missing=() optional=() fuzz=() p
    for p in "${REQUIRED_PKGS[@]}"; do have_pkg "$p" || missing+=("$p"); done
    for p in "${OPTIONAL_PKGS[@]}"; do have_pkg "$p" || optional+=("$p"); done
    for p in "${FUZZ_PKGS[@]}"; do have_pkg "$p" || fuzz+=("$p"); done
    if [ ${#missing[@]} -eq 0 ] && [ ${#optional[@]} -eq 0 ] && [ ${#fuzz[@]} -eq 0 ]; then
        say "deps: all present"
        return 0
    fi
    if [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; then
        [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
        if [ ${#optional[@]} -gt 0 ]; then
            apt_install "${optional[@]}" ||
                say "deps: optional allocators not installed (their cells are skipped): ${optional[*]}"
        fi
        if [ ${#fuzz[@]} -gt 0 ]; then
            apt_install "${fuzz[@]}" ||
                say "deps: optional, not installed (the fuzz targets are skipped): ${fuzz[*]}"
        fi
        return 0
    fi
    [ ${#fuzz[@]} -eq 0 ] ||
        say "deps: optional, the fuzz targets are skipped without them: ${fuzz[*]}"
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

# Options of plots and report: RUN then --format, --allocators, --traces,
# --baseline, --kinds, --detail-traces, --out; anything else is an error.
CHART_RUN= CHART_FMT=png CHART_OUT= CHART_CHOICES=()
parse_chart_args() {
    CHART_RUN= CHART_FMT=png CHART_OUT= CHART_CHOICES=()
    while [ $# -gt 0 ]; do
        case $1 in
            --format) [ $# -ge 2 ] || die "$1 expects a value"; CHART_FMT=$2; shift 2 ;;
            --out) [ $# -ge 2 ] || die "$1 expects a value"; CHART_OUT=$2; shift 2 ;;
            --allocators | --traces | --baseline | --kinds | --detail-traces)
                [ $# -ge 2 ] || die "$1 expects a value"
                CHART_CHOICES+=("$1" "$2"); shift 2 ;;
            -*) say "run_bench.sh: unknown option '$1'"; usage >&2; exit 2 ;;
            *) [ -z "$CHART_RUN" ] || die "one run folder expected, got '$CHART_RUN' and '$1'"
               CHART_RUN=$1; shift ;;
        esac
    done
    case $CHART_FMT in png | svg | pdf) ;; *) die "--format: expected png, svg or pdf, got '$CHART_FMT'" ;; esac
    CHART_RUN=${CHART_RUN:-results/latest}
    [ -f "$CHART_RUN/results.csv" ] || die "$CHART_RUN/results.csv not found (run ./run_bench.sh run first)"
    CHART_RUN=$(readlink -f "$CHART_RUN")
    CHART_OUT=${CHART_OUT:-$CHART_RUN/plots}
}

# The scaling output charted with a run: its own, else the newest selfbench's.
scaling_file() {
    if [ -f "$CHART_RUN/scaling.txt" ]; then echo "$CHART_RUN/scaling.txt"; return; fi
    local f
    f=$(ls -1d results/selfbench-*/scaling.txt 2>/dev/null | sort | tail -n 1)
    [ -z "$f" ] || readlink -f "$f"
}

cmd_plots() {
    need_build
    parse_chart_args "$@"
    local data="$CHART_OUT/data" scaling name script
    scaling=$(scaling_file)
    # The default folder holds only the charts of the last drawing.
    if [ "$CHART_OUT" = "$CHART_RUN/plots" ]; then rm -rf "$CHART_OUT"; fi
    "$HB" plotdata --out-dir "$data" "${CHART_CHOICES[@]}" ${scaling:+--scaling "$scaling"} \
        "$CHART_RUN"
    while read -r script name; do
        if ! gnuplot -e "in='$data'; name='$name'; fmt='$CHART_FMT'; out='$CHART_OUT/$name.$CHART_FMT'" \
                "plots/$script.gp" 2>"$data/$name.log"; then
            say "plots: $name not drawn (see $data/$name.log)"
            continue
        fi
        [ -s "$data/$name.log" ] || rm -f "$data/$name.log"
        # cairo stamps PDFs with the time; a fixed stamp of the same length
        # keeps the file's offsets valid and its bytes reproducible.
        [ "$CHART_FMT" != pdf ] || LC_ALL=C sed -i \
            's|/CreationDate (D:[0-9]\{14\}Z)|/CreationDate (D:20000101000000Z)|' \
            "$CHART_OUT/$name.pdf"
    done <"$data/charts.txt"
    say "plots: $(wc -l <"$data/charts.txt") charts in $CHART_OUT"
}

cmd_report() {
    cmd_plots "$@"
    local scaling
    scaling=$(scaling_file)
    "$HB" report --charts "$CHART_OUT" --format "$CHART_FMT" "${CHART_CHOICES[@]}" \
        ${scaling:+--scaling "$scaling"} "$CHART_RUN"
}

# The run folder "heapbench bench ARGS" wrote: --resume DIR, else OUT/latest.
bench_run_dir() {
    local root=results
    while [ $# -gt 0 ]; do
        case $1 in
            --resume) echo "${2:-}"; return ;;
            --out) root=${2:-results}; shift ;;
        esac
        shift
    done
    echo "$root/latest"
}

cmd_test() {
    cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DHB_WERROR=ON
    cmake --build "$BUILD" -j "$JOBS"
    ctest --test-dir "$BUILD" --output-on-failure -j 2
    cmake -S . -B "$ASAN_BUILD" -DCMAKE_BUILD_TYPE=Debug -DHB_SANITIZE=ON -DHB_WERROR=ON
    cmake --build "$ASAN_BUILD" -j "$JOBS"
    ctest --test-dir "$ASAN_BUILD" --output-on-failure -j 2 -L '^(allocators|trace|run|fuzz)$'
    fuzz_all
    fuzz_allocators "${HB_FUZZ_ALLOC_SECONDS:-5}"
}

# True when clang can build a libFuzzer binary here.
have_libfuzzer() {
    command -v clang >/dev/null || return 1
    local tmp ok=1
    tmp=$(mktemp -d)
    printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\n%s\n' \
        'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
        >"$tmp/f.c"
    if clang -fsanitize=fuzzer "$tmp/f.c" -o "$tmp/f" 2>/dev/null; then ok=0; fi
    rm -rf "$tmp"
    return "$ok"
}

fuzz_build() {
    CC=clang cmake -S . -B "$FUZZ_BUILD" -DCMAKE_BUILD_TYPE=Debug -DHB_FUZZ=ON >/dev/null
    cmake --build "$FUZZ_BUILD" --target fuzz_all -j "$JOBS" >/dev/null
}

# One target for a while: new inputs go to $FUZZ_BUILD/corpus/TARGET, a
# crash to $FUZZ_BUILD/crash/, named in the message.
fuzz_one() {
    local t=$1 secs=$2 work="$FUZZ_BUILD/corpus/$1" out="$FUZZ_BUILD/crash"
    mkdir -p "$work" "$out"
    if ! "$FUZZ_BUILD/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=0 -artifact_prefix="$out/$t-" "$work" "tests/fuzz/corpus/$t" \
            >"$FUZZ_BUILD/fuzz-$t.log" 2>&1; then
        say "fuzz: $t failed (see $FUZZ_BUILD/fuzz-$t.log); put the input from $out/ into" \
            "tests/fuzz/regressions/$t/ and fix it"
        return 1
    fi
    say "fuzz: $t: no crash in $secs s ($(grep -o 'Done [0-9]* runs' "$FUZZ_BUILD/fuzz-$t.log" |
        tail -1 | cut -d' ' -f2) inputs)"
}

# Every target for a bounded time, when clang is there.
fuzz_all() {
    if ! have_libfuzzer; then
        say "fuzz: skipped (no clang with libFuzzer; ./run_bench.sh deps installs it)"
        return 0
    fi
    fuzz_build
    local t rc=0
    for t in "${FUZZ_TARGETS[@]}"; do fuzz_one "$t" "$FUZZ_SECONDS" || rc=1; done
    return "$rc"
}

cmd_fuzz() {
    [ $# -eq 2 ] && [[ $2 =~ ^[0-9]+$ ]] || { help_for fuzz >&2; exit 2; }
    [[ " ${FUZZ_TARGETS[*]} " == *" $1 "* ]] ||
        die "fuzz: unknown target '$1'; expected one of: ${FUZZ_TARGETS[*]}"
    have_libfuzzer || die "fuzz: needs clang with libFuzzer (./run_bench.sh deps installs it)"
    fuzz_build
    fuzz_one "$1" "$2"
}

# The checks of the time and memory figures (docs/metrics.md): the spread of
# repeated cells, per-op against batched timing, and the resident footprint
# against the system allocators' own statistics.
selfbench_measurement() {
    local out=$1 rc=0
    harness/selfbench/timing.sh "$HB" "$out" 10 | tee "$out/timing.txt" || rc=1
    harness/selfbench/memory.sh "$HB" "$out" | tee "$out/memory.txt" || rc=1
    return "$rc"
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
    # One hyperfine per trace: its relative column then compares replays of
    # the same trace only.
    local a t name
    for t in "${traces[@]}"; do
        "$HB" trace check "$t" >/dev/null || die "$t does not load"
        name=$(basename "$t"); name=${name%%.*}
        local cmds=()
        for a in glibc segfit; do cmds+=(-n "$a $name" "$HB run --timing throughput $a $t"); done
        hyperfine --warmup 1 --runs 10 --export-csv "$out/hyperfine-$name.csv" \
            --export-markdown "$out/hyperfine-$name.md" --export-json "$out/hyperfine-$name.json" \
            "${cmds[@]}"
    done
    selfbench_measurement "$out" || scaling=$?
    say "selfbench: $out/scaling.txt, $out/hyperfine-*.{md,json,csv} (one per trace), $out/timing.txt, $out/memory.txt"
    [ "$scaling" -eq 0 ] || say "selfbench: heapbench scaling exited $scaling (see its verdicts)"
    return "$scaling"
}

# The suite allocators' libFuzzer targets (tests/fuzz/fuzz_alloc.c, one per
# allocator, built with the other fuzz targets): first every saved input of
# tests/fuzz/regressions/alloc_NAME/ once, then SECONDS of fuzzing each
# (default 20), new inputs kept in $FUZZ_BUILD/corpus/alloc_NAME.  Without
# clang it says so and succeeds: the gcc build needs none of it.
fuzz_allocators() {
    local secs=${1:-20} bin name regress seeds rc=0
    [[ $secs =~ ^[0-9]+$ ]] || die "fuzz-allocators: expected a number of seconds, got '$secs'"
    if ! have_libfuzzer; then
        say "fuzz-allocators: skipped (no clang with libFuzzer; ./run_bench.sh deps installs it)"
        return 0
    fi
    fuzz_build
    mkdir -p "$FUZZ_BUILD/crashes"
    for bin in "$FUZZ_BUILD"/fuzz/fuzz_alloc_*; do
        name=${bin##*/fuzz_alloc_}
        regress=tests/fuzz/regressions/alloc_$name
        seeds=()
        mkdir -p "$FUZZ_BUILD/corpus/alloc_$name"
        if compgen -G "$regress/*" >/dev/null; then
            seeds=("$regress")
            "$bin" "$regress"/* >/dev/null 2>&1 ||
                { say "fuzz-allocators: $name fails a saved input of $regress"; rc=1; continue; }
        fi
        "$bin" -max_total_time="$secs" -max_len=4096 -len_control=20 -rss_limit_mb=2048 \
            -artifact_prefix="$FUZZ_BUILD/crashes/$name-" "$FUZZ_BUILD/corpus/alloc_$name" \
            "${seeds[@]}" >"$FUZZ_BUILD/fuzz_alloc_$name.log" 2>&1 ||
            { say "fuzz-allocators: $name: a failing input, see $FUZZ_BUILD/fuzz_alloc_$name.log" \
                  "and $FUZZ_BUILD/crashes/; once fixed, put it into $regress/"; rc=1; continue; }
        say "fuzz-allocators: $name: no failure in ${secs}s"
    done
    return "$rc"
}

main() {
    local cmd=${1:-help}
    [ $# -eq 0 ] || shift
    # COMMAND --help describes the command rather than running it.
    if [[ " ${COMMANDS[*]} " == *" $cmd "* ]] && [[ ${1:-} == -h || ${1:-} == --help ]]; then
        help_for "$cmd"
        return 0
    fi
    case $cmd in
        all)
            cmd_deps; cmd_build; cmd_gen; need_build
            # A trace that cannot be loaded (exit 3) still leaves every other
            # cell measured: draw them, then report the failure.
            local rc=0
            "$HB" bench "$@" || rc=$?
            [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || exit "$rc"
            cmd_report "$(bench_run_dir "$@")"
            "$HB" report --terminal "$(bench_run_dir "$@")"
            exit "$rc" ;;
        deps) cmd_deps ;;
        build) cmd_build ;;
        gen) cmd_gen ;;
        run)
            need_build
            local rc=0
            "$HB" bench "$@" || rc=$?
            [ ! -f "$(bench_run_dir "$@")/results.csv" ] ||
                "$HB" report --terminal "$(bench_run_dir "$@")" || true
            exit "$rc" ;;
        plots) cmd_plots "$@" ;;
        report) cmd_report "$@" ;;
        test) cmd_test ;;
        list) need_build; exec "$HB" list "$@" ;;
        plan) need_build; exec "$HB" plan "$@" ;;
        record) need_build; exec "$HB" record "$@" ;;
        trace) need_build; exec "$HB" trace "$@" ;;
        selfbench) cmd_selfbench ;;
        fuzz-allocators) fuzz_allocators "$@" ;;
        fuzz) cmd_fuzz "$@" ;;
        help | -h | --help)
            if [ $# -gt 0 ] && [[ " ${COMMANDS[*]} " == *" $1 "* ]]; then help_for "$1"; else usage; fi ;;
        *) unknown_command "$cmd" ;;
    esac
}

main "$@"
