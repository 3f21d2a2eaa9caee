# plot6_vgg.gp — n stacked 3x3 convs vs one (2n+1)x(2n+1) conv: params, MACs, time vs receptive field.
# Data: vgg_receptive_field.csv (n,rf,input,vgg_params,kxk_params,vgg_macs,kxk_macs,vgg_ref_ms,kxk_ref_ms,
#                                vgg_fast1_ms,kxk_fast1_ms)
if (!exists("scriptdir")) scriptdir = 'reports'
if (!exists("outfile")) outfile = 'plot6_vgg.png'
width = 1400
height = 620
load scriptdir.'/common.gp'
f = datadir.'/vgg_receptive_field.csv'

set multiplot layout 1,3 title "n stacked 3×3 convs (vgg) vs one (2n+1)×(2n+1) conv (conv_kxk), 64 → 64 channels, 28×28" font ',16'
set xlabel 'receptive field (pixels)'
set xrange [2:12]
set xtics 3,2,11
set key top left spacing 1.2
set format y '%g'
set ylabel 'parameters (thousands)'
plot f using 2:($4/1e3) skip 1 with linespoints lw 2 pt 7 ps 1.3 lc rgb c1 title 'n × 3×3', \
     f using 2:($5/1e3) skip 1 with linespoints lw 2 pt 5 ps 1.3 lc rgb c2 title 'one k×k'
set ylabel 'MACs (millions)'
plot f using 2:($6/1e6) skip 1 with linespoints lw 2 pt 7 ps 1.3 lc rgb c1 title 'n × 3×3', \
     f using 2:($7/1e6) skip 1 with linespoints lw 2 pt 5 ps 1.3 lc rgb c2 title 'one k×k'
set ylabel 'time on 1 thread (ms, log scale)'
set logscale y
set key bottom right
plot f using 2:10 skip 1 with linespoints lw 2 pt 7 ps 1.3 lc rgb c1 title 'n × 3×3, fast', \
     f using 2:11 skip 1 with linespoints lw 2 pt 5 ps 1.3 lc rgb c2 title 'one k×k, fast', \
     f using 2:8 skip 1 with linespoints lw 2 dt 3 pt 6 ps 1.3 lc rgb c1 title 'n × 3×3, ref', \
     f using 2:9 skip 1 with linespoints lw 2 dt 3 pt 4 ps 1.3 lc rgb c2 title 'one k×k, ref'
unset multiplot
