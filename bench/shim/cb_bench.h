/* cb_bench.h — Google Benchmark for C code: the C side of a thin shim.
 *
 * Google Benchmark is C++; the benchmarks of convblocks are C. This header
 * is the whole interface they see, and cb_bench.cc (the only C++ file of the
 * project) forwards each call to benchmark::State / benchmark::RegisterBenchmark.
 *
 * A benchmark is a C function that sets up outside the timed region, then
 * loops while cb_bench_keep_running() says so, then publishes counters:
 *
 *     static void bm_relu(cb_bench_state *st, void *arg) {
 *         float *x = ...;                       // allocate here, never in the loop
 *         while (cb_bench_keep_running(st))
 *             cb_relu_ref(x, n, x);
 *         cb_bench_counter(st, "bytes", 8.0 * n, CB_COUNTER_DEFAULT);
 *         cb_bench_counter(st, "GB/s", 8.0 * n, CB_COUNTER_RATE_INVARIANT);
 *     }
 *     ...
 *     cb_bench *b = cb_bench_register("op/relu/ref/64x56x56", bm_relu, NULL);
 *     cb_bench_use_real_time(b);
 *
 * main() calls cb_bench_initialize(&argc, argv) (which consumes every
 * --benchmark_* flag, exactly as benchmark::Initialize does), adds context
 * with cb_bench_add_context(), then cb_bench_run() and cb_bench_shutdown().
 *
 * `arg` is the caller's pointer, passed back unchanged; it must outlive the run.
 */
#ifndef CB_BENCH_H
#define CB_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cb_bench_state cb_bench_state; /* a benchmark::State */
typedef struct cb_bench cb_bench;             /* a registered benchmark */
typedef void (*cb_bench_fn)(cb_bench_state *st, void *arg);

/* Counter flags: the same bits as benchmark::Counter::Flags. */
enum {
    CB_COUNTER_DEFAULT = 0,
    CB_COUNTER_RATE = 1 << 0,            /* divided by the (real or CPU) time */
    CB_COUNTER_AVG_THREADS = 1 << 1,
    CB_COUNTER_ITER_INVARIANT = 1 << 2,  /* a per-iteration amount, multiplied by iterations */
    CB_COUNTER_AVG_ITERATIONS = 1 << 3,  /* divided by the iterations */
    /* "this much work per iteration, report per second": GMAC/s, GB/s. */
    CB_COUNTER_RATE_INVARIANT = (1 << 0) | (1 << 2),
};

typedef enum {
    CB_UNIT_NS = 0,
    CB_UNIT_US,
    CB_UNIT_MS,
    CB_UNIT_S,
} cb_time_unit;

/* ---- registration (before cb_bench_run) ---- */

/* Register fn under `name`. Returns a handle for the settings below; never NULL
 * (Google Benchmark aborts on out-of-memory). */
cb_bench *cb_bench_register(const char *name, cb_bench_fn fn, void *arg);

/* Time by the wall clock instead of the process CPU time. Every convblocks
 * benchmark uses it: with threaded kernels CPU time counts every thread. */
void cb_bench_use_real_time(cb_bench *b);
/* One run with these arguments (read back with cb_bench_range); may be
 * called several times for several runs. */
void cb_bench_args(cb_bench *b, const int64_t *args, int n);
void cb_bench_unit(cb_bench *b, cb_time_unit u);
/* Per-benchmark overrides of --benchmark_min_time, --benchmark_repetitions
 * and a fixed iteration count; leave them alone to let the flags decide. */
void cb_bench_min_time(cb_bench *b, double seconds);
void cb_bench_min_warmup_time(cb_bench *b, double seconds);
void cb_bench_repetitions(cb_bench *b, int n);
void cb_bench_iterations(cb_bench *b, int64_t n);

/* ---- inside a benchmark function ---- */

/* True while the timed loop should go on; the first call starts the timer. */
bool cb_bench_keep_running(cb_bench_state *st);
int64_t cb_bench_range(const cb_bench_state *st, int i);
int64_t cb_bench_iterations_done(const cb_bench_state *st);
int cb_bench_thread_index(const cb_bench_state *st);
void cb_bench_pause_timing(cb_bench_state *st);
void cb_bench_resume_timing(cb_bench_state *st);
/* Set counter `name` to value, with CB_COUNTER_* flags. */
void cb_bench_counter(cb_bench_state *st, const char *name, double value, unsigned flags);
void cb_bench_label(cb_bench_state *st, const char *label);
void cb_bench_set_items_processed(cb_bench_state *st, int64_t items);
void cb_bench_set_bytes_processed(cb_bench_state *st, int64_t bytes);
/* Mark the run failed (it appears with "error_occurred" in the output).
 * Call it before the loop and return without entering it. */
void cb_bench_skip_with_error(cb_bench_state *st, const char *msg);

/* Keep the compiler from deleting a result / reordering memory writes. */
void cb_bench_do_not_optimize(const void *p);
void cb_bench_clobber_memory(void);

/* ---- the program ---- */

/* benchmark::Initialize: removes the flags it knows from argv. Returns the
 * number of arguments left unrecognised (0 = all good; the rest are printed). */
int cb_bench_initialize(int *argc, char **argv);
/* A key/value pair in the JSON "context" object. Call before cb_bench_run. */
void cb_bench_add_context(const char *key, const char *value);
/* Run what --benchmark_filter selects; returns how many benchmarks ran. */
size_t cb_bench_run(void);
void cb_bench_shutdown(void);

#ifdef __cplusplus
}
#endif
#endif
