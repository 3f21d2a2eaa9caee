/* anim.c — the viewer's animation model (see anim.h). No SDL here. */
#include "anim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "convblocks/ops.h"

static const char *const mode_names[VIZ_MODE_COUNT] = {
    "standard", "depthwise", "pointwise", "separable", "grouped",
};

const char *viz_mode_name(viz_mode m) {
    return (m >= 0 && m < VIZ_MODE_COUNT) ? mode_names[m] : "?";
}

int viz_mode_parse(const char *text, viz_mode *m) {
    for (int i = 0; i < VIZ_MODE_COUNT; i++) {
        if (strcmp(text, mode_names[i]) == 0) {
            *m = (viz_mode)i;
            return 0;
        }
    }
    return -1;
}

/* ---- one stage ---------------------------------------------------------- */

bool viz_stage_tap(const viz_stage *s, int o, int i, int j, int r, viz_tap *tap) {
    const int kk = s->k * s->k;
    const int cg = r / kk;                    /* which channel of o's group */
    const int c0 = (o / s->cout_g) * s->cin_g; /* first input channel of the group */
    tap->c = c0 + cg;
    tap->u = (r / s->k) % s->k;
    tap->v = r % s->k;
    tap->ii = i - s->pad + tap->u;
    tap->jj = j - s->pad + tap->v;
    tap->w = s->w[((size_t)o * s->cin_g + cg) * kk + tap->u * s->k + tap->v];
    tap->pad = tap->ii < 0 || tap->ii >= s->in.h || tap->jj < 0 || tap->jj >= s->in.w;
    tap->x = tap->pad ? 0.0f
                      : s->x[((size_t)tap->c * s->in.h + tap->ii) * s->in.w + tap->jj];
    return !tap->pad;
}

float viz_stage_sum(const viz_stage *s, int o, int i, int j, int n) {
    /* Exactly the reference kernel's accumulation: one float, taps in
     * (c, u, v) order, padding contributing w * 0. Bit-equality with
     * ops_ref.c also needs both compiled without FMA contraction, which
     * ISO C11 mode (-std=c11, no -ffast-math) gives. */
    float acc = 0.0f;
    for (int r = 0; r < n; r++) {
        viz_tap t;
        viz_stage_tap(s, o, i, j, r, &t);
        acc += t.w * t.x;
    }
    return acc;
}

uint64_t viz_stage_params(const viz_stage *s) {
    return (uint64_t)s->out.c * (uint64_t)s->cin_g * (uint64_t)s->k * (uint64_t)s->k;
}

static void stage_free(viz_stage *s) {
    cb_free(s->y);
    cb_free(s->ref);
    free(s->absmax);
    free(s->signed_ch);
    memset(s, 0, sizeof *s);
}

/* Fill in the geometry of a stride-1 'same' k x k conv and allocate its buffers. */
static cb_status stage_setup(viz_stage *s, const char *name, char in_sym, char out_sym,
                             cb_shape in, const float *x, int cout, int k, int groups,
                             const float *w, cb_error *err) {
    memset(s, 0, sizeof *s);
    s->name = name;
    s->in_sym = in_sym;
    s->out_sym = out_sym;
    s->in = in;
    s->k = k;
    s->pad = k / 2;
    s->groups = groups;
    s->x = x;
    s->w = w;
    cb_conv_params p = cb_conv_square(k, 1, k / 2, groups);
    cb_status st = cb_conv_check(in, cout, &p, &s->out, err);
    if (st != CB_OK) return st;
    s->cin_g = in.c / groups;
    s->cout_g = cout / groups;
    s->per = (uint64_t)k * k * s->cin_g;
    s->macs = s->per * cb_shape_numel(s->out);
    size_t n = (size_t)cb_shape_numel(s->out);
    s->y = cb_alloc_floats(n);
    s->ref = cb_alloc_floats(n);
    s->absmax = calloc((size_t)cout, sizeof *s->absmax);
    s->signed_ch = calloc((size_t)cout, sizeof *s->signed_ch);
    if (!s->y || !s->ref || !s->absmax || !s->signed_ch)
        return cb_fail(err, CB_ERR_NOMEM, "out of memory for a %dx%dx%d output", cout, in.h,
                       in.w);
    memset(s->y, 0, n * sizeof *s->y);
    return CB_OK;
}

