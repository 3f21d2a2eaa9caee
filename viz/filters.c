/* filters.c — default, seeded and loaded weights for the viewer; photo to
 * tensor (filters.h). No SDL here. */
#include "filters.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convblocks/npy.h"

#define VIZ_PI 3.14159265358979323846f

/* Hand-made 3x3 kernels, row-major. Channel c of the depthwise conv uses
 * bank[c % 6]: on a photo R is blurred, G shows vertical edges, B is
 * sharpened. */
enum { K_BLUR, K_VEDGE, K_SHARPEN, K_HEDGE, K_OUTLINE, K_EMBOSS, K_COUNT };
static const float bank[K_COUNT][9] = {
    [K_BLUR] = {1 / 16.f, 2 / 16.f, 1 / 16.f, 2 / 16.f, 4 / 16.f, 2 / 16.f, 1 / 16.f, 2 / 16.f,
                1 / 16.f},
    [K_VEDGE] = {-0.25f, 0, 0.25f, -0.5f, 0, 0.5f, -0.25f, 0, 0.25f},     /* Sobel x / 4 */
    [K_SHARPEN] = {0, -1, 0, -1, 5, -1, 0, -1, 0},
    [K_HEDGE] = {-0.25f, -0.5f, -0.25f, 0, 0, 0, 0.25f, 0.5f, 0.25f},     /* Sobel y / 4 */
    [K_OUTLINE] = {0, 1, 0, 1, -4, 1, 0, 1, 0},                           /* Laplacian */
    [K_EMBOSS] = {-0.5f, -0.25f, 0, -0.25f, 0.25f, 0.25f, 0, 0.25f, 0.5f},
};
/* Standard conv output o: luminance of the photo through std_bank[o % 4]. */
static const int std_bank[4] = {K_BLUR, K_VEDGE, K_HEDGE, K_SHARPEN};
/* Rec. 601 luminance weights, for RGB inputs. */
static const float lum[3] = {0.299f, 0.587f, 0.114f};
/* Pointwise colour mixing for RGB: luminance, red-green, blue-yellow, average. */
static const float rgb_mix[4][3] = {
    {0.299f, 0.587f, 0.114f},
    {1.0f, -1.0f, 0.0f},
    {-0.5f, -0.5f, 1.0f},
    {1 / 3.f, 1 / 3.f, 1 / 3.f},
};

static void fill_normal(float *w, size_t n, int fan_in, cb_rng *r) {
    const float sd = sqrtf(2.0f / (float)fan_in);
    for (size_t k = 0; k < n; k++) w[k] = sd * cb_rng_normal(r);
}

/* Each set draws from its own stream so that regrouping does not change
 * the other sets. */
static uint64_t stream_seed(uint64_t seed, int set, int groups) {
    return seed * 1000003u + (uint64_t)set * 7919u + (uint64_t)groups;
}

static void make_grouped(float *w, int c, int groups, const viz_weight_source *src) {
    const int m = c / groups; /* channels per group; filters per group is m too */
    if (src->seeded) {
        cb_rng r;
        cb_rng_seed(&r, stream_seed(src->seed, 4, groups));
        fill_normal(w, (size_t)c * m * 9, m * 9, &r);
        return;
    }
    /* Filter o applies bank[o % 6] to every channel of its group, averaged:
     * with one group per channel this is exactly the depthwise default. */
    for (int o = 0; o < c; o++)
        for (int ci = 0; ci < m; ci++)
            for (int q = 0; q < 9; q++) w[((size_t)o * m + ci) * 9 + q] = bank[o % K_COUNT][q] / m;
}

void viz_weights_free(viz_weights *w) {
    free(w->std);
    free(w->dw);
    free(w->pw);
    free(w->grp);
    free(w->grp_pre);
    memset(w, 0, sizeof *w);
}

