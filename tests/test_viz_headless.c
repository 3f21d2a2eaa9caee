/* test_viz_headless.c — convblocks-viz end to end, without a display.
 *
 * Runs the binary with SDL's dummy video driver (it renders with the
 * software renderer into an off-screen surface): --record writes the
 * expected number of PNGs of the requested size, the same bytes twice;
 * frames of the five modes differ from each other and are not blank; bad
 * input gives one line on stderr and exit 1 or 2, and no output file.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <SDL.h>
#include <SDL_image.h>

#include "anim.h"
#include "convblocks/npy.h"
#include "filters.h"
#include "player.h"

#define VIZ CB_BINARY_DIR "/convblocks-viz"

static char work[512];      /* a scratch directory for this run */
static char errtext[4096];  /* stderr of the last run */

/* Run convblocks-viz with args (NULL-terminated); returns its exit code. */
static int run(const char *first, ...) {
    const char *argv[32];
    int n = 0;
    argv[n++] = VIZ;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && n < 31; a = va_arg(ap, const char *)) argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    char errpath[600];
    snprintf(errpath, sizeof errpath, "%s/stderr.txt", work);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) dup2(fd, 2);
        int nul = open("/dev/null", O_WRONLY);
        if (nul >= 0) dup2(nul, 1);
        setenv("SDL_VIDEODRIVER", "dummy", 1);
        unsetenv("DISPLAY");
        execv(VIZ, (char *const *)argv);
        _exit(127);
    }
    int status;
    assert_true(waitpid(pid, &status, 0) == pid);
    FILE *f = fopen(errpath, "r");
    size_t got = f ? fread(errtext, 1, sizeof errtext - 1, f) : 0;
    errtext[got] = '\0';
    if (f) fclose(f);
    unlink(errpath);
    assert_true(WIFEXITED(status)); /* no crash */
    return WEXITSTATUS(status);
}

static char *path_in(const char *name) {
    static char buf[4][700];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", work, name);
    return buf[k];
}

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

/* Width and height from a PNG's IHDR chunk. */
static void png_size(const char *path, int *w, int *h) {
    size_t len;
    unsigned char *b = slurp(path, &len);
    assert_non_null(b);
    assert_true(len > 24);
    assert_memory_equal(b, "\x89PNG\r\n\x1a\n", 8);
    assert_memory_equal(b + 12, "IHDR", 4);
    *w = (b[16] << 24) | (b[17] << 16) | (b[18] << 8) | b[19];
    *h = (b[20] << 24) | (b[21] << 16) | (b[22] << 8) | b[23];
    free(b);
}

static int count_files(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))) n++;
    closedir(d);
    return n;
}

static void rm_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[1200];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static void assert_one_line_error(void) {
    size_t n = strlen(errtext);
    /* "convblocks-viz: what: why\n", exactly one line */
    bool ok = n > 16 && strncmp(errtext, "convblocks-viz: ", 16) == 0 && errtext[n - 1] == '\n' &&
              !memchr(errtext, '\n', n - 1);
    if (!ok) print_message("stderr was: %s", errtext);
    assert_true(ok);
}

static void test_record_frames(void **state) {
    (void)state;
    char *d1 = path_in("rec1"), *d2 = path_in("rec2");
    assert_int_equal(run("--mode", "depthwise", "--record", d1, "--frames", "5", "--size",
                         "400x300", NULL), 0);
    assert_int_equal(count_files(d1), 5);
    assert_int_equal(run("--mode", "depthwise", "--record", d2, "--frames", "5", "--size",
                         "400x300", NULL), 0);
    for (int f = 0; f < 5; f++) {
        char n1[800], n2[800];
        snprintf(n1, sizeof n1, "%s/frame_%05d.png", d1, f);
        snprintf(n2, sizeof n2, "%s/frame_%05d.png", d2, f);
        int w, h;
        png_size(n1, &w, &h);
        assert_int_equal(w, 400);
        assert_int_equal(h, 300);
        size_t l1, l2;
        unsigned char *b1 = slurp(n1, &l1), *b2 = slurp(n2, &l2);
        assert_non_null(b1);
        assert_non_null(b2);
        assert_int_equal(l1, l2);
        assert_memory_equal(b1, b2, l1);
        free(b1);
        free(b2);
    }
    rm_dir(d1);
    rm_dir(d2);
}

/* --until-done writes one frame per player tick until the model is done,
 * plus the final frame: the count follows from the model, run here. */
