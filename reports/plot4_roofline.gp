# plot4_roofline.gp — achieved GFLOP/s vs arithmetic intensity under the measured ceilings.
# Data: roofline.csv (series,name,intensity,gflops,label),
#       machine.csv (threads_all, fma_gflops_1t, roof_gflops, roof_dram_gbs, roof_l3_gbs: read by name;
#       the roof_* figures are the all-thread ceilings, never below the 1-thread ones)
if (!exists("scriptdir")) scriptdir = 'reports'
if (!exists("outfile")) outfile = 'plot4_roofline.png'
height = 800
load scriptdir.'/common.gp'
f = datadir.'/roofline.csv'
m = datadir.'/machine.csv'

stats m using "threads_all" nooutput
threads = STATS_max
stats m using "fma_gflops_1t" nooutput
peak1 = STATS_max
stats m using "roof_gflops" nooutput
peak = STATS_max
stats m using "roof_dram_gbs" nooutput
dram = STATS_max
stats m using "roof_l3_gbs" nooutput
l3 = STATS_max

set title sprintf("Roofline (fast kernels, %d threads)", threads) font ',16'
set logscale xy
set xrange [0.03:2000]
set yrange [*:peak*3]
set format xy '%g'
set xlabel 'arithmetic intensity (flop per byte of minimum traffic, log scale)'
set ylabel 'achieved GFLOP/s (log scale)'
set key bottom right spacing 1.2
set samples 600
roof(x, bw, p) = (bw*x < p) ? bw*x : p
sel(s, v) = strcol(1) eq s ? v : NaN
# labels alternate sides (even rows one way, odd rows the other) so that neighbours overlap less
alt(s, odd, v) = (strcol(1) eq s && int(column(0)) % 2 == odd) ? v : NaN
plot roof(x, dram, peak) with lines lw 3 lc rgb c8 title sprintf('roof: DRAM %.1f GB/s, FMA peak %.0f GFLOP/s', dram, peak), \
     roof(x, l3, peak) with lines lw 2 dt 2 lc rgb c9 title sprintf('L3-sized arrays %.1f GB/s', l3), \
     peak1 with lines lw 2 dt 3 lc rgb c9 title sprintf('FMA peak, 1 thread: %.0f GFLOP/s', peak1), \
     f using 3:(sel('block_ref', column(4))) skip 1 with points pt 2 ps 1.2 lc rgb c9 title 'blocks, reference loops (1 thread)', \
     f using 3:(sel('op', column(4))) skip 1 with points pt 7 ps 1.5 lc rgb c1 title 'single ops, fast', \
     f using 3:(sel('block', column(4))) skip 1 with points pt 5 ps 1.5 lc rgb c2 title 'blocks, fast', \
     f using 3:(alt('op', 0, column(4))):5 skip 1 with labels offset char 0.8,0.5 left font ',10' tc rgb c1 notitle, \
     f using 3:(alt('op', 1, column(4))):5 skip 1 with labels offset char 0.8,-0.6 left font ',10' tc rgb c1 notitle, \
     f using 3:(alt('block', 0, column(4))):5 skip 1 with labels offset char -0.8,0.6 right font ',10' tc rgb c2 notitle, \
     f using 3:(alt('block', 1, column(4))):5 skip 1 with labels offset char 0.8,-0.6 left font ',10' tc rgb c2 notitle
