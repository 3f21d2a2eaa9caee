/* fast_dw.c — depthwise convolution (one k x k filter per channel), vectorised
 * along rows, down the columns of small planes, or 8 channels at a time.
 *
 * A depthwise conv does only k*k multiply-adds per output, so unlike a
 * GEMM it is limited by loads (and, for the large layers, by the L3 traffic
 * of its input and output), not by FMAs. Threads split channels.
 *
 * Column sweep (3x3, stride 1, padding 1, planes 8 to CB_DW_SWEEP_MAX_W =
 * 48 wide: Xception's 19x19, MobileNet's 14x14 and 28x28, Inception's 35x35
 * and 17x17 average pools; see sweep_channel): the plane is cut into
 * columns of 8 outputs, each swept from the top row to the bottom. Each
 * input row's three tap vectors are loaded once and feed the three output
 * rows that read them, as three row sums of 3 FMAs; an output row is stored
 * as soon as its third sum is in. So an output vector costs 3 loads and no
 * dependency chain is longer than 3 FMAs and 2 adds. Measured against the
 * flat path it replaced (below), same process, interleaved medians, 1
 * thread: 728@19 0.82-0.89, 256@28 0.70-0.90, 512@14 0.70-0.76, 128@32
 * 0.81; 2 threads 0.74-0.90. Against the row kernels below, on wider planes
 * (1 and 2 threads): 35 wide 0.59-0.64 (the rows' masked last chunk), 40
 * 0.85-0.97, 44 0.73, 48 1.01; from 56 on the sweep loses, even in bands of
 * rows that stay in L1 (56 wide 0.99-1.07, 112 1.09 with bands and 1.22
 * without). A stride-2 sweep (each output row splitting two input rows
 * instead of the row kernels' two and a half) measured 1.06-1.11 against
 * the row kernels at 64@112 whatever the band, 0.83 against the blocked
 * path at 256@28 and 0.98 at 128@56; not kept. Standalone copies of the
 * stride-2 loops at 64@112 (session 8) all take 16-18 cycles per 8 outputs:
 * the row kernel's 2-row pass, the sweep, and one output row by two columns
 * per pass (0.99-1.09 of the 2-row pass), and each of them 6-9% slower with
 * every load kept in a register instead of folded into the shuffles (fewer
 * loads, yet slower: the loop is not bound by its loads).
 *
 * The flat path it replaced (sessions 4-7) took the plane as one long row:
 * output pixel t (flat index i*W + j) reads inputs t + dy*W + dx, so 8
 * consecutive outputs read 8 consecutive inputs per tap even across a row
 * end, using every lane; two ANDs per vector cleared the taps that wrapped
 * around a row end. It paid 9 loads and 2 mask loads per output vector,
 * against the sweep's 3 and a quarter more vectors (24 computed per 19
 * outputs, 32 per 28, 16 per 14). Earlier attempts to share loads between
 * vertically stacked vectors (session 6, below) grouped 2 or 4 rows and
 * kept one 9-deep FMA chain per vector; sweeping the whole column is what
 * brings the loads down to 3 and the chains to 3 FMAs.
 *
 * Channel-blocked path (3x3, strides 1 or 2, output rows up to
 * CB_DW_BLOCKED_MAX_OW = 32 wide, where the column sweep does not apply:
 * stride 2, other paddings, rows under 8; oneDNN's "nChw8c" idea): each ymm holds
 * the same pixel of 8 channels. Per group of 8 channels, the input rows
 * are transposed (8x8 blocks, in registers) into a small ring of
 * zero-padded rows laid out [row][col][8]; each output pixel vector is 9
 * FMAs of whole vectors, 4 neighbouring pixels per step sharing their
 * loads; bias and the first ReLU are added in that layout, and the
 * outputs are transposed back into the 8 planes 8 pixels at a time (flat
 * along the plane, so rows of 7, 14 or 19 waste no lanes), adding the
 * residual and the second ReLU there. A last group of fewer than 8
 * channels pads its lanes (zero weights, not stored). It costs two
 * transposes per pixel vector, which the row kernels below avoid, but it
 * has no masked row ends and no per-channel setup, which dominate small
 * planes. Measured on this machine (blocked / rows, cb_fast_dw_run alone,
 * 1 thread, min of 5 x 500 runs): s1: 1024@7 0.81, 512@14 0.91, 728@19
 * 0.85, 256@28 0.97, 128@56 1.08, 64@112 1.22; s2 (input size): 512@14
 * 0.64, 256@28 0.57, 128@56 0.68, 64@112 0.96 (2 threads: s1 0.68-0.95,
 * s2 0.64-0.92 on the same shapes). Hence rows of at most 32 outputs
 * (the MobileNet/Xception shapes from 28 on down, and stride 2 from 56).
 * Inside mobilenet_v1 (input hot from the 1x1 before it) the stride-2
 * layers gain the same (0.61-0.74) but the 512@14 stride-1 ones only tie.
 * Why not more: per pixel vector the 9 FMAs take ~4.6 cycles (near peak)
 * and the two transposes ~2.2 and ~2.5 more; interleaving the transposes'
 * chunks between the FMA steps (so they would overlap) measured 10-40%
 * slower than doing them as separate passes, prefetching the next
 * group's planes did not help either, and transposing the input 8 pixels
 * at a time across row ends (2.4 transposes per row of 19 instead of 3,
 * none masked) measured 4-47% slower (its stores' addresses are computed
 * pixel by pixel). The weights come blocked from the plan (wblk: 3-8%
 * on these shapes, against gathering them per group).
 * CB_DW_PATH=sweep, =blocked or =rows in the environment forces one path
 * where it applies (the tests run every case each way).
 *
 * Winograd path (3x3, stride 1, padding 1, rows wider than the sweep and
 * the blocked path take, on CPUs with AVX-512VL; see wino_3x3s1): two
 * output rows at a time by Winograd's F(2,3) down the columns, 12 FMAs
 * per two output vectors where the row kernels below issue 18, the taps'
 * shifts made in registers (VALIGND), the row ends masked, and a fused
 * input ReLU applied to the loaded rows. Measured against the AVX2 row
 * kernel (session 13, 1 thread): 64@112 141-145 us against 175-188,
 * 128@56 75-77 against 90-97; with an input ReLU, Xception's entry-flow
 * depthwise convs at 74x74 (128 and 256 channels), which the AVX2 path
 * runs on a padded copy: 0.21 against 0.49 ms and 0.38-0.43 against
 * 0.62-0.67. On the narrower planes the sweep and the blocked path stay
 * ahead (256@28 54 against 48 us, 512@14 35 against 26, 728@19 85
 * against 67).
 * CB_DW_PATH=wino forces it where it applies; CB_FORCE_AVX2=1 in the
 * environment leaves it out (the tests run every case both ways).
 *
 * Row kernels (everything else, and the above without AVX-512): per
 * channel, 8 outputs (one ymm) at a time along each output row:
 *
 *   3x3, no fused input ReLU, horizontal stride 2, or stride 1 with rows of
 *   at least CB_DW_INPLACE_MIN_W: the input is read in place. Rows above or
 *   below the input read a shared row of zeros; the few chunks at the row
 *   ends that reach into the padding clear the lanes outside the row. The
 *   common case, padding 1 (with, for stride 1, rows a multiple of 8 wide),
 *   has one such chunk per row end and one lane out in one of its loads:
 *   that load is blended with zero, the rest load plainly (the lane is read
 *   from the neighbouring row, readable memory), which made 64@112 11%
 *   faster, 128@56 19% and 64@112 stride 2 11% against masking every
 *   load of the row ends. Other paddings and widths: stride 1 loads whole
 *   vectors and ANDs them with lane masks (3% better than masked loads);
 *   stride 2 loads with masks. Masked loads also at the tensor's first and
 *   last row, where the neighbouring lanes lie outside it. Stride 1 makes
 *   4 output rows per pass from 6 input rows, each input vector loaded once
 *   for the up to 3 rows that use it. Stride 2 splits two loads into even
 *   and odd columns with one shuffle each (taps 0 and 1) plus a shifted
 *   pair for tap 2, leaving the outputs in a lane order put right by one
 *   permute per sum. Stride 2 with padding 1 on rows a multiple of 16
 *   wide (MobileNet's 112x112) takes s2e_3x3 instead: two loads per row
 *   and chunk, split once, and tap 0 made by shifting its three rows' sum by one lane
 *   (session 9: 0.84-0.93 against the loop above, same process, 1 and 2
 *   threads, in L2 and L3). It makes one output row per pass: two rows
 *   sharing their middle input row's split, as it first did, made gcc
 *   spill weights and load inputs twice (session 12: one row 0.89-0.94 of
 *   two, 1 and 2 threads). Its other variants measured against it: 4
 *   output rows per pass 1.07-1.14, one chain for taps 1 and 2 instead of
 *   two 1.02-1.04, prefetching the input rows 2 to 8 passes ahead
 *   1.09-1.23. It is bound by its shuffles, not its FMAs (session 12,
 *   standalone asm copies, planes in L2): 8.5 cycles per 8 outputs; 5.1
 *   with no FMAs at all, 6.8 without the 6 vshufps, 7.4 without the two
 *   permutes; the 9 FMAs alone take 4.5. A hand-scheduled asm copy ran no
 *   faster than gcc's (9.3 against 8.9 cycles over 64@112).
 *
 *   otherwise: the plane is first copied into a zero-padded scratch plane
 *   (thread-local, L1/L2-resident; applying the fused input ReLU), stored
 *   split into even and odd columns for a horizontal stride of 2 so that 8
 *   outputs still read 8 contiguous inputs per tap. Small 3x3 stride-1
 *   planes go this way too: there nearly every chunk is a row end, and
 *   masked loads cost more than the copy. The same 4-row kernel runs on it,
 *   or for rows under 24 outputs a 2-row one with shorter dependency chains.
 *
 * The epilogue (folded batch-norm bias, ReLU, residual) is applied in
 * registers before the single store of each output.
 *
 * How far this is from the FMA peak, and why (session 4, this AMD EPYC
 * VM, then taken for a Zen 3; session 13 read its CPUID: family 25 model
 * 17, a Zen 4 with AVX-512, standalone copies of the loops on planes in L1/L2): the
 * stride-1 4-row loop runs at 65% of peak with its stores and 74% without
 * them, however its loads are aligned, its chains split or its rows
 * grouped (3 or 4 rows, 1 or 2 chunks per pass all measured the same or
 * worse); whole layers reach 57-65% (the row ends, see above). The
 * stride-2 loop takes ~12-14 cycles per 8 outputs (31%), ~10 even with its
 * shuffles removed (10 loads per output vector, half of them crossing a
 * cache line, which this core runs at ~1.2 per cycle); the deinterleaved
 * scratch plane instead is 1.5x slower. The flat path's loop took ~10
 * cycles per 8 outputs (9 loads, 44% of them crossing a cache line, and 2
 * mask loads; ~45% of peak in L2), its top and bottom vectors ~4% more.
 * Yet fewer loads do not make it faster (session 6, same-process medians
 * against it): vectors stacked a row apart (t and t + W) share two of
 * their three input rows, but groups of them must start at each row's
 * first column, so the last vector of every row overlaps the next
 * (21% more vectors at 19 wide, 14% at 14 and 28). Pairs with the masks on
 * the column sums: 728@19 1.08-1.10, 256@28 0.96-0.99, 512@14 1.06-1.09;
 * groups of 4 rows with the masks on the inputs (one 9-deep FMA chain per
 * vector, as in the row kernels): 1.11-1.25. Likewise, forcing the row
 * kernels to load each input vector once (GCC folds some loads into
 * memory operands twice) measured 1-3.5% slower, and splitting their
 * chains by input row (a sum of three 3-FMA partials) 11% slower. Nor was
 * the flat path waiting for memory: a 19x19 channel took ~200 ns whether
 * the tensor is in L2 (32 channels) or L3 (728), and fetching the next
 * channels' planes ahead (prefetcht0, and prefetchw for the output)
 * measured 4-16% slower.
 *
 * Session 7 (same-process medians against the code here, and standalone
 * copies of the loops; this core, measured: 2 unaligned 32-byte loads per
 * cycle, 0.85-1 when they cross a cache line; vshufps 2 per cycle,
 * vpermps and vpermpd ~0.8):
 *   - Where the flat path's time went: its interior loop alone took ~9.3
 *     cycles per vector with the plane in L1, and 10.6-11.3 over a whole
 *     tensor. Timing-only variants (wrong results): without the two mask
 *     loads 0.97; with every store 32-byte aligned 1.00; without the stores
 *     0.83-0.90 over a whole tensor. So the stores' write-allocate
 *     traffic costs 10-17%, and prefetchw on the output, 16 to 90 vectors
 *     ahead, does not hide it (1.02-1.04), and CLZERO (allocating the
 *     output lines without reading them) runs 9-80x slower on this VM;
 *     2 MiB pages (madvise) for the input and output change nothing.
 *     Starting the middle column's chain from the bias instead of adding
 *     it at the end: 0.98-1.01.
 *   - Taps built from two loads and two in-lane shifts (vpalignr) instead
 *     of three loads: 1.13-1.31.
 *   - The in-place row kernels on small planes (4 rows per pass, the last
 *     chunk overlapping the one before instead of masked): 728@19 1.13,
 *     256@28 0.96, 512@14 1.00, i.e. no better than the noise at 28 and
 *     worse where 19 of 24 lanes are used.
 *   - Stride 2 with the row's aligned vectors at 2j (taps 1 and 2) and tap
 *     0 made from tap 2 by a lane permute: 1.11-1.14 (the permute); with
 *     tap 0 from a second pair of loads at 2j - 2 (one cache-line
 *     crossing per row instead of two): 0.99-1.00. Shorter chains (three
 *     sums of three) or the bias in a chain: 0.98-1.02.
 *
 * Session 11 (convblocks-bench, the two builds alternated, 1 thread, on a
 * host whose FMA peak is 116 GFLOP/s; the 3x3 stride-1 row kernel then
 * takes ~6.2 cycles per 8 outputs against the 4.5 of its 9 FMAs, on
 * 64@112 and 128@56 alike): more independent sums, so as not to lean on
 * the out-of-order window to overlap consecutive chunks, were all slower
 * (64@112; 128@56; 256@28 takes the sweep): the third kernel row's taps
 * summed apart (chains of 6 FMAs, 8 sums) 1.04-1.05; 1.05-1.06; two
 * chunks side by side in each pass, 4 rows 1.25-1.29; 1.08-1.20 (8 sums,
 * 9 weights and 2 inputs do not fit in 16 registers), 3 rows 1.17-1.20;
 * 1.16-1.23, 2 rows 1.28-1.42; 1.45-1.49. Nor is it waiting for its input:
 * prefetching the next pass's four new input rows (prefetcht0, one or two
 * passes ahead) measured 1.01-1.03; 1.04-1.07.
 *
 * Session 12 (64@112 stride 1, 1 thread; same binary where a switch
 * allowed): where the time goes. Per channel it costs the same with 8 or
 * 64 channels (2.6-2.7 us), and 2 channels, all in L2, save only ~12%:
 * standalone asm copies of the 4-row loop take 5.2 cycles per 8 outputs
 * in L2 and 5.9 over the whole tensor in L3 (the same loop with no loads
 * 5.0, with no loads or stores 4.75; its 9 FMAs alone are 4.5). So the
 * loop is within ~15% of its FMAs and the rest is the L3 traffic, which
 * none of these changed:
 *   - 6 output rows per pass (9 weights, 6 sums, 1 input: 16 registers):
 *     in C gcc spills; in asm, with every input vector loaded once (24
 *     loads and 54 FMAs per pass), 1.04 (128@56: 1.09). Standalone
 *     asm loops of 1 to 6 rows per pass over the tensor in L3: 8.1, 6.0,
 *     5.8, 5.9, 5.6, 6.0 cycles per 8 outputs.
 *   - Software prefetch of the next channel's input plane, spread over the
 *     passes (prefetcht0, t1, t2; with prefetchw of its output): 1.09-1.28;
 *     of the next pass's new rows, their first lines 1.01-1.04, whole
 *     rows 1.06-1.07.
 *   - The row ends last (each pass left to right, so the input streams in
 *     address order): 1.04-1.08 in one binary, though two builds
 *     differing only in it measured 0.97 at 64@112 and 1.04 at 128@56:
 *     code placement alone moves these loops by ~4%. The row ends and the
 *     interior as one loop, a branch picking each chunk's loads: 1.23
 *     (one binary).
 *   - Interior passes taking their six rows as a base and a stride,
 *     skipping ip_pass_s1's per-row checks (where gcc spills): 0.95 at
 *     128@56 and 0.97 at 64@112 against the old loop in the same binary,
 *     but 1.00 against a build without it. A switch inside one binary
 *     changes the code it switches between: only separate builds, run
 *     alternately, compare these loops fairly.
 *   - The output's offset from the input (0 to 3072 bytes, for 4K
 *     aliasing): no effect. Two channels' passes interleaved: 1.02.
 *   - Why Winograd F(2,3) does not fit (worked out, not built): along
 *     columns it needs its 12 transformed weights and 4 sums in registers
 *     at once, and AVX2 has 16; with the weights in memory the loads per
 *     output double. Along rows it needs the stride-2 split, whose
 *     shuffles are what bounds the stride-2 kernel above.
 *
 * Session 13 (convblocks-bench, separate builds alternated, 1 thread;
 * 64@112 175 us, 128@56 90 us with the AVX2 row kernel): where the rest
 * goes, before the Winograd path above made the question moot on this
 * host.
 *   - Not the row ends, though perf puts ~23% of the samples in their code
 *     at 64@112 (the interior loop 73%): a timing-only build that skips
 *     them (wrong results) runs 0.83 at 64@112, where they are 2 chunks
 *     of 14, and 0.77 at 128@56, 2 of 7. So a row-end chunk costs 1.0-1.2
 *     interior chunks at 112 wide and less at 56; the samples are the
 *     stalls of each pass's first touch of its new rows.
 *   - Not bandwidth either: a plain AVX copy of the 3.2 MB input to the
 *     3.2 MB output takes 66 us here, reading it alone 41, writing 32.
 *     The loop alone, in L2, would take ~145 us; the layer takes ~175,
 *     so ~30 us is memory time the loop fails to overlap.
 *   - Non-temporal stores for the output (skipping the read for
 *     ownership): 1.11 at 64@112, 1.41 at 128@56, since the lines then
 *     go to DRAM. rep stosb does not skip that read here (writing 3.2 MB
 *     takes 32 us either way), so a scratch row copied out with it
 *     cannot either.
 *
 * Other layouts, measured with the tensors already in them (so no
 * conversion counted; session 5, standalone kernels): channels-last (NHWC),
 * 4 output pixels x 8 channels per step with the weights reloaded per
 * channel group, reached 55% of peak in L1, 58% at 64@112, 31% at 512@14
 * (pixels 2 KiB apart map 18 loads onto 2 cache sets) and 31% at stride 2;
 * weights kept in registers across a strip of pixels was slower still.
 * nChw8c (8 channels per vector, whole planes per group, no transposes):
 * 53% at 64@112, 36% at 256@28, 31% at 728@19, 39% at stride 2. Neither
 * beats these NCHW kernels at stride 1 (65% at 64@112), and the gains at
 * stride 2 (~25%) would need the whole dw/pw chain, pointwise GEMM
 * included, to keep that layout.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "fast_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CB_X86 1
#endif

/* Scratch-plane geometry. Stride-1 layout: padded row r at P + r*ld,
 * column t at [t]. Split layout (horizontal stride 2): padded row r's even
 * columns at P + r*ld, odd columns at P + r*ld + ld/2. */