static void test_record_until_done(void **state) {
    (void)state;
    cb_shape s = {2, 3, 4};
    float x[24];
    for (int k = 0; k < 24; k++) x[k] = (float)((k * 7) % 11) / 10.0f;
    char *npy = path_in("tiny.npy");
    assert_int_equal(cb_npy_write(npy, 3, (int[]){2, 3, 4}, x, NULL), CB_OK);
    char *d = path_in("until");
    assert_int_equal(run("--input", npy, "--mode", "separable", "--record", d, "--until-done",
                         "--speed", "600", "--size", "320x240", NULL), 0);

    viz_weights w;
    viz_weight_source src = {0};
    assert_int_equal(viz_weights_make(&w, 2, 1, &src, NULL), CB_OK);
    viz_anim a;
    assert_int_equal(viz_anim_init(&a, VIZ_SEPARABLE, s, x, &w, NULL), CB_OK);
    viz_player p;
    viz_player_init(&p);
    p.auto_speed = false;
    p.custom = 600; /* 10 MACs a frame */
    int ticks = 0;
    while (!viz_anim_done(&a)) {
        viz_player_tick(&p, &a);
        ticks++;
    }
    assert_int_equal(a.total, 2 * 12 * 9 + 2 * 12 * 2); /* depthwise + pointwise 2 -> 2 */
    assert_int_equal(ticks, (int)((a.total + 9) / 10));
    assert_int_equal(count_files(d), ticks + 1);
    int fw, fh;
    char last[800];
    snprintf(last, sizeof last, "%s/frame_%05d.png", d, ticks);
    png_size(last, &fw, &fh);
    assert_int_equal(fw, 320);
    assert_int_equal(fh, 240);
    viz_anim_free(&a);
    viz_weights_free(&w);
    rm_dir(d);
    unlink(npy);
}

static SDL_Surface *load_rgb(const char *path) {
    SDL_Surface *s = IMG_Load(path);
    assert_non_null(s);
    SDL_Surface *c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_RGB24, 0);
    SDL_FreeSurface(s);
    assert_non_null(c);
    return c;
}

/* Fraction of pixels that differ between two same-size RGB24 images. */
static double differ(SDL_Surface *a, SDL_Surface *b) {
    assert_int_equal(a->w, b->w);
    assert_int_equal(a->h, b->h);
    long n = 0;
    for (int y = 0; y < a->h; y++)
        for (int x = 0; x < a->w; x++)
            if (memcmp((unsigned char *)a->pixels + y * a->pitch + 3 * x,
                       (unsigned char *)b->pixels + y * b->pitch + 3 * x, 3) != 0)
                n++;
    return (double)n / ((double)a->w * a->h);
}

/* Distinct colours, up to a cap: a blank frame has one or two. */
static int colours(SDL_Surface *s) {
    static uint32_t seen[4096];
    int n = 0;
    for (int y = 0; y < s->h && n < 4096; y += 2)
        for (int x = 0; x < s->w && n < 4096; x += 2) {
            unsigned char *p = (unsigned char *)s->pixels + y * s->pitch + 3 * x;
            uint32_t c = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
            int k;
            for (k = 0; k < n; k++)
                if (seen[k] == c) break;
            if (k == n) seen[n++] = c;
        }
    return n;
}

static void test_modes_differ(void **state) {
    (void)state;
    static const char *modes[VIZ_MODE_COUNT] = {"standard", "depthwise", "pointwise",
                                                "separable", "grouped"};
    SDL_Surface *img[VIZ_MODE_COUNT];
    for (int m = 0; m < VIZ_MODE_COUNT; m++) {
        char name[64];
        snprintf(name, sizeof name, "shot_%s.png", modes[m]);
        char *f = path_in(name);
        assert_int_equal(run("--mode", modes[m], "--screenshot", f, "--frames", "300", "--size",
                             "640x360", NULL), 0);
        img[m] = load_rgb(f);
        assert_int_equal(img[m]->w, 640);
        assert_int_equal(img[m]->h, 360);
        assert_true(colours(img[m]) > 200);
        unlink(f);
    }
    for (int m = 0; m < VIZ_MODE_COUNT; m++)
        for (int n = m + 1; n < VIZ_MODE_COUNT; n++) assert_true(differ(img[m], img[n]) > 0.01);
    for (int m = 0; m < VIZ_MODE_COUNT; m++) SDL_FreeSurface(img[m]);
}

/* --pin draws the pinned value's receptive field and computation. */
static void test_pin(void **state) {
    (void)state;
    char *a = path_in("nopin.png"), *b = path_in("pin.png");
    assert_int_equal(run("--screenshot", a, "--frames", "60", "--size", "640x360", NULL), 0);
    assert_int_equal(run("--screenshot", b, "--frames", "60", "--size", "640x360", "--pin",
                         "1,10,20", NULL), 0);
    SDL_Surface *sa = load_rgb(a), *sb = load_rgb(b);
    assert_true(differ(sa, sb) > 0.005);
    SDL_FreeSurface(sa);
    SDL_FreeSurface(sb);
    unlink(a);
    unlink(b);
    assert_int_equal(run("--screenshot", b, "--pin", "9,10,20", NULL), 2); /* 4 outputs */
    assert_one_line_error();
    assert_non_null(strstr(errtext, "outside"));
    assert_int_equal(access(b, F_OK), -1);
}

