# common.gp — terminal and style shared by every report plot (loaded by each plotN_*.gp).
#
# The caller sets: datadir (the folder with the CSV files), outfile, fmt ('png' or 'svg'),
# and optionally width/height in pixels. `convblocks report` passes all of them.
if (!exists("fmt")) fmt = 'png'
if (!exists("datadir")) datadir = 'reports/out'
if (!exists("width")) width = 1200
if (!exists("height")) height = 720
# Plain text everywhere (block names have underscores); Greek letters and superscripts are UTF-8.
set encoding utf8
if (fmt eq 'svg') {
    set terminal svg size width,height dynamic noenhanced font 'Sans,14' background rgb 'white'
} else {
    set terminal pngcairo size width,height noenhanced font 'Sans,13' background rgb 'white'
}
set output outfile
set datafile separator ','
set datafile missing ''
set grid lc rgb '#dddddd' lw 1
set border lc rgb '#444444'
set key box opaque
set tics nomirror
# a colour-blind-safe palette (Okabe-Ito)
c1 = '#0072B2'; c2 = '#D55E00'; c3 = '#009E73'; c4 = '#CC79A7'; c5 = '#E69F00'
c6 = '#56B4E9'; c7 = '#F0E442'; c8 = '#000000'; c9 = '#999999'; c10 = '#882255'
