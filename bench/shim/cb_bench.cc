// cb_bench.cc — the C++ half of the shim (see cb_bench.h): the only C++ in
// convblocks. Each function forwards to Google Benchmark 1.7; nothing here
// knows about convolutions.
#include "cb_bench.h"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

using benchmark::State;
using benchmark::internal::Benchmark;

// The C flags are Google Benchmark's own bits; keep it so.
static_assert(int(CB_COUNTER_RATE) == int(benchmark::Counter::kIsRate), "flag bits");
static_assert(int(CB_COUNTER_AVG_THREADS) == int(benchmark::Counter::kAvgThreads), "flag bits");
static_assert(int(CB_COUNTER_ITER_INVARIANT) == int(benchmark::Counter::kIsIterationInvariant), "flag bits");
static_assert(int(CB_COUNTER_AVG_ITERATIONS) == int(benchmark::Counter::kAvgIterations), "flag bits");

static State *S(cb_bench_state *st) { return reinterpret_cast<State *>(st); }
static const State *S(const cb_bench_state *st) { return reinterpret_cast<const State *>(st); }
static Benchmark *B(cb_bench *b) { return reinterpret_cast<Benchmark *>(b); }

extern "C" {

cb_bench *cb_bench_register(const char *name, cb_bench_fn fn, void *arg) {
    Benchmark *b = benchmark::RegisterBenchmark(
        name, [fn, arg](State &st) { fn(reinterpret_cast<cb_bench_state *>(&st), arg); });
    return reinterpret_cast<cb_bench *>(b);
}

void cb_bench_use_real_time(cb_bench *b) { B(b)->UseRealTime(); }

void cb_bench_args(cb_bench *b, const int64_t *args, int n) {
    std::vector<int64_t> v(args, args + n);
    B(b)->Args(v);
}

void cb_bench_unit(cb_bench *b, cb_time_unit u) {
    static const benchmark::TimeUnit units[] = {benchmark::kNanosecond, benchmark::kMicrosecond,
                                                benchmark::kMillisecond, benchmark::kSecond};
    if (u >= CB_UNIT_NS && u <= CB_UNIT_S) B(b)->Unit(units[u]);
}

void cb_bench_min_time(cb_bench *b, double seconds) { B(b)->MinTime(seconds); }
void cb_bench_min_warmup_time(cb_bench *b, double seconds) { B(b)->MinWarmUpTime(seconds); }
void cb_bench_repetitions(cb_bench *b, int n) { B(b)->Repetitions(n); }
void cb_bench_iterations(cb_bench *b, int64_t n) { B(b)->Iterations(n); }

bool cb_bench_keep_running(cb_bench_state *st) { return S(st)->KeepRunning(); }
int64_t cb_bench_range(const cb_bench_state *st, int i) { return S(st)->range(static_cast<size_t>(i)); }
int64_t cb_bench_iterations_done(const cb_bench_state *st) { return S(st)->iterations(); }
int cb_bench_thread_index(const cb_bench_state *st) { return S(st)->thread_index(); }
void cb_bench_pause_timing(cb_bench_state *st) { S(st)->PauseTiming(); }
void cb_bench_resume_timing(cb_bench_state *st) { S(st)->ResumeTiming(); }

void cb_bench_counter(cb_bench_state *st, const char *name, double value, unsigned flags) {
    S(st)->counters[name] =
        benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(flags));
}

void cb_bench_label(cb_bench_state *st, const char *label) { S(st)->SetLabel(label); }
void cb_bench_set_items_processed(cb_bench_state *st, int64_t items) { S(st)->SetItemsProcessed(items); }
void cb_bench_set_bytes_processed(cb_bench_state *st, int64_t bytes) { S(st)->SetBytesProcessed(bytes); }
void cb_bench_skip_with_error(cb_bench_state *st, const char *msg) { S(st)->SkipWithError(msg); }

void cb_bench_do_not_optimize(const void *p) { benchmark::DoNotOptimize(p); }
void cb_bench_clobber_memory(void) { benchmark::ClobberMemory(); }

int cb_bench_initialize(int *argc, char **argv) {
    benchmark::Initialize(argc, argv);
    if (benchmark::ReportUnrecognizedArguments(*argc, argv)) return *argc - 1;
    return 0;
}

void cb_bench_add_context(const char *key, const char *value) {
    benchmark::AddCustomContext(key, value);
}

size_t cb_bench_run(void) { return benchmark::RunSpecifiedBenchmarks(); }
void cb_bench_shutdown(void) { benchmark::Shutdown(); }

}  // extern "C"