cb_status viz_weights_make(viz_weights *w, int c, int groups, const viz_weight_source *src,
                           cb_error *err) {
    memset(w, 0, sizeof *w);
    if (c < 1 || groups < 1)
        return cb_fail(err, CB_ERR_ARG, "no channels (%d) or groups (%d)", c, groups);
    w->c = c;
    /* RGB gets four colour mixes; a feature map as many outputs as inputs. */
    w->std_cout = w->pw_cout = (c == 3) ? 4 : c;
    w->std_k = 3;
    w->grp_groups = groups;
    w->std = malloc((size_t)w->std_cout * c * 9 * sizeof(float));
    w->dw = malloc((size_t)c * 9 * sizeof(float));
    w->pw = malloc((size_t)w->pw_cout * c * sizeof(float));
    /* A photo has too few channels for segments: the grouped conv reads
     * six channels made from it by a 1x1 conv (R, G, B, luminance,
     * red - green, blue - yellow), so groups can be 1, 2, 3 or 6. */
    w->grp_c = (c == 3) ? 6 : c;
    if (w->grp_c % groups != 0) {
        viz_weights_free(w);
        return cb_fail(err, CB_ERR_ARG, "groups %d does not divide the %d channels of the grouped conv",
                       groups, w->grp_c);
    }
    if (c == 3) {
        w->grp_pre = malloc((size_t)w->grp_c * c * sizeof(float));
        if (w->grp_pre) {
            static const float pre[6][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1},
                                            {0.299f, 0.587f, 0.114f}, {1, -1, 0},
                                            {-0.5f, -0.5f, 1}};
            memcpy(w->grp_pre, pre, sizeof pre);
            if (src->seeded) {
                cb_rng r;
                cb_rng_seed(&r, stream_seed(src->seed, 5, 0));
                fill_normal(w->grp_pre, (size_t)w->grp_c * c, c, &r);
            }
        }
    }
    w->grp = malloc((size_t)w->grp_c * (w->grp_c / groups) * 9 * sizeof(float));
    if (!w->std || !w->dw || !w->pw || !w->grp || (c == 3 && !w->grp_pre)) {
        viz_weights_free(w);
        return cb_fail(err, CB_ERR_NOMEM, "out of memory for the filters");
    }
    if (src->seeded) {
        cb_rng r;
        cb_rng_seed(&r, stream_seed(src->seed, 1, 0));
        fill_normal(w->std, (size_t)w->std_cout * c * 9, c * 9, &r);
        cb_rng_seed(&r, stream_seed(src->seed, 2, 0));
        fill_normal(w->dw, (size_t)c * 9, 9, &r);
        cb_rng_seed(&r, stream_seed(src->seed, 3, 0));
        fill_normal(w->pw, (size_t)w->pw_cout * c, c, &r);
    } else {
        for (int o = 0; o < w->std_cout; o++)
            for (int ci = 0; ci < c; ci++)
                for (int q = 0; q < 9; q++)
                    w->std[((size_t)o * c + ci) * 9 + q] =
                        (c == 3 ? lum[ci] : 1.0f / c) * bank[std_bank[o % 4]][q];
        for (int ci = 0; ci < c; ci++)
            for (int q = 0; q < 9; q++) w->dw[(size_t)ci * 9 + q] = bank[ci % K_COUNT][q];
        for (int o = 0; o < w->pw_cout; o++)
            for (int ci = 0; ci < c; ci++) {
                float v;
                if (c == 3)
                    v = rgb_mix[o][ci];
                else /* a DCT-II basis: o = 0 averages, higher o contrast channel bands */
                    v = (o == 0 ? sqrtf(1.0f / c) : sqrtf(2.0f / c)) *
                        cosf(VIZ_PI * (ci + 0.5f) * o / c);
                w->pw[(size_t)o * c + ci] = v;
            }
    }
    make_grouped(w->grp, w->grp_c, groups, src);
    return CB_OK;
}

cb_status viz_weights_regroup(viz_weights *w, int groups, const viz_weight_source *src,
                              cb_error *err) {
    if (groups < 1 || w->grp_c % groups != 0)
        return cb_fail(err, CB_ERR_ARG, "groups %d does not divide the %d channels of the grouped conv",
                       groups, w->grp_c);
    float *g = malloc((size_t)w->grp_c * (w->grp_c / groups) * 9 * sizeof(float));
    if (!g) return cb_fail(err, CB_ERR_NOMEM, "out of memory for the filters");
    make_grouped(g, w->grp_c, groups, src);
    free(w->grp);
    w->grp = g;
    w->grp_groups = groups;
    return CB_OK;
}

/* ---- --params DIR ------------------------------------------------------- */

static const char *dims_str(const cb_tensor *t, char *buf, size_t n) {
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < t->rank && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? "x%d" : "%d", t->dims[i]);
    return buf;
}

