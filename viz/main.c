/* main.c — convblocks-viz: command line, input loading, the event loop, and
 * headless recording.
 *
 *   convblocks-viz [--mode standard|depthwise|pointwise|separable|grouped] [--groups G]
 *                  [--image PATH | --input X.npy] [--params DIR] [--seed N]
 *                  [--record DIR (--frames N | --until-done)] [--size WxH] [--screenshot FILE]
 *
 * Live, the event loop steps the animation model (anim.c) at a fixed 60
 * frames a second through the player (player.c) and draws it (render.c).
 * --record and --screenshot draw into an off-screen surface with SDL's
 * software renderer instead of a window: no display is needed, and the same
 * seed and mode give the same bytes.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>

#include "anim.h"
#include "convblocks/npy.h"
#include "filters.h"
#include "player.h"
#include "render.h"

#define PROG "convblocks-viz"
#define DEFAULT_IMAGE CB_VIZ_DATA_DIR "/images/chelsea.png"
#define DEFAULT_FONT_DIR "/usr/share/fonts/truetype/dejavu"

static const char usage_text[] =
    "usage: convblocks-viz [--mode standard|depthwise|pointwise|separable|grouped] [--groups G]\n"
    "                      [--image PATH | --input X.npy] [--params DIR] [--seed N]\n"
    "                      [--record DIR (--frames N | --until-done)] [--size WxH]\n"
    "                      [--screenshot FILE [--frames N | --until-done]] [--speed N|auto]\n"
    "                      [--pin O,I,J] [--font-dir DIR]\n"
    "\n"
    "Animates how a standard, depthwise, pointwise, depthwise separable or grouped conv\n"
    "produces its output channel by channel, on a photo (default: data/images/chelsea.png\n"
    "at 48 pixels wide) or a feature map, with the kernel's numbers, the sliding window, the\n"
    "running sum, and what each costs against a standard conv.\n"
    "\n"
    "  --mode M          the conv to start with (default separable); keys 1-5 switch live\n"
    "  --groups G        groups of the grouped conv (must divide its channels: 6 for a\n"
    "                    photo, made from R, G, B by a 1x1 conv; else the input's C)\n"
    "  --image PATH      a PNG or JPEG photo, averaged down to 48 pixels wide\n"
    "  --input X.npy     a feature map (C,H,W) or (1,C,H,W), float32; at most 64x160x160\n"
    "  --params DIR      weights saved by `convblocks run BLOCK --save-params DIR`:\n"
    "                    dw.weight, pw.weight (mobilenet), conv.weight (standard),\n"
    "                    reduce.conv.weight + spatial.conv.weight (inception_grouped)\n"
    "  --seed N          random He-normal weights instead of the hand-made filters\n"
    "  --record DIR      write frames DIR/frame_00000.png, ... headless, then exit\n"
    "  --frames N        how many frames to record (or: screenshot after N frames)\n"
    "  --until-done      record until the animation ends\n"
    "  --speed N|auto    MACs per second (1 to 10000000), or auto (default):\n"
    "                    slow for the first values of each step, then a channel in 2 s\n"
    "  --pin O,I,J       pin output value y[O,I,J]: its receptive field and computation\n"
    "  --size WxH        frame size for --record/--screenshot, window size live (1280x720)\n"
    "  --screenshot FILE write one frame as PNG headless, then exit\n"
    "  --font-dir DIR    where DejaVuSans.ttf and DejaVuSansMono.ttf are\n"
    "                    (default " DEFAULT_FONT_DIR ")\n"
    "\n"
    "Keys: space play/pause, arrows step/speed, n next channel, r restart, 1-5 modes,\n"
    "g/G groups, click an output pixel to pin it, h help.\n";

typedef struct {
    viz_mode mode;
    int groups;            /* 0: not given */
    const char *image, *input, *params, *record, *screenshot, *font_dir;
    bool seeded;
    uint64_t seed;
    long frames;           /* -1: not given */
    long speed;            /* MACs per second; 0: auto */
    bool pin;              /* --pin O,I,J */
    int pin_o, pin_i, pin_j;
    bool until_done;
    int w, h;
    bool size_given;
} options;

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, PROG ": ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (try --help)\n");
    return 2;
}

