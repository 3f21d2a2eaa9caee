# plot8_networks.gp — each network's share of MACs and of time by layer type, as stacked bars.
# Data: network_stack.csv (bar,net,measure,total,conv,conv_1x1,conv_dw,conv_grouped,fc,bn,relu,pool,add,concat)
if (!exists("scriptdir")) scriptdir = 'reports'
if (!exists("outfile")) outfile = 'plot8_networks.png'
width = 1400
height = 760
load scriptdir.'/common.gp'
f = datadir.'/network_stack.csv'

set title "Share of MACs and of forward-pass time (fast kernels, 1 thread) by layer type" font ',16'
set style data histograms
set style histogram rowstacked
set style fill solid 0.9 border lc rgb '#ffffff'
set boxwidth 0.75
set yrange [0:112]
set format y '%g%%'
set ylabel 'share (%)'
set xtics noenhanced rotate by -30 left font ',11'
set key outside right top vertical Left reverse spacing 1.1
set grid noxtics
array colors[10] = [c1, c2, c3, c4, c5, c6, c7, c8, c9, c10]
array titles[10] = ['conv k×k', 'conv 1x1', 'conv depthwise', 'conv grouped', 'fully connected', 'batch-norm', 'ReLU', 'pooling', 'residual add', 'concat']
plot for [i=5:14] f using i:xtic(1) skip 1 title titles[i-4] lc rgb colors[i-4], \
     f using 0:(104):4 skip 1 with labels font ',10' notitle
