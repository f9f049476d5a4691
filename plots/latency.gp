# Latency distribution of one trace: the percentiles of every allocator's
# malloc (left) and free (right) samples, one line per allocator, log scale.
# usage: gnuplot -e "in='DATA_DIR'; name='latency-TRACE'; out='FILE'; fmt='png'" plots/latency.gp
load in . "/styles.gp"
load in . "/" . name . ".gp"
load "plots/term.gp"
data = in . "/" . name . ".dat"
set key outside bottom center horizontal maxrows 2 noenhanced samplen 3 width 1
set xlabel "percentile of the samples"
set ylabel "ns (log scale)"
set bmargin 9
set multiplot layout 1, 2 title "Latency percentiles on " . trace . "   " . step_note \
    noenhanced font ",17"
set title "malloc"
plot for [i = 1:nalloc] data index (i - 1) using 1:2 with linespoints lt i title names[i]
set title "free"
plot for [i = 1:nalloc] data index (nalloc + i - 1) using 1:2 with linespoints lt i \
    title names[i]
unset multiplot
if (strlen(na_note) > 0) {
    set label 1 na_note at screen 0.5, screen 0.015 center noenhanced tc rgb "#c00000"
}
