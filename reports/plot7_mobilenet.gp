# plot7_mobilenet.gp — MobileNet v1: MACs vs weights for width multiplier and resolution
# (paper Tables 6, 7), and the share of MACs and weights by layer type (Table 2).
# Data: mobilenet_tradeoffs.csv (series,alpha,resolution,macs,weights,params),
#       mobilenet_types.csv (type,macs,macs_pct,weights,weights_pct)
if (!exists("scriptdir")) scriptdir = 'reports'
if (!exists("outfile")) outfile = 'plot7_mobilenet.png'
width = 1400
height = 680
load scriptdir.'/common.gp'
f = datadir.'/mobilenet_tradeoffs.csv'
t = datadir.'/mobilenet_types.csv'
stats t using 3 skip 1 nooutput   # before any range is set: stats honours them
ntypes = STATS_records

set multiplot layout 1,2 title "MobileNet v1 (batch 1, 1000 classes)" font ',16'
set logscale xy
set xrange [20:1000]
set yrange [0.3:8]
set format xy '%g'
set ytics (0.25, 0.5, 1, 2, 4, 8)
set xlabel 'MACs (millions, log scale)'
set ylabel 'weights (millions, log scale)'
set key top left spacing 1.2
sel(s, v) = strcol(1) eq s ? v : NaN
plot f using ($4/1e6):(sel('width', $5/1e6)) skip 1 with linespoints lw 2 pt 7 ps 1.5 lc rgb c1 title 'width multiplier α (224x224)', \
     f using ($4/1e6):(sel('resolution', $5/1e6)) skip 1 with linespoints lw 2 pt 5 ps 1.5 lc rgb c2 title 'resolution (α = 1)', \
     f using ($4/1e6):(sel('width', $5/1e6)):(sprintf('α=%s', strcol(2))) skip 1 with labels offset char 0,1.1 font ',11' tc rgb c1 notitle, \
     f using ($4/1e6):(sel('resolution', $5/1e6)):(sprintf('%s', strcol(3))) skip 1 with labels offset char 0,-1.1 font ',11' tc rgb c2 notitle

unset logscale
set ytics auto
set xrange [-0.6:ntypes-0.4]
set yrange [0:110]
set format y '%g%%'
set xlabel 'layer type'
set ylabel 'share of the network (%)'
set style data histograms
set style histogram clustered gap 1.5
set style fill solid 0.85 border lc rgb '#333333'
set boxwidth 0.9
set key top right
set xtics noenhanced
plot t using 3:xtic(1) skip 1 title 'share of MACs' lc rgb c1, \
     t using 5 skip 1 title 'share of weights' lc rgb c2, \
     t using ($0-0.17):3:(sprintf('%.2f%%', $3)) skip 1 with labels offset 0,0.7 font ',10' notitle, \
     t using ($0+0.17):5:(sprintf('%.2f%%', $5)) skip 1 with labels offset 0,0.7 font ',10' notitle
unset multiplot