static bool parse_long(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

/* 0 ok, 1 --help printed, 2 usage error (message printed). */
static int parse_args(int argc, char **argv, options *o) {
    memset(o, 0, sizeof *o);
    o->mode = VIZ_SEPARABLE;
    o->frames = -1;
    o->w = 1280;
    o->h = 720;
    o->font_dir = DEFAULT_FONT_DIR;
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            return 1;
        }
        if (strcmp(a, "--until-done") == 0) {
            o->until_done = true;
            continue;
        }
        static const char *const with_value[] = {"--mode", "--groups", "--image", "--input",
                                                  "--params", "--seed", "--record", "--frames",
                                                  "--size", "--screenshot", "--font-dir",
                                                  "--speed", "--pin"};
        bool known = false;
        for (size_t q = 0; q < sizeof with_value / sizeof *with_value; q++)
            if (strcmp(a, with_value[q]) == 0) known = true;
        if (!known) return usage_error("%s: unknown option", a);
        if (k + 1 >= argc) return usage_error("%s: needs a value", a);
        const char *v = argv[++k];
        long n;
        if (strcmp(a, "--mode") == 0) {
            if (viz_mode_parse(v, &o->mode) != 0)
                return usage_error("--mode: '%s' is not standard, depthwise, pointwise, "
                                   "separable or grouped", v);
        } else if (strcmp(a, "--groups") == 0) {
            if (!parse_long(v, 1, VIZ_MAX_CHANNELS, &n))
                return usage_error("--groups: '%s' is not an integer from 1 to 64", v);
            o->groups = (int)n;
        } else if (strcmp(a, "--image") == 0) {
            o->image = v;
        } else if (strcmp(a, "--input") == 0) {
            o->input = v;
        } else if (strcmp(a, "--params") == 0) {
            o->params = v;
        } else if (strcmp(a, "--seed") == 0) {
            if (!parse_long(v, 0, LONG_MAX, &n))
                return usage_error("--seed: '%s' is not a non-negative integer", v);
            o->seeded = true;
            o->seed = (uint64_t)n;
        } else if (strcmp(a, "--record") == 0) {
            o->record = v;
        } else if (strcmp(a, "--frames") == 0) {
            if (!parse_long(v, 1, 1000000, &n))
                return usage_error("--frames: '%s' is not an integer from 1 to 1000000", v);
            o->frames = n;
        } else if (strcmp(a, "--size") == 0) {
            int w, h;
            char x;
            if (sscanf(v, "%d%c%d", &w, &x, &h) != 3 || (x != 'x' && x != 'X') || w < 320 ||
                h < 240 || w > 7680 || h > 4320)
                return usage_error("--size: '%s' is not WxH between 320x240 and 7680x4320", v);
            o->w = w;
            o->h = h;
            o->size_given = true;
        } else if (strcmp(a, "--screenshot") == 0) {
            o->screenshot = v;
        } else if (strcmp(a, "--speed") == 0) {
            if (strcmp(v, "auto") == 0)
                o->speed = 0;
            else if (!parse_long(v, 1, viz_speed_levels[VIZ_SPEED_LEVELS - 1], &n))
                return usage_error("--speed: '%s' is not 'auto' or MACs per second from 1 to "
                                   "10000000", v);
            else
                o->speed = n;
        } else if (strcmp(a, "--pin") == 0) {
            char tail;
            if (sscanf(v, "%d,%d,%d%c", &o->pin_o, &o->pin_i, &o->pin_j, &tail) != 3 ||
                o->pin_o < 0 || o->pin_i < 0 || o->pin_j < 0)
                return usage_error("--pin: '%s' is not O,I,J (output channel, row, column)", v);
            o->pin = true;
        } else if (strcmp(a, "--font-dir") == 0) {
            o->font_dir = v;
        }
    }
    if (o->image && o->input) return usage_error("%s", "--image, --input: give one or the other");
    if (o->record && o->screenshot)
        return usage_error("%s", "--record, --screenshot: give one or the other");
    if (o->record && o->frames < 0 && !o->until_done)
        return usage_error("%s", "--record: needs --frames N or --until-done");
    if (o->frames >= 0 && o->until_done)
        return usage_error("%s", "--frames, --until-done: give one or the other");
    if (!o->record && !o->screenshot && (o->frames >= 0 || o->until_done))
        return usage_error("%s", "--frames, --until-done: only with --record or --screenshot");
    return 0;
}

