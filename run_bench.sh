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

  all                  deps, build, synthetic traces, run, report (charts included);
                       then each phase's time
  quick [ARGS]         a first look in under a minute after the build: run with
                       bench-quick.yaml, then the report
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
                       with line coverage floors (gcovr)
  list [ARGS]          allocators and traces bench.yaml sees
  plan [ARGS]          one self-contained command line per cell
  record ARGS          heapbench record ARGS (record a program's allocations)
  trace ARGS           heapbench trace ARGS (stats, check, convert, gen, cache)
  selfbench            heapbench scaling, hyperfine over whole replays, the
                       harness's own cost (reference loop, null allocator,
                       loading) and the checks of the time and memory figures
  fuzz-allocators [S]  libFuzzer on each suite allocator for S seconds (clang)
  fuzz TARGET SECONDS  run one libFuzzer target (needs clang) under ASan/UBSan;
                       targets: trace_native trace_rep trace_mtrace trace_cache config
  help [COMMAND]       this text, or what COMMAND does (also COMMAND --help)

Results: results/<run-id>/{results.csv,env.txt,config.yaml,plan.txt,logs/,plots/,report.md},
results/latest -> the newest run (its charts: results/latest/plots/).
EOF
}

COMMANDS=(all quick deps build gen run plots report test list plan record trace selfbench fuzz
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

# Line coverage floors (percent) that `test` enforces, set just below what
# the tests reach (allocators 93.3 %, trace readers 91.2 % when set).
COVERAGE_FLOORS=("allocators/:92" "harness/src/trace/:90")

# The sanitizer build also counts lines (gcov): each folder of
# COVERAGE_FLOORS must keep its floor.
check_coverage() {
    command -v gcovr >/dev/null || die "gcovr not installed (./run_bench.sh deps)"
    local f dir floor rc=0 scratch
    # gcovr replaces its output file (unlink, then create), so it must never
    # be given /dev/null: run as root, that would delete the device.
    scratch=$(mktemp -d)
    for f in "${COVERAGE_FLOORS[@]}"; do
        dir=${f%%:*} floor=${f##*:}
        say "coverage of $dir (floor $floor % of lines):"
        gcovr -r . "$ASAN_BUILD" --filter "$dir" --print-summary -o "$scratch/coverage.txt" \
            --fail-under-line "$floor" >&2 || { say "coverage: $dir is below $floor %"; rc=1; }
    done
    rm -rf "$scratch"
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
    ctest --test-dir "$ASAN_BUILD" --output-on-failure -j 2 -L '^(allocators|trace|run|fuzz)$'
    check_coverage
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
    selfbench_speed "$out"
    local missed=0
    selfbench_measurement "$out" || missed=$?
    say "selfbench: $out/scaling.txt, $out/hyperfine-*.{md,json,csv} (one per trace), $out/speed.txt, $out/timing.txt, $out/memory.txt"
    [ "$scaling" -eq 0 ] || say "selfbench: heapbench scaling exited $scaling (see its verdicts)"
    [ "$missed" -eq 0 ] || say "selfbench: a timing or memory target was missed (see timing.txt, memory.txt)"
    [ "$scaling" -eq 0 ] && [ "$missed" -eq 0 ]
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

# Harness vs reference loop, wall clock, like for like: both sides run the
# same protocol -- one untimed pass on the fresh heap, then exactly
# SB_PASSES timed passes on the warm heap (no time rule, so the faster side
# gets no more chances at a good pass than the slower), best pass counts --
# in processes started alike (addresses not randomised, the same static TLS
# reserve, deep binding; see harness/refloop/refloop.c).  The machine may be
# shared, and a process can land in a slow stretch of it as a whole: rounds
# per cell, each side once a round, the order swapped every round (ABBA),
# each side's best of all its passes counting; at least SB_VS_ROUNDS
# rounds, then more (up to SB_VS_MAX_ROUNDS) until the last four raised
# neither side's best by more than 1%.
SB_VS_ROUNDS=${HB_SELFBENCH_VS_ROUNDS:-8}
SB_VS_MAX_ROUNDS=${HB_SELFBENCH_VS_MAX_ROUNDS:-20}
SB_PASSES=${HB_SELFBENCH_PASSES:-20}

# "1" when NEW is more than 1% above BEST.
num_gain() { awk -v n="${1:-0}" -v b="${2:-0}" 'BEGIN { print (n + 0 > (b + 0) * 1.01) ? 1 : 0 }'; }

selfbench_vs_reference() {
    local ops=$1 t name a r ref hb x last side order same=(--passes "$SB_PASSES" --min-time 0)
    printf '\nharness vs reference loop (untimed replay: best of %s warm passes x %s..%s interleaved rounds; %s)\n' \
        "$SB_PASSES" "$SB_VS_ROUNDS" "$SB_VS_MAX_ROUNDS" "target >= 0.90"
    printf '  %-18s %-9s %12s %12s %7s %7s\n' trace allocator "ref Mops/s" "hb Mops/s" ratio rounds
    for t in traces/recorded/*.trace.xz; do
        name=$(basename "$t" .trace.xz)
        for a in "${SB_SYSTEM[@]}"; do
            ref=0 hb=0 last=0
            for ((r = 0; r < SB_VS_MAX_ROUNDS; r++)); do
                ((r < SB_VS_ROUNDS || r - last < 4)) || break
                # ABBA: of every four rounds, the first and last start with ref.
                order=(ref hb)
                ((r % 4 == 0 || r % 4 == 3)) || order=(hb ref)
                for side in "${order[@]}"; do
                    if [ "$side" = ref ]; then
                        x=$(refloop_ops_s "${same[@]}" "$a" "$ops/$name.ops")
                        [ "$(num_gain "$x" "$ref")" = 0 ] || last=$r
                        ref=$(num_max "$ref" "$x")
                    else
                        x=$(harness_ops_s "${same[@]}" "$a" "$t")
                        [ "$(num_gain "$x" "$hb")" = 0 ] || last=$r
                        hb=$(num_max "$hb" "$x")
                    fi
                done
            done
            awk -v t="$name" -v a="$a" -v ref="$ref" -v hb="$hb" -v r="$r" 'BEGIN {
                printf "  %-18s %-9s ", t, a
                if (ref <= 0 || hb <= 0) { print "not measured (allocator not loadable?)"; exit }
                q = hb / ref
                printf "%12.1f %12.1f %7.3f %7d  %s\n", ref / 1e6, hb / 1e6, q, r,
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
    # heapbench run replays in a process it execs (a clean heap): follow it,
    # one output file per process, and add up what the function ran.
    rm -f "$out".*.cg
    GLIBC_TUNABLES=glibc.rtld.optional_static_tls=0x40000 valgrind --tool=callgrind \
        --trace-children=yes --toggle-collect="$fn" --callgrind-out-file="$out.%p.cg" "$@" \
        >"$out.csv" 2>/dev/null || return 0
    awk '/^totals:/ { n += $2 } END { if (n) print n }' "$out".*.cg
}

# Instructions per operation of one untimed pass, harness vs reference loop,
# counted by callgrind inside the pass functions only (deterministic).
selfbench_instructions() {
    local ops=$1 out=$2 fn=${HB_PASS_FN:-hb_pass_throughput} t name n ref ref1 hb passes
    if ! command -v valgrind >/dev/null; then
        say "selfbench: no valgrind: instruction counts skipped"
        return 0
    fi
    printf '\ninstructions per op, one untimed pass (callgrind in %s vs rl_pass; %s)\n' \
        "$fn" "target <= 1.10x"
    printf '  %-18s %-9s %10s %10s %7s\n' trace allocator reference harness ratio
    for t in traces/recorded/*.trace.xz; do
        name=$(basename "$t" .trace.xz)
        for a in "${SB_SYSTEM[@]}"; do
            selfbench_instructions_cell "$ops" "$out" "$fn" "$t" "$name" "$a"
        done
    done
}

# One cell of selfbench_instructions: trace T (NAME) and allocator A.
selfbench_instructions_cell() {
    local ops=$1 out=$2 fn=$3 t=$4 name=$5 a=$6 n ref ref1 hb passes cg
    cg=$out/cg.$a.$name
    n=$("$BUILD/hb_refloop" --csv --passes 0 "$a" "$ops/$name.ops" 2>/dev/null | csv_col ops || true)
    # The harness's pass counted is its first timed one, the second on the
    # heap (after the measuring pass); the reference's is too: its untimed
    # first pass and one timed pass, less the first pass alone, the
    # allocator's own instructions being those of the same heap state.
    ref1=$(callgrind_ir rl_pass "$cg.ref1" "$BUILD/hb_refloop" --passes 0 "$a" "$ops/$name.ops")
    ref=$(callgrind_ir rl_pass "$cg.ref" \
        "$BUILD/hb_refloop" --passes 1 --min-time 0 "$a" "$ops/$name.ops")
    [ -z "$ref" ] || [ -z "$ref1" ] || ref=$((ref - ref1))
    hb=$(callgrind_ir "$fn" "$cg.hb" \
        "$HB" run --timing throughput --passes 1 --min-time 0 --csv --csv-header "$a" "$t")
    passes=$(csv_col throughput_passes <"$cg.hb.csv")
    awk -v t="$name" -v a="$a" -v n="$n" -v ref="$ref" -v hb="$hb" -v p="${passes:-1}" 'BEGIN {
        printf "  %-18s %-9s ", t, a
        if (!(n > 0 && ref > 0 && hb > 0)) { print "not measured (allocator not loadable?)"; exit }
        r = ref / n; h = hb / (n * (p > 0 ? p : 1)); q = h / r
        printf "%10.1f %10.1f %7.3f  %s\n", r, h, q, (q <= 1.1 ? "ok" : "ABOVE 1.10") }'
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
    local t=$1 a=glibc csv
    # One row with both kinds of pass: the wall time per op of a latency
    # pass (latency_pass_ns_op) against the median untimed pass (replay_s).
    csv=$("$HB" run --csv --csv-header "$a" "$t" 2>/dev/null || true)
    awk -F, -v a="$a" -v t="$(basename "$t" .trace.xz)" '
        NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        { n = $c["ops"]; s = $c["replay_s"]; lat = $c["latency_pass_ns_op"]; clk = $c["clock_overhead_ns"] }
        END {
            if (!(n > 0 && s > 0 && lat > 0)) { print "\nper-op pass: not measured"; exit }
            thr = s * 1e9 / n
            printf "\nper-op latency pass, %s on %s: %.1f ns/op wall (untimed pass %.1f ns/op),\n",
                   a, t, lat, thr
            printf "  so per-op timing costs %.1f ns/op; the clock pair it subtracts: %s ns\n",
                   lat - thr, clk }' <<<"$csv"
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
    if [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ]; then
        timed report cmd_report "$(bench_run_dir "$@")"
        "$HB" report --terminal "$(bench_run_dir "$@")" || true
    fi
    print_phases
    return "$rc"
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
            timed deps cmd_deps; timed build cmd_build; timed gen cmd_gen; need_build
            # A trace that cannot be loaded (exit 3) still leaves every other
            # cell measured: draw them, then report the failure.
            local rc=0
            timed replay "$HB" bench "$@" || rc=$?
            [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || { print_phases; exit "$rc"; }
            timed report cmd_report "$(bench_run_dir "$@")"
            "$HB" report --terminal "$(bench_run_dir "$@")" || true
            print_phases
            exit "$rc" ;;
        quick) cmd_quick "$@" ;;
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