typedef struct {
    int rows, ld, split;
} plane_geom;

#ifndef CB_DW_INPLACE_MIN_W
#define CB_DW_INPLACE_MIN_W 32
#endif

static int round8(int n) { return (n + 7) / 8 * 8; }

static plane_geom geometry(const cb_fast_dw *d, int avx2) {
    plane_geom g;
    int ow8 = round8(d->out.w);
    g.rows = d->in.h + 2 * d->p.pad_h;
    g.split = avx2 && d->p.stride_w == 2;
    if (g.split) {
        /* even/odd halves must hold index ow8 - 1 + (kw - 1)/2 and the whole padded row */
        int half = round8((d->in.w + 2 * d->p.pad_w + 1) / 2 + 1);
        int need = round8(ow8 + d->p.kw / 2 + 1);
        g.ld = 2 * (half > need ? half : need);
    } else {
        /* reads reach (ow8 - 1)*sw + kw - 1 */
        int need = (ow8 - 1) * d->p.stride_w + d->p.kw;
        int wp = d->in.w + 2 * d->p.pad_w;
        g.ld = round8((need > wp ? need : wp) + 1);
    }
    return g;
}

/* ---- channel-blocked geometry (the 8-channel path, see blk_group) ----
 * Input rows are transposed into a ring of nr padded rows, each ldw pixels
 * of 8 floats (one per channel), pw zero pixels on either side; output
 * pixels are computed a row at a time into a buffer of OW + 16 pixel
 * vectors, and transposed back into the 8 channel planes 8 pixels at a
 * time. */
typedef struct {
    int ldw, nr;
} blk_geom;

static blk_geom blk_geometry(const cb_fast_dw *d) {
    blk_geom b;
    /* the padded row, and room for the last 8-column chunk's zero lanes */
    b.ldw = d->in.w + 2 * d->p.pad_w;
    if (b.ldw < d->p.pad_w + round8(d->in.w)) b.ldw = d->p.pad_w + round8(d->in.w);
    b.nr = 4; /* a power of 2 (slot = row & 3): a row's 3 input rows span at most 3 */
    return b;
}

/* Floats of one thread's blocked-path workspace: the ring, a zero row,
 * the output buffer, and 8 for aligning the start. */
static size_t blk_workspace(const cb_fast_dw *d) {
    const blk_geom b = blk_geometry(d);
    return ((size_t)b.nr + 1) * b.ldw * 8 + ((size_t)d->out.w + 16) * 8 + 8;
}

/* Whether the column sweep can run d: 3x3, stride 1 and padding 1 both
 * ways, rows of at least 8 (one column of 8 outputs). */
static int sweep_applies(const cb_fast_dw *d) {
    const cb_conv_params *p = &d->p;
    return p->kh == 3 && p->kw == 3 && p->stride_h == 1 && p->stride_w == 1 && p->pad_h == 1 &&
           p->pad_w == 1 && d->in.w >= 8;
}

/* Planes up to this wide take the column sweep (see sweep_channel). */
#ifndef CB_DW_SWEEP_MAX_W
#define CB_DW_SWEEP_MAX_W 48
#endif

/* Whether the column sweep runs d: CB_DW_PATH=sweep forces it where it
 * applies, =blocked or =rows rule it out; otherwise planes up to
 * CB_DW_SWEEP_MAX_W wide. Decided once, by the plan (d->sweep). */
static int sweep_chosen(const cb_fast_dw *d) {
    if (!sweep_applies(d)) return 0;
    const char *f = getenv("CB_DW_PATH");
    if (f && *f) return strcmp(f, "sweep") == 0;
    return d->in.w <= CB_DW_SWEEP_MAX_W;
}

cb_status cb_fast_dw_block(cb_fast_dw *d, cb_error *err) {
    d->wblk = NULL;
    d->sweep = 0;
    if (d->p.kh != 3 || d->p.kw != 3) return CB_OK;
    d->sweep = sweep_chosen(d);
    const int C = d->in.c, ng = (C + 7) / 8;
    float *wb = cb_alloc_floats((size_t)ng * 80);
    if (!wb) return cb_fail(err, CB_ERR_NOMEM, "out of memory blocking depthwise weights");
    for (int gi = 0; gi < ng; gi++)
        for (int c = 0; c < 8; c++) {
            const int cc = gi * 8 + c;
            for (int t = 0; t < 9; t++) wb[gi * 80 + t * 8 + c] = cc < C ? d->w[(size_t)cc * 9 + t] : 0.0f;
            wb[gi * 80 + 72 + c] = cc < C ? d->bias[cc] : 0.0f;
        }
    d->wblk = wb;
    return CB_OK;
}

size_t cb_fast_dw_workspace(const cb_fast_dw *d) {
    plane_geom a = geometry(d, 0), b = geometry(d, 1);
    size_t na = (size_t)a.rows * a.ld, nb = (size_t)b.rows * b.ld;
    /* two planes (one filled while the other is convolved), one padded row
     * (for splitting) and slack for the last vector loads; the in-place
     * kernels need only a row of zeros (zero_row) */
    size_t planes = 2 * (na > nb ? na : nb) + (size_t)b.ld + 32, zeros = (size_t)d->in.w + 48;
    size_t n = planes > zeros ? planes : zeros, nblk = blk_workspace(d);
    return n > nblk ? n : nblk;
}

/* Fill the padded plane of one channel. */
static void fill_plane(const cb_fast_dw *d, plane_geom g, const float *xc, float *P) {
    const int H = d->in.h, W = d->in.w, ph = d->p.pad_h, pw = d->p.pad_w;
    for (int r = 0; r < g.rows; r++) {
        float *row = P + (size_t)r * g.ld;
        int ir = r - ph;
        if (ir < 0 || ir >= H) {
            memset(row, 0, (size_t)g.ld * sizeof(float));
            continue;
        }
        const float *src = xc + (size_t)ir * W;
        if (!g.split) {
            for (int t = 0; t < pw; t++) row[t] = 0.0f;
            if (d->in_relu)
                for (int t = 0; t < W; t++) row[pw + t] = src[t] > 0.0f ? src[t] : 0.0f;
            else
                memcpy(row + pw, src, (size_t)W * sizeof(float));
            for (int t = pw + W; t < g.ld; t++) row[t] = 0.0f;
        } else {
            int half = g.ld / 2;
            float *ev = row, *od = row + half;
            for (int q = 0; q < half; q++) {
                int c0 = 2 * q - pw, c1 = 2 * q + 1 - pw;
                float v0 = c0 >= 0 && c0 < W ? src[c0] : 0.0f;
                float v1 = c1 >= 0 && c1 < W ? src[c1] : 0.0f;
                if (d->in_relu) {
                    v0 = v0 > 0.0f ? v0 : 0.0f;
                    v1 = v1 > 0.0f ? v1 : 0.0f;
                }
                ev[q] = v0;
                od[q] = v1;
            }
        }
    }
}

static float epi_scalar(float v, float bias, const cb_fast_epi *e, const float *res) {
    v += bias;
    if (e->relu_pre && v < 0.0f) v = 0.0f;
    if (res) v += *res;
    if (e->relu_post && v < 0.0f) v = 0.0f;
    return v;
}

/* Portable: any kernel and stride, plain loops over the stride-1 layout plane. */
static void channel_c(const cb_fast_dw *d, plane_geom g, const float *P, const float *wc, float bias,
                      const cb_fast_epi *e, const float *resc, float *yc) {
    const int OH = d->out.h, OW = d->out.w, kh = d->p.kh, kw = d->p.kw;
    const int sh = d->p.stride_h, sw = d->p.stride_w;
    for (int i = 0; i < OH; i++) {
        float *yr = yc + (size_t)i * OW;
        for (int j = 0; j < OW; j++) yr[j] = 0.0f;
        for (int u = 0; u < kh; u++) {
            const float *pr = P + (size_t)(i * sh + u) * g.ld;
            for (int v = 0; v < kw; v++) {
                float wv = wc[u * kw + v];
                for (int j = 0; j < OW; j++) yr[j] += wv * pr[j * sw + v];
            }
        }
        for (int j = 0; j < OW; j++)
            yr[j] = epi_scalar(yr[j], bias, e, resc ? resc + (size_t)i * OW + j : NULL);
    }
}

#ifdef CB_X86
/* Lanes 0..n-1 set (1 <= n <= 8): loads and stores of a row's last few values. */
__attribute__((target("avx2,fma"))) static inline __m256i tail_mask(int n) {
    static const int lanes[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(lanes + 8 - n));
}

/* fill_plane with vector copies, writing only the interior of each row:
 * the zero border is the same for every channel, so the caller zeroes the
 * plane (and tmp) once per run. The split layout is made by copying a row
 * into tmp and separating even and odd lanes with two shuffles. */
__attribute__((target("avx2,fma"))) static void fill_plane_avx2(const cb_fast_dw *d, plane_geom g,
                                                                const float *xc, float *P,
                                                                float *tmp) {
    const int H = d->in.h, W = d->in.w, ph = d->p.pad_h, pw = d->p.pad_w;
    const __m256 zero = _mm256_setzero_ps();
    for (int ir = 0; ir < H; ir++) {
        float *row = P + (size_t)(ir + ph) * g.ld;
        const float *src = xc + (size_t)ir * W;
        float *dst = (g.split ? tmp : row) + pw;
        int t = 0;
        if (d->in_relu) {
            for (; t + 8 <= W; t += 8)
                _mm256_storeu_ps(dst + t, _mm256_max_ps(_mm256_loadu_ps(src + t), zero));
            for (; t < W; t++) dst[t] = src[t] > 0.0f ? src[t] : 0.0f;
        } else {
            for (; t + 8 <= W; t += 8) _mm256_storeu_ps(dst + t, _mm256_loadu_ps(src + t));
            /* the row's end: a masked load gives zeros past W, and the 8-wide
             * store only writes zeros into this row's right padding or the
             * next row's left part (padding, or data rewritten next) */
            if (t < W) _mm256_storeu_ps(dst + t, _mm256_maskload_ps(src + t, tail_mask(W - t)));
        }
        if (g.split) {
            const int half = g.ld / 2;
            for (int q = 0; q < half; q += 8) {
                __m256 a = _mm256_loadu_ps(tmp + 2 * q), b = _mm256_loadu_ps(tmp + 2 * q + 8);
                __m256 ev = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
                __m256 od = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
                /* lanes are (a0 a2 b0 b2 | a4 a6 b4 b6): put the 64-bit pairs in order */
                ev = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ev), 0xD8));
                od = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(od), 0xD8));
                _mm256_storeu_ps(row + q, ev);
                _mm256_storeu_ps(row + half + q, od);
            }
        }
    }
}

