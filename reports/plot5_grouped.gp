# plot5_grouped.gp — inception_grouped: MACs, params and time as the 3x3 conv's groups go from 1 to m.
# Data: inception_grouped.csv (groups 1, macs 4, params 5, ref_ms 8, fast1_ms 9)
if (!exists("scriptdir")) scriptdir = 'reports'
if (!exists("outfile")) outfile = 'plot5_grouped.png'
width = 1400
height = 660
load scriptdir.'/common.gp'
f = datadir.'/inception_grouped.csv'

set multiplot layout 1,2 title "From Inception (g = 1) to Xception (g = m = 192): 1×1 conv 192 → 192, then a 3×3 conv in g groups, 35×35" font ',15'
set logscale x 2
set logscale y
set xrange [0.8:240]
set format y '%g'
set xtics (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 192) font ',11'
set xlabel 'groups g of the 3×3 conv (log scale)'
set key top right spacing 1.2
set ylabel 'MACs (millions) and parameters (thousands), log scale'
plot f using 1:($4/1e6) skip 1 with linespoints lw 2 pt 7 ps 1.3 lc rgb c1 title 'MACs (M)', \
     f using 1:($5/1e3) skip 1 with linespoints lw 2 dt 2 pt 5 ps 1.1 lc rgb c3 title 'parameters (K)'
set ylabel 'time (ms, log scale)'
plot f using 1:9 skip 1 with linespoints lw 2 pt 9 ps 1.5 lc rgb c2 title 'fast kernels, 1 thread', \
     f using 1:8 skip 1 with linespoints lw 2 dt 3 pt 4 ps 1.3 lc rgb c4 title 'reference loops, 1 thread'
unset multiplot
