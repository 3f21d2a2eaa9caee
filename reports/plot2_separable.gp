# plot2_separable.gp — separable / standard ratios of MACs and time against N, with 1/N + 1/k^2.
# Data: separable.csv (k,n,m,df,std_macs,sep_macs,mac_ratio,theory,mac_reduction,...,
#                      ref_time_ratio (16), fast_time_ratio (17))
if (!exists("scriptdir")) scriptdir = 'reports'
if (!exists("outfile")) outfile = 'plot2_separable.png'
height = 780
load scriptdir.'/common.gp'
f = datadir.'/separable.csv'

set title "Depthwise separable ÷ standard k×k conv (M = 64 input channels, 28×28)" font ',16'
set logscale xy 2
set xrange [6:700]
set logscale y 10
set format y '%g'
set xlabel 'N, output channels (log scale)'
set ylabel 'separable / standard (log scale)'
set xtics (8, 16, 32, 64, 128, 256, 512)
set samples 400
set key outside bottom center horizontal maxrows 3 Left reverse spacing 1.2 width 2
set bmargin 9.5
col(k) = k == 3 ? c1 : k == 5 ? c2 : c3
theory(x, k) = 1.0/x + 1.0/(k*k)
sel(k, v) = column(1) == k ? v : NaN
# The legend: colour says k, the marker says what is measured (NaN plots draw only the key).
plot for [k in "3 5 7"] theory(x, k+0) with lines lw 2 lc rgb col(k+0) title sprintf('k=%s: theory 1/N + 1/%d', k, k*k), \
     NaN with points pt 7 ps 1.6 lc rgb c8 title 'MAC ratio (cost model)', \
     NaN with linespoints dt 2 pt 9 ps 1.5 lc rgb c8 title 'time ratio, fast kernels (1 thread)', \
     NaN with linespoints dt 3 pt 4 ps 1.3 lc rgb c8 title 'time ratio, reference loops (1 thread)', \
     for [k in "3 5 7"] f using 2:(sel(k+0, column(7))) skip 1 with points pt 7 ps 1.6 lc rgb col(k+0) notitle, \
     for [k in "3 5 7"] f using 2:(sel(k+0, column(17))) skip 1 with linespoints dt 2 pt 9 ps 1.5 lc rgb col(k+0) notitle, \
     for [k in "3 5 7"] f using 2:(sel(k+0, column(16))) skip 1 with linespoints dt 3 pt 4 ps 1.3 lc rgb col(k+0) notitle