/* Store the first n (1..7) lanes of v at p: 4, 2 and 1 lanes at a time.
 * VMASKMOVPS does the same in one instruction, but its store form is
 * microcoded on AMD Zen and costs tens of cycles; the depthwise kernels
 * need one at the end of every channel plane whose size is not a multiple
 * of 8 (19x19, 14x14, 7x7). */
__attribute__((target("avx2,fma"), always_inline)) static inline void store_part(float *p, __m256 v,
                                                                           int n) {
    __m128 h = _mm256_castps256_ps128(v);
    if (n >= 4) {
        _mm_storeu_ps(p, h);
        h = _mm256_extractf128_ps(v, 1);
        p += 4;
        n -= 4;
    }
    if (n >= 2) {
        _mm_storel_pi((__m64 *)p, h);
        h = _mm_movehl_ps(h, h);
        p += 2;
        n -= 2;
    }
    if (n) _mm_store_ss(p, h);
}

/* Epilogue and store of 8 outputs (n valid, 1..8) at y; res at the same index. */
__attribute__((target("avx2,fma"))) static inline void store8(float *y, __m256 v, __m256 bias,
                                                              const cb_fast_epi *e, const float *res,
                                                              int n) {
    const __m256 zero = _mm256_setzero_ps();
    v = _mm256_add_ps(v, bias);
    if (e->relu_pre) v = _mm256_max_ps(v, zero);
    if (n == 8) {
        if (res) v = _mm256_add_ps(v, _mm256_loadu_ps(res));
        if (e->relu_post) v = _mm256_max_ps(v, zero);
        _mm256_storeu_ps(y, v);
    } else {
        __m256i m = tail_mask(n);
        if (res) v = _mm256_add_ps(v, _mm256_maskload_ps(res, m));
        if (e->relu_post) v = _mm256_max_ps(v, zero);
        store_part(y, v, n);
    }
}

/* Epilogue with the flags known at compile time (the callers below are
 * instantiated once per combination, so the inner loop has no branches). */
#define CB_AI __attribute__((target("avx2,fma"), always_inline)) static inline
/* n < 8 stores only n values when `last` (8 lanes would leave the
 * channel's plane); otherwise it stores all 8 lanes, spilling garbage into
 * the following rows of the same plane, which the caller writes
 * afterwards: VMASKMOVPS stores are microcoded and slow on AMD Zen, so
 * they are kept to the end of each plane. */
CB_AI void store8c(float *y, __m256 v, __m256 bias, const float *res, int n, int last,
                   const int relu_pre, const int has_res, const int relu_post) {
    const __m256 zero = _mm256_setzero_ps();
    v = _mm256_add_ps(v, bias);
    if (relu_pre) v = _mm256_max_ps(v, zero);
    if (n == 8 || !last) {
        if (has_res) v = _mm256_add_ps(v, _mm256_loadu_ps(res));
        if (relu_post) v = _mm256_max_ps(v, zero);
        _mm256_storeu_ps(y, v);
    } else {
        __m256i m = tail_mask(n);
        if (has_res) v = _mm256_add_ps(v, _mm256_maskload_ps(res, m));
        if (relu_post) v = _mm256_max_ps(v, zero);
        store_part(y, v, n);
    }
}

/* Output rows i..i+N-1 of the chunk at column j (n of its 8 outputs real):
 * the epilogue and stores of a pass's N sums o[]; y and q: row i of the
 * output and of the residual (NULL without one), plane: floats per plane. */
CB_AI void store_rows(float *y, const float *q, int OW, int plane, int i, int j, const __m256 *o,
                      int n, __m256 vb, const int N, const int rp, const int hr, const int rq) {
#pragma GCC unroll 4
    for (int t = 0; t < N; t++)
        store8c(y + (size_t)t * OW + j, o[t], vb, hr ? q + (size_t)t * OW + j : NULL, n,
                (i + t) * OW + j + 8 > plane, rp, hr, rq);
}

/* 3x3, horizontal stride 2 (any vertical stride), split plane: tap v of
 * output j reads padded column 2j + v = even[j], odd[j], even[j+1]. */
CB_AI void body_3x3s2(const cb_fast_dw *d, plane_geom g, const float *P, const float *wc, float bias,
                      const float *resc, float *yc, const int rp, const int hr, const int rq) {
    const int OH = d->out.h, OW = d->out.w, sh = d->p.stride_h, plane = OH * OW;
    const size_t ld = (size_t)g.ld, half = ld / 2;
    __m256 w[9];
    for (int t = 0; t < 9; t++) w[t] = _mm256_set1_ps(wc[t]);
    const __m256 vb = _mm256_set1_ps(bias);
    for (int i = 0; i < OH; i++) {
        const float *r0 = P + (size_t)i * sh * ld, *r1 = r0 + ld, *r2 = r1 + ld;
        float *y0 = yc + (size_t)i * OW;
        const float *q0 = hr ? resc + (size_t)i * OW : NULL;
        for (int j = 0; j < OW; j += 8) {
            __m256 s0 = _mm256_mul_ps(w[0], _mm256_loadu_ps(r0 + j));
            __m256 s1 = _mm256_mul_ps(w[3], _mm256_loadu_ps(r1 + j));
            __m256 s2 = _mm256_mul_ps(w[6], _mm256_loadu_ps(r2 + j));
            s0 = _mm256_fmadd_ps(w[1], _mm256_loadu_ps(r0 + half + j), s0);
            s1 = _mm256_fmadd_ps(w[4], _mm256_loadu_ps(r1 + half + j), s1);
            s2 = _mm256_fmadd_ps(w[7], _mm256_loadu_ps(r2 + half + j), s2);
            s0 = _mm256_fmadd_ps(w[2], _mm256_loadu_ps(r0 + j + 1), s0);
            s1 = _mm256_fmadd_ps(w[5], _mm256_loadu_ps(r1 + j + 1), s1);
            s2 = _mm256_fmadd_ps(w[8], _mm256_loadu_ps(r2 + j + 1), s2);
            int n = OW - j < 8 ? OW - j : 8;
            store8c(y0 + j, _mm256_add_ps(_mm256_add_ps(s0, s1), s2), vb, hr ? q0 + j : NULL, n,
                    i * OW + j + 8 > plane, rp, hr, rq);
        }
    }
}

/* ---- in place: the convolution reads the input tensor directly ----
 *
 * For 3x3 without a fused input ReLU the padded copy is skipped: output
 * rows read their input rows where they lie (a row above or below the
 * input is a shared row of zeros), and the few 8-wide chunks that reach
 * into the left or right padding load with a lane mask instead (masked
 * lanes read as zero and never fault). This saves a full write and re-read
 * of every plane, and the reads of the input, which come from L3 for the
 * large layers, overlap with the multiply-adds instead of happening in a
 * copy loop of their own. */