/* Read DIR/KEY.npy if it exists: 1 loaded, 0 absent, -1 error (err set). */
static int load_key(const char *dir, const char *key, cb_tensor *t, cb_status *st,
                    cb_error *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.npy", dir, key);
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fclose(f);
    *st = cb_npy_read(path, t, err);
    return *st == CB_OK ? 1 : -1;
}

static float *take(cb_tensor *t) {
    size_t n = (size_t)cb_tensor_numel(t);
    float *p = malloc(n * sizeof *p);
    if (p) memcpy(p, t->data, n * sizeof *p);
    cb_tensor_free(t);
    return p;
}

cb_status viz_weights_load(viz_weights *w, const char *dir, viz_weight_source *src,
                           cb_error *err) {
    const int c = w->c;
    cb_tensor t;
    cb_status st = CB_OK;
    char d[64];
    int found = 0, r;

    if ((r = load_key(dir, "dw.weight", &t, &st, err)) < 0) return st;
    if (r) {
        if (!(t.rank == 4 && t.dims[0] == c && t.dims[1] == 1 && t.dims[2] == 3 && t.dims[3] == 3)) {
            cb_fail(err, CB_ERR_FORMAT,
                    "%s/dw.weight.npy: shape %s does not fit a %d-channel input (needs %dx1x3x3)",
                    dir, dims_str(&t, d, sizeof d), c, c);
            cb_tensor_free(&t);
            return CB_ERR_FORMAT;
        }
        free(w->dw);
        if (!(w->dw = take(&t))) return cb_fail(err, CB_ERR_NOMEM, "out of memory");
        src->from_params_dw = true;
        found++;
    }
    if ((r = load_key(dir, "pw.weight", &t, &st, err)) < 0) return st;
    if (r) {
        bool ok = (t.rank == 4 && t.dims[2] == 1 && t.dims[3] == 1) || t.rank == 2;
        if (!ok || t.dims[1] != c || t.dims[0] > VIZ_MAX_CHANNELS) {
            cb_fail(err, CB_ERR_FORMAT,
                    "%s/pw.weight.npy: shape %s does not fit a %d-channel input (needs Ox%dx1x1, "
                    "O <= %d)",
                    dir, dims_str(&t, d, sizeof d), c, c, VIZ_MAX_CHANNELS);
            cb_tensor_free(&t);
            return CB_ERR_FORMAT;
        }
        int o = t.dims[0];
        free(w->pw);
        if (!(w->pw = take(&t))) return cb_fail(err, CB_ERR_NOMEM, "out of memory");
        w->pw_cout = o;
        src->from_params_pw = true;
        found++;
    }
    if ((r = load_key(dir, "conv.weight", &t, &st, err)) < 0) return st;
    if (r) {
        int k = t.rank == 4 ? t.dims[2] : 0;
        if (!(t.rank == 4 && t.dims[1] == c && t.dims[3] == k && (k == 1 || k == 3 || k == 5 ||
                                                                   k == 7) &&
              t.dims[0] <= VIZ_MAX_CHANNELS)) {
            cb_fail(err, CB_ERR_FORMAT,
                    "%s/conv.weight.npy: shape %s does not fit a %d-channel input (needs "
                    "Ox%dxKxK, K odd <= 7, O <= %d)",
                    dir, dims_str(&t, d, sizeof d), c, c, VIZ_MAX_CHANNELS);
            cb_tensor_free(&t);
            return CB_ERR_FORMAT;
        }
        int o = t.dims[0];
        free(w->std);
        if (!(w->std = take(&t))) return cb_fail(err, CB_ERR_NOMEM, "out of memory");
        w->std_cout = o;
        w->std_k = k;
        src->from_params_std = true;
        found++;
    }
    /* inception_grouped: reduce (1x1, c -> m) then spatial (3x3, m -> m, g groups). */
    cb_tensor red;
    if ((r = load_key(dir, "reduce.conv.weight", &red, &st, err)) < 0) return st;
    const bool have_reduce = r == 1;
    if (have_reduce && !(red.rank == 4 && red.dims[1] == c && red.dims[2] == 1 &&
                         red.dims[3] == 1 && red.dims[0] <= VIZ_MAX_CHANNELS)) {
        cb_fail(err, CB_ERR_FORMAT,
                "%s/reduce.conv.weight.npy: shape %s does not fit a %d-channel input (needs "
                "Mx%dx1x1, M <= %d)",
                dir, dims_str(&red, d, sizeof d), c, c, VIZ_MAX_CHANNELS);
        cb_tensor_free(&red);
        return CB_ERR_FORMAT;
    }
    if ((r = load_key(dir, "spatial.conv.weight", &t, &st, err)) < 0) {
        if (have_reduce) cb_tensor_free(&red);
        return st;
    }
    if (r) {
        const int m = have_reduce ? red.dims[0] : c; /* channels the 3x3 reads */
        int per = t.rank == 4 ? t.dims[1] : 0;
        if (!(t.rank == 4 && t.dims[0] == m && per > 0 && m % per == 0 && t.dims[2] == 3 &&
              t.dims[3] == 3)) {
            cb_fail(err, CB_ERR_FORMAT,
                    "%s/spatial.conv.weight.npy: shape %s does not fit %d channels%s (needs "
                    "%dx(%d/groups)x3x3)",
                    dir, dims_str(&t, d, sizeof d), m,
                    have_reduce ? " from reduce.conv.weight" : " of the input", m, m);
            cb_tensor_free(&t);
            if (have_reduce) cb_tensor_free(&red);
            return CB_ERR_FORMAT;
        }
        free(w->grp);
        free(w->grp_pre);
        w->grp_pre = NULL;
        w->grp = take(&t);
        if (have_reduce) w->grp_pre = take(&red);
        if (!w->grp || (have_reduce && !w->grp_pre)) return cb_fail(err, CB_ERR_NOMEM, "out of memory");
        w->grp_c = m;
        w->grp_groups = m / per;
        src->from_params_grp = true;
        found++;
    } else if (have_reduce) {
        cb_tensor_free(&red);
    }
    if (!found)
        return cb_fail(err, CB_ERR_IO,
                       "%s: holds none of dw.weight.npy, pw.weight.npy, conv.weight.npy, "
                       "spatial.conv.weight.npy (with reduce.conv.weight.npy)",
                       dir);
    return CB_OK;
}

