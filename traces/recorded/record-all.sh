#!/bin/sh
# Re-records the traces of traces/recorded/ from the workloads under
# traces/recorded/workloads/ (docs/traces.md tells what each one is).
#
#     traces/recorded/record-all.sh [NAME...]     default: all of them
#
# HEAPBENCH names the heapbench binary (default: build/heapbench of this
# repository); libhbrecord.so must sit beside it.  The inputs are
# deterministic; the programs are Debian 12's python3, sqlite3, gcc-12,
# lua5.4, jq and perl, and the operations a program makes depend on its
# version, so other versions record different (equally valid) traces.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
hb=${HEAPBENCH:-$repo/build/heapbench}
work=$here/workloads
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

export LC_ALL=C
export PYTHONHASHSEED=0

# record NAME DESCRIPTION [record options] -- COMMAND...   (in the current directory)
record() {
    name=$1 description=$2
    shift 2
    "$hb" record -o "$here/$name.trace.xz" --name "$name" --description "$description" \
        --main-only "$@" >/dev/null
}

python_textproc() {
    cd "$work/python"
    PYTHONMALLOC=malloc record python-textproc \
        "python3 (PYTHONMALLOC=malloc) building, JSON round-tripping and regex-tokenizing a text corpus" \
        -- /usr/bin/python3 textproc.py 330
}

sqlite_orders() {
    cd "$work/sqlite"
    record sqlite-orders \
        "sqlite3 building, indexing, joining, updating and vacuuming an in-memory order database" \
        -- sqlite3 :memory: '.read workload.sql'
}

gcc_cc1() {
    # gzlog.c: zlib's example of a crash-safe compressed log, as Debian's
    # zlib1g-dev ships it (a package the build needs anyway).
    cd /usr/share/doc/zlib1g-dev/examples
    record gcc-cc1 "cc1 (gcc -O2 -g) compiling zlib's examples/gzlog.c" \
        --process cc1 --program-version "$(gcc --version | head -n 1)" \
        -- gcc -O2 -g -c gzlog.c -o /dev/null
}

sqlite_warehouse() {
    cd "$work/sqlite"
    record sqlite-warehouse \
        "sqlite3 building, indexing, aggregating and pruning a 40 MiB in-memory table of stock movements" \
        -- sqlite3 :memory: '.read warehouse.sql'
}

lua_inventory() {
    cd "$work/lua"
    record lua-inventory \
        "lua5.4 simulating an inventory: tables, string building, serialisation (realloc-heavy)" \
        --program-version "$(lua5.4 -v | cut -d ' ' -f 1,2)" \
        -- lua5.4 workload.lua 20
}

jq_report() {
    /usr/bin/python3 "$work/jq/make_input.py" 1500 >"$tmp/orders.json"
    cp "$work/jq/report.jq" "$tmp/report.jq"
    cd "$tmp"
    record jq-report "jq grouping, summing and sorting a 2 MB JSON document of orders" \
        -- jq -f report.jq orders.json
}

perl_threads() {
    cd "$work/perl"
    record perl-threads \
        "perl with 3 ithreads generating and parsing log lines in parallel (4 threads)" \
        --program-version "$(perl -e 'print "perl $^V"')" \
        -- perl threads.pl 3 10000
}

all="python_textproc sqlite_orders sqlite_warehouse gcc_cc1 lua_inventory jq_report perl_threads"
if [ ! -x "$hb" ]; then
    echo "record-all.sh: $hb not found: build heapbench first or set HEAPBENCH" >&2
    exit 2
fi
for name in ${*:-$all}; do
    fn=$(echo "$name" | tr - _)
    case " $all " in
    *" $fn "*) (set -e; "$fn") ;;
    *) echo "record-all.sh: no workload '$name' (have: $all)" >&2; exit 2 ;;
    esac
done