/* Lanes whose column c0 + lane lies in [0, W). */
CB_AI __m256i col_mask(int c0, int W) {
    const __m256i c =
        _mm256_add_epi32(_mm256_set1_epi32(c0), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_and_si256(_mm256_cmpgt_epi32(c, _mm256_set1_epi32(-1)),
                            _mm256_cmpgt_epi32(_mm256_set1_epi32(W), c));
}

/* A load at p, its lanes outside m[k] zero (`masked`, a compile-time
 * constant; m may be NULL when it is 0). CB_LD_MASK loads with the mask
 * itself: lanes outside it are never read, so p may reach past the
 * tensor. CB_LD_AND loads all 8 lanes and clears the others, which is
 * cheaper (a plain load and an AND, against a microcoded masked load on
 * AMD Zen) but reads the lanes: the caller must know them to be inside
 * memory it may read (the input tensor's neighbouring rows and planes). */
enum { CB_LD_PLAIN = 0, CB_LD_MASK = 1, CB_LD_AND = 2, CB_LD_LEFT1 = 3, CB_LD_RIGHT7 = 4 };
CB_AI __m256 ldm(const float *p, const int masked, const __m256i *m, int k) {
    if (masked == CB_LD_AND) return _mm256_and_ps(_mm256_loadu_ps(p), _mm256_castsi256_ps(m[k]));
    /* the row ends of a conv with padding 1 read in place: the first
     * chunk's load k = 0 (stride 1: tap 0; stride 2: the first of taps_s2's
     * loads) has only lane 0 outside the row, and with stride 1 and rows a
     * multiple of 8 wide the last chunk's load k = 2 (tap 2) only lane 7;
     * one blend with zero each, the other loads plain (as with the AND, the
     * lane is read from the neighbouring row) */
    if (masked == CB_LD_LEFT1)
        return k == 0 ? _mm256_blend_ps(_mm256_loadu_ps(p), _mm256_setzero_ps(), 0x01)
                      : _mm256_loadu_ps(p);
    if (masked == CB_LD_RIGHT7)
        return k == 2 ? _mm256_blend_ps(_mm256_loadu_ps(p), _mm256_setzero_ps(), 0x80)
                      : _mm256_loadu_ps(p);
    return masked ? _mm256_maskload_ps(p, m[k]) : _mm256_loadu_ps(p);
}

/* N output rows (N <= 4, a compile-time constant) of a 3x3 stride-1 conv
 * at column c (= j - pad), from input rows r[0..N+1]; m[v]: the masks of
 * the loads at c + v. Each input vector is loaded once and feeds the up
 * to three output rows that use it; the loads, not the multiply-adds, are
 * the limit when each feeds only one or two (unaligned loads that cross a
 * cache line count twice), hence several rows per pass. One accumulator
 * per output row keeps 9 weights + 4 sums + 1 input in the 16 registers. */
CB_AI void ip_rows_s1(const float *const *r, int c, const __m256 *w, const int masked,
                      const __m256i *m, __m256 *o, const int N) {
#pragma GCC unroll 8
    for (int k = 0; k < N + 2; k++)
#pragma GCC unroll 3
        for (int v = 0; v < 3; v++) {
            const __m256 x = ldm(r[k] + c + v, masked, m, v);
#pragma GCC unroll 4
            for (int n = 0; n < N; n++) {
                const int u = k - n;
                if (u < 0 || u > 2) continue;
                o[n] = u == 0 && v == 0 ? _mm256_mul_ps(w[v], x)
                                        : _mm256_fmadd_ps(w[u * 3 + v], x, o[n]);
            }
        }
}

/* Input row r of the plane xc, or the zero row outside it. */
static inline const float *in_row(const float *xc, int r, int H, int W, const float *zrow) {
    return r < 0 || r >= H ? zrow : xc + (size_t)r * W;
}

/* Output rows i..i+N-1 of a 3x3 stride-1 conv from input rows r[0..N+1]
 * (input column t of row k at r[k][t]; output column j reads columns
 * j + c0 .. j + c0 + 9). Chunks in [jlo, jhi) load unmasked; the others
 * (the row ends) load with lane masks for the columns outside [0, W) when
 * `masked`, and are done first: a row's last chunk may spill a full 8-lane
 * store into the next row, which is written afterwards. yc and resc point
 * at output row i0 (the first of the rows the caller asked for). */
CB_AI void pass_s1(const cb_fast_dw *d, const float *const *r, int c0, int W, const __m256 *w,
                   __m256 vb, const float *resc, float *yc, int i, int i0, int jlo, int jhi,
                   const int masked, const int N, const int rp, const int hr, const int rq) {
    const int OW = d->out.w, plane = d->out.h * OW;
    float *y = yc + (size_t)(i - i0) * OW;
    const float *q = hr ? resc + (size_t)(i - i0) * OW : NULL;
    if (masked == CB_LD_AND && c0 == -1 && W == OW && W % 8 == 0 && jlo == 8 && jhi == OW - 8) {
        /* padding 1, whole chunks: each row end is one chunk with one lane out */
        __m256 o[4];
        ip_rows_s1(r, OW - 8 + c0, w, CB_LD_RIGHT7, NULL, o, N);
        store_rows(y, q, OW, plane, i, OW - 8, o, 8, vb, N, rp, hr, rq);
        ip_rows_s1(r, c0, w, CB_LD_LEFT1, NULL, o, N);
        store_rows(y, q, OW, plane, i, 0, o, 8, vb, N, rp, hr, rq);
    } else
        for (int e = 0; e < 2; e++) {
            const int ja = e == 0 ? jhi : 0, jb = e == 0 ? OW : (jlo < OW ? jlo : OW);
            for (int j = ja; j < jb; j += 8) {
                const int c = j + c0;
                __m256i m[3];
                __m256 o[4];
                if (masked) m[0] = col_mask(c, W), m[1] = col_mask(c + 1, W), m[2] = col_mask(c + 2, W);
                ip_rows_s1(r, c, w, masked, m, o, N);
                store_rows(y, q, OW, plane, i, j, o, OW - j < 8 ? OW - j : 8, vb, N, rp, hr, rq);
            }
        }
    for (int j = jlo; j < jhi; j += 8) {
        __m256 o[4];
        ip_rows_s1(r, j + c0, w, CB_LD_PLAIN, NULL, o, N);
        store_rows(y, q, OW, plane, i, j, o, 8, vb, N, rp, hr, rq);
    }
}

/* Rows i..i+N-1 in place: input rows outside the plane are the zero row.
 * The row ends load whole vectors and clear the lanes outside the row,
 * except where those lanes could lie outside the tensor (`ends`: bit 0,
 * this is its last plane, whose last row is followed by nothing we may
 * read; bit 1, its first plane, whose first row is preceded by nothing):
 * there they load with masks. */
CB_AI void ip_pass_s1(const cb_fast_dw *d, const float *xc, const float *zrow, const __m256 *w,
                      __m256 vb, const float *resc, float *yc, int i, int i0, int jlo, int jhi,
                      int ends,
                      const int N, const int rp, const int hr, const int rq) {
    const int H = d->in.h, W = d->in.w, r0 = i - d->p.pad_h;
    const float *r[6];
#pragma GCC unroll 6
    for (int k = 0; k < N + 2; k++) r[k] = in_row(xc, r0 + k, H, W, zrow);
    const int unsafe = ((ends & 1) && r0 + N + 1 >= H - 1) || ((ends & 2) && r0 <= 0) ||
                       d->p.pad_w > 8;
    if (unsafe)
        pass_s1(d, r, -d->p.pad_w, W, w, vb, resc, yc, i, i0, jlo, jhi, CB_LD_MASK, N, rp, hr, rq);
    else
        pass_s1(d, r, -d->p.pad_w, W, w, vb, resc, yc, i, i0, jlo, jhi, CB_LD_AND, N, rp, hr, rq);
}

/* 3x3 stride 1 in place, output rows [i0, i1): four per pass, then the rest. */
CB_AI void ip_3x3s1(const cb_fast_dw *d, const float *xc, const float *zrow, const float *wc,
                    float bias, const float *resc, float *yc, int ends, int i0, int i1,
                    const int rp, const int hr, const int rq) {
    const int W = d->in.w, OW = d->out.w, pw = d->p.pad_w;
    __m256 w[9];
    for (int t = 0; t < 9; t++) w[t] = _mm256_set1_ps(wc[t]);
    const __m256 vb = _mm256_set1_ps(bias);
    /* chunks j in [jlo, jhi) read columns j - pw .. j - pw + 9, all inside the row */
    int jlo = (pw + 7) / 8 * 8, jhi = W - 10 + pw >= 0 ? (W - 10 + pw) / 8 * 8 + 8 : 0;
    if (jhi > OW / 8 * 8) jhi = OW / 8 * 8;
    if (jhi < jlo) jhi = jlo;
    int i = i0;
    for (; i + 4 <= i1; i += 4)
        ip_pass_s1(d, xc, zrow, w, vb, resc, yc, i, i0, jlo, jhi, ends, 4, rp, hr, rq);
    if (i + 2 <= i1) {
        ip_pass_s1(d, xc, zrow, w, vb, resc, yc, i, i0, jlo, jhi, ends, 2, rp, hr, rq);
        i += 2;
    }
    if (i < i1) ip_pass_s1(d, xc, zrow, w, vb, resc, yc, i, i0, jlo, jhi, ends, 1, rp, hr, rq);
}

/* Rows i..i+N-1 from the padded plane: no masks needed anywhere. */
CB_AI void pl_pass_s1(const cb_fast_dw *d, plane_geom g, const float *P, const __m256 *w, __m256 vb,
                      const float *resc, float *yc, int i, const int N, const int rp,
                      const int hr, const int rq) {
    const float *r[6];
#pragma GCC unroll 6
    for (int k = 0; k < N + 2; k++) r[k] = P + (size_t)(i + k) * g.ld;
    pass_s1(d, r, 0, g.ld, w, vb, resc, yc, i, 0, 0, d->out.w / 8 * 8, 0, N, rp, hr, rq);
}

/* Two output rows (from padded rows r0..r3) at columns j..j+7. */
CB_AI void rows2_3x3(const float *r0, const float *r1, const float *r2, const float *r3,
                     const __m256 *w, __m256 *o0, __m256 *o1) {
    __m256 a0 = _mm256_loadu_ps(r0), a1 = _mm256_loadu_ps(r0 + 1), a2 = _mm256_loadu_ps(r0 + 2);
    __m256 b0 = _mm256_loadu_ps(r1), b1 = _mm256_loadu_ps(r1 + 1), b2 = _mm256_loadu_ps(r1 + 2);
    __m256 s0 = _mm256_mul_ps(w[0], a0);
    __m256 s1 = _mm256_mul_ps(w[3], b0);
    __m256 t0 = _mm256_mul_ps(w[0], b0);
    s0 = _mm256_fmadd_ps(w[1], a1, s0);
    s1 = _mm256_fmadd_ps(w[4], b1, s1);
    t0 = _mm256_fmadd_ps(w[1], b1, t0);
    s0 = _mm256_fmadd_ps(w[2], a2, s0);
    s1 = _mm256_fmadd_ps(w[5], b2, s1);
    t0 = _mm256_fmadd_ps(w[2], b2, t0);
    __m256 c0 = _mm256_loadu_ps(r2), c1 = _mm256_loadu_ps(r2 + 1), c2 = _mm256_loadu_ps(r2 + 2);
    s0 = _mm256_fmadd_ps(w[6], c0, s0);
    __m256 t1 = _mm256_mul_ps(w[3], c0);
    s1 = _mm256_fmadd_ps(w[7], c1, s1);
    t1 = _mm256_fmadd_ps(w[4], c1, t1);
    s0 = _mm256_fmadd_ps(w[8], c2, s0);
    t1 = _mm256_fmadd_ps(w[5], c2, t1);
    __m256 e0 = _mm256_loadu_ps(r3), e1 = _mm256_loadu_ps(r3 + 1), e2 = _mm256_loadu_ps(r3 + 2);
    t0 = _mm256_fmadd_ps(w[6], e0, t0);
    t1 = _mm256_fmadd_ps(w[7], e1, t1);
    t0 = _mm256_fmadd_ps(w[8], e2, t0);
    *o0 = _mm256_add_ps(s0, s1);
    *o1 = _mm256_add_ps(t0, t1);
}

CB_AI __m256 row1_3x3(const float *r0, const float *r1, const float *r2, const __m256 *w) {
    __m256 s0 = _mm256_mul_ps(w[0], _mm256_loadu_ps(r0));
    __m256 s1 = _mm256_mul_ps(w[3], _mm256_loadu_ps(r1));
    __m256 s2 = _mm256_mul_ps(w[6], _mm256_loadu_ps(r2));
    s0 = _mm256_fmadd_ps(w[1], _mm256_loadu_ps(r0 + 1), s0);
    s1 = _mm256_fmadd_ps(w[4], _mm256_loadu_ps(r1 + 1), s1);
    s2 = _mm256_fmadd_ps(w[7], _mm256_loadu_ps(r2 + 1), s2);
    s0 = _mm256_fmadd_ps(w[2], _mm256_loadu_ps(r0 + 2), s0);
    s1 = _mm256_fmadd_ps(w[5], _mm256_loadu_ps(r1 + 2), s1);
    s2 = _mm256_fmadd_ps(w[8], _mm256_loadu_ps(r2 + 2), s2);
    return _mm256_add_ps(_mm256_add_ps(s0, s1), s2);
}

/* 3x3 stride 1 from the padded plane for narrow rows (under 24 outputs):
 * two output rows per pass with two accumulator chains per output. With
 * only one to three chunks per row the 4-row kernel's 9-long chains leave
 * too little independent work per pass (measured 8-14% slower at 14 and
 * 19 columns; 3% faster at 28, 17% at 56). */
CB_AI void body_3x3s1_narrow(const cb_fast_dw *d, plane_geom g, const float *P, const float *wc,
                             float bias, const float *resc, float *yc, const int rp, const int hr,
                             const int rq) {
    const int OH = d->out.h, OW = d->out.w, full = OW / 8 * 8, plane = OH * OW;
    const size_t ld = (size_t)g.ld;
    __m256 w[9];
    for (int t = 0; t < 9; t++) w[t] = _mm256_set1_ps(wc[t]);
    const __m256 vb = _mm256_set1_ps(bias);
    int i = 0;
    for (; i + 2 <= OH; i += 2) {
        const float *r0 = P + (size_t)i * ld, *r1 = r0 + ld, *r2 = r1 + ld, *r3 = r2 + ld;
        float *y0 = yc + (size_t)i * OW, *y1 = y0 + OW;
        const float *q0 = hr ? resc + (size_t)i * OW : NULL, *q1 = hr ? q0 + OW : NULL;
        /* the row ends first: their 8-lane stores spill into the next row's
         * start, which the full chunks below (or the next pair) rewrite */
        if (full < OW) {
            __m256 o0, o1;
            rows2_3x3(r0 + full, r1 + full, r2 + full, r3 + full, w, &o0, &o1);
            store8c(y0 + full, o0, vb, hr ? q0 + full : NULL, OW - full,
                    i * OW + full + 8 > plane, rp, hr, rq);
            store8c(y1 + full, o1, vb, hr ? q1 + full : NULL, OW - full,
                    (i + 1) * OW + full + 8 > plane, rp, hr, rq);
        }
        for (int j = 0; j < full; j += 8) {
            __m256 o0, o1;
            rows2_3x3(r0 + j, r1 + j, r2 + j, r3 + j, w, &o0, &o1);
            store8c(y0 + j, o0, vb, hr ? q0 + j : NULL, 8, 0, rp, hr, rq);
            store8c(y1 + j, o1, vb, hr ? q1 + j : NULL, 8, 0, rp, hr, rq);
        }
    }
    for (; i < OH; i++) {
        const float *r0 = P + (size_t)i * ld, *r1 = r0 + ld, *r2 = r1 + ld;
        float *y0 = yc + (size_t)i * OW;
        const float *q0 = hr ? resc + (size_t)i * OW : NULL;
        for (int j = 0; j < OW; j += 8) {
            int n = OW - j < 8 ? OW - j : 8;
            store8c(y0 + j, row1_3x3(r0 + j, r1 + j, r2 + j, w), vb, hr ? q0 + j : NULL, n,
                    i * OW + j + 8 > plane, rp, hr, rq);
        }
    }
}

/* 3x3 stride 1 from the padded plane (small planes, or a fused input ReLU). */
CB_AI void body_3x3s1(const cb_fast_dw *d, plane_geom g, const float *P, const float *wc, float bias,
                      const float *resc, float *yc, const int rp, const int hr, const int rq) {
    const int OH = d->out.h;
    if (d->out.w < 24) {
        body_3x3s1_narrow(d, g, P, wc, bias, resc, yc, rp, hr, rq);
        return;
    }
    __m256 w[9];
    for (int t = 0; t < 9; t++) w[t] = _mm256_set1_ps(wc[t]);
    const __m256 vb = _mm256_set1_ps(bias);
    int i = 0;
    for (; i + 4 <= OH; i += 4) pl_pass_s1(d, g, P, w, vb, resc, yc, i, 4, rp, hr, rq);
    if (i + 2 <= OH) {
        pl_pass_s1(d, g, P, w, vb, resc, yc, i, 2, rp, hr, rq);
        i += 2;
    }
    if (i < OH) pl_pass_s1(d, g, P, w, vb, resc, yc, i, 1, rp, hr, rq);
}

/* The three taps of one input row for 8 outputs of a 3x3 conv with
 * horizontal stride 2, from column b = 2j - pad: tap v of output l reads
 * b + 2l + v. Two 8-wide loads split into even and odd columns by one
 * shuffle each give taps 0 and 1, a load 2 columns on gives tap 2; the
 * shuffles leave the outputs in lane order 0 1 4 5 2 3 6 7, put right once
 * per sum (perm_out). */
CB_AI void taps_s2(const float *r, int b, const int masked, const __m256i *m, __m256 *t) {
    __m256 A = ldm(r + b, masked, m, 0), B = ldm(r + b + 8, masked, m, 1);
    __m256 A2 = ldm(r + b + 2, masked, m, 2), B2 = ldm(r + b + 10, masked, m, 3);
    t[0] = _mm256_shuffle_ps(A, B, _MM_SHUFFLE(2, 0, 2, 0));
    t[1] = _mm256_shuffle_ps(A, B, _MM_SHUFFLE(3, 1, 3, 1));
    t[2] = _mm256_shuffle_ps(A2, B2, _MM_SHUFFLE(2, 0, 2, 0));
}

CB_AI __m256 perm_out(__m256 v) {
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), 0xD8));
}

/* N output rows (N = 1, or 2 with a vertical stride of 2) at column b from
 * input rows r[0..2N]: with two rows the middle input row is split once
 * for both. Each output sums its first two filter rows in one chain and
 * its third in another (shorter chains: the kernel is latency-bound). */
CB_AI void ip_rows_s2(const float *const *r, int b, const __m256 *w, const int masked,
                      const __m256i *m, __m256 *o, const int N) {
    __m256 a[2], c[2];
#pragma GCC unroll 5
    for (int k = 0; k < 2 * N + 1; k++) {
        __m256 t[3];
        taps_s2(r[k], b, masked, m, t);
#pragma GCC unroll 2
        for (int n = 0; n < N; n++) {
            const int u = k - 2 * n;
            if (u == 0) a[n] = _mm256_mul_ps(w[0], t[0]);
            if (u == 2) c[n] = _mm256_mul_ps(w[6], t[0]);
            if (u == 1) a[n] = _mm256_fmadd_ps(w[3], t[0], a[n]);
            if (u < 0 || u > 2) continue;
            __m256 *acc = u == 2 ? &c[n] : &a[n];
            *acc = _mm256_fmadd_ps(w[u * 3 + 1], t[1], *acc);
            *acc = _mm256_fmadd_ps(w[u * 3 + 2], t[2], *acc);
        }
    }
#pragma GCC unroll 2
    for (int n = 0; n < N; n++) o[n] = perm_out(_mm256_add_ps(a[n], c[n]));
}

/* Masks of the four loads of taps_s2 at column b. */
CB_AI void masks_s2(int b, int W, __m256i *m) {
    m[0] = col_mask(b, W), m[1] = col_mask(b + 8, W), m[2] = col_mask(b + 2, W);
    m[3] = col_mask(b + 10, W);
}

/* Edge chunks whose masks are computed once per channel, not per pass. */
#define CB_DW_EDGES 4

/* Output rows i..i+N-1 of a 3x3 conv with horizontal stride 2, in place:
 * the row ends (masked loads; em: the masks of the first CB_DW_EDGES of
 * the ne edge chunks; a partial last chunk spills a full store into the
 * next row, written afterwards) first, then the interior. */
CB_AI void ip_pass_s2(const cb_fast_dw *d, const float *xc, const float *zrow, const __m256 *w,
                      __m256 vb, const float *resc, float *yc, int i, int i0, int jlo, int jhi,
                      const __m256i (*em)[4], int ends, const int N, const int rp, const int hr,
                      const int rq) {
    const int H = d->in.h, W = d->in.w, OW = d->out.w, pw = d->p.pad_w, plane = d->out.h * OW;
    const int r0 = i * d->p.stride_h - d->p.pad_h;
    const float *r[5];
#pragma GCC unroll 5
    for (int k = 0; k < 2 * N + 1; k++) r[k] = in_row(xc, r0 + k, H, W, zrow);
    float *y = yc + (size_t)(i - i0) * OW;
    const float *q = hr ? resc + (size_t)(i - i0) * OW : NULL;
    const int nr = (OW - jhi + 7) / 8, ne = jlo / 8 + nr;
    __m256 o[2];
    if (pw == 1 && nr == 0 && jlo == 8 && !((ends & 2) && r0 <= 0)) {
        /* padding 1 and no right end: the one row end is the first chunk,
         * whose first load has only lane 0 (column -1) outside the row
         * (read from the row before: not before the tensor, see ends) */
        ip_rows_s2(r, -1, w, CB_LD_LEFT1, NULL, o, N);
        store_rows(y, q, OW, plane, i, 0, o, 8, vb, N, rp, hr, rq);
    } else
        for (int k = 0; k < ne; k++) {
            /* right ends first, then left */
            const int j = k < nr ? jhi + 8 * k : 8 * (k - nr), b = 2 * j - pw;
            __m256i mk[4];
            if (k >= CB_DW_EDGES) masks_s2(b, W, mk);
            ip_rows_s2(r, b, w, CB_LD_MASK, k < CB_DW_EDGES ? em[k] : mk, o, N);
            store_rows(y, q, OW, plane, i, j, o, OW - j < 8 ? OW - j : 8, vb, N, rp, hr, rq);
        }
    for (int j = jlo; j < jhi; j += 8) {
        ip_rows_s2(r, 2 * j - pw, w, CB_LD_PLAIN, NULL, o, N);
        store_rows(y, q, OW, plane, i, j, o, 8, vb, N, rp, hr, rq);
    }
}