/* ---- input ---------------------------------------------------------------- */

typedef struct {
    cb_shape shape;
    float *x;
    bool rgb;
    int photo_w, photo_h;
    char name[256];
} input;

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* IMG_Load, with stderr closed meanwhile: libpng prints its own warnings
 * and errors there ("iCCP: known incorrect sRGB profile" for harmless
 * metadata in many photos), while the error that matters comes back
 * through IMG_GetError and is reported as this program's one line. */
static SDL_Surface *load_quietly(const char *path) {
    fflush(stderr);
    int saved = dup(2);
    int nul = open("/dev/null", O_WRONLY);
    if (saved >= 0 && nul >= 0) dup2(nul, 2);
    SDL_Surface *img = IMG_Load(path);
    if (saved >= 0 && nul >= 0) dup2(saved, 2);
    if (nul >= 0) close(nul);
    if (saved >= 0) close(saved);
    return img;
}

static cb_status load_photo(const char *path, input *in, cb_error *err) {
    SDL_Surface *img = load_quietly(path);
    if (!img) {
        /* SDL_image says "Couldn't open FILE" for a missing file and names
         * the format problem otherwise. */
        FILE *f = fopen(path, "rb");
        if (!f) return cb_fail(err, CB_ERR_IO, "%s: %s", path, strerror(errno));
        fclose(f);
        return cb_fail(err, CB_ERR_FORMAT, "%s: not a readable image: %s", path, IMG_GetError());
    }
    SDL_Surface *rgb = SDL_ConvertSurfaceFormat(img, SDL_PIXELFORMAT_RGB24, 0);
    SDL_FreeSurface(img);
    if (!rgb) return cb_fail(err, CB_ERR_FORMAT, "%s: cannot convert to RGB: %s", path, SDL_GetError());
    int ow, oh;
    viz_default_size(rgb->w, rgb->h, &ow, &oh);
    in->shape = (cb_shape){3, oh, ow};
    in->x = malloc((size_t)3 * ow * oh * sizeof(float));
    if (!in->x) {
        SDL_FreeSurface(rgb);
        return cb_fail(err, CB_ERR_NOMEM, "out of memory");
    }
    SDL_LockSurface(rgb);
    viz_rgb_to_tensor(rgb->pixels, rgb->w, rgb->h, rgb->pitch, ow, oh, in->x);
    SDL_UnlockSurface(rgb);
    in->rgb = true;
    in->photo_w = rgb->w;
    in->photo_h = rgb->h;
    snprintf(in->name, sizeof in->name, "%s", base_name(path));
    SDL_FreeSurface(rgb);
    return CB_OK;
}

