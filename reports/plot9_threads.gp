# plot9_threads.gp — speed-up of each block from 1 thread to all cores (fast kernels).
# Data: threads.csv (block,fast1_ms,fastN_ms,speedup,threads)
if (!exists("scriptdir")) scriptdir = 'reports'
if (!exists("outfile")) outfile = 'plot9_threads.png'
load scriptdir.'/common.gp'
f = datadir.'/threads.csv'

stats f using "threads" nooutput
n = STATS_max
set title sprintf("Speed-up from 1 to %d threads, fast kernels, each block at its default shape", n) font ',16'
set style fill solid 0.85 border lc rgb '#333333'
set boxwidth 0.6
set yrange [0:n*1.25]
set xrange [-0.6:STATS_records-0.4]
set ylabel sprintf('speed-up: time on 1 thread / time on %d', n)
set xtics noenhanced rotate by -25 left font ',12'
set key top right
plot f using 0:4:xtic(1) skip 1 with boxes lc rgb c1 title 'measured speed-up', \
     n with lines dt 2 lw 2 lc rgb c2 title sprintf('ideal: %d', n), \
     f using 0:4:(sprintf('%.2fx', $4)) skip 1 with labels offset 0,0.8 font ',11' notitle