/* 3x3, horizontal stride 2 (any vertical stride), in place, output rows
 * [i0, i1); two per pass when the vertical stride is 2. `ends` bit 0: this
 * is the tensor's last channel (see jhi). */
CB_AI void ip_3x3s2(const cb_fast_dw *d, const float *xc, const float *zrow, const float *wc,
                    float bias, const float *resc, float *yc, int ends, int i0, int i1,
                    const int rp, const int hr, const int rq) {
    const int W = d->in.w, OW = d->out.w, pw = d->p.pad_w, strict = ends & 1;
    __m256 w[9];
    for (int t = 0; t < 9; t++) w[t] = _mm256_set1_ps(wc[t]);
    const __m256 vb = _mm256_set1_ps(bias);
    /* chunks j in [jlo, jhi) load unmasked: the columns they use,
     * 2j - pw .. 2j - pw + 16, lie inside the row. Their last load also
     * reads column 2j - pw + 17 into a lane no output uses; past the row's
     * end that is the next row (or the zero row's slack), but past the
     * tensor's end in the last channel, which therefore keeps that column
     * inside the row too. */
    const int last = strict ? 17 : 16;
    int jlo = (pw + 15) / 16 * 8;
    int jhi = W - 1 - last + pw >= 0 ? (W - 1 - last + pw) / 16 * 8 + 8 : 0;
    if (jlo > OW / 8 * 8) jlo = OW / 8 * 8;
    if (jhi > OW / 8 * 8) jhi = OW / 8 * 8;
    /* chunks that reach past both ends of the row are right ends (masked
     * on both sides); raising jhi instead would send a one-chunk row to
     * ip_pass_s2's padding-1 shortcut, which masks only the left end */
    if (jhi < jlo) jlo = jhi;
    __m256i em[CB_DW_EDGES][4];
    const int nr = (OW - jhi + 7) / 8, ne = jlo / 8 + nr;
    for (int k = 0; k < ne && k < CB_DW_EDGES; k++)
        masks_s2(2 * (k < nr ? jhi + 8 * k : 8 * (k - nr)) - pw, W, em[k]);
    int i = i0;
    if (d->p.stride_h == 2)
        for (; i + 2 <= i1; i += 2)
            ip_pass_s2(d, xc, zrow, w, vb, resc, yc, i, i0, jlo, jhi, (const __m256i(*)[4])em, ends,
                       2, rp, hr, rq);
    for (; i < i1; i++)
        ip_pass_s2(d, xc, zrow, w, vb, resc, yc, i, i0, jlo, jhi, (const __m256i(*)[4])em, ends, 1,
                   rp, hr, rq);
}

/* ---- stride 2, padding 1, rows a multiple of 16 wide: split, then shift the sum ----
 *
 * Output q of a row reads input columns 2q - 1, 2q and 2q + 1. Two loads
 * of columns 2j .. 2j + 15, split by one shuffle each into even columns E
 * (2q: tap 1 of output q) and odd ones O (2q + 1: tap 2 of output q and
 * tap 0 of output q + 1), give all three taps of 8 outputs; in a 64-byte
 * aligned tensor (the library allocates them so) no load crosses a cache
 * line, against half of them in the loop above. Tap 0 needs O one lane to
 * the right; rather than shifting every input row (session 7: 1.11-1.14
 * for one permute per row), the three rows' tap-0 products are summed
 * first (z0) and that sum is shifted once, its lane 0 taking the previous
 * chunk's lane 7 (zero at the row start: exactly the left padding). So 8 outputs
 * cost 2 loads and 2 shuffles per input row, and one permute each for the
 * shift and for the lane order the shuffles leave (0 1 4 5 2 3 6 7). */

/* Input row r's columns 2j .. 2j + 15 split into even E and odd O, in the
 * shuffles' lane order. */
CB_AI void s2e_split(const float *r, __m256 *E, __m256 *O) {
    const __m256 a = _mm256_loadu_ps(r), b = _mm256_loadu_ps(r + 8);
    *E = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    *O = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
}

/* One whole output row from input rows r[0..2]. One row per pass, not
 * two sharing their middle input row's split: gcc then keeps the 9
 * weights, 3 sums, the shift's index and the carry in registers, where
 * with two rows (6 sums, 2 carries) it spilled weights and loaded inputs
 * twice (session 12: 0.89-0.94 of the two-row pass at 64@112, 1 and 2
 * threads). */
CB_AI void s2e_row(const float *const *r, const __m256 *w, __m256 vb, float *y, const float *q,
                   int OW, const int rp, const int hr, const int rq) {
    /* Output q takes z0 of output q - 1. z0's lanes hold outputs
     * 0 1 4 5 2 3 6 7 (the shuffles' order), and so do the sums it is
     * added to; this permute gives lane k the z0 of the output before the
     * one lane k holds, and lane 0 (output 0, whose tap 0 is the previous
     * chunk's) output 7's: the blend puts the carry there, and the
     * unblended vector is the next chunk's carry. */
    const __m256i shift = _mm256_setr_epi32(7, 0, 5, 2, 1, 4, 3, 6);
    __m256 carry = _mm256_setzero_ps();
    for (int j = 0; j < OW; j += 8) {
        __m256 z0, z1, z2, E, O;
        s2e_split(r[0] + 2 * j, &E, &O);
        z0 = _mm256_mul_ps(w[0], O);
        z1 = _mm256_mul_ps(w[1], E);
        z2 = _mm256_mul_ps(w[2], O);
#pragma GCC unroll 2
        for (int u = 1; u < 3; u++) {
            s2e_split(r[u] + 2 * j, &E, &O);
            z0 = _mm256_fmadd_ps(w[3 * u], O, z0);
            z1 = _mm256_fmadd_ps(w[3 * u + 1], E, z1);
            z2 = _mm256_fmadd_ps(w[3 * u + 2], O, z2);
        }
        const __m256 s = _mm256_permutevar8x32_ps(z0, shift);
        const __m256 z0s = _mm256_blend_ps(s, carry, 0x01);
        const __m256 v = _mm256_add_ps(_mm256_add_ps(z1, z2), z0s);
        carry = s;
        store8c(y + j, perm_out(v), vb, hr ? q + j : NULL, 8, 0, rp, hr, rq);
    }
}

/* Whether s2e runs d (given the in-place stride-2 path): padding 1 and
 * stride 2 both ways, rows a multiple of 16 wide (whole aligned chunks,
 * none past the row's end). */
static int s2e_applies(const cb_fast_dw *d) {
    return d->p.stride_h == 2 && d->p.pad_h == 1 && d->p.pad_w == 1 && d->in.w % 16 == 0;
}

/* One channel, output rows [i0, i1); ends is unused (no load leaves the
 * row), kept for the in-place kernels' common signature. */
CB_AI void s2e_3x3(const cb_fast_dw *d, const float *xc, const float *zrow, const float *wc,
                   float bias, const float *resc, float *yc, int ends, int i0, int i1,
                   const int rp, const int hr, const int rq) {
    (void)ends;
    const int H = d->in.h, W = d->in.w, OW = d->out.w;
    __m256 w[9];
    for (int t = 0; t < 9; t++) w[t] = _mm256_set1_ps(wc[t]);
    const __m256 vb = _mm256_set1_ps(bias);
    for (int i = i0; i < i1; i++) {
        const float *r[3];
        for (int k = 0; k < 3; k++) r[k] = in_row(xc, 2 * i - 1 + k, H, W, zrow);
        s2e_row(r, w, vb, yc + (size_t)(i - i0) * OW, hr ? resc + (size_t)(i - i0) * OW : NULL, OW,
                rp, hr, rq);
    }
}

/* ---------------------------------------------------------------- Winograd F(2,3) down the columns (AVX-512VL) */

/* 3x3, stride 1, padding 1, on CPUs with AVX-512VL (AMD Zen 4 here), for
 * rows wider than the column sweep takes. Two output rows at a time by
 * Winograd's F(2,3) along the columns: with input rows d0..d3 and the
 * kernel's rows g0, g1, g2 (each a 3-tap filter along the row, applied
 * by * below),
 *
 *   out[i]   = g0*d0 + g1*d1 + g2*d2 = M0 + M1 + M2
 *   out[i+1] = g0*d1 + g1*d2 + g2*d3 = M1 - M2 - M3
 *
 * where
 *   M0 = g0 * (d0 - d2)                 M1 = (g0 + g1 + g2)/2 * (d1 + d2)
 *   M2 = (g0 - g1 + g2)/2 * (d2 - d1)   M3 = g2 * (d1 - d3).
 *
 * So two output vectors cost 12 FMAs instead of 18, and 4 loads: each
 * chunk of the four input rows is loaded once and transformed (4 adds);
 * the taps left and right of it are the transformed chunk shifted by one
 * lane, made from it and its neighbour with VALIGND (8 per pair of
 * outputs) instead of reloading. The rows' ends need no code of their
 * own: the chunk before the first and after the last are zero (the
 * padding), and a last chunk of fewer than 8 columns loads and stores
 * with an AVX-512 lane mask, which is cheap (AVX2's VMASKMOVPS is not).
 * The weights (12 transformed) and three chunks of transformed rows (12)
 * need AVX-512's 32 vector registers; with AVX2's 16 this does not fit
 * (session 12).
 *
 * What bounds it (session 13, this Zen 4, standalone copies and
 * instruction mixes): VALIGND issues on one FMA pipe and one FADD pipe,
 * so the 8 shifts take FMA slots; a pass cost ~9.8 cycles per pair of
 * output vectors in L2 before the unrolling below took 3% off (the direct
 * 4-row kernel: ~10.4, its 18 FMAs alone 9), and only ~3% more over a whole 64@112 tensor in L3 (the direct
 * kernel: ~13%): it reads each input vector once, from 4 streams instead
 * of 6. Written for balance instead (two transforms as FMAs with 1.0,
 * the output adds folded into the M0 and M3 chains) it measured 1.08:
 * longer chains. */
#define CB_AI512 __attribute__((target("avx2,fma,avx512f,avx512vl"), always_inline)) static inline

/* The four transformed input rows of one chunk of columns. */
typedef struct {
    __m256 v[4];
} wino_rows;

/* The four transformed rows at column n (masked: only the lanes in m, the
 * rest zero; m comes from the row's length, so no load leaves the row;
 * ri: the conv's fused input ReLU, applied to the rows first). */
CB_AI512 wino_rows wino_t(const float *const *d, int n, __mmask8 m, const int masked,
                          const int ri) {
    __m256 r0, r1, r2, r3;
    if (masked) {
        r0 = _mm256_maskz_loadu_ps(m, d[0] + n), r1 = _mm256_maskz_loadu_ps(m, d[1] + n);
        r2 = _mm256_maskz_loadu_ps(m, d[2] + n), r3 = _mm256_maskz_loadu_ps(m, d[3] + n);
    } else {
        r0 = _mm256_loadu_ps(d[0] + n), r1 = _mm256_loadu_ps(d[1] + n);
        r2 = _mm256_loadu_ps(d[2] + n), r3 = _mm256_loadu_ps(d[3] + n);
    }
    if (ri) {
        const __m256 z = _mm256_setzero_ps();
        r0 = _mm256_max_ps(r0, z), r1 = _mm256_max_ps(r1, z);
        r2 = _mm256_max_ps(r2, z), r3 = _mm256_max_ps(r3, z);
    }
    return (wino_rows){{_mm256_sub_ps(r0, r2), _mm256_add_ps(r1, r2), _mm256_sub_ps(r2, r1),
                        _mm256_sub_ps(r1, r3)}};
}

/* [p7, c0..c6] and [c1..c7, n0]: the chunk's left and right taps. */
CB_AI512 __m256 wino_left(__m256 c, __m256 p) {
    return _mm256_castsi256_ps(
        _mm256_alignr_epi32(_mm256_castps_si256(c), _mm256_castps_si256(p), 7));
}
CB_AI512 __m256 wino_right(__m256 n, __m256 c) {
    return _mm256_castsi256_ps(
        _mm256_alignr_epi32(_mm256_castps_si256(n), _mm256_castps_si256(c), 1));
}

/* M_k = G[k][0] * left + G[k][1] * centre + G[k][2] * right, from the chunk
 * before (P), this one (C) and the next (N); the bias rides in M1, which
 * both outputs take with a plus sign. */
CB_AI512 void wino_chunk(const __m256 *G, __m256 vb, wino_rows Pr, wino_rows Cr, wino_rows Nr,
                         __m256 *o0, __m256 *o1) {
    const __m256 *P = Pr.v, *C = Cr.v, *N = Nr.v;
    __m256 M1 = _mm256_fmadd_ps(G[3], wino_left(C[1], P[1]), vb);
    M1 = _mm256_fmadd_ps(G[4], C[1], M1);
    M1 = _mm256_fmadd_ps(G[5], wino_right(N[1], C[1]), M1);
    __m256 M2 = _mm256_mul_ps(G[6], wino_left(C[2], P[2]));
    M2 = _mm256_fmadd_ps(G[7], C[2], M2);
    M2 = _mm256_fmadd_ps(G[8], wino_right(N[2], C[2]), M2);
    __m256 M0 = _mm256_mul_ps(G[0], wino_left(C[0], P[0]));
    M0 = _mm256_fmadd_ps(G[1], C[0], M0);
    M0 = _mm256_fmadd_ps(G[2], wino_right(N[0], C[0]), M0);
    __m256 M3 = _mm256_mul_ps(G[9], wino_left(C[3], P[3]));
    M3 = _mm256_fmadd_ps(G[10], C[3], M3);
    M3 = _mm256_fmadd_ps(G[11], wino_right(N[3], C[3]), M3);
    *o0 = _mm256_add_ps(_mm256_add_ps(M1, M2), M0);
    *o1 = _mm256_sub_ps(_mm256_sub_ps(M1, M2), M3);
}

