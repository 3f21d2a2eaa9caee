# plot3_macs_vs_time.gp — MAC reduction vs measured speed-up of each standard -> separable pair.
# Data: separable.csv (k 1, n 2, mac_reduction 9, ref_speedup 18, fast_speedup 19)
if (!exists("scriptdir")) scriptdir = 'reports'
if (!exists("outfile")) outfile = 'plot3_macs_vs_time.png'
load scriptdir.'/common.gp'
f = datadir.'/separable.csv'

set title "Multiply-adds are not time: standard → depthwise separable conv pairs" font ',16'
set logscale xy
set xrange [1:64]
set yrange [*:*]
set format xy '%g'
set xlabel 'MAC reduction: standard MACs / separable MACs (log scale)'
set ylabel 'speed-up: standard time / separable time (log scale)'
set key top left spacing 1.2
col(k) = k == 3 ? c1 : k == 5 ? c2 : c3
sel(k, v) = column(1) == k ? v : NaN
plot x with lines dt 2 lw 2 lc rgb c9 title 'time follows MACs (y = x)', \
     1 with lines lw 1 lc rgb '#bbbbbb' title 'no speed-up (y = 1)', \
     for [k in "3 5 7"] f using 9:(sel(k+0, column(19))) skip 1 with points pt 7 ps 1.7 lc rgb col(k+0) title sprintf('fast kernels (1 thread), k=%s', k), \
     for [k in "3 5 7"] f using 9:(sel(k+0, column(18))) skip 1 with points pt 6 ps 1.7 lw 2 lc rgb col(k+0) title sprintf('reference loops, k=%s', k), \
     f using 9:19:(sprintf('N=%d', column(2))) skip 1 with labels offset char 1.2,-0.6 left font ',9' tc rgb '#555555' notitle
