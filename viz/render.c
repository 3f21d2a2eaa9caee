/* render.c — draws one frame of the viewer (render.h). Reads the model and
 * the view, never changes them.
 *
 * Screen layout (everything scales with the window):
 *
 *   header    mode title, one sentence on what it does, mode tabs
 *   left      the tensors as channel tiles: input x [-> h] -> output y,
 *             each pixel a square; the sliding window and the value being
 *             formed are outlined in yellow, a pinned receptive field in cyan
 *   right     how the current (or pinned) value is computed: the kernel's
 *             numbers, the input window's numbers, their products, the
 *             formula with the running sum; below it the MAC and parameter
 *             counts against a standard conv
 *   footer    the timeline (click or drag to scrub), play state, speed, keys
 */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include "render.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL_ttf.h>

/* ---- colours ------------------------------------------------------------ */

static const SDL_Color C_BG = {20, 22, 28, 255};
static const SDL_Color C_PANEL = {31, 34, 43, 255};
static const SDL_Color C_TEXT = {228, 231, 238, 255};
static const SDL_Color C_DIM = {140, 147, 163, 255};
static const SDL_Color C_FAINT = {85, 91, 106, 255};
static const SDL_Color C_ACCENT = {255, 204, 51, 255};  /* the current window / value */
static const SDL_Color C_ACCENT_DIM = {150, 120, 40, 255};
static const SDL_Color C_PIN = {80, 220, 255, 255};     /* a pinned receptive field */
static const SDL_Color C_GOOD = {120, 225, 140, 255};
static const SDL_Color C_EMPTY_A = {38, 41, 50, 255};   /* not yet computed: checker */
static const SDL_Color C_EMPTY_B = {46, 49, 59, 255};

/* ---- fonts and the text cache ------------------------------------------- */

enum { F_SMALL, F_NORMAL, F_TITLE, F_MONO, F_COUNT };
static const int font_base_px[F_COUNT] = {13, 15, 22, 13};
static const char *const font_file[F_COUNT] = {"DejaVuSans.ttf", "DejaVuSans.ttf",
                                               "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"};

/* Text is rendered to a texture once and reused while the same string is
 * drawn again; the cache is dropped when it fills (numbers change a lot). */
#define CACHE_SLOTS 4096
#define CACHE_MAX 3000
typedef struct {
    char *s;
    int font;
    uint32_t color;
    SDL_Texture *tex;
    int w, h;
    uint64_t used;   /* the frame it was last drawn in */
} text_entry;

#define MAX_SLOTS 3 /* tensors shown: x, [h,] y */

struct viz_renderer {
    SDL_Renderer *r;
    char font_dir[1024];
    TTF_Font *font[F_COUNT];
    int font_px[F_COUNT];
    int line[F_COUNT];              /* line height of each font */
    text_entry cache[CACHE_SLOTS];
    int cache_n;
    uint64_t frame;                 /* frames drawn, for the cache */
    /* One streaming texture per channel of each tensor shown, plus the photo. */
    SDL_Texture *tex[MAX_SLOTS][VIZ_MAX_CHANNELS];
    int tex_w[MAX_SLOTS], tex_h[MAX_SLOTS], tex_c[MAX_SLOTS];
    SDL_Texture *photo;
    uint32_t *pixels;               /* scratch for texture updates */
    /* The last layout, for hit testing. */
    int n_slots;
    int slot_c[MAX_SLOTS];
    SDL_Rect tile[MAX_SLOTS][VIZ_MAX_CHANNELS];
    float scale[MAX_SLOTS];
    SDL_Rect timeline;
    SDL_Rect tab[VIZ_MODE_COUNT];   /* the mode tabs in the header */
    float s;                        /* UI scale: 1 at 1280x720 */
};

static uint32_t pack(SDL_Color c) {
    return ((uint32_t)c.r << 24) | ((uint32_t)c.g << 16) | ((uint32_t)c.b << 8) | c.a;
}

static void cache_clear(viz_renderer *vr) {
    for (int k = 0; k < CACHE_SLOTS; k++) {
        if (vr->cache[k].s) {
            free(vr->cache[k].s);
            SDL_DestroyTexture(vr->cache[k].tex);
        }
    }
    memset(vr->cache, 0, sizeof vr->cache);
    vr->cache_n = 0;
}

static uint32_t hash_text(const char *s, int font, uint32_t color) {
    uint32_t h = 2166136261u ^ (uint32_t)font * 16777619u ^ color;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* When the cache is full, drop what the last two frames did not draw (the
 * numbers that changed) and keep the rest (labels, kernel weights), so a
 * fast animation never pays for re-rendering every string at once. */
static void cache_evict(viz_renderer *vr) {
    static text_entry keep[CACHE_SLOTS];
    int n = 0;
    for (int k = 0; k < CACHE_SLOTS; k++) {
        text_entry *e = &vr->cache[k];
        if (!e->s) continue;
        if (e->used + 2 >= vr->frame && n < CACHE_MAX / 2) {
            keep[n++] = *e;
        } else {
            free(e->s);
            SDL_DestroyTexture(e->tex);
        }
    }
    memset(vr->cache, 0, sizeof vr->cache);
    vr->cache_n = 0;
    for (int k = 0; k < n; k++) {
        uint32_t h = hash_text(keep[k].s, keep[k].font, keep[k].color) % CACHE_SLOTS;
        while (vr->cache[h].s) h = (h + 1) % CACHE_SLOTS;
        vr->cache[h] = keep[k];
        vr->cache_n++;
    }
}

static const text_entry *text_get(viz_renderer *vr, int font, SDL_Color col, const char *s) {
    uint32_t c = pack(col);
    uint32_t h = hash_text(s, font, c) % CACHE_SLOTS;
    for (;;) {
        text_entry *e = &vr->cache[h];
        if (!e->s) break;
        if (e->font == font && e->color == c && strcmp(e->s, s) == 0) {
            e->used = vr->frame;
            return e;
        }
        h = (h + 1) % CACHE_SLOTS;
    }
    if (vr->cache_n >= CACHE_MAX) {
        cache_evict(vr);
        return text_get(vr, font, col, s);
    }
    SDL_Surface *surf = TTF_RenderUTF8_Blended(vr->font[font], s, col);
    if (!surf) return NULL;
    SDL_Texture *tex = SDL_CreateTextureFromSurface(vr->r, surf);
    text_entry *e = &vr->cache[h];
    e->s = strdup(s);
    e->font = font;
    e->color = c;
    e->tex = tex;
    e->w = surf->w;
    e->h = surf->h;
    e->used = vr->frame;
    SDL_FreeSurface(surf);
    if (!tex || !e->s) {
        free(e->s);
        if (tex) SDL_DestroyTexture(tex);
        memset(e, 0, sizeof *e);
        return NULL;
    }
    vr->cache_n++;
    return e;
}

enum { AL_LEFT = 0, AL_CENTER = 1, AL_RIGHT = 2 };

/* Draw text at (x, y) (top), aligned on x; returns its width. */
static int text(viz_renderer *vr, int font, SDL_Color col, int x, int y, int align,
                const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!buf[0]) return 0;
    const text_entry *e = text_get(vr, font, col, buf);
    if (!e) return 0;
    SDL_Rect d = {x, y, e->w, e->h};
    if (align == AL_CENTER) d.x -= e->w / 2;
    if (align == AL_RIGHT) d.x -= e->w;
    SDL_RenderCopy(vr->r, e->tex, NULL, &d);
    return e->w;
}

static int text_width(viz_renderer *vr, int font, const char *s) {
    int w = 0, h = 0;
    TTF_SizeUTF8(vr->font[font], s, &w, &h);
    return w;
}

static bool open_fonts(viz_renderer *vr, float s, char *err, size_t n) {
    for (int f = 0; f < F_COUNT; f++) {
        int px = (int)lroundf(font_base_px[f] * s);
        if (px < 8) px = 8;
        if (vr->font[f] && vr->font_px[f] == px) continue;
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", vr->font_dir, font_file[f]);
        TTF_Font *font = TTF_OpenFont(path, px);
        if (!font) {
            if (err)
                snprintf(err, n, "font %s: %s (install fonts-dejavu-core, or pass --font-dir)",
                         path, TTF_GetError());
            return false;
        }
        if (vr->font[f]) TTF_CloseFont(vr->font[f]);
        vr->font[f] = font;
        vr->font_px[f] = px;
        vr->line[f] = TTF_FontLineSkip(font);
        cache_clear(vr);
    }
    return true;
}

viz_renderer *viz_renderer_new(SDL_Renderer *r, const char *font_dir, char *err, size_t n) {
    viz_renderer *vr = calloc(1, sizeof *vr);
    if (!vr) {
        snprintf(err, n, "out of memory");
        return NULL;
    }
    vr->r = r;
    snprintf(vr->font_dir, sizeof vr->font_dir, "%s", font_dir);
    if (!TTF_WasInit() && TTF_Init() != 0) {
        snprintf(err, n, "SDL_ttf: %s", TTF_GetError());
        free(vr);
        return NULL;
    }
    if (!open_fonts(vr, 1.0f, err, n)) {
        viz_renderer_free(vr);
        return NULL;
    }
    vr->s = 1.0f;
    vr->pixels = malloc((size_t)VIZ_MAX_SIDE * VIZ_MAX_SIDE * sizeof *vr->pixels);
    if (!vr->pixels) {
        snprintf(err, n, "out of memory");
        viz_renderer_free(vr);
        return NULL;
    }
    SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_BLEND);
    return vr;
}

