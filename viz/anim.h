/* anim.h — the viewer's animation model: which multiply-add of which conv
 * the viewer is at, and everything that follows from it.
 *
 * Plain C, no SDL: the event loop steps it, the renderer (render.c) only
 * reads it, and the tests run it without a display.
 *
 * A mode is one or two conv *stages* (separable = depthwise then pointwise).
 * The whole animation is a single integer t, the number of multiply-adds
 * (MACs) done so far, 0 <= t <= total. Every stage visits its output values
 * in the library's reference loop order — output channel o, row i, column j —
 * and forms each value from its taps in the same order the reference kernel
 * adds them (input channel c of o's group, kernel row u, kernel column v), as
 *
 *     y[o,i,j] = sum_c sum_u sum_v w[o,c,u,v] * x[c0 + c, i - pad + u, j - pad + v]
 *
 * with zero padding, so the values the animation fills in are bit-for-bit
 * the reference kernels' (ops.h). A k x k conv costs k*k*C_in/groups MACs
 * per output value (cost.h), taps on the zero padding included.
 *
 * Everything visible — filled outputs, the cursor, the partial sum of the
 * value being formed — is a pure function of t, so stepping back and then
 * forward again gives the same state bit for bit.
 */
#ifndef CONVBLOCKS_VIZ_ANIM_H
#define CONVBLOCKS_VIZ_ANIM_H

#include <stdbool.h>
#include <stdint.h>

#include "convblocks/cost.h"
#include "convblocks/status.h"
#include "convblocks/tensor.h"

typedef enum {
    VIZ_STANDARD = 0,  /* k x k conv, every filter spans every input channel */
    VIZ_DEPTHWISE,     /* one k x k filter per channel */
    VIZ_POINTWISE,     /* 1x1: mix the channels at each pixel */
    VIZ_SEPARABLE,     /* depthwise, then pointwise on its output */
    VIZ_GROUPED,       /* k x k conv over `groups` channel segments */
    VIZ_MODE_COUNT
} viz_mode;

/* "standard", "depthwise", ... and back; parse returns 0, or -1 if unknown. */
const char *viz_mode_name(viz_mode m);
int viz_mode_parse(const char *text, viz_mode *m);

/* The weights of every mode, for one input with `c` channels. Arrays are
 * owned by whoever filled the struct (filters.c: viz_weights_free). */
typedef struct {
    int c;             /* input channels */
    int std_cout, std_k;
    float *std;        /* standard: (std_cout, c, std_k, std_k) */
    float *dw;         /* depthwise: (c, 1, 3, 3) */
    int pw_cout;
    float *pw;         /* pointwise: (pw_cout, c) */
    /* Grouped: Inception style (Xception paper, Fig. 4), when grp_pre is set:
     * a 1x1 conv from c to grp_c channels, then a 3x3 conv over grp_groups
     * segments of them; without grp_pre, grp_c = c and the 3x3 reads x. */
    int grp_c;
    float *grp_pre;    /* (grp_c, c) or NULL */
    int grp_groups;
    float *grp;        /* (grp_c, grp_c / grp_groups, 3, 3); grp_c outputs */
} viz_weights;

/* One conv of a mode. */
typedef struct {
    const char *name;   /* "standard 3x3", "depthwise 3x3", "pointwise 1x1", "grouped 3x3" */
    char in_sym, out_sym; /* 'x' -> 'y', or 'x' -> 'h' -> 'y' for separable */
    cb_shape in, out;
    int k, pad, groups;
    int cin_g, cout_g;  /* input channels each filter sees; filters per group */
    const float *x;     /* input, (in.c, in.h, in.w) */
    const float *w;     /* (out.c, cin_g, k, k) */
    float *y;           /* output being filled, (out.c, out.h, out.w) */
    float *ref;         /* the library reference kernel's output, computed at init */
    uint64_t ref_macs;  /* MACs the reference kernel reported */
    uint64_t per;       /* MACs per output value: k*k*cin_g */
    uint64_t macs;      /* per * numel(out) */
    uint64_t start;     /* t at which this stage begins */
    /* Display help, from ref: per output channel, the largest |value| and
     * whether any value is negative. */
    float *absmax;
    bool *signed_ch;
} viz_stage;

/* Where t points: the next tap to do. */
typedef struct {
    int stage;          /* index into stages; n_stages when everything is done */
    uint64_t value;     /* output values of this stage already complete */
    int o, i, j;        /* the output value being formed */
    int tap;            /* taps of it already done, 0..per-1 */
    int c, u, v;        /* the next tap: absolute input channel, kernel row, column */
    float partial;      /* sum of the taps done so far of (o,i,j) */
} viz_cursor;

#define VIZ_MAX_STAGES 2

typedef struct {
    viz_mode mode;
    cb_shape in;
    float *x;                     /* copy of the input */
    float *mid;                   /* separable: the depthwise output h */
    viz_stage st[VIZ_MAX_STAGES];
    int n_stages;
    uint64_t t, total;            /* MACs done, MACs of the whole mode */
    viz_cursor cur;
    /* From the cost model (cost.h), for the labels: this mode's convs, and
     * one standard conv (groups 1, the same k) producing the same output —
     * for the grouped mode, the same block with 1 group. */
    cb_cost cost, std_cost;
    /* A jump of more MACs than this (the End key, the timeline on a large
     * feature map) copies the finished values from the reference output
     * instead of re-adding every product: the same bits (the tests check),
     * without a pause of seconds. */
    uint64_t bulk_macs;
} viz_anim;

/* Set up mode `mode` on input x (shape in) with weights w. Copies x; keeps
 * pointers into w (which must outlive the anim). Runs the library's
 * reference kernels once for the display scales and the oracle. t = 0. */
cb_status viz_anim_init(viz_anim *a, viz_mode mode, cb_shape in, const float *x,
                        const viz_weights *w, cb_error *err);
void viz_anim_free(viz_anim *a);

#define VIZ_BULK_MACS ((uint64_t)1 << 22)

/* Move to t (clamped to [0, total]); the state afterwards depends only on t. */
void viz_anim_seek(viz_anim *a, uint64_t t);

/* Step by delta MACs (negative steps back), clamped. */
void viz_anim_step(viz_anim *a, int64_t delta);

/* t at which the output channel after the current one starts (total at the end). */
uint64_t viz_anim_next_channel_t(const viz_anim *a);
/* t at which the current output value started (or the previous one, if the
 * current one has not started yet): for stepping back a whole value. */
uint64_t viz_anim_value_start_t(const viz_anim *a);

static inline bool viz_anim_done(const viz_anim *a) { return a->t >= a->total; }

/* Values of stage s already complete (0..numel(out)). */
uint64_t viz_anim_stage_done(const viz_anim *a, int s);

/* Tap r (0..per-1) of output (o,i,j) of stage s: input channel c, kernel
 * position (u,v), the input position (ii,jj) (may be in the padding), the
 * weight and the input value (0 in the padding). Returns false if (ii,jj)
 * is in the zero padding. */
typedef struct {
    int c, u, v, ii, jj;
    float w, x;
    bool pad;
} viz_tap;
bool viz_stage_tap(const viz_stage *s, int o, int i, int j, int r, viz_tap *tap);

/* Sum of the first n taps of (o,i,j), in the reference kernel's order. */
float viz_stage_sum(const viz_stage *s, int o, int i, int j, int n);

/* Parameters (weights) of stage s: out.c * cin_g * k * k. */
uint64_t viz_stage_params(const viz_stage *s);

#endif
