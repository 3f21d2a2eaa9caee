# plot1_blocks.gp — MACs and parameters of every canonical block at one common size.
# Data: blocks_common.csv (block,args,input,output,macs,params,weights,buffers,other_ops,bytes,intensity)
# usage: gnuplot -e "datadir='reports/out'; outfile='p1.png'; fmt='png'; scriptdir='reports'" reports/plot1_blocks.gp
if (!exists("scriptdir")) scriptdir = 'reports'
if (!exists("outfile")) outfile = 'plot1_blocks.png'
height = 860
load scriptdir.'/common.gp'
f = datadir.'/blocks_common.csv'

set multiplot layout 2,1 title "Canonical blocks on a 288×35×35 input, 288 output channels" font ',16'
set style fill solid 0.85 border lc rgb '#333333'
set boxwidth 0.6
set logscale y
set xrange [-0.6:9.6]
set key off
set xtics noenhanced rotate by -20 left font ',12'
set format y '%g'
set ylabel 'MACs (millions, log scale)'
set yrange [30:8000]
plot f using 0:($5/1e6):xtic(1) skip 1 with boxes lc rgb c1, \
     f skip 1 using 0:($5/1e6):(sprintf('%.0f M', $5/1e6)) with labels offset 0,0.8 font ',11'
set ylabel 'parameters (thousands, log scale)'
set yrange [30:8000]
plot f using 0:($6/1e3):xtic(1) skip 1 with boxes lc rgb c2, \
     f skip 1 using 0:($6/1e3):(sprintf('%.0f K', $6/1e3)) with labels offset 0,0.8 font ',11'
unset multiplot