static void textures_free(viz_renderer *vr) {
    for (int s = 0; s < MAX_SLOTS; s++) {
        for (int c = 0; c < VIZ_MAX_CHANNELS; c++) {
            if (vr->tex[s][c]) SDL_DestroyTexture(vr->tex[s][c]);
            vr->tex[s][c] = NULL;
        }
        vr->tex_w[s] = vr->tex_h[s] = vr->tex_c[s] = 0;
    }
    if (vr->photo) SDL_DestroyTexture(vr->photo);
    vr->photo = NULL;
}

void viz_renderer_free(viz_renderer *vr) {
    if (!vr) return;
    cache_clear(vr);
    textures_free(vr);
    for (int f = 0; f < F_COUNT; f++)
        if (vr->font[f]) TTF_CloseFont(vr->font[f]);
    free(vr->pixels);
    free(vr);
}

/* ---- drawing helpers ---------------------------------------------------- */

static void set_color(viz_renderer *vr, SDL_Color c) {
    SDL_SetRenderDrawColor(vr->r, c.r, c.g, c.b, c.a);
}

static void fill(viz_renderer *vr, SDL_Rect rc, SDL_Color c) {
    /* Opaque fills without blending: SDL's software renderer blends every
     * pixel of a rectangle whenever the blend mode is on, alpha 255 or not. */
    SDL_SetRenderDrawBlendMode(vr->r, c.a == 255 ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
    set_color(vr, c);
    SDL_RenderFillRect(vr->r, &rc);
    SDL_SetRenderDrawBlendMode(vr->r, SDL_BLENDMODE_BLEND);
}

/* A frame of thickness t around rc (outside it). */
static void frame(viz_renderer *vr, SDL_Rect rc, SDL_Color c, int t) {
    set_color(vr, c);
    for (int k = 1; k <= t; k++) {
        SDL_Rect o = {rc.x - k, rc.y - k, rc.w + 2 * k, rc.h + 2 * k};
        SDL_RenderDrawRect(vr->r, &o);
    }
}

static SDL_Color rgba(int r, int g, int b, int a) {
    SDL_Color c = {(Uint8)r, (Uint8)g, (Uint8)b, (Uint8)a};
    return c;
}

static SDL_Color with_alpha(SDL_Color c, int a) {
    c.a = (Uint8)a;
    return c;
}

static int S(const viz_renderer *vr, float px) { return (int)lroundf(px * vr->s); }

/* A number in at most ~7 characters: four decimals, trailing zeros dropped
 * (1/16 shows as 0.0625, 5 as 5), fewer decimals for large values. */
static const char *num(float v, char *buf, size_t n) {
    float a = fabsf(v);
    int dec = a >= 1000.0f ? 0 : a >= 100.0f ? 1 : a >= 10.0f ? 2 : 4;
    snprintf(buf, n, "%.*f", dec, v);
    if (dec > 0) {
        size_t len = strlen(buf);
        while (len > 0 && buf[len - 1] == '0') buf[--len] = '\0';
        if (len > 0 && buf[len - 1] == '.') buf[--len] = '\0';
    }
    if (strlen(buf) > 6 && dec == 4) snprintf(buf, n, "%.3f", v);
    if (strcmp(buf, "-0") == 0 || strcmp(buf, "0") == 0 || strcmp(buf, "-0.000") == 0) {
        if (v == 0.0f) snprintf(buf, n, "0");
    }
    return buf;
}

/* num(), with fewer decimals until it fits in w pixels of the mono font. */
static const char *num_fit(viz_renderer *vr, float v, int w, char *buf, size_t n) {
    num(v, buf, n);
    for (int dec = 3; dec >= 1 && text_width(vr, F_MONO, buf) > w; dec--) {
        snprintf(buf, n, "%.*f", dec, v);
        size_t len = strlen(buf);
        while (len > 0 && buf[len - 1] == '0') buf[--len] = '\0';
        if (len > 0 && buf[len - 1] == '.') buf[--len] = '\0';
        if (strcmp(buf, "-0") == 0) snprintf(buf, n, "-0.0");
    }
    return buf;
}

/* Word-wrapped text in width w; returns the y below it. */
static int paragraph(viz_renderer *vr, int font, SDL_Color col, int x, int y, int w,
                     const char *s) {
    char line[640], trial[640];
    size_t len = 0;
    line[0] = '\0';
    while (*s) {
        const char *e = s;
        while (*e && *e != ' ') e++;
        size_t wl = (size_t)(e - s);
        if (wl > 200) wl = 200;
        size_t tl = len;
        memcpy(trial, line, len);
        if (len) trial[tl++] = ' ';
        memcpy(trial + tl, s, wl);
        tl += wl;
        trial[tl] = '\0';
        if (len && (text_width(vr, font, trial) > w || tl > 400)) {
            text(vr, font, col, x, y, AL_LEFT, "%s", line);
            y += vr->line[font];
            memcpy(line, s, wl);
            len = wl;
            line[len] = '\0';
        } else {
            memcpy(line, trial, tl + 1);
            len = tl;
        }
        s = *e ? e + 1 : e;
    }
    if (len) {
        text(vr, font, col, x, y, AL_LEFT, "%s", line);
        y += vr->line[font];
    }
    return y;
}

/* ---- colour maps -------------------------------------------------------- */

static uint32_t argb(int r, int g, int b) {
    return 0xff000000u | ((uint32_t)r << 16) | ((uint32_t)g << 8) | (uint32_t)b;
}

static int clamp255(float v) { return v < 0 ? 0 : v > 255 ? 255 : (int)lroundf(v); }

/* Tint of photo channel c (R, G, B): its value shown in its own colour. */
static uint32_t tint(float v, int c) {
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    int k = clamp255(v * 255.0f), lo = clamp255(v * 40.0f);
    return c == 0 ? argb(k, lo, lo) : c == 1 ? argb(lo, k, lo) : argb(lo, lo, k);
}

/* Signed values: negative blue, zero black, positive orange; sqrt so weak
 * edges still show. Unsigned: grey ramp. m is the channel's largest |v|. */
static uint32_t value_color(float v, float m, bool sgn) {
    if (m <= 0.0f) return argb(20, 20, 24);
    float t = v / m;
    if (t > 1) t = 1;
    if (t < -1) t = -1;
    if (!sgn) {
        int g = clamp255(t * 255.0f);
        return argb(g, g, g);
    }
    float a = powf(fabsf(t), 0.7f);
    if (t >= 0) return argb(clamp255(14 + a * 241), clamp255(14 + a * 150), clamp255(18 + a * 22));
    return argb(clamp255(14 + a * 46), clamp255(14 + a * 141), clamp255(18 + a * 237));
}

static uint32_t empty_color(int i, int j) {
    SDL_Color c = ((i / 2 + j / 2) & 1) ? C_EMPTY_A : C_EMPTY_B;
    return argb(c.r, c.g, c.b);
}

/* ---- tensors ------------------------------------------------------------ */

/* Slot k of the left area: 0 is the input x, k >= 1 the output of stage k-1. */
static cb_shape slot_shape(const viz_anim *a, int k) { return k == 0 ? a->in : a->st[k - 1].out; }

static void ensure_textures(viz_renderer *vr, int k, cb_shape s) {
    if (vr->tex_w[k] == s.w && vr->tex_h[k] == s.h && vr->tex_c[k] == s.c) return;
    for (int c = 0; c < VIZ_MAX_CHANNELS; c++) {
        if (vr->tex[k][c]) SDL_DestroyTexture(vr->tex[k][c]);
        vr->tex[k][c] = NULL;
    }
    for (int c = 0; c < s.c; c++)
        vr->tex[k][c] = SDL_CreateTexture(vr->r, SDL_PIXELFORMAT_ARGB8888,
                                          SDL_TEXTUREACCESS_STREAMING, s.w, s.h);
    vr->tex_w[k] = s.w;
    vr->tex_h[k] = s.h;
    vr->tex_c[k] = s.c;
}

/* Is output stage st's channel c a photo channel kept apart (depthwise on RGB)? */
static bool tinted_stage(const viz_anim *a, const viz_view *v, int st) {
    return v->rgb && st == 0 && a->st[0].groups == a->in.c && a->st[0].out.c == a->in.c &&
           a->in.c == 3;
}

static void update_textures(viz_renderer *vr, const viz_anim *a, const viz_view *v) {
    /* The input: tinted RGB for a photo, else a grey ramp per channel. */
    cb_shape in = a->in;
    ensure_textures(vr, 0, in);
    const size_t hw = (size_t)in.h * in.w;
    for (int c = 0; c < in.c; c++) {
        const float *x = a->x + (size_t)c * hw;
        float lo = x[0], hi = x[0];
        for (size_t q = 0; q < hw; q++) {
            if (x[q] < lo) lo = x[q];
            if (x[q] > hi) hi = x[q];
        }
        for (size_t q = 0; q < hw; q++) {
            if (v->rgb && in.c == 3) {
                vr->pixels[q] = tint(x[q], c);
            } else {
                int g = hi > lo ? clamp255((x[q] - lo) / (hi - lo) * 255.0f) : 128;
                vr->pixels[q] = argb(g, g, g);
            }
        }
        if (vr->tex[0][c]) SDL_UpdateTexture(vr->tex[0][c], NULL, vr->pixels, in.w * 4);
    }
    if (v->rgb && in.c == 3) {
        if (!vr->photo || vr->tex_w[0] != in.w) {
            if (vr->photo) SDL_DestroyTexture(vr->photo);
            vr->photo = SDL_CreateTexture(vr->r, SDL_PIXELFORMAT_ARGB8888,
                                          SDL_TEXTUREACCESS_STREAMING, in.w, in.h);
        }
        for (size_t q = 0; q < hw; q++)
            vr->pixels[q] = argb(clamp255(a->x[q] * 255), clamp255(a->x[hw + q] * 255),
                                 clamp255(a->x[2 * hw + q] * 255));
        if (vr->photo) SDL_UpdateTexture(vr->photo, NULL, vr->pixels, in.w * 4);
    }
    /* The outputs as far as they are computed; the value being formed shows
     * its partial sum. */
    for (int st = 0; st < a->n_stages; st++) {
        const viz_stage *s = &a->st[st];
        ensure_textures(vr, st + 1, s->out);
        const uint64_t done = viz_anim_stage_done(a, st);
        const size_t ohw = (size_t)s->out.h * s->out.w;
        const bool tinted = tinted_stage(a, v, st);
        for (int o = 0; o < s->out.c; o++) {
            for (size_t q = 0; q < ohw; q++) {
                uint64_t idx = (uint64_t)o * ohw + q;
                int i = (int)(q / s->out.w), j = (int)(q % s->out.w);
                float val;
                if (idx < done)
                    val = s->y[idx];
                else if (a->cur.stage == st && idx == a->cur.value && a->cur.tap > 0)
                    val = a->cur.partial;
                else {
                    vr->pixels[q] = empty_color(i, j);
                    continue;
                }
                if (tinted && !s->signed_ch[o])
                    vr->pixels[q] = tint(s->absmax[o] > 0 ? val / s->absmax[o] : 0, o);
                else
                    vr->pixels[q] = value_color(val, s->absmax[o], s->signed_ch[o]);
            }
            if (vr->tex[st + 1][o])
                SDL_UpdateTexture(vr->tex[st + 1][o], NULL, vr->pixels, s->out.w * 4);
        }
    }
}

/* Choose columns and a pixel scale so n tiles of w x h (plus a label line
 * each) fill the area as large as possible. */
static void fit_grid(int n, int w, int h, int aw, int ah, int label, int gap, int *cols,
                     float *scale) {
    *cols = 1;
    *scale = 0.0f;
    for (int c = 1; c <= n; c++) {
        int rows = (n + c - 1) / c;
        float sx = (float)(aw - (c - 1) * gap) / (float)(c * w);
        float sy = (float)(ah - rows * label - (rows - 1) * gap) / (float)(rows * h);
        float sc = sx < sy ? sx : sy;
        if (sc > *scale + 1e-3f) {
            *scale = sc;
            *cols = c;
        }
    }
    if (*scale >= 2.0f) *scale = floorf(*scale); /* whole pixels stay crisp */
    if (*scale < 0.25f) *scale = 0.25f;
}

/* The rectangle of pixels rows i0..i1, cols j0..j1 of a tile (clipped). */
static SDL_Rect pixel_rect(SDL_Rect tile, float sc, int i0, int j0, int i1, int j1, int h, int w) {
    if (i0 < 0) i0 = 0;
    if (j0 < 0) j0 = 0;
    if (i1 > h - 1) i1 = h - 1;
    if (j1 > w - 1) j1 = w - 1;
    int x0 = tile.x + (int)floorf(j0 * sc), x1 = tile.x + (int)floorf((j1 + 1) * sc);
    int y0 = tile.y + (int)floorf(i0 * sc), y1 = tile.y + (int)floorf((i1 + 1) * sc);
    SDL_Rect r = {x0, y0, x1 - x0, y1 - y0};
    if (r.w < 1) r.w = 1;
    if (r.h < 1) r.h = 1;
    return r;
}

static const char *rgb_name[3] = {"red", "green", "blue"};

/* The receptive field of a pinned value, traced back through the stages:
 * which channels of each tensor, and which rows/columns. */
typedef struct {
    bool ch[VIZ_MAX_CHANNELS];
    int i0, i1, j0, j1;
    bool on;
} field;

static void trace_field(const viz_anim *a, const viz_pin *pin, field f[MAX_SLOTS]) {
    memset(f, 0, sizeof(field) * MAX_SLOTS);
    if (!pin->on) return;
    int k = pin->stage + 1;
    f[k].on = true;
    f[k].ch[pin->o] = true;
    f[k].i0 = f[k].i1 = pin->i;
    f[k].j0 = f[k].j1 = pin->j;
    for (int st = pin->stage; st >= 0; st--) {
        const viz_stage *s = &a->st[st];
        field *out = &f[st + 1], *in = &f[st];
        in->on = true;
        for (int o = 0; o < s->out.c; o++) {
            if (!out->ch[o]) continue;
            int c0 = (o / s->cout_g) * s->cin_g;
            for (int c = c0; c < c0 + s->cin_g; c++) in->ch[c] = true;
        }
        in->i0 = out->i0 - s->pad;
        in->i1 = out->i1 + s->pad;
        in->j0 = out->j0 - s->pad;
        in->j1 = out->j1 + s->pad;
    }
}

static void draw_tensors(viz_renderer *vr, SDL_Rect area, const viz_anim *a, const viz_view *v) {
    const int n = a->n_stages + 1;
    vr->n_slots = n;
    const int arrow = S(vr, 30);
    const int colw = (area.w - (n - 1) * arrow) / n;
    const int label = vr->line[F_SMALL] + S(vr, 2);
    const int gap = S(vr, 10);
    const int head = vr->line[F_NORMAL] + vr->line[F_SMALL] + S(vr, 8);
    const int legend = 0; /* the colour key is in the header */
    const viz_cursor *cur = &a->cur;
    const int act = cur->stage;          /* active stage, n_stages when done */
    field pinf[MAX_SLOTS];
    trace_field(a, &v->pin, pinf);

    /* One pixel scale for every tensor, so pixels line up in size across
     * columns: the largest that lets each column fit. */
    int slot_cols[MAX_SLOTS];
    float common = 1e9f;
    for (int k = 0; k < n; k++) {
        cb_shape sh = slot_shape(a, k);
        int tiles = sh.c + ((k == 0 && v->rgb && sh.c == 3) ? 1 : 0);
        float sc;
        fit_grid(tiles, sh.w, sh.h, colw, area.h - head - legend, label, gap, &slot_cols[k], &sc);
        if (sc < common) common = sc;
    }

    SDL_Point tap_center = {-1, -1}, out_center = {-1, -1};
    for (int k = 0; k < n; k++) {
        cb_shape sh = slot_shape(a, k);
        vr->slot_c[k] = sh.c;
        SDL_Rect col = {area.x + k * (colw + arrow), area.y, colw, area.h};
        /* Column header: what the tensor is. */
        const bool photo = (k == 0 && v->rgb && sh.c == 3);
        char sym = k == 0 ? a->st[0].in_sym : a->st[k - 1].out_sym;
        if (k == 0)
            text(vr, F_NORMAL, C_TEXT, col.x + col.w / 2, col.y, AL_CENTER, "input %c", sym);
        else
            text(vr, F_NORMAL, C_TEXT, col.x + col.w / 2, col.y, AL_CENTER, "%c = %s(%c)", sym,
                 a->st[k - 1].name, a->st[k - 1].in_sym);
        text(vr, F_SMALL, C_DIM, col.x + col.w / 2, col.y + vr->line[F_NORMAL], AL_CENTER,
             "%d channel%s of %dx%d", sh.c, sh.c == 1 ? "" : "s", sh.w, sh.h);
        if (k > 0) {
            /* The arrow between this column and the previous one. */
            int ax = col.x - arrow / 2, ay = area.y + area.h / 2;
            bool active = (act == k - 1);
            text(vr, F_TITLE, active ? C_ACCENT : C_DIM, ax, ay - vr->line[F_TITLE] / 2,
                 AL_CENTER, "\u2192");
        }
        int tiles = sh.c + (photo ? 1 : 0);
        int cols = slot_cols[k];
        float sc = common;
        vr->scale[k] = sc;
        int tw = (int)floorf(sh.w * sc), th = (int)floorf(sh.h * sc);
        int rows = (tiles + cols - 1) / cols;
        int gw = cols * tw + (cols - 1) * gap;
        int gh = rows * (th + label) + (rows - 1) * gap;
        int x0 = col.x + (col.w - gw) / 2;
        int y0 = col.y + head + ((col.h - head - legend) - gh) / 4; /* nearer the top */
        for (int t = 0; t < tiles; t++) {
            int r = t / cols, cc = t % cols;
            SDL_Rect tile = {x0 + cc * (tw + gap), y0 + r * (th + label + gap) + label, tw, th};
            if (photo && t == 0) {
                if (vr->photo) SDL_RenderCopy(vr->r, vr->photo, NULL, &tile);
                frame(vr, tile, C_FAINT, 1);
                text(vr, F_SMALL, C_DIM, tile.x, tile.y - label, AL_LEFT, "the photo (RGB)");
                continue;
            }
            int c = t - (photo ? 1 : 0);
            vr->tile[k][c] = tile;
            if (vr->tex[k][c]) SDL_RenderCopy(vr->r, vr->tex[k][c], NULL, &tile);

            /* Is this channel read or written by the current step? */
            bool reading = false, current_in = false, writing = false;
            if (act < a->n_stages) {
                const viz_stage *s = &a->st[act];
                if (k == act) {
                    int c0 = (cur->o / s->cout_g) * s->cin_g;
                    reading = c >= c0 && c < c0 + s->cin_g;
                    current_in = (c == cur->c);
                }
                if (k == act + 1) writing = (c == cur->o);
            }
            SDL_Color lc = current_in || writing ? C_ACCENT : reading ? C_ACCENT_DIM : C_DIM;
            if (k == 0 && v->rgb && sh.c == 3)
                text(vr, F_SMALL, lc, tile.x, tile.y - label, AL_LEFT, "%c[%d] %s", sym, c,
                     rgb_name[c]);
            else
                text(vr, F_SMALL, lc, tile.x, tile.y - label, AL_LEFT, "%c[%d]", sym, c);
            if (k >= 1) {
                uint64_t per_ch = (uint64_t)sh.h * sh.w;
                uint64_t done = viz_anim_stage_done(a, k - 1);
                if (done >= per_ch * (uint64_t)(c + 1))
                    text(vr, F_SMALL, C_GOOD, tile.x + tile.w, tile.y - label, AL_RIGHT,
                         "\u2713");
            }
            frame(vr, tile, current_in || writing ? C_ACCENT : reading ? C_ACCENT_DIM : C_FAINT,
                  current_in || writing ? 2 : 1);
            /* Grouped conv: a colour bar under each tile says which segment
             * (group) the channel belongs to, on the input and the output. */
            const viz_stage *gst = &a->st[a->n_stages - 1];
            const int gk = a->n_stages - 1; /* the grouped stage reads slot gk, writes gk + 1 */
            if ((k == gk || k == gk + 1) && a->mode == VIZ_GROUPED && gst->groups > 1 &&
                gst->groups < gst->in.c) {
                static const SDL_Color hues[6] = {{230, 120, 90, 255},  {110, 190, 240, 255},
                                                  {150, 210, 110, 255}, {220, 160, 240, 255},
                                                  {240, 200, 90, 255},  {100, 220, 200, 255}};
                int g = k == gk ? c / gst->cin_g : c / gst->cout_g;
                fill(vr, (SDL_Rect){tile.x, tile.y + tile.h + S(vr, 3), tile.w, S(vr, 3)},
                     hues[g % 6]);
            }
            if (!current_in && !writing && !reading && act < a->n_stages && k == act)
                fill(vr, tile, rgba(C_BG.r, C_BG.g, C_BG.b, 110)); /* not read now: dimmed */

            /* The sliding window on channels being read, the value being formed. */
            if (reading) {
                const viz_stage *s = &a->st[act];
                SDL_Rect wr = pixel_rect(tile, sc, cur->i - s->pad, cur->j - s->pad,
                                         cur->i + s->pad, cur->j + s->pad, sh.h, sh.w);
                SDL_RenderSetClipRect(vr->r, &tile);
                frame(vr, wr, current_in ? C_ACCENT : C_ACCENT_DIM, current_in ? 2 : 1);
                if (current_in) {
                    int ii = cur->i - s->pad + cur->u, jj = cur->j - s->pad + cur->v;
                    if (ii >= 0 && ii < sh.h && jj >= 0 && jj < sh.w) {
                        SDL_Rect pr = pixel_rect(tile, sc, ii, jj, ii, jj, sh.h, sh.w);
                        frame(vr, pr, rgba(255, 255, 255, 255), 1);
                        tap_center.x = pr.x + pr.w / 2;
                        tap_center.y = pr.y + pr.h / 2;
                    } else {
                        tap_center.x = wr.x + wr.w / 2;
                        tap_center.y = wr.y + wr.h / 2;
                    }
                }
                SDL_RenderSetClipRect(vr->r, NULL);
            }
            if (writing) {
                SDL_Rect pr = pixel_rect(tile, sc, cur->i, cur->j, cur->i, cur->j, sh.h, sh.w);
                frame(vr, pr, C_ACCENT, 2);
                out_center.x = pr.x + pr.w / 2;
                out_center.y = pr.y + pr.h / 2;
            }
            /* A pinned receptive field. */
            if (pinf[k].on && pinf[k].ch[c]) {
                SDL_Rect pr = pixel_rect(tile, sc, pinf[k].i0, pinf[k].j0, pinf[k].i1, pinf[k].j1,
                                         sh.h, sh.w);
                SDL_RenderSetClipRect(vr->r, &tile);
                frame(vr, pr, C_PIN, 2);
                SDL_RenderSetClipRect(vr->r, NULL);
            }
        }
    }
    /* A faint line from the input tap to the value it feeds. */
    if (tap_center.x >= 0 && out_center.x >= 0) {
        set_color(vr, with_alpha(C_ACCENT, 90));
        SDL_RenderDrawLine(vr->r, tap_center.x, tap_center.y, out_center.x, out_center.y);
    }
}

/* ---- the computation panel ---------------------------------------------- */

/* Height of the cost section at the bottom of the panel. */
static int costs_h(const viz_renderer *vr) {
    return 5 * vr->line[F_SMALL] + 3 * vr->line[F_NORMAL] + S(vr, 24);
}

/* Height of the running-sum lines under the grids. */
static int formula_h(const viz_renderer *vr) {
    return vr->line[F_MONO] + vr->line[F_NORMAL] + S(vr, 14);
}

/* One k x k grid of numbers. state[q]: 0 pending, 1 done, 2 current. */
static void num_grid(viz_renderer *vr, int x, int y, int cw, int ch, int k, const float *vals,
                     const bool *pad, const int *state, SDL_Color hue) {
    char b[32];
    for (int u = 0; u < k; u++)
        for (int vv = 0; vv < k; vv++) {
            int q = u * k + vv;
            SDL_Rect cell = {x + vv * cw, y + u * ch, cw - 2, ch - 2};
            SDL_Color bg = state[q] == 2 ? rgba(90, 72, 20, 255)
                           : state[q] == 1 ? rgba(hue.r / 5 + 30, hue.g / 5 + 32, hue.b / 5 + 38, 255)
                                           : rgba(36, 39, 48, 255);
            fill(vr, cell, bg);
            if (state[q] == 2) frame(vr, cell, C_ACCENT, 1);
            SDL_Color tc = state[q] == 0 ? C_FAINT : C_TEXT;
            if (pad && pad[q]) {
                text(vr, F_MONO, C_FAINT, cell.x + cell.w / 2, cell.y + (cell.h - vr->line[F_MONO]) / 2,
                     AL_CENTER, "pad");
                continue;
            }
            if (vals)
                text(vr, F_MONO, tc, cell.x + cell.w / 2, cell.y + (cell.h - vr->line[F_MONO]) / 2,
                     AL_CENTER, "%s", num_fit(vr, vals[q], cell.w - 2, b, sizeof b));
        }
}

/* How value (o,i,j) of stage st is formed, with taps [0, done) done and tap
 * `done` next (done == per: complete). Draws from y downwards, returns the
 * y below it. */
static int draw_value(viz_renderer *vr, SDL_Rect p, int y, const viz_anim *a, int st, int o,
                      int i, int j, int done, bool pinned) {
    const viz_stage *s = &a->st[st];
    const int per = (int)s->per, kk = s->k * s->k;
    char b1[32], b2[32], b3[32];
    const char ys = s->out_sym, xs = s->in_sym;
    const int lineN = vr->line[F_NORMAL], lineS = vr->line[F_SMALL];

    /* The formula, symbolically. */
    if (s->k == 1)
        text(vr, F_NORMAL, C_TEXT, p.x, y, AL_LEFT,
             "%c[%d,%d,%d] = \u03a3_c  w[%d,c] \u00b7 %c[c,%d,%d]", ys, o, i, j, o, xs, i, j);
    else if (s->cin_g == 1)
        text(vr, F_NORMAL, C_TEXT, p.x, y, AL_LEFT,
             "%c[%d,%d,%d] = \u03a3_u,v  w[%d,u,v] \u00b7 %c[%d, %d+u, %d+v]", ys, o, i, j, o, xs,
             (o / s->cout_g) * s->cin_g, i - s->pad, j - s->pad);
    else
        text(vr, F_NORMAL, C_TEXT, p.x, y, AL_LEFT,
             "%c[%d,%d,%d] = \u03a3_c \u03a3_u,v  w[%d,c,u,v] \u00b7 %c[c, %d+u, %d+v]", ys, o, i,
             j, o, xs, i - s->pad, j - s->pad);
    y += lineN;
    int c0 = (o / s->cout_g) * s->cin_g;
    if (s->k == 1)
        text(vr, F_SMALL, C_DIM, p.x, y, AL_LEFT,
             "a 1x1 filter: one weight per input channel, no neighbours; %d products", per);
    else if (s->cin_g == 1)
        text(vr, F_SMALL, C_DIM, p.x, y, AL_LEFT,
             "filter %d sees only input channel %d: %d products", o, c0, per);
    else
        text(vr, F_SMALL, C_DIM, p.x, y, AL_LEFT,
             "filter %d spans input channels %d..%d: %d x %d = %d products", o, c0,
             c0 + s->cin_g - 1, s->cin_g, kk, per);
    y += lineS + S(vr, 6);

    viz_tap tp;
    if (s->k > 1) {
        /* Per input channel of the filter: kernel | window | products. */
        const int labw = S(vr, 66), gap = S(vr, 10);
        int cw = (p.w - labw - 2 * gap) / (3 * s->k);
        if (cw > S(vr, 58)) cw = S(vr, 58);
        const int chh = vr->line[F_MONO] + S(vr, 5);
        const int gw = cw * s->k;
        int gx[3] = {p.x + labw, p.x + labw + gw + gap, p.x + labw + 2 * (gw + gap)};
        text(vr, F_SMALL, C_DIM, gx[0], y, AL_LEFT, "weights w[%d,c]", o);
        text(vr, F_SMALL, C_DIM, gx[1], y, AL_LEFT, "window of %c[c]", xs);
        text(vr, F_SMALL, C_DIM, gx[2], y, AL_LEFT, "products w\u00b7%c", xs);
        y += lineS + S(vr, 2);
        /* Which channel rows fit; keep the current one in view. */
        int rowh = s->k * chh + S(vr, 6);
        int room = (p.y + p.h - y - formula_h(vr)) / rowh;
        if (room < 1) room = 1;
        int cur_c = done < per ? done / kk : s->cin_g - 1;
        int first = 0;
        if (s->cin_g > room) {
            first = cur_c - room / 2;
            if (first < 0) first = 0;
            if (first > s->cin_g - room) first = s->cin_g - room;
        }
        int last = first + room < s->cin_g ? first + room : s->cin_g;
        if (first > 0) {
            text(vr, F_SMALL, C_FAINT, p.x, y, AL_LEFT, "\u2026 channels %d..%d above", c0,
                 c0 + first - 1);
            y += lineS;
        }
        for (int cg = first; cg < last; cg++) {
            float wv[49], xv[49], pv[49];
            bool pad[49];
            int state[49];
            float sub = 0.0f;
            int ndone = 0;
            for (int q = 0; q < kk; q++) {
                int r = cg * kk + q;
                viz_stage_tap(s, o, i, j, r, &tp);
                wv[q] = tp.w;
                xv[q] = tp.x;
                pad[q] = tp.pad;
                pv[q] = tp.w * tp.x;
                state[q] = r < done ? 1 : r == done ? 2 : 0;
                if (r < done) {
                    sub += pv[q];
                    ndone++;
                }
            }
            bool here = (cg == cur_c && done < per);
            SDL_Color lc = here ? C_ACCENT : ndone == kk ? C_TEXT : C_DIM;
            text(vr, F_SMALL, lc, p.x, y, AL_LEFT, "c = %d", c0 + cg);
            if (ndone > 0)
                text(vr, F_SMALL, C_DIM, p.x, y + lineS, AL_LEFT, "\u03a3 %s", num(sub, b1, sizeof b1));
            num_grid(vr, gx[0], y, cw, chh, s->k, wv, NULL, state, C_TEXT);
            num_grid(vr, gx[1], y, cw, chh, s->k, xv, pad, state, C_TEXT);
            int pst[49];
            for (int q = 0; q < kk; q++) pst[q] = state[q] == 2 ? 0 : state[q];
            num_grid(vr, gx[2], y, cw, chh, s->k, pv, NULL, pst, C_GOOD);
            y += rowh;
        }
        if (last < s->cin_g) {
            text(vr, F_SMALL, C_FAINT, p.x, y, AL_LEFT, "\u2026 channels %d..%d below", c0 + last,
                 c0 + s->cin_g - 1);
            y += lineS;
        }
    } else {
        /* Pointwise: one row per input channel, the value times its weight. */
        int room = (p.y + p.h - y - formula_h(vr) - lineS) / lineS;
        if (room < 2) room = 2;
        int cur_c = done < per ? done : per - 1;
        int first = 0;
        if (per > room) {
            first = cur_c - room / 2;
            if (first < 0) first = 0;
            if (first > per - room) first = per - room;
        }
        int last = first + room < per ? first + room : per;
        const int cx[5] = {p.x, p.x + S(vr, 60), p.x + S(vr, 160), p.x + S(vr, 260), p.x + S(vr, 360)};
        text(vr, F_SMALL, C_DIM, cx[0], y, AL_LEFT, "channel");
        text(vr, F_SMALL, C_DIM, cx[1], y, AL_LEFT, "%c[c,%d,%d]", xs, i, j);
        text(vr, F_SMALL, C_DIM, cx[2], y, AL_LEFT, "w[%d,c]", o);
        text(vr, F_SMALL, C_DIM, cx[3], y, AL_LEFT, "product");
        y += lineS + S(vr, 2);
        for (int r = first; r < last; r++) {
            viz_stage_tap(s, o, i, j, r, &tp);
            SDL_Color c = r == done ? C_ACCENT : r < done ? C_TEXT : C_FAINT;
            if (r == done) fill(vr, (SDL_Rect){p.x - S(vr, 4), y, cx[4] - p.x, lineS}, rgba(90, 72, 20, 255));
            text(vr, F_MONO, c, cx[0], y, AL_LEFT, "c = %d", tp.c);
            text(vr, F_MONO, c, cx[1], y, AL_LEFT, "%s", num(tp.x, b1, sizeof b1));
            text(vr, F_MONO, c, cx[2], y, AL_LEFT, "\u00d7 %s", num(tp.w, b2, sizeof b2));
            text(vr, F_MONO, r < done ? C_GOOD : c, cx[3], y, AL_LEFT, "= %s",
                 num(tp.w * tp.x, b3, sizeof b3));
            y += lineS;
        }
        if (last < per) {
            text(vr, F_SMALL, C_FAINT, p.x, y, AL_LEFT, "\u2026 %d more channels", per - last);
            y += lineS;
        }
    }
    y += S(vr, 4);

    /* The running sum, written out: the last few products, as many as fit. */
    float sum = viz_stage_sum(s, o, i, j, done);
    char terms[400];
    for (int show = done < 4 ? done : 4; show >= 0; show--) {
        size_t tl = 0;
        terms[0] = '\0';
        tl += (size_t)snprintf(terms, sizeof terms, "= %s", done > show ? "\u2026" : "");
        for (int r = done - show; r < done && tl < sizeof terms; r++) {
            viz_stage_tap(s, o, i, j, r, &tp);
            char xb[40];
            num(tp.x, b2, sizeof b2);
            snprintf(xb, sizeof xb, tp.x < 0 ? "(%s)" : "%s", b2);
            tl += (size_t)snprintf(terms + tl, sizeof terms - tl, "%s%s\u00b7%s",
                                   (r > done - show || done > show) ? " + " : "",
                                   num(tp.w, b1, sizeof b1), xb);
        }
        if (text_width(vr, F_MONO, terms) <= p.w) break;
    }
    if (done > 0)
        text(vr, F_MONO, C_DIM, p.x, y, AL_LEFT, "%s", terms);
    else
        text(vr, F_MONO, C_DIM, p.x, y, AL_LEFT, "= (no products yet)");
    y += vr->line[F_MONO] + S(vr, 2);
    if (done >= per)
        text(vr, F_NORMAL, pinned ? C_PIN : C_GOOD, p.x, y, AL_LEFT, "= %s   (all %d products)",
             num(sum, b1, sizeof b1), per);
    else
        text(vr, F_NORMAL, C_ACCENT, p.x, y, AL_LEFT, "= %s   after %d of %d products",
             num(sum, b1, sizeof b1), done, per);
    y += lineN + S(vr, 4);
    return y;
}

static void draw_costs(viz_renderer *vr, SDL_Rect p, const viz_anim *a) {
    char b1[32], b2[32], b3[32], b4[32];
    const int lineS = vr->line[F_SMALL], lineN = vr->line[F_NORMAL];
    int y = p.y + p.h - costs_h(vr) + S(vr, 8);
    set_color(vr, C_FAINT);
    SDL_RenderDrawLine(vr->r, p.x, y - S(vr, 6), p.x + p.w, y - S(vr, 6));
    text(vr, F_NORMAL, C_TEXT, p.x, y, AL_LEFT, "Cost (multiply-adds, MACs)");
    y += lineN + S(vr, 2);

    /* Live: MACs so far, and a standard conv at the same point of the output. */
    uint64_t std_live = a->total ? (uint64_t)((long double)a->std_cost.macs * a->t / a->total) : 0;
    text(vr, F_NORMAL, C_ACCENT, p.x, y, AL_LEFT, "MACs so far: %s of %s", cb_format_count(a->t, b1, sizeof b1),
         cb_format_count(a->total, b2, sizeof b2));
    y += lineN;
    const bool grouped = a->mode == VIZ_GROUPED;
    const char *std_name = grouped ? "the same block with 1 group" : "a standard conv";
    text(vr, F_SMALL, C_DIM, p.x, y, AL_LEFT, "%s at the same point of the output: %s", std_name,
         cb_format_count(std_live, b1, sizeof b1));
    y += lineS + S(vr, 4);
    /* The totals, from the cost model. */
    const viz_stage *last = &a->st[a->n_stages - 1];
    if (a->n_stages == 2)
        text(vr, F_SMALL, C_TEXT, p.x, y, AL_LEFT, "this block: %s %s + %s %s = %s MACs",
             a->st[0].name, cb_format_count(a->st[0].macs, b1, sizeof b1), a->st[1].name,
             cb_format_count(a->st[1].macs, b2, sizeof b2), cb_format_count(a->total, b3, sizeof b3));
    else
        text(vr, F_SMALL, C_TEXT, p.x, y, AL_LEFT, "this conv: %dx%dx%d per value x %s values = %s MACs",
             a->st[0].k, a->st[0].k, a->st[0].cin_g, cb_format_count(cb_shape_numel(last->out), b4, sizeof b4),
             cb_format_count(a->total, b1, sizeof b1));
    y += lineS;
    int ks = a->st[0].k > 3 ? a->st[0].k : 3;
    if (grouped)
        text(vr, F_SMALL, C_TEXT, p.x, y, AL_LEFT,
             "with 1 group (a standard 3x3 over all %d channels): %s MACs", last->in.c,
             cb_format_count(a->std_cost.macs, b1, sizeof b1));
    else
        text(vr, F_SMALL, C_TEXT, p.x, y, AL_LEFT,
             "standard %dx%d conv, same output: %dx%dx%d per value = %s MACs", ks, ks, ks, ks,
             a->in.c, cb_format_count(a->std_cost.macs, b1, sizeof b1));
    y += lineS;
    double ratio = a->total ? (double)a->std_cost.macs / (double)a->total : 0.0;
    if (a->mode == VIZ_STANDARD || (grouped && last->groups == 1))
        text(vr, F_NORMAL, C_TEXT, p.x, y, AL_LEFT, "%s: ratio 1.0x",
             grouped ? "1 group is the standard conv" : "this is the standard conv");
    else
        text(vr, F_NORMAL, C_GOOD, p.x, y, AL_LEFT, "%.1fx fewer MACs than %s", ratio,
             grouped ? "with 1 group" : "the standard conv");
    y += lineN;
    text(vr, F_SMALL, C_TEXT, p.x, y, AL_LEFT, "params (weights) of this filter set: %s%s%s;  %s: %s",
         cb_format_count(a->cost.weights, b1, sizeof b1),
         a->n_stages == 2 ? " = " : "",
         a->n_stages == 2 ? (snprintf(b3, sizeof b3, "%llu + %llu",
                                      (unsigned long long)viz_stage_params(&a->st[0]),
                                      (unsigned long long)viz_stage_params(&a->st[1])),
                             b3)
                          : "",
         grouped ? "with 1 group" : "standard", cb_format_count(a->std_cost.weights, b2, sizeof b2));
    y += lineS;
    if (a->mode == VIZ_POINTWISE)
        text(vr, F_SMALL, C_DIM, p.x, y, AL_LEFT,
             "(a 1x1 conv sees no neighbours: it mixes channels, it cannot find edges)");
    else if (a->mode == VIZ_SEPARABLE)
        text(vr, F_SMALL, C_DIM, p.x, y, AL_LEFT, "MobileNet paper: ratio = 1 / (1/N + 1/9) for N output channels = %.2fx",
             1.0 / (1.0 / last->out.c + 1.0 / 9.0));
    else if (a->mode == VIZ_DEPTHWISE || grouped)
        text(vr, F_SMALL, C_DIM, p.x, y, AL_LEFT, "each 3x3 filter reads %d of %d channels: %dx fewer MACs in the 3x3",
             last->cin_g, last->in.c, last->in.c / last->cin_g);
}

/* What to notice, in the room between the computation and the costs. */
static void draw_notes(viz_renderer *vr, SDL_Rect p, int y, const viz_anim *a, const viz_view *v) {
    const int bottom = p.y + p.h;
    const viz_cursor *c = &a->cur;
    if (c->stage >= a->n_stages) return;
    const viz_stage *s = &a->st[c->stage];
    char buf[600];
    y += S(vr, 6);
    bool hand = !v->src.seeded && v->rgb && a->in.c == 3;
    if (s->k == 1) {
        /* The pointwise weights as a matrix: row o mixes the inputs into
         * output channel o. */
        int O = s->out.c, C = s->in.c;
        int cw = S(vr, 52), ch = vr->line[F_MONO] + S(vr, 4);
        int need = vr->line[F_SMALL] + O * ch + S(vr, 8);
        if (O <= 16 && C <= 8 && y + need < bottom) {
            text(vr, F_SMALL, C_DIM, p.x, y, AL_LEFT,
                 "all the 1x1 weights w[o,c]: row o mixes the %d input channels into output %d",
                 C, c->o);
            y += vr->line[F_SMALL] + S(vr, 2);
            char b[32];
            for (int o = 0; o < O; o++) {
                text(vr, F_MONO, o == c->o ? C_ACCENT : C_FAINT, p.x, y, AL_LEFT, "o=%d", o);
                for (int ci = 0; ci < C; ci++) {
                    SDL_Rect cell = {p.x + S(vr, 44) + ci * cw, y, cw - 2, ch - 2};
                    bool cur = (o == c->o && ci == c->c);
                    fill(vr, cell, cur ? rgba(90, 72, 20, 255) : o == c->o ? rgba(52, 55, 66, 255)
                                                                            : rgba(36, 39, 48, 255));
                    if (cur) frame(vr, cell, C_ACCENT, 1);
                    text(vr, F_MONO, o == c->o ? C_TEXT : C_DIM, cell.x + cell.w / 2, cell.y + 1,
                         AL_CENTER, "%s", num(s->w[(size_t)o * C + ci], b, sizeof b));
                }
                y += ch;
            }
            y += S(vr, 6);
        }
        if (hand && a->mode == VIZ_GROUPED)
            snprintf(buf, sizeof buf,
                     "Rows: R, G, B copied, then luminance, red minus green, blue minus yellow: "
                     "six channels for the grouped 3x3 to split into segments.");
        else if (hand && a->mode == VIZ_POINTWISE)
            snprintf(buf, sizeof buf,
                     "Rows: luminance, red minus green, blue minus yellow, average. A 1x1 conv "
                     "reads one pixel of every channel: it changes colours, not shapes.");
        else
            snprintf(buf, sizeof buf,
                     "Each output value reads one pixel of all %d channels: %d products. "
                     "No neighbours are read, so this step mixes channels and nothing else.",
                     C, C);
    } else if (s->cin_g == 1) {
        if (hand && a->mode != VIZ_GROUPED)
            snprintf(buf, sizeof buf,
                     "%c[c] is made from %c[c] alone, with its own 3x3 filter: red is blurred, "
                     "green shows vertical edges, blue is sharpened. Channels never mix: %d "
                     "products per value instead of %d.",
                     s->out_sym, s->in_sym, (int)s->per, (int)s->per * a->in.c);
        else
            snprintf(buf, sizeof buf,
                     "%c[c] is made from %c[c] alone, with its own %dx%d filter: channels never "
                     "mix, %d products per value instead of %d.",
                     s->out_sym, s->in_sym, s->k, s->k, (int)s->per, (int)s->per * a->in.c);
    } else if (s->groups > 1) {
        snprintf(buf, sizeof buf,
                 "%d groups: each filter reads the %d channels of its own segment, %d products "
                 "per value. 1 group is the standard conv, %d groups the depthwise conv (g / G).",
                 s->groups, s->cin_g, (int)s->per, s->in.c);
    } else {
        snprintf(buf, sizeof buf,
                 "One filter is a %dx%d window in each of the %d input channels: %d products per "
                 "output value. Each output channel has its own filter, spanning all channels.",
                 s->k, s->k, s->in.c, (int)s->per);
    }
    if (y + 3 * vr->line[F_SMALL] < bottom) paragraph(vr, F_SMALL, C_DIM, p.x, y, p.w, buf);
}

static void draw_panel(viz_renderer *vr, SDL_Rect p, const viz_anim *a, const viz_view *v) {
    fill(vr, p, C_PANEL);
    SDL_Rect full = {p.x + S(vr, 14), p.y + S(vr, 10), p.w - S(vr, 28), p.h - S(vr, 20)};
    /* The computation above, the costs below. */
    SDL_Rect in = full;
    in.h = full.h - costs_h(vr) - S(vr, 4);
    int y = in.y;
    const viz_cursor *c = &a->cur;
    char b1[96];
    if (v->pin.on) {
        const viz_stage *s = &a->st[v->pin.stage];
        uint64_t idx = ((uint64_t)v->pin.o * s->out.h + v->pin.i) * s->out.w + v->pin.j;
        uint64_t when = s->start + (idx + 1) * s->per;
        text(vr, F_NORMAL, C_PIN, in.x, y, AL_LEFT, "Pinned: %c[%d,%d,%d], computed in full",
             s->out_sym, v->pin.o, v->pin.i, v->pin.j);
        y += vr->line[F_NORMAL];
        text(vr, F_SMALL, C_DIM, in.x, y, AL_LEFT,
             "%s  (click it again or press Esc to unpin)",
             a->t >= when ? "the animation has computed it"
                          : (snprintf(b1, sizeof b1, "the animation gets there at MAC %llu",
                                      (unsigned long long)when),
                             b1));
        y += vr->line[F_SMALL] + S(vr, 8);
        draw_value(vr, in, y, a, v->pin.stage, v->pin.o, v->pin.i, v->pin.j, (int)s->per, true);
    } else if (c->stage < a->n_stages) {
        const viz_stage *s = &a->st[c->stage];
        text(vr, F_NORMAL, C_TEXT, in.x, y, AL_LEFT, "Now: %s%s, output channel %d, pixel (%d, %d)",
             s->name, a->n_stages == 2 ? (c->stage == 0 ? " (step 1 of 2)" : " (step 2 of 2)") : "",
             c->o, c->i, c->j);
        y += vr->line[F_NORMAL] + S(vr, 8);
        y = draw_value(vr, in, y, a, c->stage, c->o, c->i, c->j, c->tap, false);
        draw_notes(vr, in, y, a, v);
    } else {
        text(vr, F_NORMAL, C_GOOD, in.x, y, AL_LEFT, "Done: every output value computed.");
        y += vr->line[F_NORMAL];
        text(vr, F_SMALL, C_DIM, in.x, y, AL_LEFT,
             "Click any output pixel to see its full computation; r restarts, 1-5 change mode.");
        y += vr->line[F_SMALL] + S(vr, 10);
        const viz_stage *s = &a->st[a->n_stages - 1];
        text(vr, F_SMALL, C_DIM, in.x, y, AL_LEFT, "The last value computed:");
        y += vr->line[F_SMALL] + S(vr, 4);
        draw_value(vr, in, y, a, a->n_stages - 1, s->out.c - 1, s->out.h - 1, s->out.w - 1,
                   (int)s->per, false);
    }
    draw_costs(vr, full, a);
}

/* ---- header, footer, help ----------------------------------------------- */

static const char *mode_title(const viz_anim *a, char *buf, size_t n) {
    switch (a->mode) {
    case VIZ_STANDARD: snprintf(buf, n, "Standard %dx%d convolution", a->st[0].k, a->st[0].k); break;
    case VIZ_DEPTHWISE: snprintf(buf, n, "Depthwise 3x3 convolution"); break;
    case VIZ_POINTWISE: snprintf(buf, n, "Pointwise (1x1) convolution"); break;
    case VIZ_SEPARABLE: snprintf(buf, n, "Depthwise separable = depthwise 3x3, then pointwise 1x1"); break;
    case VIZ_GROUPED: {
        const viz_stage *g = &a->st[a->n_stages - 1];
        snprintf(buf, n, "%s 3x3 convolution, %d group%s", a->n_stages == 2 ? "1x1, then grouped" : "Grouped",
                 g->groups, g->groups == 1 ? "" : "s");
        break;
    }
    default: snprintf(buf, n, "?");
    }
    return buf;
}

static const char *mode_sentence(const viz_anim *a) {
    switch (a->mode) {
    case VIZ_STANDARD:
        return "Every filter spans all input channels: each output value sums k x k x C products.";
    case VIZ_DEPTHWISE:
        return "Each channel gets its own 3x3 filter; channels never mix.";
    case VIZ_POINTWISE:
        return "At each pixel, the channel values are mixed: one weight per (output, input) channel pair.";
    case VIZ_SEPARABLE:
        return "First filter each channel on its own, then mix channels pixel by pixel (MobileNet, Xception).";
    case VIZ_GROUPED:
        return a->n_stages == 2
                   ? "A 1x1 conv makes 6 channels from R, G, B; a 3x3 filter then sees only its own segment of them (Inception style; g / G: groups)."
                   : "Channels are split into segments; a filter sees only its own segment (g / G: change groups).";
    default: return "";
    }
}

/* How to read the colours, right-aligned at x_right. */
static void draw_legend(viz_renderer *vr, int x_right, int min_x, int ly, const viz_view *v) {
    int sq = vr->line[F_SMALL] - S(vr, 4);
    const struct {
        uint32_t c;
        const char *label;
    } keys[] = {
        {value_color(-1, 1, true), "negative"}, {value_color(0, 1, true), "zero"},
        {value_color(1, 1, true), "positive"},  {value_color(1, 1, false), "high (all \u2265 0)"},
        {empty_color(0, 0), "not computed yet"},
    };
    const int n = (int)(sizeof keys / sizeof keys[0]);
    int total = 0;
    for (int q = 0; q < n; q++) total += sq + S(vr, 5) + text_width(vr, F_SMALL, keys[q].label) + S(vr, 14);
    if (v->pin.on) total += sq + S(vr, 6) + text_width(vr, F_SMALL, "pinned");
    int lx = x_right - total;
    if (lx < min_x) lx = min_x;
    for (int q = 0; q < n; q++) {
        SDL_Color c = rgba((int)(keys[q].c >> 16) & 255, (int)(keys[q].c >> 8) & 255,
                           (int)keys[q].c & 255, 255);
        SDL_Rect box = {lx, ly + S(vr, 2), sq, sq};
        fill(vr, box, c);
        frame(vr, box, C_FAINT, 1);
        lx += sq + S(vr, 5);
        lx += text(vr, F_SMALL, C_DIM, lx, ly, AL_LEFT, "%s", keys[q].label) + S(vr, 14);
    }
    if (v->pin.on) {
        SDL_Rect box = {lx, ly + S(vr, 2), sq, sq};
        frame(vr, box, C_PIN, 2);
        lx += sq + S(vr, 6);
        text(vr, F_SMALL, C_DIM, lx, ly, AL_LEFT, "pinned");
    }
}

static void draw_header(viz_renderer *vr, SDL_Rect h, const viz_anim *a, const viz_view *v) {
    char b[160];
    text(vr, F_TITLE, C_TEXT, h.x, h.y, AL_LEFT, "%s", mode_title(a, b, sizeof b));
    text(vr, F_SMALL, C_DIM, h.x, h.y + vr->line[F_TITLE] + S(vr, 2), AL_LEFT, "%s", mode_sentence(a));
    /* Mode tabs, right-aligned. */
    static const char *tabs[VIZ_MODE_COUNT] = {"1 standard", "2 depthwise", "3 pointwise",
                                               "4 separable", "5 grouped"};
    int x = h.x + h.w;
    for (int m = VIZ_MODE_COUNT - 1; m >= 0; m--) {
        int w = text_width(vr, F_SMALL, tabs[m]) + S(vr, 14);
        x -= w;
        SDL_Rect r = {x, h.y + S(vr, 2), w - S(vr, 4), vr->line[F_SMALL] + S(vr, 6)};
        vr->tab[m] = r;
        bool on = (int)a->mode == m;
        fill(vr, r, on ? rgba(90, 72, 20, 255) : rgba(36, 39, 48, 255));
        if (on) frame(vr, r, C_ACCENT, 1);
        text(vr, F_SMALL, on ? C_ACCENT : C_DIM, r.x + r.w / 2, r.y + S(vr, 3), AL_CENTER, "%s",
             tabs[m]);
    }
    /* Where the numbers come from. */
    const char *src;
    char sb[200];
    bool loaded = (a->mode == VIZ_STANDARD && v->src.from_params_std) ||
                  (a->mode == VIZ_DEPTHWISE && v->src.from_params_dw) ||
                  (a->mode == VIZ_POINTWISE && v->src.from_params_pw) ||
                  (a->mode == VIZ_SEPARABLE && v->src.from_params_dw && v->src.from_params_pw) ||
                  (a->mode == VIZ_GROUPED && v->src.from_params_grp);
    if (loaded)
        src = (snprintf(sb, sizeof sb, "weights from %s", v->params_dir), sb);
    else if (v->src.seeded)
        src = (snprintf(sb, sizeof sb, "random weights, seed %llu", (unsigned long long)v->src.seed), sb);
    else
        src = "hand-made filters";
    char ib[200];
    if (v->photo_w > 0)
        snprintf(ib, sizeof ib, "%s (%dx%d \u2192 %dx%d)", v->input_name, v->photo_w,
                 v->photo_h, a->in.w, a->in.h);
    else
        snprintf(ib, sizeof ib, "%s", v->input_name);
    int iw = text(vr, F_SMALL, C_FAINT, h.x, h.y + vr->line[F_TITLE] + vr->line[F_SMALL] + S(vr, 2),
                  AL_LEFT, "input: %s  \u00b7  %s", ib, src);
    draw_legend(vr, h.x + h.w, h.x + iw + S(vr, 20),
                h.y + vr->line[F_TITLE] + vr->line[F_SMALL] + S(vr, 2), v);
}

static void draw_footer(viz_renderer *vr, SDL_Rect f, const viz_anim *a, const viz_view *v) {
    char b1[96], b2[32];
    /* The timeline: progress, output-channel ticks, stage boundaries. */
    SDL_Rect tl = {f.x, f.y + S(vr, 6), f.w, S(vr, 14)};
    vr->timeline = tl;
    fill(vr, tl, rgba(40, 43, 54, 255));
    int px = a->total ? (int)((long double)tl.w * a->t / a->total) : 0;
    fill(vr, (SDL_Rect){tl.x, tl.y, px, tl.h}, C_ACCENT_DIM);
    for (int s = 0; s < a->n_stages; s++) {
        const viz_stage *st = &a->st[s];
        uint64_t per_ch = st->per * (uint64_t)st->out.h * st->out.w;
        for (int o = 0; o <= st->out.c; o++) {
            uint64_t t = st->start + per_ch * (uint64_t)o;
            int x = tl.x + (int)((long double)tl.w * t / (a->total ? a->total : 1));
            bool stage_edge = (o == 0 || o == st->out.c);
            set_color(vr, stage_edge ? C_TEXT : C_FAINT);
            SDL_RenderDrawLine(vr->r, x, tl.y - (stage_edge ? S(vr, 3) : 0), x, tl.y + tl.h - 1);
        }
        if (a->n_stages > 1) {
            int x0 = tl.x + (int)((long double)tl.w * st->start / a->total);
            text(vr, F_SMALL, C_DIM, x0 + S(vr, 4), tl.y + tl.h + S(vr, 2), AL_LEFT, "%s", st->name);
        }
    }
    fill(vr, (SDL_Rect){tl.x + px - S(vr, 2), tl.y - S(vr, 3), S(vr, 4), tl.h + S(vr, 6)}, C_ACCENT);

    int y = tl.y + tl.h + vr->line[F_SMALL] + S(vr, 6);
    const viz_player *pl = &v->player;
    const char *state = viz_anim_done(a) ? "\u2713 done" : pl->playing ? "\u25b6 playing" : "\u2016 paused";
    int x = f.x;
    x += text(vr, F_NORMAL, viz_anim_done(a) ? C_GOOD : C_ACCENT, x, y, AL_LEFT, "%s", state) + S(vr, 16);
    uint64_t rate = viz_player_rate_milli(pl, a);
    if (viz_anim_done(a))
        snprintf(b1, sizeof b1, "%s", pl->auto_speed ? "auto" : "fixed");
    else if (!pl->auto_speed && pl->custom)
        snprintf(b1, sizeof b1, "%s MACs/s", cb_format_count(pl->custom, b2, sizeof b2));
    else if (pl->auto_speed)
        snprintf(b1, sizeof b1, "auto (now %s MACs/s)", cb_format_count((rate + 500) / 1000, b2, sizeof b2));
    else
        snprintf(b1, sizeof b1, "%s MACs/s", cb_format_count(rate / 1000, b2, sizeof b2));
    x += text(vr, F_NORMAL, C_TEXT, x, y, AL_LEFT, "speed: %s", b1) + S(vr, 16);
    if (v->fps > 0) text(vr, F_NORMAL, C_DIM, x, y, AL_LEFT, "%.0f fps", v->fps);
    text(vr, F_NORMAL, C_DIM, f.x + f.w, y, AL_RIGHT,
         "h help \u00b7 space play/pause \u00b7 \u2190 \u2192 step \u00b7 \u2191 \u2193 speed \u00b7 n next channel \u00b7 click an output pixel");
}

static void draw_help(viz_renderer *vr, int w, int h) {
    static const char *const keys[][2] = {
        {"space", "play / pause"},
        {"\u2192  /  \u2190", "one multiply-add forward / back"},
        {"shift + \u2192 / \u2190", "one whole output value forward / back"},
        {"\u2191 / \u2193  (or + / -)", "faster / slower (from 1 MAC/s to whole channels per frame)"},
        {"a", "automatic speed: slow at the start of each step, then faster"},
        {"n", "jump to the next output channel"},
        {"home / end", "jump to the start / the end"},
        {"r", "restart"},
        {"1 2 3 4 5", "standard, depthwise, pointwise, separable, grouped (or click a tab)"},
        {"g / G", "more / fewer groups (grouped mode)"},
        {"click an output pixel", "pin it: its receptive field and its full computation"},
        {"click the timeline", "scrub (drag to move along)"},
        {"Esc", "unpin, close this help; q quits"},
        {"f", "show / hide frames per second"},
        {"h or ?", "show / hide this help"},
    };
    const int n = (int)(sizeof keys / sizeof keys[0]);
    int lh = vr->line[F_NORMAL] + S(vr, 4);
    int bw = S(vr, 720), bh = n * lh + S(vr, 90);
    if (bw > w - 40) bw = w - 40;
    SDL_Rect box = {(w - bw) / 2, (h - bh) / 2, bw, bh};
    fill(vr, (SDL_Rect){0, 0, w, h}, rgba(0, 0, 0, 150));
    fill(vr, box, rgba(28, 31, 40, 245));
    frame(vr, box, C_ACCENT, 1);
    int y = box.y + S(vr, 16);
    text(vr, F_TITLE, C_TEXT, box.x + S(vr, 20), y, AL_LEFT, "Keys and mouse");
    y += vr->line[F_TITLE] + S(vr, 10);
    for (int k = 0; k < n; k++) {
        text(vr, F_NORMAL, C_ACCENT, box.x + S(vr, 20), y, AL_LEFT, "%s", keys[k][0]);
        text(vr, F_NORMAL, C_TEXT, box.x + S(vr, 250), y, AL_LEFT, "%s", keys[k][1]);
        y += lh;
    }
    text(vr, F_SMALL, C_DIM, box.x + S(vr, 20), y + S(vr, 6), AL_LEFT,
         "Every number shown is computed by libconvblocks' reference kernels' own loop order; costs come from its cost model.");
}

/* ---- the frame ---------------------------------------------------------- */

void viz_render(viz_renderer *vr, int w, int h, const viz_anim *a, const viz_view *v) {
    /* UI scale: 1 at 1280x720, following the smaller of the two ratios. */
    float s = fminf((float)w / 1280.0f, (float)h / 720.0f);
    if (s < 0.6f) s = 0.6f;
    if (s > 3.0f) s = 3.0f;
    s = roundf(s * 20.0f) / 20.0f; /* fewer font re-opens while resizing */
    if (s != vr->s) {
        vr->s = s;
        open_fonts(vr, s, NULL, 0);
    }
    vr->frame++;
    SDL_SetRenderDrawBlendMode(vr->r, SDL_BLENDMODE_BLEND);
    fill(vr, (SDL_Rect){0, 0, w, h}, C_BG);
    update_textures(vr, a, v);

    const int m = S(vr, 14);
    const int header_h = vr->line[F_TITLE] + 2 * vr->line[F_SMALL] + S(vr, 14);
    const int footer_h = S(vr, 20) + 2 * vr->line[F_SMALL] + vr->line[F_NORMAL] + S(vr, 10);
    SDL_Rect header = {m, m, w - 2 * m, header_h};
    SDL_Rect footer = {m, h - footer_h - S(vr, 6), w - 2 * m, footer_h};
    SDL_Rect body = {m, header.y + header_h, w - 2 * m, footer.y - (header.y + header_h) - S(vr, 6)};
    int panel_w = (int)(body.w * 0.42f);
    if (panel_w < S(vr, 400)) panel_w = S(vr, 400);
    if (panel_w > body.w / 2) panel_w = body.w / 2;
    SDL_Rect tensors = {body.x, body.y, body.w - panel_w - S(vr, 14), body.h};
    SDL_Rect panel = {body.x + body.w - panel_w, body.y, panel_w, body.h};

    draw_header(vr, header, a, v);
    draw_tensors(vr, tensors, a, v);
    draw_panel(vr, panel, a, v);
    draw_footer(vr, footer, a, v);
    if (v->help) draw_help(vr, w, h);
}

bool viz_hit_output(const viz_renderer *vr, const viz_anim *a, int mx, int my, int *stage,
                    int *o, int *i, int *j) {
    for (int k = 1; k < vr->n_slots && k <= a->n_stages; k++) {
        cb_shape sh = a->st[k - 1].out;
        for (int c = 0; c < sh.c && c < vr->slot_c[k]; c++) {
            SDL_Rect t = vr->tile[k][c];
            if (mx < t.x || my < t.y || mx >= t.x + t.w || my >= t.y + t.h) continue;
            int jj = (int)((mx - t.x) / vr->scale[k]), ii = (int)((my - t.y) / vr->scale[k]);
            if (ii >= sh.h) ii = sh.h - 1;
            if (jj >= sh.w) jj = sh.w - 1;
            *stage = k - 1;
            *o = c;
            *i = ii;
            *j = jj;
            return true;
        }
    }
    return false;
}

bool viz_hit_tab(const viz_renderer *vr, int mx, int my, viz_mode *m) {
    for (int k = 0; k < VIZ_MODE_COUNT; k++) {
        SDL_Rect r = vr->tab[k];
        if (r.w > 0 && mx >= r.x && my >= r.y && mx < r.x + r.w && my < r.y + r.h) {
            *m = (viz_mode)k;
            return true;
        }
    }
    return false;
}

bool viz_hit_timeline(const viz_renderer *vr, const viz_anim *a, int mx, int my, bool dragging,
                      uint64_t *t) {
    SDL_Rect r = vr->timeline;
    if (r.w <= 0) return false;
    if (!dragging && (mx < r.x - 4 || mx > r.x + r.w + 4 || my < r.y - 8 || my > r.y + r.h + 8))
        return false;
    long double f = (long double)(mx - r.x) / r.w;
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    *t = (uint64_t)(f * a->total + 0.5L);
    return true;
}
