# plot4_roofline.gp — achieved GFLOP/s vs arithmetic intensity under the measured ceilings.
# Data: roofline.csv (series: op|block (fast, 1 thread), op_all|block_all (fast, all threads),
#       block_ref; name, intensity, gflops, label),
#       machine.csv (threads_all, fma_gflops_1t, dram_gbs_1t, l3_gbs_1t, roof_gflops, roof_dram_gbs:
#       read by name; the roof_* figures are the all-thread ceilings, never below the 1-thread ones)
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
stats m using "dram_gbs_1t" nooutput
dram1 = STATS_max
stats m using "l3_gbs_1t" nooutput
l31 = STATS_max
stats m using "roof_gflops" nooutput
peak = STATS_max
stats m using "roof_dram_gbs" nooutput
dram = STATS_max

set title "Roofline: fast kernels on 1 thread (filled) and on all threads (hollow)" font ',16'
set logscale xy
set xrange [0.03:2000]
set yrange [*:peak*3]
set format xy '%g'
set xlabel 'arithmetic intensity (flop per byte of minimum traffic, log scale)'
set ylabel 'achieved GFLOP/s (log scale)'
set key bottom right spacing 1.15 font ',11'
set samples 600
roof(x, bw, p) = (bw*x < p) ? bw*x : p
sel(s, v) = strcol(1) eq s ? v : NaN
# labels alternate sides (even rows one way, odd rows the other) so that neighbours overlap less
alt(s, odd, v) = (strcol(1) eq s && int(column(0)) % 2 == odd) ? v : NaN
plot roof(x, dram1, peak1) with lines lw 3 lc rgb c8 title sprintf('1 thread: DRAM %.1f GB/s, FMA peak %.0f GFLOP/s', dram1, peak1), \
     roof(x, l31, peak1) with lines lw 2 dt 2 lc rgb c9 title sprintf('1 thread, L3-sized arrays: %.1f GB/s', l31), \
     roof(x, dram, peak) with lines lw 2 dt 3 lc rgb c8 title sprintf('%d threads: DRAM %.1f GB/s, FMA peak %.0f GFLOP/s', threads, dram, peak), \
     f using 3:(sel('block_ref', column(4))) skip 1 with points pt 2 ps 1.2 lc rgb c9 title 'blocks, reference loops (1 thread)', \
     f using 3:(sel('op_all', column(4))) skip 1 with points pt 6 ps 1.3 lc rgb c1 title sprintf('single ops, fast, %d threads', threads), \
     f using 3:(sel('block_all', column(4))) skip 1 with points pt 4 ps 1.3 lc rgb c2 title sprintf('blocks, fast, %d threads', threads), \
     f using 3:(sel('op', column(4))) skip 1 with points pt 7 ps 1.5 lc rgb c1 title 'single ops, fast, 1 thread', \
     f using 3:(sel('block', column(4))) skip 1 with points pt 5 ps 1.5 lc rgb c2 title 'blocks, fast, 1 thread', \
     f using 3:(alt('op', 0, column(4))):5 skip 1 with labels offset char 0.8,0.5 left font ',10' tc rgb c1 notitle, \
     f using 3:(alt('op', 1, column(4))):5 skip 1 with labels offset char 0.8,-0.6 left font ',10' tc rgb c1 notitle, \
     f using 3:(alt('block', 0, column(4))):5 skip 1 with labels offset char -0.8,0.6 right font ',10' tc rgb c2 notitle, \
     f using 3:(alt('block', 1, column(4))):5 skip 1 with labels offset char 0.8,-0.6 left font ',10' tc rgb c2 notitle
