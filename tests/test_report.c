/* test_report.c — `convblocks report` end to end (issue 6).
 *
 *   test_report          runs `convblocks report --quick --repeat 1 --out TMP` once and checks
 *                        what it wrote: every expected file; every PNG is a well-formed PNG
 *                        (chunk lengths and CRCs, IHDR first, IEND last) of the size its
 *                        gnuplot script asks for; every CSV has the expected rows and columns;
 *                        the numbers in the CSVs, report.json and on the page equal the cost
 *                        model's (computed here through the library, and through
 *                        `convblocks cost --format json`); gnuplot exited 0 for every script.
 *   test_report errors   (fast, runs under ASan too) with gnuplot missing from PATH the report
 *                        fails with one line on stderr, exit 1, and writes no index.html; bad
 *                        options are usage errors (exit 2).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
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

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "convblocks/block.h"
#include "convblocks/cost.h"
#include "convblocks/net.h"

#define CONVBLOCKS CB_BINARY_DIR "/convblocks"

static char tmpdir[256];
static char outdir[300];

/* ---------------------------------------------------------------- helpers */

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *p = malloc(cap + 1);
    for (;;) {
        n += fread(p + n, 1, cap - n, f);
        if (n < cap) break;
        cap *= 2;
        p = realloc(p, cap + 1);
    }
    fclose(f);
    p[n] = '\0';
    if (len) *len = n;
    return p;
}

/* Run argv with PATH replaced by `path_env` (NULL: unchanged), stdout and stderr to files.
 * Returns the exit status. */