/* The oracle: the library's reference kernel for this stage, and the
 * display scales derived from its output. */
static void stage_reference(viz_stage *s) {
    cb_conv_params p = cb_conv_square(s->k, 1, s->pad, s->groups);
    if (s->k == 1 && s->groups == 1)
        s->ref_macs = cb_pointwise_ref(s->x, s->in, s->w, s->out.c, s->ref);
    else if (s->groups == s->in.c && s->out.c == s->in.c)
        s->ref_macs = cb_depthwise_ref(s->x, s->in, s->w, &p, s->ref);
    else
        s->ref_macs = cb_conv2d_ref(s->x, s->in, s->w, NULL, s->out.c, &p, s->ref);
    const size_t hw = (size_t)s->out.h * s->out.w;
    for (int o = 0; o < s->out.c; o++) {
        float m = 0.0f;
        bool neg = false;
        for (size_t q = 0; q < hw; q++) {
            float v = s->ref[(size_t)o * hw + q];
            if (fabsf(v) > m) m = fabsf(v);
            if (v < 0.0f) neg = true;
        }
        s->absmax[o] = m;
        /* Tiny negative values from rounding do not make a channel signed. */
        s->signed_ch[o] = neg;
    }
    for (int o = 0; o < s->out.c; o++) {
        if (!s->signed_ch[o]) continue;
        float mn = 0.0f;
        for (size_t q = 0; q < hw; q++)
            if (s->ref[(size_t)o * hw + q] < mn) mn = s->ref[(size_t)o * hw + q];
        if (-mn < 1e-3f * s->absmax[o]) s->signed_ch[o] = false;
    }
}

/* ---- the mode ----------------------------------------------------------- */

/* The cost model's view of this mode: its convs as a graph, and the one
 * standard conv that would produce the same output shape. */
static cb_status mode_costs(viz_anim *a, cb_error *err) {
    cb_graph *g = cb_graph_new(viz_mode_name(a->mode), a->in);
    cb_graph *s = cb_graph_new("standard", a->in);
    cb_status st = CB_ERR_NOMEM;
    if (!g || !s) {
        cb_fail(err, st, "out of memory for the cost graphs");
        goto done;
    }
    int v = 0, k = 1;
    for (int i = 0; i < a->n_stages; i++) {
        const viz_stage *t = &a->st[i];
        v = cb_graph_conv(g, i == 0 ? "conv0" : "conv1", v, t->out.c,
                          cb_conv_square(t->k, 1, t->pad, t->groups), false);
        if (t->k > k) k = t->k;
    }
    /* A pointwise conv is compared with the 3x3 conv it would replace; the
     * grouped block with itself at 1 group. */
    if (k < 3) k = 3;
    if (a->mode == VIZ_GROUPED) {
        int u = 0;
        for (int i = 0; i < a->n_stages; i++) {
            const viz_stage *t = &a->st[i];
            u = cb_graph_conv(s, i == 0 ? "conv0" : "conv1", u, t->out.c,
                              cb_conv_square(t->k, 1, t->pad, 1), false);
        }
    } else {
        cb_graph_conv(s, "conv", 0, a->st[a->n_stages - 1].out.c,
                      cb_conv_square(k, 1, k / 2, 1), false);
    }
    if ((st = cb_graph_status(g, err)) != CB_OK || (st = cb_graph_status(s, err)) != CB_OK)
        goto done;
    a->cost = cb_graph_cost(g, NULL);
    a->std_cost = cb_graph_cost(s, NULL);
done:
    cb_graph_free(g);
    cb_graph_free(s);
    return st;
}

void viz_anim_free(viz_anim *a) {
    for (int s = 0; s < VIZ_MAX_STAGES; s++) stage_free(&a->st[s]);
    cb_free(a->x);
    cb_free(a->mid);
    memset(a, 0, sizeof *a);
}

