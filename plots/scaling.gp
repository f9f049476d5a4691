# Cost per operation against live blocks ("heapbench scaling"), log-log: one
# line per allocator, the fifo pattern on the left and random on the right;
# the grey dashed line is the loop alone.
# usage: gnuplot -e "in='DATA_DIR'; name='scaling'; out='FILE'; fmt='png'" plots/scaling.gp
load in . "/" . name . ".gp"
load "plots/term.gp"
data = in . "/" . name . ".dat"
set key outside bottom center horizontal maxrows 2 noenhanced samplen 3 width 1
set xlabel "live blocks N (log scale)"
set ylabel "ns per free + malloc (log scale)"
set bmargin 9
set multiplot layout 1, 2 title "Cost per operation against live blocks (heapbench scaling)" \
    font ",17"
set title "fifo: the oldest block is replaced"
plot for [k = 1:n0] data index (ser0[k] - 1) using 1:2 with linespoints lt (100 + ser0[k]) \
    title names[ser0[k]]
set title "random: a random block is replaced"
plot for [k = 1:n1] data index (ser1[k] - 1) using 1:2 with linespoints lt (100 + ser1[k]) \
    title names[ser1[k]]
unset multiplot
