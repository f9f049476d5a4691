# Utilization factor (peak live requested bytes / peak footprint) per trace.
# usage: gnuplot -e "in='DIR'; out='FILE.png'" plots/utilization.gp
data = in . "/utilization.dat"
load "plots/style.gp"
set title "Utilization factor: peak live requested bytes / peak footprint (higher is better)"
set ylabel "utilization"
set yrange [0:*]
plot for [i = 2:ncols] data using i:xtic(1) title columnheader(i)