/* ---- photos ------------------------------------------------------------- */

void viz_default_size(int w, int h, int *ow, int *oh) {
    *ow = 48;
    long t = ((long)h * 48 + w / 2) / (w > 0 ? w : 1);
    *oh = (int)(t < 8 ? 8 : t > 64 ? 64 : t);
}

void viz_rgb_to_tensor(const unsigned char *rgb, int w, int h, int pitch, int ow, int oh,
                       float *out) {
    const size_t plane = (size_t)ow * oh;
    for (int i = 0; i < oh; i++) {
        /* Source rows [y0, y1) and columns [x0, x1) map onto target pixel (i, j). */
        int y0 = (int)((long)i * h / oh), y1 = (int)((long)(i + 1) * h / oh);
        if (y1 <= y0) y1 = y0 + 1;
        for (int j = 0; j < ow; j++) {
            int x0 = (int)((long)j * w / ow), x1 = (int)((long)(j + 1) * w / ow);
            if (x1 <= x0) x1 = x0 + 1;
            unsigned long sum[3] = {0, 0, 0};
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++)
                    for (int ch = 0; ch < 3; ch++)
                        sum[ch] += rgb[(size_t)y * pitch + (size_t)x * 3 + ch];
            const unsigned long n = (unsigned long)(y1 - y0) * (unsigned long)(x1 - x0);
            for (int ch = 0; ch < 3; ch++)
                out[ch * plane + (size_t)i * ow + j] = (float)sum[ch] / (255.0f * (float)n);
        }
    }
}

cb_status viz_check_input(cb_shape s, const char *name, cb_error *err) {
    if (s.c < 1 || s.h < 1 || s.w < 1)
        return cb_fail(err, CB_ERR_FORMAT, "%s: empty input %dx%dx%d", name, s.c, s.h, s.w);
    if (s.c > VIZ_MAX_CHANNELS || s.h > VIZ_MAX_SIDE || s.w > VIZ_MAX_SIDE)
        return cb_fail(err, CB_ERR_FORMAT,
                       "%s: %dx%dx%d is too large to animate (at most %d channels of %dx%d)",
                       name, s.c, s.h, s.w, VIZ_MAX_CHANNELS, VIZ_MAX_SIDE, VIZ_MAX_SIDE);
    return CB_OK;
}
