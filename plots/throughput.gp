# Replay throughput (operations per second of the untimed pass), log scale.
# usage: gnuplot -e "in='DIR'; out='FILE.png'" plots/throughput.gp
data = in . "/throughput_ops_s.dat"
load "plots/style.gp"
set title "Throughput: trace operations per second (higher is better, log scale)"
set ylabel "operations / s"
set logscale y
set yrange [1000:*]
set format y "%.0s%c"
plot for [i = 2:ncols] data using i:xtic(1) title columnheader(i)
