# malloc latency per trace: median (top) and 99th percentile (bottom), log scale.
# usage: gnuplot -e "in='DIR'; out='FILE.png'" plots/malloc_latency.gp
panels = 2
data = in . "/malloc_p50_ns.dat"
load "plots/style.gp"
set logscale y
set yrange [1:*]
set ylabel "ns"
set multiplot layout 2, 1
set title "malloc latency, median (lower is better, log scale)"
plot for [i = 2:ncols] data using i:xtic(1) title columnheader(i)
data = in . "/malloc_p99_ns.dat"
set title "malloc latency, 99th percentile (lower is better, log scale)"
plot for [i = 2:ncols] data using i:xtic(1) title columnheader(i)
unset multiplot