static cb_status load_npy(const char *path, input *in, cb_error *err) {
    cb_tensor t;
    cb_shape s;
    cb_status st = cb_npy_read_activation(path, &t, &s, err);
    if (st != CB_OK) return st;
    st = viz_check_input(s, path, err);
    if (st != CB_OK) {
        cb_tensor_free(&t);
        return st;
    }
    size_t n = (size_t)cb_shape_numel(s);
    for (size_t q = 0; q < n; q++) {
        if (!isfinite(t.data[q])) {
            size_t hw = (size_t)s.h * s.w;
            cb_tensor_free(&t);
            return cb_fail(err, CB_ERR_FORMAT, "%s: value at (%zu, %zu, %zu) is not finite", path,
                           q / hw, (q % hw) / (size_t)s.w, q % (size_t)s.w);
        }
    }
    in->x = malloc(n * sizeof(float));
    if (!in->x) {
        cb_tensor_free(&t);
        return cb_fail(err, CB_ERR_NOMEM, "out of memory");
    }
    memcpy(in->x, t.data, n * sizeof(float));
    cb_tensor_free(&t);
    in->shape = s;
    snprintf(in->name, sizeof in->name, "%s (%dx%dx%d)", base_name(path), s.c, s.h, s.w);
    return CB_OK;
}

/* ---- the application ------------------------------------------------------ */

typedef struct {
    options opt;
    input in;
    viz_weights w;
    viz_anim anim;
    viz_view view;
    viz_renderer *vr;
    SDL_Renderer *r;
    SDL_Window *win;   /* live only */
    bool show_fps;
} app;

/* Divisors of c, for the groups control. */
static int next_groups(int c, int g, int dir) {
    for (int h = g + dir; h >= 1 && h <= c; h += dir)
        if (c % h == 0) return h;
    return g;
}

static void set_title(app *A) {
    if (!A->win) return;
    char t[128];
    snprintf(t, sizeof t, "convblocks-viz: %s", viz_mode_name(A->anim.mode));
    SDL_SetWindowTitle(A->win, t);
}

static cb_status set_mode(app *A, viz_mode m, cb_error *err) {
    viz_anim next;
    cb_status st = viz_anim_init(&next, m, A->in.shape, A->in.x, &A->w, err);
    if (st != CB_OK) return st;
    viz_anim_free(&A->anim);
    A->anim = next;
    set_title(A);
    A->view.pin.on = false;
    A->view.player.budget = 0;
    return CB_OK;
}

static int fail(const char *what, const char *why, int code) {
    fprintf(stderr, PROG ": %s: %s\n", what, why);
    return code;
}