cb_status viz_anim_init(viz_anim *a, viz_mode mode, cb_shape in, const float *x,
                        const viz_weights *w, cb_error *err) {
    memset(a, 0, sizeof *a);
    a->mode = mode;
    a->in = in;
    if (w->c != in.c)
        return cb_fail(err, CB_ERR_ARG, "weights are for %d input channels, the input has %d",
                       w->c, in.c);
    size_t n = (size_t)cb_shape_numel(in);
    if (n == 0) return cb_fail(err, CB_ERR_ARG, "empty input");
    a->x = cb_alloc_floats(n);
    if (!a->x) return cb_fail(err, CB_ERR_NOMEM, "out of memory for the input");
    memcpy(a->x, x, n * sizeof *x);

    cb_status st = CB_OK;
    switch (mode) {
    case VIZ_STANDARD:
        a->n_stages = 1;
        st = stage_setup(&a->st[0], w->std_k == 3 ? "standard 3x3" : "standard kxk", 'x', 'y',
                         in, a->x, w->std_cout, w->std_k, 1, w->std, err);
        break;
    case VIZ_DEPTHWISE:
        a->n_stages = 1;
        st = stage_setup(&a->st[0], "depthwise 3x3", 'x', 'y', in, a->x, in.c, 3, in.c, w->dw,
                         err);
        break;
    case VIZ_POINTWISE:
        a->n_stages = 1;
        st = stage_setup(&a->st[0], "pointwise 1x1", 'x', 'y', in, a->x, w->pw_cout, 1, 1, w->pw,
                         err);
        break;
    case VIZ_SEPARABLE:
        a->n_stages = 2;
        st = stage_setup(&a->st[0], "depthwise 3x3", 'x', 'h', in, a->x, in.c, 3, in.c, w->dw,
                         err);
        /* The pointwise stage reads the depthwise stage's own output h, which
         * the animation fills in before the pointwise stage starts. */
        if (st == CB_OK)
            st = stage_setup(&a->st[1], "pointwise 1x1", 'h', 'y', a->st[0].out, a->st[0].y,
                             w->pw_cout, 1, 1, w->pw, err);
        break;
    case VIZ_GROUPED:
        if (w->grp_pre) {
            /* 1x1 to grp_c channels, then the 3x3 over their segments. */
            a->n_stages = 2;
            st = stage_setup(&a->st[0], "pointwise 1x1", 'x', 'h', in, a->x, w->grp_c, 1, 1,
                             w->grp_pre, err);
            if (st == CB_OK)
                st = stage_setup(&a->st[1], "grouped 3x3", 'h', 'y', a->st[0].out, a->st[0].y,
                                 w->grp_c, 3, w->grp_groups, w->grp, err);
        } else {
            a->n_stages = 1;
            st = stage_setup(&a->st[0], "grouped 3x3", 'x', 'y', in, a->x, in.c, 3,
                             w->grp_groups, w->grp, err);
        }
        break;
    default:
        st = cb_fail(err, CB_ERR_ARG, "unknown mode %d", (int)mode);
    }
    if (st != CB_OK) {
        viz_anim_free(a);
        return st;
    }
    for (int s = 0; s < a->n_stages; s++) {
        a->st[s].start = a->total;
        a->total += a->st[s].macs;
    }
    st = mode_costs(a, err);
    if (st != CB_OK) {
        viz_anim_free(a);
        return st;
    }
    /* Reference outputs: stage 1 of separable runs on stage 0's reference. */
    stage_reference(&a->st[0]);
    if (a->n_stages == 2) {
        const float *own = a->st[1].x;
        a->st[1].x = a->st[0].ref;
        stage_reference(&a->st[1]);
        a->st[1].x = own;
    }
    a->t = 0;
    a->bulk_macs = VIZ_BULK_MACS;
    viz_anim_seek(a, 0);
    return CB_OK;
}

uint64_t viz_anim_stage_done(const viz_anim *a, int s) {
    const viz_stage *st = &a->st[s];
    if (a->t <= st->start) return 0;
    uint64_t d = (a->t - st->start) / st->per;
    uint64_t n = cb_shape_numel(st->out);
    return d < n ? d : n;
}