static int run(char *const argv[], const char *path_env, const char *out_file, const char *err_file) {
    pid_t pid = fork();
    if (pid == 0) {
        if (path_env) setenv("PATH", path_env, 1);
        int o = open(out_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, 1);
        dup2(e, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void out_path(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", outdir, name); }

static bool exists(const char *name) {
    char p[512];
    out_path(p, sizeof p, name);
    struct stat st;
    return stat(p, &st) == 0 && st.st_size > 0;
}

/* A parsed CSV: header and rows of cells (no quoted commas in the tables checked here,
 * except paper_figures.csv, which is not parsed). */
typedef struct {
    int nrows, ncols;
    char *cells[512][32];
    char *head[32];
    char *text;
} csv;

static int split(char *line, char **out, int max) {
    int n = 0;
    char *s = line;
    for (;;) {
        if (n < max) out[n] = s;
        n++;
        char *c = strchr(s, ',');
        if (!c) break;
        *c = '\0';
        s = c + 1;
    }
    return n;
}

static csv *read_csv(const char *name) {
    char p[512];
    out_path(p, sizeof p, name);
    csv *t = calloc(1, sizeof *t);
    t->text = (char *)slurp(p, NULL);
    if (!t->text) {
        free(t);
        return NULL;
    }
    char *save = NULL, *line = strtok_r(t->text, "\n", &save);
    t->ncols = split(line, t->head, 32);
    while ((line = strtok_r(NULL, "\n", &save)) && t->nrows < 512) {
        int n = split(line, t->cells[t->nrows], 32);
        assert_int_equal(n, t->ncols);  /* every row as wide as the header */
        t->nrows++;
    }
    return t;
}

static void free_csv(csv *t) {
    if (!t) return;
    free(t->text);
    free(t);
}

static int col(const csv *t, const char *name) {
    for (int c = 0; c < t->ncols && c < 32; c++)
        if (strcmp(t->head[c], name) == 0) return c;
    fail_msg("no column %s", name);
    return -1;
}

static const char *cell(const csv *t, int r, const char *name) { return t->cells[r][col(t, name)]; }
static uint64_t cell_u64(const csv *t, int r, const char *name) { return strtoull(cell(t, r, name), NULL, 10); }

/* ---------------------------------------------------------------- the PNG check */

static uint32_t crc_table[256];

static uint32_t crc32_png(const unsigned char *p, size_t n) {
    if (!crc_table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            crc_table[i] = c;
        }
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Walk every chunk: lengths in bounds, CRCs right, IHDR first, IEND last.
 * Returns 0 and the IHDR size when the file is a well-formed PNG. */
static int png_check(const unsigned char *d, size_t n, uint32_t *w, uint32_t *h) {
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (n < 8 + 25 + 12 || memcmp(d, sig, 8) != 0) return -1;
    size_t o = 8;
    int chunks = 0, idat = 0;
    while (o + 12 <= n) {
        uint32_t len = be32(d + o);
        if (len > n - o - 12) return -2;
        const unsigned char *type = d + o + 4;
        if (be32(d + o + 8 + len) != crc32_png(type, 4 + (size_t)len)) return -3;
        if (chunks == 0) {
            if (memcmp(type, "IHDR", 4) != 0 || len != 13) return -4;
            *w = be32(d + o + 8);
            *h = be32(d + o + 12);
        }
        if (memcmp(type, "IDAT", 4) == 0) idat++;
        chunks++;
        o += 12 + (size_t)len;
        if (memcmp(type, "IEND", 4) == 0) return o == n && idat > 0 ? 0 : -5;
    }
    return -6;
}

/* ---------------------------------------------------------------- fixtures */

static int setup_report(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/cb_report_test_XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    snprintf(outdir, sizeof outdir, "%s/out", tmpdir);
    char o[400], e[400];
    snprintf(o, sizeof o, "%s/stdout", tmpdir);
    snprintf(e, sizeof e, "%s/stderr", tmpdir);
    char *argv[] = {CONVBLOCKS, "report", "--quick", "--repeat", "1", "--out", outdir, NULL};
    int rc = run(argv, NULL, o, e);
    if (rc != 0) {
        char *err = (char *)slurp(e, NULL);
        fprintf(stderr, "convblocks report exited %d:\n%s\n", rc, err ? err : "");
        free(err);
        return -1;
    }
    return 0;
}

static int teardown_report(void **state) {
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- tests */

static const struct {
    const char *stem;
    uint32_t w, h;   /* the size its script sets (width/height before loading common.gp) */
    bool needs_nets;
} PLOTS[] = {
    {"plot1_blocks", 1200, 860, false},   {"plot2_separable", 1200, 780, false},
    {"plot3_macs_vs_time", 1200, 720, false}, {"plot4_roofline", 1200, 800, false},
    {"plot5_grouped", 1400, 660, false},  {"plot6_vgg", 1400, 620, false},
    {"plot7_mobilenet", 1400, 680, true}, {"plot8_networks", 1400, 760, true},
    {"plot9_threads", 1200, 720, false},
};
#define N_PLOTS (sizeof PLOTS / sizeof PLOTS[0])

static const char *CSVS[] = {"blocks.csv", "blocks_common.csv", "ops.csv", "separable.csv",
                             "inception_grouped.csv", "vgg_receptive_field.csv", "mobilenet_tradeoffs.csv",
                             "mobilenet_types.csv", "networks.csv", "network_types.csv", "network_stack.csv",
                             "network_layers.csv", "roofline.csv", "threads.csv", "machine.csv",
                             "paper_figures.csv", "gnuplot_status.csv", "not_measured.csv"};

static void test_prints_the_page_path(void **state) {
    (void)state;
    char p[400], want[400];
    snprintf(p, sizeof p, "%s/stdout", tmpdir);
    char *out = (char *)slurp(p, NULL);
    assert_non_null(out);
    snprintf(want, sizeof want, "%s/index.html\n", outdir);
    assert_string_equal(out, want);
    free(out);
    snprintf(p, sizeof p, "%s/stderr", tmpdir);
    char *err = (char *)slurp(p, NULL);
    assert_non_null(err);
    assert_non_null(strstr(err, "[1/11] "));   /* progress: step n of m */
    assert_non_null(strstr(err, "[11/11] "));
    free(err);
}

static void test_every_file_exists(void **state) {
    (void)state;
    assert_true(exists("index.html"));
    assert_true(exists("report.json"));
    for (size_t i = 0; i < sizeof CSVS / sizeof CSVS[0]; i++) {
        if (!exists(CSVS[i])) fail_msg("missing %s", CSVS[i]);
    }
    for (size_t i = 0; i < N_PLOTS; i++) {
        if (PLOTS[i].needs_nets && cb_net_count() == 0) continue;
        char n[64];
        snprintf(n, sizeof n, "%s.png", PLOTS[i].stem);
        if (!exists(n)) fail_msg("missing %s", n);
        snprintf(n, sizeof n, "%s.svg", PLOTS[i].stem);
        if (!exists(n)) fail_msg("missing %s", n);
    }
}

static void test_pngs_decode_with_their_size(void **state) {
    (void)state;
    for (size_t i = 0; i < N_PLOTS; i++) {
        if (PLOTS[i].needs_nets && cb_net_count() == 0) continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s.png", outdir, PLOTS[i].stem);
        size_t n = 0;
        unsigned char *d = slurp(p, &n);
        assert_non_null(d);
        uint32_t w = 0, h = 0;
        int rc = png_check(d, n, &w, &h);
        if (rc != 0) fail_msg("%s: not a well-formed PNG (%d)", p, rc);
        if (w != PLOTS[i].w || h != PLOTS[i].h)
            fail_msg("%s: %ux%u, expected %ux%u", p, w, h, PLOTS[i].w, PLOTS[i].h);
        /* the checker itself must catch damage: flip one byte of the image data */
        d[n / 2] ^= 0x55;
        assert_int_not_equal(png_check(d, n, &w, &h), 0);
        free(d);
        snprintf(p, sizeof p, "%s/%s.svg", outdir, PLOTS[i].stem);
        char *svg = (char *)slurp(p, NULL);
        assert_non_null(svg);
        assert_non_null(strstr(svg, "<svg"));
        assert_non_null(strstr(svg, "</svg>"));
        free(svg);
    }
}

static void test_gnuplot_exited_zero_for_every_script(void **state) {
    (void)state;
    csv *t = read_csv("gnuplot_status.csv");
    assert_non_null(t);
    int expected = 0;
    for (size_t i = 0; i < N_PLOTS; i++) expected += !(PLOTS[i].needs_nets && cb_net_count() == 0);
    assert_int_equal(t->nrows, 2 * expected);  /* PNG and SVG of each */
    for (int r = 0; r < t->nrows; r++) {
        if (strcmp(cell(t, r, "exit_status"), "0") != 0)
            fail_msg("%s.%s: gnuplot exited %s", cell(t, r, "plot"), cell(t, r, "format"), cell(t, r, "exit_status"));
    }
    free_csv(t);
}

static void test_csv_shapes(void **state) {
    (void)state;
    static const struct {
        const char *file;
        int rows, cols;   /* rows -1: checked elsewhere */
    } want[] = {
        {"blocks.csv", -1, 21},          {"blocks_common.csv", 10, 11},
        {"ops.csv", 15, 14},             {"separable.csv", 9, 19},       /* quick: k 3,5,7 x N 16,64,256 */
        {"inception_grouped.csv", 5, 13}, {"vgg_receptive_field.csv", 3, 11},
        {"roofline.csv", -1, 5},
        {"threads.csv", -1, 5},          {"networks.csv", -1, 14},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        csv *t = read_csv(want[i].file);
        assert_non_null(t);
        if (t->ncols != want[i].cols) fail_msg("%s: %d columns, expected %d", want[i].file, t->ncols, want[i].cols);
        if (want[i].rows >= 0 && t->nrows != want[i].rows)
            fail_msg("%s: %d rows, expected %d", want[i].file, t->nrows, want[i].rows);
        free_csv(t);
    }
    /* machine.csv: one row (its last column, the CPU model, may be quoted: not split here) */
    char p[512];
    out_path(p, sizeof p, "machine.csv");
    char *m = (char *)slurp(p, NULL);
    assert_non_null(m);
    int lines = 0;
    for (char *c = m; *c; c++) lines += *c == '\n';
    assert_int_equal(lines, 2);
    assert_non_null(strstr(m, "roof_gflops"));
    free(m);
    csv *b = read_csv("blocks.csv");
    assert_int_equal(b->nrows, cb_block_count());
    free_csv(b);
    csv *n = read_csv("networks.csv");
    assert_int_equal(n->nrows, cb_net_count());
    free_csv(n);
    if (cb_net_find("mobilenet_v1")) {
        csv *m = read_csv("mobilenet_tradeoffs.csv");
        assert_int_equal(m->nrows, 8);   /* 4 width multipliers, 4 resolutions */
        free_csv(m);
    }
}

/* blocks.csv and blocks_common.csv against the cost model, block by block. */
static void test_block_costs_equal_cost_model(void **state) {
    (void)state;
    csv *t = read_csv("blocks.csv");
    assert_non_null(t);
    for (int r = 0; r < t->nrows; r++) {
        cb_graph *g = NULL;
        cb_error err;
        assert_int_equal(cb_block_build(cell(t, r, "block"), NULL, NULL, &g, &err), CB_OK);
        cb_cost c = cb_graph_cost(g, NULL);
        assert_int_equal(cell_u64(t, r, "macs"), c.macs);
        assert_int_equal(cell_u64(t, r, "params"), c.params);
        assert_int_equal(cell_u64(t, r, "weights"), c.weights);
        assert_int_equal(cell_u64(t, r, "bytes"), c.bytes);
        /* where the reference kernels ran, they counted exactly the model's MACs */
        if (*cell(t, r, "ref_counted_macs")) assert_int_equal(cell_u64(t, r, "ref_counted_macs"), c.macs);
        cb_graph_free(g);
    }
    free_csv(t);

    t = read_csv("blocks_common.csv");
    for (int r = 0; r < t->nrows; r++) {
        const cb_block_info *info = cb_block_find(cell(t, r, "block"));
        assert_non_null(info);
        cb_args a = info->defaults;
        char args[128];
        snprintf(args, sizeof args, "%s", cell(t, r, "args"));
        cb_error err;
        for (char *save = NULL, *kv = strtok_r(args, " ", &save); kv && strchr(kv, '=');
             kv = strtok_r(NULL, " ", &save))
            assert_int_equal(cb_args_set(&a, kv, &err), CB_OK);
        cb_shape in = {288, 35, 35};
        cb_graph *g = NULL;
        assert_int_equal(cb_block_build(info->name, &a, &in, &g, &err), CB_OK);
        cb_cost c = cb_graph_cost(g, NULL);
        assert_int_equal(cell_u64(t, r, "macs"), c.macs);
        assert_int_equal(cell_u64(t, r, "params"), c.params);
        assert_int_equal(cb_graph_output_shape(g).c, 288);  /* the common output width */
        cb_graph_free(g);
    }
    free_csv(t);
}

/* Plot 2's MAC ratios are exactly the MobileNet formulas, and so exactly 1/N + 1/k^2:
 * sep * k^2 * N == std * (N + k^2) in integers. */
static void test_separable_ratios_lie_on_theory(void **state) {
    (void)state;
    csv *t = read_csv("separable.csv");
    assert_non_null(t);
    for (int r = 0; r < t->nrows; r++) {
        uint64_t k = cell_u64(t, r, "k"), n = cell_u64(t, r, "n"), m = cell_u64(t, r, "m"), df = cell_u64(t, r, "df");
        uint64_t std = cell_u64(t, r, "std_macs"), sep = cell_u64(t, r, "sep_macs");
        assert_int_equal(std, cb_formula_standard_macs(k, m, n, df));
        assert_int_equal(sep, cb_formula_separable_macs(k, m, n, df));
        assert_int_equal(sep * k * k * n, std * (n + k * k));
        double ratio = strtod(cell(t, r, "mac_ratio"), NULL), theory = strtod(cell(t, r, "theory"), NULL);
        assert_true(ratio > 0 && theory > 0);
        assert_true(ratio / theory - 1 < 1e-9 && theory / ratio - 1 < 1e-9);  /* printed with 10 digits */
        if (*cell(t, r, "std_ref_counted")) assert_int_equal(cell_u64(t, r, "std_ref_counted"), std);
        if (*cell(t, r, "sep_ref_counted")) assert_int_equal(cell_u64(t, r, "sep_ref_counted"), sep);
    }
    free_csv(t);
}

static void test_network_costs_equal_cost_model(void **state) {
    (void)state;
    csv *t = read_csv("networks.csv");
    assert_non_null(t);
    for (int r = 0; r < t->nrows; r++) {
        cb_graph *g = NULL;
        cb_error err;
        assert_int_equal(cb_net_build(cell(t, r, "net"), 1.0, 0, &g, &err), CB_OK);
        cb_cost c = cb_graph_cost(g, NULL);
        assert_int_equal(cell_u64(t, r, "macs"), c.macs);
        assert_int_equal(cell_u64(t, r, "params"), c.params);
        assert_int_equal(cell_u64(t, r, "layers"), (uint64_t)g->n_layers);
        cb_graph_free(g);
    }
    free_csv(t);
}

/* The MACs `convblocks cost mobilenet --format json` prints are on the page, in
 * blocks.csv and in report.json. */
static void test_page_shows_the_cost_commands_numbers(void **state) {
    (void)state;
    char o[400], e[400];
    snprintf(o, sizeof o, "%s/cost.json", tmpdir);
    snprintf(e, sizeof e, "%s/cost.err", tmpdir);
    char *argv[] = {CONVBLOCKS, "cost", "mobilenet", "--format", "json", NULL};
    assert_int_equal(run(argv, NULL, o, e), 0);
    char *text = (char *)slurp(o, NULL);
    cJSON *cost = cJSON_Parse(text);
    free(text);
    assert_non_null(cost);
    double macs = cJSON_GetObjectItem(cost, "macs")->valuedouble;
    double params = cJSON_GetObjectItem(cost, "params")->valuedouble;
    cJSON_Delete(cost);

    char buf[64], needle[256], p[512];
    out_path(p, sizeof p, "index.html");
    char *page = (char *)slurp(p, NULL);
    assert_non_null(page);
    snprintf(needle, sizeof needle, "<td>mobilenet</td><td>64x56x56</td><td>128x56x56</td><td class=\"n\">%s</td>",
             cb_format_count((uint64_t)macs, buf, sizeof buf));
    if (!strstr(page, needle)) fail_msg("index.html lacks the row start %s", needle);
    snprintf(needle, sizeof needle, "<td class=\"n\">%s</td>", cb_format_count((uint64_t)params, buf, sizeof buf));
    assert_non_null(strstr(page, needle));
    /* self-contained: images inline, nothing fetched from elsewhere */
    assert_non_null(strstr(page, "src=\"data:image/png;base64,"));
    assert_null(strstr(page, "src=\"http"));
    assert_null(strstr(page, "<script src"));
    assert_non_null(strstr(page, "id=\"missing\""));
    free(page);

    csv *t = read_csv("blocks.csv");
    bool found = false;
    for (int r = 0; r < t->nrows; r++)
        if (strcmp(cell(t, r, "block"), "mobilenet") == 0) {
            assert_int_equal(cell_u64(t, r, "macs"), (uint64_t)macs);
            found = true;
        }
    assert_true(found);
    free_csv(t);

    out_path(p, sizeof p, "report.json");
    text = (char *)slurp(p, NULL);
    cJSON *rep = cJSON_Parse(text);
    free(text);
    assert_non_null(rep);
    cJSON *blocks = cJSON_GetObjectItem(rep, "blocks");
    assert_true(cJSON_IsArray(blocks));
    assert_int_equal(cJSON_GetArraySize(blocks), cb_block_count());
    found = false;
    cJSON *b;
    cJSON_ArrayForEach(b, blocks) {
        if (strcmp(cJSON_GetObjectItem(b, "block")->valuestring, "mobilenet") != 0) continue;
        assert_true(cJSON_GetObjectItem(b, "macs")->valuedouble == macs);
        found = true;
    }
    assert_true(found);
    /* gnuplot's status is in the JSON too, all zero */
    cJSON *gp = cJSON_GetObjectItem(rep, "gnuplot_status");
    assert_true(cJSON_IsArray(gp));
    assert_true(cJSON_GetArraySize(gp) > 0);
    cJSON_ArrayForEach(b, gp) assert_true(cJSON_GetObjectItem(b, "exit_status")->valuedouble == 0);
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(rep, "not_measured")));
    cJSON_Delete(rep);
}

/* ---------------------------------------------------------------- errors (fast) */

static void test_missing_gnuplot_is_a_clear_error(void **state) {
    (void)state;
    char dir[256], out[300], o[300], e[300], emptybin[300];
    snprintf(dir, sizeof dir, "/tmp/cb_report_err_XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(o, sizeof o, "%s/stdout", dir);
    snprintf(e, sizeof e, "%s/stderr", dir);
    snprintf(emptybin, sizeof emptybin, "%s/bin", dir);
    assert_int_equal(mkdir(emptybin, 0755), 0);
    char *argv[] = {CONVBLOCKS, "report", "--quick", "--out", out, NULL};
    assert_int_equal(run(argv, emptybin, o, e), 1);
    char *err = (char *)slurp(e, NULL);
    assert_non_null(err);
    assert_non_null(strstr(err, "convblocks: report: "));
    assert_non_null(strstr(err, "gnuplot"));
    char *nl = strchr(err, '\n');
    assert_non_null(nl);
    assert_int_equal(nl[1], '\0');   /* exactly one line */
    free(err);
    char page[400];
    snprintf(page, sizeof page, "%s/index.html", out);
    assert_int_not_equal(access(page, F_OK), 0);

    /* usage errors */
    char *bad1[] = {CONVBLOCKS, "report", "--repeat", "0", NULL};
    assert_int_equal(run(bad1, NULL, o, e), 2);
    char *bad2[] = {CONVBLOCKS, "report", "--frobnicate", NULL};
    assert_int_equal(run(bad2, NULL, o, e), 2);
    char *help[] = {CONVBLOCKS, "report", "--help", NULL};
    assert_int_equal(run(help, NULL, o, e), 0);

    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "errors") == 0) {
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_missing_gnuplot_is_a_clear_error)};
        return cmocka_run_group_tests_name("report errors", tests, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prints_the_page_path),
        cmocka_unit_test(test_every_file_exists),
        cmocka_unit_test(test_pngs_decode_with_their_size),
        cmocka_unit_test(test_gnuplot_exited_zero_for_every_script),
        cmocka_unit_test(test_csv_shapes),
        cmocka_unit_test(test_block_costs_equal_cost_model),
        cmocka_unit_test(test_separable_ratios_lie_on_theory),
        cmocka_unit_test(test_network_costs_equal_cost_model),
        cmocka_unit_test(test_page_shows_the_cost_commands_numbers),
    };
    return cmocka_run_group_tests_name("report --quick", tests, setup_report, teardown_report);
}
