# Memory over time on one trace: the live bytes the trace holds (black) and
# each allocator's resident footprint, against the operation index, from the
# run's series/ALLOCATOR/TRACE.csv files.
# usage: gnuplot -e "in='DATA_DIR'; name='memory-TRACE'; out='FILE'; fmt='png'" plots/memory.gp
load in . "/styles.gp"
load in . "/" . name . ".gp"
load "plots/term.gp"
set datafile separator ","
set key outside bottom center horizontal maxrows 2 noenhanced samplen 3 width 1
set title "Memory over time on " . trace . ": live bytes and each allocator's resident footprint" \
    noenhanced
set xlabel "operation"
set ylabel "MiB"
set format x "%.0s%c"
set yrange [0:*]
set bmargin 8
# A missing allocator is named under the title: the key fills the bottom.
if (strlen(na_note) > 0) {
    set tmargin 5
    set label 1 na_note at graph 0.5, graph 1.04 center noenhanced tc rgb "#c00000"
}
plot files[1] using 1:($2 / 1048576.0) every ::1 with lines lc rgb "#000000" lw 4 dt 1 \
        title "live bytes", \
     for [i = 1:nfiles] files[i] using 1:($3 / 1048576.0) every ::1 with lines lt style[i] \
        title names[style[i]]