/* Epilogue and store of one output vector (masked: only the lanes in m). */
CB_AI512 void wino_store(float *y, const float *q, __m256 v, __mmask8 m, const int masked,
                         const int rp, const int hr, const int rq) {
    const __m256 zero = _mm256_setzero_ps();
    if (rp) v = _mm256_max_ps(v, zero);
    if (hr) v = _mm256_add_ps(v, masked ? _mm256_maskz_loadu_ps(m, q) : _mm256_loadu_ps(q));
    if (rq) v = _mm256_max_ps(v, zero);
    if (masked)
        _mm256_mask_storeu_ps(y, m, v);
    else
        _mm256_storeu_ps(y, v);
}

/* The outputs of the chunk at column j (P, C, N: the chunks before, at and
 * after it) stored to rows y0 and, when `two`, y1 (q0, q1: their residual
 * rows; masked: only the lanes in m). */
CB_AI512 void wino_emit(const __m256 *G, __m256 vb, wino_rows P, wino_rows C, wino_rows N, int j,
                        __mmask8 m, const int masked, float *y0, float *y1, const float *q0,
                        const float *q1, const int two, const int rp, const int hr, const int rq) {
    __m256 o0, o1;
    wino_chunk(G, vb, P, C, N, &o0, &o1);
    wino_store(y0 + j, hr ? q0 + j : NULL, o0, m, masked, rp, hr, rq);
    if (two) wino_store(y1 + j, hr ? q1 + j : NULL, o1, m, masked, rp, hr, rq);
}

/* Output rows y0 and, when `two`, y1 (q0, q1: their residual rows) of
 * width W from input rows d[0..3]. */
CB_AI512 void wino_pair(const float *const *d, const __m256 *G, __m256 vb, int W, float *y0,
                        float *y1, const float *q0, const float *q1, const int two, const int ri,
                        const int rp, const int hr, const int rq) {
    const int full = W / 8, rem = W % 8;
    const __mmask8 m = (__mmask8)((1u << rem) - 1u);
    const __m256 z = _mm256_setzero_ps();
    const wino_rows zero = {{z, z, z, z}}; /* the padding around the row */
    wino_rows P = zero, C = full > 0 ? wino_t(d, 0, m, 0, ri) : wino_t(d, 0, m, 1, ri), N;
#define CB_WINO_EMIT(P, C, N, j, masked) \
    wino_emit(G, vb, P, C, N, j, m, masked, y0, y1, q0, q1, two, rp, hr, rq)
    int j = 0;
    /* three chunks per step, so that the three sets of transformed rows
     * trade roles without register copies (with them, the loop is ~30%
     * moves and leaves two weights on the stack) */
    for (; j + 24 < full * 8; j += 24) {
        N = wino_t(d, j + 8, m, 0, ri);
        CB_WINO_EMIT(P, C, N, j, 0);
        P = wino_t(d, j + 16, m, 0, ri);
        CB_WINO_EMIT(C, N, P, j + 8, 0);
        C = wino_t(d, j + 24, m, 0, ri);
        CB_WINO_EMIT(N, P, C, j + 16, 0);
    }
    for (; j + 8 < full * 8; j += 8) {
        N = wino_t(d, j + 8, m, 0, ri);
        CB_WINO_EMIT(P, C, N, j, 0);
        P = C, C = N;
    }
    if (rem && full > 0) { /* a whole chunk whose next one is the row's masked last */
        N = wino_t(d, j + 8, m, 1, ri);
        CB_WINO_EMIT(P, C, N, j, 0);
        P = C, C = N;
        j += 8;
    }
    CB_WINO_EMIT(P, C, zero, j, rem != 0);
#undef CB_WINO_EMIT
}

/* Whether the Winograd kernel can run d: 3x3, stride 1 and padding 1 both
 * ways (any width and height, with or without a fused input ReLU). */
static int wino_applies(const cb_fast_dw *d) {
    const cb_conv_params *p = &d->p;
    return p->kh == 3 && p->kw == 3 && p->stride_h == 1 && p->stride_w == 1 && p->pad_h == 1 &&
           p->pad_w == 1;
}

/* One channel, output rows [i0, i1) (yc and resc: its row i0). */
CB_AI512 void wino_plane(const cb_fast_dw *d, const float *xc, const float *zrow, const float *wc,
                         float bias, const float *resc, float *yc, int i0, int i1, const int ri,
                         const int rp, const int hr, const int rq) {
    const int H = d->in.h, W = d->in.w;
    __m256 G[12];
    for (int v = 0; v < 3; v++) {
        const float g0 = wc[v], g1 = wc[3 + v], g2 = wc[6 + v];
        G[v] = _mm256_set1_ps(g0);
        G[3 + v] = _mm256_set1_ps(0.5f * (g0 + g1 + g2));
        G[6 + v] = _mm256_set1_ps(0.5f * (g0 - g1 + g2));
        G[9 + v] = _mm256_set1_ps(g2);
    }
    const __m256 vb = _mm256_set1_ps(bias);
    int i = i0;
    for (; i + 2 <= i1; i += 2) {
        const float *r[4];
        for (int k = 0; k < 4; k++) r[k] = in_row(xc, i - 1 + k, H, W, zrow);
        float *y = yc + (size_t)(i - i0) * W;
        const float *q = hr ? resc + (size_t)(i - i0) * W : NULL;
        wino_pair(r, G, vb, W, y, y + W, q, hr ? q + W : NULL, 1, ri, rp, hr, rq);
    }
    if (i < i1) {
        const float *r[4];
        for (int k = 0; k < 4; k++) r[k] = in_row(xc, i - 1 + k, H, W, zrow);
        wino_pair(r, G, vb, W, yc + (size_t)(i - i0) * W, NULL,
                  hr ? resc + (size_t)(i - i0) * W : NULL, NULL, 0, ri, rp, hr, rq);
    }
}

/* The plane without and with the fused input ReLU, in the in-place kernels'
 * common signature (ends is unused: no load leaves the row). */
CB_AI512 void wino_3x3s1(const cb_fast_dw *d, const float *xc, const float *zrow, const float *wc,
                         float bias, const float *resc, float *yc, int ends, int i0, int i1,
                         const int rp, const int hr, const int rq) {
    (void)ends;
    wino_plane(d, xc, zrow, wc, bias, resc, yc, i0, i1, 0, rp, hr, rq);
}
CB_AI512 void wino_3x3s1r(const cb_fast_dw *d, const float *xc, const float *zrow, const float *wc,
                          float bias, const float *resc, float *yc, int ends, int i0, int i1,
                          const int rp, const int hr, const int rq) {
    (void)ends;
    wino_plane(d, xc, zrow, wc, bias, resc, yc, i0, i1, 1, rp, hr, rq);
}

/* One channel's output rows [i0, i1) (yc and resc: its row i0) */
typedef void (*dw_inplace_fn)(const cb_fast_dw *, const float *, const float *, const float *,
                              float, const float *, float *, int, int, int);
#define CB_IP_VARIANT(body, rp, hr, rq)                                                           \
    __attribute__((target("avx2,fma"))) static void body##_##rp##hr##rq(                          \
        const cb_fast_dw *d, const float *xc, const float *zrow, const float *wc, float bias,     \
        const float *resc, float *yc, int ends, int i0, int i1) {                                 \
        body(d, xc, zrow, wc, bias, resc, yc, ends, i0, i1, rp, hr, rq);                          \
    }
/* The eight epilogue variants of a body (ReLU before the residual, the
 * residual add, ReLU after it) and pick_<body>(e), which returns the one
 * the epilogue asks for; VARIANT stamps out one, fn_t is their type. */
#define CB_EPI_VARIANTS(VARIANT, fn_t, body)                                                      \
    VARIANT(body, 0, 0, 0)                                                                        \
    VARIANT(body, 1, 0, 0)                                                                        \
    VARIANT(body, 0, 1, 0)                                                                        \
    VARIANT(body, 1, 1, 0)                                                                        \
    VARIANT(body, 0, 0, 1)                                                                        \
    VARIANT(body, 1, 0, 1)                                                                        \
    VARIANT(body, 0, 1, 1)                                                                        \
    VARIANT(body, 1, 1, 1)                                                                        \
    static fn_t pick_##body(const cb_fast_epi *e) {                                               \
        static const fn_t fns[8] = {body##_000, body##_100, body##_010, body##_110,               \
                                    body##_001, body##_101, body##_011, body##_111};              \
        return fns[(e->relu_pre ? 1 : 0) + (e->res ? 2 : 0) + (e->relu_post ? 4 : 0)];            \
    }
CB_EPI_VARIANTS(CB_IP_VARIANT, dw_inplace_fn, ip_3x3s1)
CB_EPI_VARIANTS(CB_IP_VARIANT, dw_inplace_fn, ip_3x3s2)
CB_EPI_VARIANTS(CB_IP_VARIANT, dw_inplace_fn, s2e_3x3)
#undef CB_IP_VARIANT
#define CB_IP512_VARIANT(body, rp, hr, rq)                                                        \
    __attribute__((target("avx2,fma,avx512f,avx512vl"))) static void body##_##rp##hr##rq(         \
        const cb_fast_dw *d, const float *xc, const float *zrow, const float *wc, float bias,     \
        const float *resc, float *yc, int ends, int i0, int i1) {                                 \
        body(d, xc, zrow, wc, bias, resc, yc, ends, i0, i1, rp, hr, rq);                          \
    }
CB_EPI_VARIANTS(CB_IP512_VARIANT, dw_inplace_fn, wino_3x3s1)
CB_EPI_VARIANTS(CB_IP512_VARIANT, dw_inplace_fn, wino_3x3s1r)
#undef CB_IP512_VARIANT

typedef void (*dw_channel_fn)(const cb_fast_dw *, plane_geom, const float *, const float *, float,
                              const float *, float *);

/* Each 3x3 body is compiled once per epilogue (ReLU before the residual,
 * residual add, ReLU after it), so the flags are constants inside the
 * loop; pick_<body>(e) returns the variant the epilogue asks for. */
#define CB_DW_VARIANT(body, rp, hr, rq)                                                           \
    __attribute__((target("avx2,fma"))) static void body##_##rp##hr##rq(                          \
        const cb_fast_dw *d, plane_geom g, const float *P, const float *wc, float bias,           \
        const float *resc, float *yc) {                                                           \
        body(d, g, P, wc, bias, resc, yc, rp, hr, rq);                                            \
    }
CB_EPI_VARIANTS(CB_DW_VARIANT, dw_channel_fn, body_3x3s1)
CB_EPI_VARIANTS(CB_DW_VARIANT, dw_channel_fn, body_3x3s2)
#undef CB_DW_VARIANT

/* ---- channel-blocked 3x3: 8 channels per vector ----
 *
 * Each ymm holds the same pixel of 8 channels, so a row of any width fills
 * every lane, each output pixel vector is 9 FMAs of whole vectors with no
 * masks, and the per-channel setup is paid once per 8 channels. The price
 * is two 8x8 transposes per pixel vector (into and out of the layout). */

/* 8 vectors of 8 (r[c][p]) -> their transpose (r[p][c]), in registers. */
CB_AI void tr8(__m256 *r) {
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/* The same transpose read straight from memory: row k (8 floats) at
 * p[k]; out[c] = column c. Each half-row is one 128-bit load, inserted
 * into the upper half for rows 4..7 (a load-port operation), which leaves
 * two in-lane 4x4 transposes: 16 shuffles instead of tr8's 24. */
CB_AI void tr8_mem(const float *const *p, __m256 *out) {
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
        __m256 a[4];
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++)
            a[k] = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(p[k] + 4 * h)),
                                        _mm_loadu_ps(p[k + 4] + 4 * h), 1);
        const __m256 t0 = _mm256_unpacklo_ps(a[0], a[1]), t1 = _mm256_unpackhi_ps(a[0], a[1]);
        const __m256 t2 = _mm256_unpacklo_ps(a[2], a[3]), t3 = _mm256_unpackhi_ps(a[2], a[3]);
        out[4 * h + 0] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
        out[4 * h + 1] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
        out[4 * h + 2] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
        out[4 * h + 3] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    }
}

/* Transpose input rows [r0, r1) of the 8 planes xs[] into the ring: row r
 * goes to slot r % nr, column pw + col; 8 columns at a time, the row's
 * last chunk loaded with a mask so that its lanes past the row are zeros,
 * which then land in the right padding (zero already) or the slack after
 * it: every chunk stores 8 whole pixel vectors without a branch. */
CB_AI void blk_load(const cb_fast_dw *d, blk_geom b, const float *const *xs, int r0, int r1,
                    float *ring) {
    const int W = d->in.w, pw = d->p.pad_w, full = W / 8 * 8;
    const __m256 zero = _mm256_setzero_ps();
    const __m256i m = tail_mask(W - full > 0 ? W - full : 8);
    for (int row = r0; row < r1; row++) {
        float *dst = ring + ((size_t)(row & (b.nr - 1)) * b.ldw + pw) * 8;
        const size_t off = (size_t)row * W;
        for (int col = 0; col < W; col += 8) {
            __m256 r[8];
            if (col < full) {
                const float *p[8];
#pragma GCC unroll 8
                for (int c = 0; c < 8; c++) p[c] = xs[c] + off + col;
                tr8_mem(p, r);
            } else {
#pragma GCC unroll 8
                for (int c = 0; c < 8; c++) r[c] = _mm256_maskload_ps(xs[c] + off + col, m);
                tr8(r);
            }
            if (d->in_relu)
#pragma GCC unroll 8
                for (int k = 0; k < 8; k++) r[k] = _mm256_max_ps(r[k], zero);
#pragma GCC unroll 8
            for (int k = 0; k < 8; k++) _mm256_storeu_ps(dst + (size_t)(col + k) * 8, r[k]);
        }
    }
}

/* N (compile-time) output pixels j..j+N-1 of one output row from the three
 * padded input rows R[0..2] (pixel t of row u at R[u] + 8t): each input
 * vector is loaded once and feeds the up to 3 (stride 1) or 2 (stride 2)
 * outputs that use it. Bias and the ReLU before any residual are applied
 * here, in the blocked layout, where the bias is one vector. */
CB_AI void blk_px(const float *const *R, int j, const __m256 *w, __m256 vb, float *o, const int N,
                  const int sw, const int rp) {
    __m256 acc[4];
#pragma GCC unroll 3
    for (int u = 0; u < 3; u++)
#pragma GCC unroll 9
        for (int t = 0; t < (N - 1) * sw + 3; t++) {
            const __m256 x = _mm256_loadu_ps(R[u] + (size_t)(j * sw + t) * 8);
#pragma GCC unroll 4
            for (int n = 0; n < N; n++) {
                const int v = t - n * sw;
                if (v < 0 || v > 2) continue;
                acc[n] = u == 0 && v == 0 ? _mm256_mul_ps(w[v], x)
                                          : _mm256_fmadd_ps(w[u * 3 + v], x, acc[n]);
            }
        }
#pragma GCC unroll 4
    for (int n = 0; n < N; n++) {
        __m256 a = _mm256_add_ps(acc[n], vb);
        if (rp) a = _mm256_max_ps(a, _mm256_setzero_ps());
        _mm256_storeu_ps(o + (size_t)(j + n) * 8, a);
    }
}

