# malloc latency per trace: mean (top) and 99th percentile (bottom), log scale.
# usage: gnuplot -e "in='DIR'; out='FILE.png'" plots/malloc_latency.gp
panels = 2
data = in . "/malloc_mean_ns.dat"
load "plots/style.gp"
set logscale y
set yrange [1:*]
set ylabel "ns"
set multiplot layout 2, 1
# The mean, not the median: the clock ticks in steps (10 ns on some virtual
# machines), so medians of fast operations collapse onto a few values, or to
# 0 once the clock's own cost is subtracted; a mean of many samples does not.
set title "malloc latency, mean (lower is better, log scale)"
plot for [i = 2:ncols] data using i:xtic(1) title columnheader(i)
data = in . "/malloc_p99_ns.dat"
set title "malloc latency, 99th percentile (lower is better, log scale)"
plot for [i = 2:ncols] data using i:xtic(1) title columnheader(i)
unset multiplot