/* Complete output values [from, to) of stage s, or clear them (back steps),
 * so that y holds exactly the values before the cursor. */
static void stage_fill(viz_stage *s, uint64_t from, uint64_t to, uint64_t bulk_macs) {
    if ((to - from) * s->per > bulk_macs) {
        memcpy(s->y + from, s->ref + from, (size_t)(to - from) * sizeof *s->y);
        return;
    }
    const uint64_t hw = (uint64_t)s->out.h * s->out.w;
    for (uint64_t q = from; q < to; q++) {
        int o = (int)(q / hw);
        int i = (int)((q % hw) / s->out.w);
        int j = (int)(q % s->out.w);
        s->y[q] = viz_stage_sum(s, o, i, j, (int)s->per);
    }
}

static void stage_clear(viz_stage *s, uint64_t from, uint64_t to) {
    for (uint64_t q = from; q < to; q++) s->y[q] = 0.0f;
}

static void update_cursor(viz_anim *a) {
    viz_cursor *c = &a->cur;
    memset(c, 0, sizeof *c);
    int s = 0;
    while (s < a->n_stages && a->t >= a->st[s].start + a->st[s].macs) s++;
    c->stage = s;
    if (s == a->n_stages) return;
    const viz_stage *st = &a->st[s];
    uint64_t local = a->t - st->start;
    const uint64_t hw = (uint64_t)st->out.h * st->out.w;
    c->value = local / st->per;
    c->tap = (int)(local % st->per);
    c->o = (int)(c->value / hw);
    c->i = (int)((c->value % hw) / st->out.w);
    c->j = (int)(c->value % st->out.w);
    viz_tap tp;
    viz_stage_tap(st, c->o, c->i, c->j, c->tap, &tp);
    c->c = tp.c;
    c->u = tp.u;
    c->v = tp.v;
    c->partial = viz_stage_sum(st, c->o, c->i, c->j, c->tap);
}

void viz_anim_seek(viz_anim *a, uint64_t t) {
    if (t > a->total) t = a->total;
    uint64_t before[VIZ_MAX_STAGES];
    for (int s = 0; s < a->n_stages; s++) before[s] = viz_anim_stage_done(a, s);
    a->t = t;
    /* Stages in order: the pointwise stage of separable reads h = stage 0's y. */
    for (int s = 0; s < a->n_stages; s++) {
        uint64_t now = viz_anim_stage_done(a, s);
        if (now > before[s])
            stage_fill(&a->st[s], before[s], now, a->bulk_macs);
        else if (now < before[s])
            stage_clear(&a->st[s], now, before[s]);
    }
    update_cursor(a);
}

void viz_anim_step(viz_anim *a, int64_t delta) {
    if (delta < 0) {
        uint64_t back = (uint64_t)(-(delta + 1)) + 1;
        viz_anim_seek(a, back > a->t ? 0 : a->t - back);
    } else {
        uint64_t fwd = (uint64_t)delta;
        viz_anim_seek(a, fwd > a->total - a->t ? a->total : a->t + fwd);
    }
}

uint64_t viz_anim_next_channel_t(const viz_anim *a) {
    const viz_cursor *c = &a->cur;
    if (c->stage >= a->n_stages) return a->total;
    const viz_stage *st = &a->st[c->stage];
    uint64_t per_channel = st->per * (uint64_t)st->out.h * st->out.w;
    return st->start + (uint64_t)(c->o + 1) * per_channel;
}

uint64_t viz_anim_value_start_t(const viz_anim *a) {
    const viz_cursor *c = &a->cur;
    if (c->stage >= a->n_stages) {
        return a->total == 0 ? 0 : a->total - a->st[a->n_stages - 1].per;
    }
    const viz_stage *st = &a->st[c->stage];
    uint64_t t0 = st->start + c->value * st->per;
    if (c->tap > 0) return t0;
    /* At a value boundary: the start of the previous value, which belongs to
     * the previous stage when this stage has not begun. */
    uint64_t prev = (c->value == 0 && c->stage > 0) ? a->st[c->stage - 1].per : st->per;
    return t0 >= prev ? t0 - prev : 0;
}