/* One output row into o ([OW][8]): 4 pixels per step, then the rest. */
CB_AI void blk_row(const float *const *R, int OW, const __m256 *w, __m256 vb, float *o,
                   const int sw, const int rp) {
    int j = 0;
    for (; j + 4 <= OW; j += 4) blk_px(R, j, w, vb, o, 4, sw, rp);
    switch (OW - j) {
    case 3: blk_px(R, j, w, vb, o, 3, sw, rp); break;
    case 2: blk_px(R, j, w, vb, o, 2, sw, rp); break;
    case 1: blk_px(R, j, w, vb, o, 1, sw, rp); break;
    default: break;
    }
}

/* Transpose the band's outputs (np pixels from flat output index p0) back
 * into the nc channel planes ys[] with the rest of the epilogue (residual
 * planes rs[], ReLU after it). A last chunk short of 8 pixels stores all 8
 * lanes unless that would leave the plane: the extra pixels belong to the
 * next band of the same planes, which is written afterwards. */
CB_AI void blk_store(const float *o, int np, int p0, int plane, int nc, float *const *ys,
                     const float *const *rs, const int hr, const int rq) {
    const __m256 zero = _mm256_setzero_ps();
    for (int q = 0; q < np; q += 8) {
        __m256 r[8];
        const float *src[8];
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) src[k] = o + (size_t)(q + k) * 8;
        tr8_mem(src, r);
        const int p = p0 + q;
        if (p + 8 <= plane) {
#pragma GCC unroll 8
            for (int c = 0; c < 8; c++) {
                if (c >= nc) break;
                __m256 v = r[c];
                if (hr) v = _mm256_add_ps(v, _mm256_loadu_ps(rs[c] + p));
                if (rq) v = _mm256_max_ps(v, zero);
                _mm256_storeu_ps(ys[c] + p, v);
            }
        } else {
            const __m256i m = tail_mask(plane - p);
            for (int c = 0; c < nc; c++) {
                __m256 v = r[c];
                if (hr) v = _mm256_add_ps(v, _mm256_maskload_ps(rs[c] + p, m));
                if (rq) v = _mm256_max_ps(v, zero);
                store_part(ys[c] + p, v, plane - p);
            }
        }
    }
}

/* Channels c0 .. c0+7 (those below C) of a 3x3 conv with strides of 1 or
 * 2, any padding, blocked; ws: blk_workspace floats, its ring borders and
 * zero row already zeroed (blk_clear). Missing channels (C not a multiple
 * of 8) read the last real channel's plane with zero weights and are not
 * stored. */
CB_AI void blk_group(const cb_fast_dw *d, const float *x, const float *res, float *y, int c0,
                     float *ws, const int rp, const int hr, const int rq) {
    const int C = d->in.c, H = d->in.h, W = d->in.w, OH = d->out.h, OW = d->out.w;
    const int sh = d->p.stride_h, sw = d->p.stride_w, ph = d->p.pad_h;
    const int nc = C - c0 < 8 ? C - c0 : 8;
    const size_t in_plane = (size_t)H * W, out_plane = (size_t)OH * OW;
    const blk_geom b = blk_geometry(d);
    float *ring = ws, *zrow = ring + (size_t)b.nr * b.ldw * 8, *ob = zrow + (size_t)b.ldw * 8;
    const float *xs[8], *rs[8];
    float *ys[8];
    for (int c = 0; c < 8; c++) {
        const int cc = c0 + (c < nc ? c : nc - 1);
        xs[c] = x + (size_t)cc * in_plane;
        ys[c] = y + (size_t)cc * out_plane;
        rs[c] = hr ? res + (size_t)cc * out_plane : NULL;
    }
    /* the group's weights, blocked at plan time (the tap's 8 channels in one vector) */
    const float *wb = d->wblk + (size_t)(c0 / 8) * 80;
    __m256 w[9];
    for (int t = 0; t < 9; t++) w[t] = _mm256_load_ps(wb + t * 8);
    const __m256 vb = _mm256_load_ps(wb + 72);
    int loaded = 0; /* input rows [0, loaded) have been transposed */
    int base = 0;   /* ob holds output pixels from flat index base on */
    for (int i = 0; i < OH; i++) {
        int need = i * sh + 3 - ph;
        if (need > H) need = H;
        if (loaded < need) {
            blk_load(d, b, xs, loaded, need, ring);
            loaded = need;
        }
        const float *R[3];
        for (int u = 0; u < 3; u++) {
            const int ir = i * sh + u - ph;
            R[u] = ir < 0 || ir >= H ? zrow : ring + (size_t)(ir & (b.nr - 1)) * b.ldw * 8;
        }
        float *o = ob + (size_t)(i * OW - base) * 8;
        if (sw == 1)
            blk_row(R, OW, w, vb, o, 1, rp);
        else
            blk_row(R, OW, w, vb, o, 2, rp);
        /* store the whole 8-pixel chunks done so far (all at the end), and
         * move the rest to the buffer's start */
        const int end = (i + 1) * OW, upto = i == OH - 1 ? end : base + (end - base) / 8 * 8;
        if (upto > base) {
            blk_store(ob, upto - base, base, (int)out_plane, nc, ys, rs, hr, rq);
            for (int q = 0; q < end - upto; q++) /* fewer than 8 */
                _mm256_storeu_ps(ob + (size_t)q * 8, _mm256_loadu_ps(ob + (size_t)(upto - base + q) * 8));
            base = upto;
        }
    }
}

typedef void (*dw_blk_fn)(const cb_fast_dw *, const float *, const float *, float *, int, float *);
#define CB_BLK_VARIANT(body, rp, hr, rq)                                                          \
    __attribute__((target("avx2,fma"))) static void body##_##rp##hr##rq(                          \
        const cb_fast_dw *d, const float *x, const float *res, float *y, int c0, float *ws) {     \
        body(d, x, res, y, c0, ws, rp, hr, rq);                                                   \
    }
CB_EPI_VARIANTS(CB_BLK_VARIANT, dw_blk_fn, blk_group)
#undef CB_BLK_VARIANT

/* Zero what blk_load never writes: the zero row and the ring's pad columns. */
static void blk_clear(const cb_fast_dw *d, float *ws) {
    const blk_geom b = blk_geometry(d);
    const int pw = d->p.pad_w, W = d->in.w;
    for (int s = 0; s < b.nr; s++) {
        float *row = ws + (size_t)s * b.ldw * 8;
        memset(row, 0, sizeof(float) * 8 * (size_t)pw);
        memset(row + (size_t)(pw + W) * 8, 0, sizeof(float) * 8 * (size_t)(b.ldw - pw - W));
    }
    memset(ws + (size_t)b.nr * b.ldw * 8, 0, sizeof(float) * 8 * (size_t)b.ldw);
}

/* ---- column sweep: 3x3, stride 1, padding 1, rows of at least 8 ----
 *
 * The plane is cut into columns 8 wide (the last one ends at column W - 1,
 * overlapping the one before when W is not a multiple of 8), and each
 * column is swept from the top row to the bottom. Input row i's three tap
 * vectors (dx = -1, 0, +1) are loaded once and serve the three output rows
 * that read them: i + 1 (weights of kernel row 0), i (row 1) and i - 1
 * (row 2), as three 3-FMA row sums. Output row i - 1 is then complete and
 * stored; the row sums for rows i and i + 1 wait in registers. So each
 * output vector costs 3 loads instead of the flat path's 9 and 11 (its
 * 9 taps, two mask loads), and no dependency chain is longer than three
 * FMAs and two adds. The price is the lanes of the overlapping last column
 * (24 computed per 19, 32 per 28, 16 per 14). Only the first column's
 * dx = -1 vector (lane 0 reads the row above's last pixel) and the last
 * column's dx = +1 vector (lane 7 reads the next row's first) are ANDed
 * with a mask; where those lanes lie outside the tensor (its first and
 * last planes), they load with the mask instead. */

/* The row sums of input row p (pointing at the column's first pixel):
 * rs[k] = kernel row k's three taps applied to it. el, er: whether lane 0
 * of the dx = -1 vector / lane 7 of the dx = +1 vector are cleared, and
 * with a masked load (ml, mr) when that lane may lie outside the tensor. */
CB_AI void sweep_row(const float *p, const __m256 *w, __m256 mkl, __m256 mkr, const int el,
                     const int er, int ml, int mr, const int ir, __m256 *rs) {
    __m256 l, m = _mm256_loadu_ps(p), r;
    l = ml ? _mm256_maskload_ps(p - 1, _mm256_castps_si256(mkl)) : _mm256_loadu_ps(p - 1);
    r = mr ? _mm256_maskload_ps(p + 1, _mm256_castps_si256(mkr)) : _mm256_loadu_ps(p + 1);
    /* Kept in registers: GCC would otherwise fold each load into the
     * memory operands of the three FMAs that use it and load it three
     * times (measured 4-7% slower). */
    __asm__("" : "+x"(l), "+x"(m), "+x"(r));
    if (ir) {
        const __m256 z = _mm256_setzero_ps();
        l = _mm256_max_ps(l, z);
        m = _mm256_max_ps(m, z);
        r = _mm256_max_ps(r, z);
    }
    if (el && !ml) l = _mm256_and_ps(l, mkl);
    if (er && !mr) r = _mm256_and_ps(r, mkr);
#pragma GCC unroll 3
    for (int k = 0; k < 3; k++)
        rs[k] = _mm256_fmadd_ps(w[3 * k + 2], r,
                                _mm256_fmadd_ps(w[3 * k + 1], m, _mm256_mul_ps(w[3 * k], l)));
}

/* Output rows o0..o1-1 of the column of 8 outputs from column c. first,
 * last: the tensor's first and last plane (the cleared lanes of row 0 and
 * row H - 1 may lie outside it). */
CB_AI void sweep_column(const float *xc, const float *resc, float *yc, int c, int W, int H, int o0,
                        int o1, const __m256 *w, __m256 vb, __m256 mkl, __m256 mkr, const int el,
                        const int er, int first, int last, const int ir, const int rp, const int hr,
                        const int rq) {
    __m256 rs[3], up, pend; /* up: output row i's sum from row i - 1; pend: row i - 1's from two */
    const float *p = xc + (size_t)o0 * W + c;
    float *q = yc + (size_t)o0 * W + c;
    const float *qr = hr ? resc + (size_t)o0 * W + c : NULL;
    const int mlast = er && last; /* row H - 1 loads its dx = +1 vector masked */
    /* (the first and last rows pass their masking as run-time flags:
     * a branch there is paid once per column, not per row) */
    if (o0 > 0) {
        sweep_row(p - W, w, mkl, mkr, el, er, 0, 0, ir, rs);
        up = rs[0];
        sweep_row(p, w, mkl, mkr, el, er, 0, mlast && o0 == H - 1, ir, rs);
        pend = _mm256_add_ps(up, rs[1]);
    } else {
        sweep_row(p, w, mkl, mkr, el, er, el && first, mlast && H == 1, ir, rs);
        pend = rs[1];
    }
    up = rs[0];
    /* input rows o0 + 1 .. o1 (the one below the last output row), but
     * not past the plane; row H - 1 after the loop, as it may be masked */
    const int iend = o1 < H - 1 ? o1 + 1 : H - 1;
    int i = o0 + 1;
    for (; i < iend; i++) {
        p += W;
        sweep_row(p, w, mkl, mkr, el, er, 0, 0, ir, rs);
        store8c(q, _mm256_add_ps(pend, rs[2]), vb, qr, 8, 0, rp, hr, rq);
        pend = _mm256_add_ps(up, rs[1]);
        up = rs[0];
        q += W;
        if (hr) qr += W;
    }
    if (i == H - 1 && i <= o1) {
        p += W;
        sweep_row(p, w, mkl, mkr, el, er, 0, mlast, ir, rs);
        store8c(q, _mm256_add_ps(pend, rs[2]), vb, qr, 8, 0, rp, hr, rq);
        pend = _mm256_add_ps(up, rs[1]);
        q += W;
        if (hr) qr += W;
    }
    if (o1 == H) store8c(q, pend, vb, qr, 8, 0, rp, hr, rq);
}

#ifndef CB_DW_SWEEP_BAND_BYTES
#define CB_DW_SWEEP_BAND_BYTES 12288
#endif

/* One channel: xc, yc (and resc) its planes, wc its 9 weights; ends: bit
 * 0 the tensor's last plane, bit 1 its first (see sweep_column).
 * Wide planes are swept in bands of rows whose input stays in L1 while
 * the band's columns are swept. */
CB_AI void sweep_channel(const cb_fast_dw *d, const float *xc, const float *wc, float bias,
                         const float *resc, float *yc, int ends, const int ir, const int rp,
                         const int hr, const int rq) {
    const int W = d->in.w, H = d->in.h, first = (ends & 2) != 0, last = ends & 1;
    __m256 w[9];
    for (int k = 0; k < 9; k++) w[k] = _mm256_set1_ps(wc[k]);
    const __m256 vb = _mm256_set1_ps(bias);
    const __m256 mkl = _mm256_castsi256_ps(_mm256_setr_epi32(0, -1, -1, -1, -1, -1, -1, -1));
    const __m256 mkr = _mm256_castsi256_ps(_mm256_setr_epi32(-1, -1, -1, -1, -1, -1, -1, 0));
    int band = CB_DW_SWEEP_BAND_BYTES / (int)(W * sizeof(float));
    if (band < 8) band = 8;
    for (int o0 = 0; o0 < H; o0 += band) {
        const int o1 = H - o0 < band ? H : o0 + band;
        if (W == 8) {
            sweep_column(xc, resc, yc, 0, W, H, o0, o1, w, vb, mkl, mkr, 1, 1, first, last, ir, rp,
                         hr, rq);
            continue;
        }
        sweep_column(xc, resc, yc, 0, W, H, o0, o1, w, vb, mkl, mkr, 1, 0, first, last, ir, rp, hr,
                     rq);
        for (int c = 8; c < W - 8; c += 8)
            sweep_column(xc, resc, yc, c, W, H, o0, o1, w, vb, mkl, mkr, 0, 0, first, last, ir, rp,
                         hr, rq);
        sweep_column(xc, resc, yc, W - 8, W, H, o0, o1, w, vb, mkl, mkr, 0, 1, first, last, ir, rp,
                     hr, rq);
    }
}

CB_AI void sweep_ch0(const cb_fast_dw *d, const float *xc, const float *wc, float bias,
                     const float *resc, float *yc, int ends, const int rp, const int hr,
                     const int rq) {
    sweep_channel(d, xc, wc, bias, resc, yc, ends, 0, rp, hr, rq);
}
CB_AI void sweep_ch1(const cb_fast_dw *d, const float *xc, const float *wc, float bias,
                     const float *resc, float *yc, int ends, const int rp, const int hr,
                     const int rq) {
    sweep_channel(d, xc, wc, bias, resc, yc, ends, 1, rp, hr, rq);
}