/* Render one frame into an off-screen surface and save it as PNG, atomically. */
static int save_frame(app *A, SDL_Surface *surf, const char *path) {
    viz_render(A->vr, surf->w, surf->h, &A->anim, &A->view);
    SDL_RenderPresent(A->r);
    char tmp[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(tmp, sizeof tmp, "%.*s/.%s.tmp.%ld", (int)(slash - path), path, slash + 1,
                 (long)getpid());
    else
        snprintf(tmp, sizeof tmp, ".%s.tmp.%ld", path, (long)getpid());
    if (IMG_SavePNG(surf, tmp) != 0) {
        unlink(tmp);
        return fail(path, IMG_GetError(), 1);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return fail(path, strerror(e), 1);
    }
    return 0;
}

static int run_headless(app *A) {
    const options *o = &A->opt;
    if (o->record) {
        if (mkdir(o->record, 0777) != 0 && errno != EEXIST)
            return fail(o->record, strerror(errno), 1);
        struct stat sb;
        if (stat(o->record, &sb) != 0 || !S_ISDIR(sb.st_mode))
            return fail(o->record, "not a directory", 1);
    }
    SDL_Surface *surf = SDL_CreateRGBSurfaceWithFormat(0, o->w, o->h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!surf) return fail("SDL", SDL_GetError(), 1);
    A->r = SDL_CreateSoftwareRenderer(surf);
    if (!A->r) {
        SDL_FreeSurface(surf);
        return fail("SDL software renderer", SDL_GetError(), 1);
    }
    char err[1400];
    A->vr = viz_renderer_new(A->r, o->font_dir, err, sizeof err);
    if (!A->vr) {
        SDL_DestroyRenderer(A->r);
        SDL_FreeSurface(surf);
        return fail("fonts", err, 1);
    }
    int rc = 0;
    if (o->screenshot) {
        /* After N frames of play (or at the end), then one frame. */
        long n = o->frames > 0 ? o->frames - 1 : 0;
        if (o->until_done)
            while (!viz_anim_done(&A->anim)) viz_player_tick(&A->view.player, &A->anim);
        for (long f = 0; f < n; f++) viz_player_tick(&A->view.player, &A->anim);
        rc = save_frame(A, surf, o->screenshot);
    } else {
        char path[PATH_MAX];
        long f = 0;
        for (;; f++) {
            if (o->frames > 0 && f >= o->frames) break;
            snprintf(path, sizeof path, "%s/frame_%05ld.png", o->record, f);
            if ((rc = save_frame(A, surf, path)) != 0) break;
            if (o->until_done && viz_anim_done(&A->anim)) break;
            viz_player_tick(&A->view.player, &A->anim);
        }
        if (rc == 0) printf("%s: %ld frames of %dx%d in %s\n", PROG, f + (o->until_done ? 1 : 0),
                            o->w, o->h, o->record);
    }
    viz_renderer_free(A->vr);
    A->vr = NULL;
    SDL_DestroyRenderer(A->r);
    SDL_FreeSurface(surf);
    return rc;
}

/* ---- live ----------------------------------------------------------------- */

static void handle_key(app *A, const SDL_KeyboardEvent *k, bool *quit) {
    viz_player *p = &A->view.player;
    viz_anim *a = &A->anim;
    const bool shift = (k->keysym.mod & KMOD_SHIFT) != 0;
    cb_error err;
    SDL_Keycode key = k->keysym.sym;
    switch (key) {
    case SDLK_q: *quit = true; break;
    case SDLK_ESCAPE:
        /* Never quits: in a classroom a stray Esc should not close the viewer. */
        if (A->view.help) A->view.help = false;
        else A->view.pin.on = false;
        break;
    case SDLK_h:
    case SDLK_QUESTION:
    case SDLK_F1: A->view.help = !A->view.help; break;
    case SDLK_SLASH: if (shift) A->view.help = !A->view.help; break;
    case SDLK_SPACE:
        if (viz_anim_done(a)) viz_anim_seek(a, 0);
        p->playing = !p->playing;
        break;
    case SDLK_RIGHT:
        p->playing = false;
        if (!shift) viz_anim_step(a, 1);
        else if (a->cur.stage < a->n_stages) /* to the end of the current value */
            viz_anim_seek(a, a->t - (uint64_t)a->cur.tap + a->st[a->cur.stage].per);
        break;
    case SDLK_LEFT:
        p->playing = false;
        if (shift) viz_anim_seek(a, viz_anim_value_start_t(a));
        else viz_anim_step(a, -1);
        break;
    case SDLK_UP:
    case SDLK_PLUS:
    case SDLK_KP_PLUS:
    case SDLK_EQUALS: viz_player_speed(p, a, +1); break;
    case SDLK_DOWN:
    case SDLK_MINUS:
    case SDLK_KP_MINUS: viz_player_speed(p, a, -1); break;
    case SDLK_a: p->auto_speed = true; p->budget = 0; break;
    case SDLK_f: A->show_fps = !A->show_fps; A->view.fps = 0; break;
    case SDLK_n: viz_anim_seek(a, viz_anim_next_channel_t(a)); break;
    case SDLK_HOME: viz_anim_seek(a, 0); break;
    case SDLK_END: viz_anim_seek(a, a->total); break;
    case SDLK_r:
        viz_anim_seek(a, 0);
        p->playing = true;
        p->budget = 0;
        break;
    case SDLK_1: case SDLK_2: case SDLK_3: case SDLK_4: case SDLK_5:
        set_mode(A, (viz_mode)(key - SDLK_1), &err);
        p->playing = true;
        break;
    case SDLK_g: {
        int g = next_groups(A->w.grp_c, A->w.grp_groups, shift ? -1 : +1);
        if (a->mode == VIZ_GROUPED && g != A->w.grp_groups) {
            if (viz_weights_regroup(&A->w, g, &A->view.src, &err) == CB_OK) {
                A->view.src.from_params_grp = false;
                set_mode(A, VIZ_GROUPED, &err);
            }
        } else if (a->mode != VIZ_GROUPED) {
            set_mode(A, VIZ_GROUPED, &err);
        }
        break;
    }
    default: break;
    }
}

/* Mouse positions come in window points; drawing is in pixels (they differ
 * on high-DPI screens). */
static void to_pixels(app *A, SDL_Window *win, int *x, int *y) {
    int ww, wh, pw, ph;
    SDL_GetWindowSize(win, &ww, &wh);
    if (SDL_GetRendererOutputSize(A->r, &pw, &ph) != 0 || ww <= 0 || wh <= 0) return;
    *x = (int)((long)*x * pw / ww);
    *y = (int)((long)*y * ph / wh);
}

static int run_live(app *A) {
    const options *o = &A->opt;
    SDL_Window *win = SDL_CreateWindow("convblocks-viz", SDL_WINDOWPOS_CENTERED,
                                       SDL_WINDOWPOS_CENTERED, o->w, o->h,
                                       SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    if (!win) return fail("cannot open a window", SDL_GetError(), 1);
    A->win = win;
    set_title(A);
    A->r = SDL_CreateRenderer(win, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
    if (!A->r) A->r = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    if (!A->r) {
        SDL_DestroyWindow(win);
        return fail("cannot create a renderer", SDL_GetError(), 1);
    }
    char err[1400];
    A->vr = viz_renderer_new(A->r, o->font_dir, err, sizeof err);
    if (!A->vr) {
        SDL_DestroyRenderer(A->r);
        SDL_DestroyWindow(win);
        return fail("fonts", err, 1);
    }
    bool quit = false, dragging = false, dirty = true;
    Uint64 fps_t0 = SDL_GetPerformanceCounter();
    int fps_frames = 0;
    Uint64 render_ticks = 0, present_ticks = 0;
    const Uint64 freq = SDL_GetPerformanceFrequency();
    const Uint64 frame_ticks = freq / VIZ_FPS;
    Uint64 next = SDL_GetPerformanceCounter();
    while (!quit) {
        SDL_Event e;
        /* Nothing moves when paused: sleep until something happens. */
        bool idle = !A->view.player.playing || viz_anim_done(&A->anim);
        if (idle && !dirty && !dragging) {
            if (SDL_WaitEventTimeout(&e, 250)) SDL_PushEvent(&e);
            next = SDL_GetPerformanceCounter();
        }
        while (SDL_PollEvent(&e)) {
            dirty = true;
            switch (e.type) {
            case SDL_QUIT: quit = true; break;
            case SDL_KEYDOWN: handle_key(A, &e.key, &quit); break;
            case SDL_MOUSEBUTTONDOWN: {
                if (e.button.button != SDL_BUTTON_LEFT) break;
                uint64_t t;
                int st, oc, i, j;
                viz_mode tab;
                int mx = e.button.x, my = e.button.y;
                to_pixels(A, win, &mx, &my);
                if (A->view.help) {
                    A->view.help = false;
                } else if (viz_hit_timeline(A->vr, &A->anim, mx, my, false, &t)) {
                    dragging = true;
                    A->view.player.playing = false;
                    viz_anim_seek(&A->anim, t);
                } else if (viz_hit_tab(A->vr, mx, my, &tab)) {
                    cb_error err;
                    set_mode(A, tab, &err);
                    A->view.player.playing = true;
                } else if (viz_hit_output(A->vr, &A->anim, mx, my, &st, &oc, &i, &j)) {
                    viz_pin *p = &A->view.pin;
                    if (p->on && p->stage == st && p->o == oc && p->i == i && p->j == j)
                        p->on = false;
                    else
                        *p = (viz_pin){true, st, oc, i, j};
                } else {
                    A->view.pin.on = false;
                }
                break;
            }
            case SDL_MOUSEMOTION: {
                uint64_t t;
                int mx = e.motion.x, my = e.motion.y;
                to_pixels(A, win, &mx, &my);
                if (dragging && viz_hit_timeline(A->vr, &A->anim, mx, my, true, &t))
                    viz_anim_seek(&A->anim, t);
                break;
            }
            case SDL_MOUSEBUTTONUP: dragging = false; break;
            default: break;
            }
        }
        /* Fixed time step: as many model frames as real time asks for (at
         * most 4 to catch up), then one drawn frame. */
        Uint64 now = SDL_GetPerformanceCounter();
        int steps = 0;
        while (now >= next && steps < 4) {
            if (viz_player_tick(&A->view.player, &A->anim)) dirty = true;
            next += frame_ticks;
            steps++;
        }
        if (now >= next) next = now + frame_ticks;
        if (dirty) {
            int w, h;
            SDL_GetRendererOutputSize(A->r, &w, &h);
            Uint64 r0 = SDL_GetPerformanceCounter();
            viz_render(A->vr, w, h, &A->anim, &A->view);
            Uint64 r1 = SDL_GetPerformanceCounter();
            SDL_RenderPresent(A->r);
            Uint64 r2 = SDL_GetPerformanceCounter();
            render_ticks += r1 - r0;
            present_ticks += r2 - r1;
            dirty = A->view.player.playing && !viz_anim_done(&A->anim);
            /* Frames drawn per second, over half-second windows. */
            fps_frames++;
            Uint64 t1 = SDL_GetPerformanceCounter();
            if (t1 - fps_t0 >= freq / 2) {
                if (A->show_fps) A->view.fps = fps_frames * (double)freq / (double)(t1 - fps_t0);
                if (getenv("CB_VIZ_FPS_LOG"))
                    fprintf(stderr, "fps %.1f  draw %.2f ms  present %.2f ms\n",
                            fps_frames * (double)freq / (double)(t1 - fps_t0),
                            1000.0 * render_ticks / freq / fps_frames,
                            1000.0 * present_ticks / freq / fps_frames);
                render_ticks = present_ticks = 0;
                fps_frames = 0;
                fps_t0 = t1;
            }
        }
        now = SDL_GetPerformanceCounter();
        if (next > now) SDL_Delay((Uint32)((next - now) * 1000 / freq));
    }
    viz_renderer_free(A->vr);
    A->vr = NULL;
    SDL_DestroyRenderer(A->r);
    SDL_DestroyWindow(win);
    A->win = NULL;
    return 0;
}

int main(int argc, char **argv) {
    app A;
    memset(&A, 0, sizeof A);
    int rc = parse_args(argc, argv, &A.opt);
    if (rc == 1) return 0;
    if (rc) return rc;
    options *o = &A.opt;
    const bool headless = o->record || o->screenshot;
    if (headless) {
        /* Nothing is shown: SDL must not look for a display. */
        setenv("SDL_VIDEODRIVER", "dummy", 0);
    }
    cb_error err;
    cb_status st;

    /* The input first: a bad file is reported before any window opens. */
    if (o->input) {
        st = load_npy(o->input, &A.in, &err);
    } else {
        const char *path = o->image ? o->image : DEFAULT_IMAGE;
        st = load_photo(path, &A.in, &err);
    }
    if (st != CB_OK) {
        fprintf(stderr, PROG ": input: %s\n", err.msg);
        free(A.in.x);
        return cb_status_exit_code(st);
    }
    const int c = A.in.shape.c;
    int groups = o->groups;
    const int grp_c = (c == 3) ? 6 : c; /* see viz_weights_make */
    if (o->groups && grp_c % o->groups != 0) {
        fprintf(stderr, PROG ": --groups: %d does not divide the %d channels of the grouped conv\n",
                o->groups, grp_c);
        free(A.in.x);
        return 2;
    }
    if (!o->groups) { /* default: the smallest split into segments */
        groups = grp_c;
        for (int g = 2; g < grp_c; g++)
            if (grp_c % g == 0) { groups = g; break; }
    }
    A.view.src.seeded = o->seeded;
    A.view.src.seed = o->seed;
    st = viz_weights_make(&A.w, c, groups, &A.view.src, &err);
    if (st == CB_OK && o->params) {
        st = viz_weights_load(&A.w, o->params, &A.view.src, &err);
        if (st == CB_OK && o->groups && A.view.src.from_params_grp && A.w.grp_groups != o->groups) {
            st = cb_fail(&err, CB_ERR_ARG, "--groups %d, but %s/spatial.conv.weight.npy has %d groups",
                         o->groups, o->params, A.w.grp_groups);
        }
    }
    if (st != CB_OK) {
        fprintf(stderr, PROG ": weights: %s\n", err.msg);
        viz_weights_free(&A.w);
        free(A.in.x);
        return cb_status_exit_code(st);
    }
    /* Without --mode, --params picks the mode its weights are for. */
    bool mode_given = false;
    for (int k = 1; k < argc; k++)
        if (strcmp(argv[k], "--mode") == 0) mode_given = true;
    if (o->params && !mode_given) {
        viz_weight_source *s = &A.view.src;
        o->mode = (s->from_params_dw && s->from_params_pw) ? VIZ_SEPARABLE
                  : s->from_params_std                       ? VIZ_STANDARD
                  : s->from_params_grp                       ? VIZ_GROUPED
                  : s->from_params_dw                        ? VIZ_DEPTHWISE
                                                             : VIZ_POINTWISE;
    }
    st = viz_anim_init(&A.anim, o->mode, A.in.shape, A.in.x, &A.w, &err);
    if (st != CB_OK) {
        fprintf(stderr, PROG ": %s: %s\n", viz_mode_name(o->mode), err.msg);
        viz_weights_free(&A.w);
        free(A.in.x);
        return cb_status_exit_code(st);
    }
    if (o->pin) {
        const int last = A.anim.n_stages - 1;
        cb_shape out = A.anim.st[last].out;
        if (o->pin_o >= out.c || o->pin_i >= out.h || o->pin_j >= out.w) {
            fprintf(stderr, PROG ": --pin: %d,%d,%d is outside the %dx%dx%d output\n", o->pin_o,
                    o->pin_i, o->pin_j, out.c, out.h, out.w);
            viz_anim_free(&A.anim);
            viz_weights_free(&A.w);
            free(A.in.x);
            return 2;
        }
        A.view.pin = (viz_pin){true, last, o->pin_o, o->pin_i, o->pin_j};
    }
    viz_player_init(&A.view.player);
    if (o->speed > 0) {
        A.view.player.auto_speed = false;
        A.view.player.custom = (uint64_t)o->speed;
    }
    A.view.rgb = A.in.rgb;
    A.view.input_name = A.in.name;
    A.view.photo_w = A.in.photo_w;
    A.view.photo_h = A.in.photo_h;
    A.view.params_dir = o->params;

    if (SDL_Init(headless ? 0 : SDL_INIT_VIDEO) != 0) {
        rc = fail("SDL", SDL_GetError(), 1);
    } else {
        if (TTF_Init() != 0) {
            rc = fail("SDL_ttf", TTF_GetError(), 1);
        } else {
            SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "0"); /* pixels stay squares */
            rc = headless ? run_headless(&A) : run_live(&A);
            TTF_Quit();
        }
        IMG_Quit();
        SDL_Quit();
    }
    viz_anim_free(&A.anim);
    viz_weights_free(&A.w);
    free(A.in.x);
    return rc;
}
