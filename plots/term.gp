# The terminal of every heapbench chart, from variables set by the caller:
#   fmt     png (default), svg or pdf
#   out     the file to write
#   width, height   the canvas in pixels (at most 1600 wide); SVG keeps them,
#                   PDF maps 100 px to one inch
# Text is sized for a chart scaled to a 16 cm column: 16 pt at 1600 px is
# about 8 pt on the page.  Nothing here writes a date into the file, so
# drawing the same data again gives the same bytes.
if (!exists("fmt")) fmt = "png"
font = "DejaVu Sans,16"
if (fmt eq "png") {
    set terminal pngcairo size width, height font font enhanced rounded
} else {
    if (fmt eq "svg") {
        set terminal svg size width, height font font enhanced rounded background "#ffffff"
    } else {
        if (fmt eq "pdf") {
            set terminal pdfcairo size (width / 100.0), (height / 100.0) \
                font "DejaVu Sans,11.5" enhanced rounded
        } else {
            print "plots/term.gp: unknown format '" . fmt . "' (expected png, svg or pdf)"
            exit status 2
        }
    }
}
set output out
set datafile missing "NaN"
set border 3 lw 1.5
set grid ytics mytics lc rgb "#d8d8d8" lw 1, lc rgb "#eeeeee" lw 1
set tics nomirror