/* Its variants: with and without the fused input ReLU, each once per epilogue. */
typedef void (*dw_sweep_fn)(const cb_fast_dw *, const float *, const float *, float,
                            const float *, float *, int);
#define CB_SWEEP_VARIANT(body, rp, hr, rq)                                                        \
    __attribute__((target("avx2,fma"))) static void body##_##rp##hr##rq(                          \
        const cb_fast_dw *d, const float *xc, const float *wc, float bias, const float *resc,     \
        float *yc, int ends) {                                                                    \
        body(d, xc, wc, bias, resc, yc, ends, rp, hr, rq);                                        \
    }
CB_EPI_VARIANTS(CB_SWEEP_VARIANT, dw_sweep_fn, sweep_ch0)
CB_EPI_VARIANTS(CB_SWEEP_VARIANT, dw_sweep_fn, sweep_ch1)
#undef CB_SWEEP_VARIANT
#undef CB_EPI_VARIANTS

/* Any kernel size, horizontal stride 1 or 2 (split plane for 2). */
__attribute__((target("avx2,fma"))) static void channel_generic(const cb_fast_dw *d, plane_geom g,
                                                                const float *P, const float *wc,
                                                                float bias, const cb_fast_epi *e,
                                                                const float *resc, float *yc) {
    const int OH = d->out.h, OW = d->out.w, kh = d->p.kh, kw = d->p.kw, sh = d->p.stride_h;
    const size_t ld = (size_t)g.ld, half = ld / 2;
    const __m256 vb = _mm256_set1_ps(bias);
    for (int i = 0; i < OH; i++) {
        float *y0 = yc + (size_t)i * OW;
        const float *q0 = resc ? resc + (size_t)i * OW : NULL;
        for (int j = 0; j < OW; j += 8) {
            __m256 s = _mm256_setzero_ps();
            for (int u = 0; u < kh; u++) {
                const float *pr = P + (size_t)(i * sh + u) * ld;
                for (int v = 0; v < kw; v++) {
                    const float *src = g.split ? pr + (v & 1) * half + j + v / 2 : pr + j + v;
                    s = _mm256_fmadd_ps(_mm256_set1_ps(wc[u * kw + v]), _mm256_loadu_ps(src), s);
                }
            }
            int n = OW - j < 8 ? OW - j : 8;
            store8(y0 + j, s, vb, e, q0 ? q0 + j : NULL, n);
        }
    }
}
#endif

#ifdef CB_X86
/* Output rows up to this wide take the blocked path (see the header). */
#ifndef CB_DW_BLOCKED_MAX_OW
#define CB_DW_BLOCKED_MAX_OW 32
#endif

/* Whether the channel-blocked path runs d. CB_DW_PATH=blocked or =rows in
 * the environment forces one path where both apply (the tests run their
 * depthwise sweeps both ways); otherwise the choice measured fastest. */
static int use_blocked(const cb_fast_dw *d) {
    if (d->p.kh != 3 || d->p.kw != 3 || d->p.stride_h > 2 || d->p.stride_w > 2 || !d->wblk) return 0;
    const char *f = getenv("CB_DW_PATH");
    if (f && strcmp(f, "blocked") == 0) return 1;
    if (f && strcmp(f, "rows") == 0) return 0;
    return d->out.w <= CB_DW_BLOCKED_MAX_OW;
}

/* Whether the AVX-512 Winograd kernel runs d: CB_DW_PATH=wino forces it
 * where it applies (and the CPU has AVX-512VL), any other path rules it
 * out; otherwise it takes the rows the row kernels would (wider than the
 * sweep's and the blocked path's): 64@112 0.80 and 128@56 0.80 of the
 * AVX2 row kernel, session 13. */
static int wino_chosen(const cb_fast_dw *d) {
    if (!wino_applies(d) || !cb_fast_use_avx512()) return 0;
    const char *f = getenv("CB_DW_PATH");
    if (f && *f) return strcmp(f, "wino") == 0;
    return !d->sweep && d->out.w > CB_DW_BLOCKED_MAX_OW;
}
#endif

void cb_fast_dw_run(const cb_fast_dw *d, const float *x, float *y, const cb_fast_epi *e,
                    int threads, float *ws) {
    const int C = d->in.c, kh = d->p.kh, kw = d->p.kw;
    int avx2 = 0;
#ifdef CB_X86
    avx2 = cb_fast_use_avx2() && (d->p.stride_w == 1 || d->p.stride_w == 2);
#endif
    const plane_geom g = geometry(d, avx2);
    const size_t in_plane = (size_t)d->in.h * d->in.w, out_plane = (size_t)d->out.h * d->out.w;
    const size_t per_thread = cb_fast_dw_workspace(d);
    threads = cb_fast_threads_for((double)C * out_plane * kh * kw, threads);
    const size_t plane_floats = (per_thread - (size_t)geometry(d, 1).ld - 32) / 2;
    const int chunk = 4, nchunks = (C + chunk - 1) / chunk;
#ifdef CB_X86
    if (avx2 && d->sweep) { /* as the plan chose */
        const dw_sweep_fn fn = d->in_relu ? pick_sweep_ch1(e) : pick_sweep_ch0(e);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 8)
        for (int c = 0; c < C; c++)
            fn(d, x + (size_t)c * in_plane, d->w + (size_t)c * 9, d->bias[c],
               e->res ? e->res + (size_t)c * out_plane : NULL, y + (size_t)c * out_plane,
               (c == C - 1) | (c == 0) << 1);
        return;
    }
    const int wino = avx2 && wino_chosen(d);
    if (avx2 && !wino && use_blocked(d)) {
        const dw_blk_fn fn = pick_blk_group(e);
        const int ngroups = (C + 7) / 8;
#pragma omp parallel num_threads(threads)
        {
            float *tw = ws + (size_t)omp_get_thread_num() * per_thread;
            tw += (8 - ((uintptr_t)tw / sizeof(float)) % 8) % 8; /* 32-byte aligned */
            blk_clear(d, tw);
#pragma omp for schedule(dynamic, 1)
            for (int gi = 0; gi < ngroups; gi++) fn(d, x, e->res, y, gi * 8, tw);
        }
        return;
    }
    const int s1 = d->p.stride_w == 1 && d->p.stride_h == 1, s2 = d->p.stride_w == 2;
    const int inplace = s2 || (s1 && d->in.w >= CB_DW_INPLACE_MIN_W);
    if (wino || (avx2 && kh == 3 && kw == 3 && !d->in_relu && inplace)) {
        const dw_inplace_fn fn = wino && d->in_relu ? pick_wino_3x3s1r(e)
                                 : wino             ? pick_wino_3x3s1(e)
                                 : s1               ? pick_ip_3x3s1(e)
                                 : s2e_applies(d)   ? pick_s2e_3x3(e)
                                                    : pick_ip_3x3s2(e);
#pragma omp parallel num_threads(threads)
        {
            /* loads at the row ends reach up to 8 columns before the zero
             * row and 16 after it (all of it zero: unmasked ones read it) */
            float *zrow = ws + (size_t)omp_get_thread_num() * per_thread + 16;
            memset(zrow - 16, 0, sizeof(float) * ((size_t)d->in.w + 48));
#pragma omp for schedule(dynamic, 4)
            for (int c = 0; c < C; c++)
                fn(d, x + (size_t)c * in_plane, zrow, d->w + (size_t)c * kh * kw, d->bias[c],
                   e->res ? e->res + (size_t)c * out_plane : NULL, y + (size_t)c * out_plane,
                   (c == C - 1) | (c == 0) << 1, 0, d->out.h);
        }
        return;
    }
#endif
#pragma omp parallel num_threads(threads)
    {
        float *P = ws + (size_t)omp_get_thread_num() * per_thread;
        float *P2 = P + plane_floats, *tmp = P2 + plane_floats;
        (void)P2;
        (void)tmp;
#ifdef CB_X86
        if (avx2) memset(P, 0, sizeof(float) * (2 * plane_floats + (size_t)g.ld));
#endif
        /* channels are handed out in small chunks: if the OS deschedules one
         * thread (a shared VM), the other takes over its remaining channels
         * instead of waiting at the barrier for a whole time slice */
#pragma omp for schedule(dynamic, 1)
        for (int ch = 0; ch < nchunks; ch++) {
            const int c0 = ch * chunk, c1 = c0 + chunk < C ? c0 + chunk : C;
#ifdef CB_X86
            if (avx2) {
                /* software-pipelined: the plane of channel c+1 is filled
                 * before channel c is convolved, so the copy's stores have
                 * drained to L1 by the time the kernel reads them (a load
                 * straddling two in-flight stores cannot be forwarded and
                 * stalls); and small planes' next input is prefetched */
                float *cur = P, *nxt = P2;
                fill_plane_avx2(d, g, x + (size_t)c0 * in_plane, cur, tmp);
                for (int c = c0; c < c1; c++) {
                    if (c + 1 < c1) {
                        if (in_plane <= 4096 && c + 2 < c1) {
                            const char *nx = (const char *)(x + (size_t)(c + 2) * in_plane);
                            for (size_t b = 0; b < in_plane * sizeof(float); b += 64)
                                _mm_prefetch(nx + b, _MM_HINT_T0);
                        }
                        fill_plane_avx2(d, g, x + (size_t)(c + 1) * in_plane, nxt, tmp);
                    }
                    const float *wc = d->w + (size_t)c * kh * kw;
                    const float *resc = e->res ? e->res + (size_t)c * out_plane : NULL;
                    float *yc = y + (size_t)c * out_plane;
                    if (kh == 3 && kw == 3 && d->p.stride_w == 1 && d->p.stride_h == 1)
                        pick_body_3x3s1(e)(d, g, cur, wc, d->bias[c], resc, yc);
                    else if (kh == 3 && kw == 3 && d->p.stride_w == 2)
                        pick_body_3x3s2(e)(d, g, cur, wc, d->bias[c], resc, yc);
                    else
                        channel_generic(d, g, cur, wc, d->bias[c], e, resc, yc);
                    float *t = cur;
                    cur = nxt;
                    nxt = t;
                }
                continue;
            }
#endif
            for (int c = c0; c < c1; c++) {
                fill_plane(d, g, x + (size_t)c * in_plane, P);
                channel_c(d, g, P, d->w + (size_t)c * kh * kw, d->bias[c], e,
                          e->res ? e->res + (size_t)c * out_plane : NULL, y + (size_t)c * out_plane);
            }
        }
    }
}

/* ---------------------------------------------------------------- bands of rows */

int cb_fast_dw_band_suits(const cb_fast_dw *d) {
#ifdef CB_X86
    /* the in-place row kernels, whose stores stay inside their row when
     * the row is a whole number of vectors (the others may spill a full
     * vector into the next row, which a band does not own) */
    if (d->p.kh != 3 || d->p.kw != 3 || d->in_relu || d->sweep || use_blocked(d)) return 0;
    const int s1 = d->p.stride_h == 1 && d->p.stride_w == 1;
    return d->out.w % 8 == 0 && (s2e_applies(d) || (s1 && d->in.w >= CB_DW_INPLACE_MIN_W));
#else
    (void)d;
    return 0;
#endif
}

size_t cb_fast_dw_band_workspace(const cb_fast_dw *d) {
    return ((size_t)d->in.w + 48 + 15) / 16 * 16;
}

/* Portable: the textbook sum over the taps inside the input, rows [i0, i1). */
static void band_channel_c(const cb_fast_dw *d, const float *xc, const float *wc, float bias,
                           const cb_fast_epi *e, float *yb, int i0, int i1) {
    const int H = d->in.h, W = d->in.w, OW = d->out.w, kh = d->p.kh, kw = d->p.kw;
    const int sh = d->p.stride_h, sw = d->p.stride_w, ph = d->p.pad_h, pw = d->p.pad_w;
    for (int i = i0; i < i1; i++)
        for (int j = 0; j < OW; j++) {
            float acc = 0.0f;
            for (int u = 0; u < kh; u++) {
                const int r = i * sh - ph + u;
                if (r < 0 || r >= H) continue;
                for (int v = 0; v < kw; v++) {
                    const int q = j * sw - pw + v;
                    if (q >= 0 && q < W) acc += wc[u * kw + v] * xc[(size_t)r * W + q];
                }
            }
            yb[(size_t)(i - i0) * OW + j] = epi_scalar(acc, bias, e, NULL);
        }
}

void cb_fast_dw_band(const cb_fast_dw *d, const float *x, float *yb, const cb_fast_epi *e, int i0,
                     int i1, float *ws, int avx2) {
    const int C = d->in.c, kk = d->p.kh * d->p.kw;
    const size_t in_plane = (size_t)d->in.h * d->in.w, band = (size_t)(i1 - i0) * d->out.w;
#ifdef CB_X86
    if (avx2) {
        const dw_inplace_fn fn = wino_chosen(d)          ? pick_wino_3x3s1(e)
                                 : d->p.stride_h == 1 ? pick_ip_3x3s1(e)
                                                      : pick_s2e_3x3(e);
        /* the zero row the kernels read above and below the input (see cb_fast_dw_run) */
        float *zrow = ws + 16;
        memset(ws, 0, sizeof(float) * ((size_t)d->in.w + 48));
        /* the input rows of a band are short runs, one per channel, which
         * the hardware prefetcher has little time to pick up: fetch the
         * next channel's while this one is convolved (the fused mobilenet
         * block at 1 thread: 1.00 of the two steps without, 0.96 with) */
        const int s = d->p.stride_h, ph = d->p.pad_h;
        int r0 = i0 * s - ph, r1 = (i1 - 1) * s - ph + d->p.kh;
        if (r0 < 0) r0 = 0;
        if (r1 > d->in.h) r1 = d->in.h;
        const size_t run = (size_t)(r1 - r0) * d->in.w * sizeof(float);
        for (int c = 0; c < C; c++) {
            if (c + 1 < C) {
                const char *nx = (const char *)(x + (size_t)(c + 1) * in_plane + (size_t)r0 * d->in.w);
                for (size_t b = 0; b < run; b += 64) _mm_prefetch(nx + b, _MM_HINT_T0);
            }
            fn(d, x + (size_t)c * in_plane, zrow, d->w + (size_t)c * kk, d->bias[c], NULL,
               yb + (size_t)c * band, (c == C - 1) | (c == 0) << 1, i0, i1);
        }
        return;
    }
#else
    (void)ws;
    (void)avx2;
#endif
    for (int c = 0; c < C; c++)
        band_channel_c(d, x + (size_t)c * in_plane, d->w + (size_t)c * kk, d->bias[c], e,
                       yb + (size_t)c * band, i0, i1);
}
