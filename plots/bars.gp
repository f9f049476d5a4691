# Bars relative to a baseline: one group per criterion (summary) or per
# trace, one bar per allocator from 1 (the baseline) up or down, log scale,
# black 95 % interval bars where the run has a spread, "n/a" where a cell
# has no figure (crashed, corrupt, failed, missing).
# usage: gnuplot -e "in='DATA_DIR'; name='CHART'; out='FILE'; fmt='png'" plots/bars.gp
load in . "/styles.gp"
load in . "/" . name . ".gp"
load "plots/term.gp"
data = in . "/" . name . ".dat"
set key outside top center horizontal maxrows 2 noenhanced samplen 2 width 1
set xtics noenhanced scale 0 font ",15"
if (name eq "summary") {
    set bmargin 5
    set lmargin 12
} else {
    set xtics rotate by 30 right offset 0.5, 0
    set lmargin lmargin_chars
}
set rmargin 3
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lc rgb "#000000" lw 2 front
bw = 0.42
plot for [i = 1:nalloc] data index (i - 1) \
        using 1:(1):($1 - bw):($1 + bw):($2 < 1 ? $2 : 1):($2 < 1 ? 1 : $2) \
        with boxxyerror lt i dt 1 lw 1 fs solid 1.0 border lc rgb "#303030" title names[i], \
     for [i = 1:nalloc] data index (i - 1) \
        using 1:(1):($1 - bw):($1 + bw):($2 < 1 ? $2 : 1):($2 < 1 ? 1 : $2) \
        with boxxyerror lc rgb "#ffffff" fs transparent pattern hatch[i] noborder notitle, \
     data index nalloc using 1:2:3:4 with yerrorbars lc rgb "#000000" lw 1.5 pt -1 notitle, \
     data index (nalloc + 1) using 1:(na_y):("n/a") with labels rotate by 90 left \
        font ",13" tc rgb "#c00000" notitle
