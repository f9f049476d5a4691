# Shared look of the heapbench charts: clustered bars, one cluster per trace,
# one bar per allocator, legend outside on the right.  Expects `data` (a
# table written by `heapbench plotdata`) and `out` (the PNG to write); sizes
# the canvas so ~25 traces x 12 allocators stay readable.
#
# The table's first line names the columns: "trace" then one per allocator.
stats data using 0 nooutput
ncols = STATS_columns
ntraces = STATS_records - 1
nallocs = ncols - 1
if (!exists("panels")) panels = 1
width = 220 + ntraces * (nallocs * 9 + 26)
width = width < 1100 ? 1100 : width
height = 360 + 400 * panels
set terminal pngcairo size width, height font "DejaVu Sans,11" noenhanced
set output out

set datafile missing "NaN"
set style data histograms
set style histogram clustered gap 1.5
set style fill solid 0.9 border -1
set boxwidth 0.92
set xtics rotate by 35 right nomirror scale 0 offset 1.5, 0
set ytics nomirror
set grid ytics lc rgb "#d0d0d0"
set key outside right top vertical Left reverse noenhanced title "allocator" box
set border 3
set bmargin 10

# Twelve colours that stay apart from each other.
array palette[12] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", \
                     "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#e7ba52"]
do for [i = 1:12] { set linetype i lc rgb palette[i] }
