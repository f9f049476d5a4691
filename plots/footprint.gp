# Peak footprint: most memory the allocator held at once, log scale.
# usage: gnuplot -e "in='DIR'; out='FILE.png'" plots/footprint.gp
data = in . "/peak_footprint_bytes.dat"
load "plots/style.gp"
set title "Peak footprint: most memory held from the system at once (lower is better, log scale)"
set ylabel "MiB"
set logscale y
set yrange [0.001:*]
plot for [i = 2:ncols] data using (column(i) / 1048576.0):xtic(1) title columnheader(i)