static void test_bad_input(void **state) {
    (void)state;
    char *shot = path_in("never.png");
    /* A missing image. */
    assert_int_equal(run("--image", path_in("missing.png"), "--screenshot", shot, NULL), 1);
    assert_one_line_error();
    assert_non_null(strstr(errtext, "missing.png"));
    /* A corrupt image. */
    char *bad = path_in("corrupt.png");
    FILE *f = fopen(bad, "wb");
    fputs("\x89PNG\r\n\x1a\nthis is not really a png", f);
    fclose(f);
    assert_int_equal(run("--image", bad, "--screenshot", shot, NULL), 1);
    assert_one_line_error();
    assert_non_null(strstr(errtext, "corrupt.png"));
    unlink(bad);
    /* A .npy of the wrong rank. */
    char *npy = path_in("rank2.npy");
    float z[6] = {0};
    assert_int_equal(cb_npy_write(npy, 2, (int[]){2, 3}, z, NULL), CB_OK);
    assert_int_equal(run("--input", npy, "--screenshot", shot, NULL), 1);
    assert_one_line_error();
    assert_non_null(strstr(errtext, "rank2.npy"));
    unlink(npy);
    /* A feature map holding a NaN. */
    float nanmap[2 * 3 * 4] = {0};
    nanmap[17] = NAN;
    assert_int_equal(cb_npy_write(npy, 3, (int[]){2, 3, 4}, nanmap, NULL), CB_OK);
    assert_int_equal(run("--input", npy, "--screenshot", shot, NULL), 1);
    assert_one_line_error();
    assert_non_null(strstr(errtext, "(1, 1, 1) is not finite"));
    unlink(npy);
    /* A feature map too large to show every pixel. */
    static float big[3 * 200 * 200];
    assert_int_equal(cb_npy_write(npy, 3, (int[]){3, 200, 200}, big, NULL), CB_OK);
    assert_int_equal(run("--input", npy, "--screenshot", shot, NULL), 1);
    assert_one_line_error();
    assert_non_null(strstr(errtext, "too large"));
    unlink(npy);
    /* --params that do not fit a photo's 3 channels. */
    char *dir = path_in("params");
    mkdir(dir, 0777);
    char wpath[800];
    snprintf(wpath, sizeof wpath, "%s/dw.weight.npy", dir);
    float w[32 * 9] = {0};
    assert_int_equal(cb_npy_write(wpath, 4, (int[]){32, 1, 3, 3}, w, NULL), CB_OK);
    assert_int_equal(run("--params", dir, "--screenshot", shot, NULL), 1);
    assert_one_line_error();
    assert_non_null(strstr(errtext, "32x1x3x3"));
    unlink(wpath);
    /* An empty --params directory. */
    assert_int_equal(run("--params", dir, "--screenshot", shot, NULL), 1);
    assert_one_line_error();
    rmdir(dir);
    /* Usage errors: exit 2. */
    assert_int_equal(run("--bogus", NULL), 2);
    assert_one_line_error();
    assert_int_equal(run("--mode", "diagonal", NULL), 2);
    assert_one_line_error();
    assert_int_equal(run("--record", path_in("r"), NULL), 2);
    assert_one_line_error();
    assert_int_equal(run("--groups", "4", "--screenshot", shot, NULL), 2);
    assert_one_line_error();
    assert_int_equal(run("--size", "10x10", "--screenshot", shot, NULL), 2);
    assert_one_line_error();
    /* Fonts missing: a clear error, not a crash. */
    assert_int_equal(run("--font-dir", path_in("nofonts"), "--screenshot", shot, NULL), 1);
    assert_one_line_error();
    assert_non_null(strstr(errtext, "fonts-dejavu-core"));
    /* A screenshot that cannot be written leaves nothing behind. */
    assert_int_equal(run("--screenshot", path_in("no/such/dir/x.png"), NULL), 1);
    assert_one_line_error();
    /* None of the failures wrote the screenshot. */
    assert_int_equal(access(shot, F_OK), -1);
}

static int setup(void **state) {
    (void)state;
    snprintf(work, sizeof work, "%s/viz_headless_XXXXXX", CB_BINARY_DIR);
    return mkdtemp(work) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    rm_dir(work);
    IMG_Quit();
    SDL_Quit();
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_frames),
        cmocka_unit_test(test_record_until_done),
        cmocka_unit_test(test_modes_differ),
        cmocka_unit_test(test_pin),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
