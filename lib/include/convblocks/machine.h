/* machine.h — what this machine can do at most: its roofline ceilings.
 *
 * A benchmark's GMAC/s and GB/s mean little without the machine's own
 * limits beside them. cb_machine_probe measures them here, on this machine,
 * in this sitting (a shared VM's numbers drift from hour to hour):
 *   - fp32 FMA peak: 12 independent 8-wide FMA chains (enough to hide the
 *     4-cycle FMA latency on 2 FMA ports), AVX2+FMA when the CPU has it, a
 *     portable multiply-add loop otherwise; 1 thread and all threads.
 *   - memory bandwidth: a STREAM triad a[i] = b[i] + s*c[i] on float arrays
 *     (12 bytes per element: read b and c, write a; write-allocate traffic
 *     not counted, as STREAM does) on arrays
 *     each twice the last-level cache (DRAM), and on a working set of a
 *     quarter of it (L3-resident); 1 thread and all threads.
 * Each figure is the best of many short samples (a ceiling, as STREAM
 * reports; short, so that some escape other processes on a shared machine).
 * It also reads the CPU model, caches and cpufreq governor from /proc and /sys.
 *
 * Used by convblocks-bench (JSON context) and the report (roofline plots).
 */
#ifndef CONVBLOCKS_MACHINE_H
#define CONVBLOCKS_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "convblocks/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    /* Facts (cb_machine_describe). Unknown values are "" or 0. */
    char cpu_model[128];      /* /proc/cpuinfo "model name" */
    int logical_cpus;         /* online CPUs */
    int max_threads;          /* threads the library's OpenMP pool uses by default */
    uint64_t l1d_bytes, l2_bytes, l3_bytes;  /* per cache instance, cpu0's view */
    char governor[32];        /* cpufreq scaling governor of cpu0; "" if no cpufreq (VMs) */
    bool avx2_fma;            /* the CPU runs AVX2 + FMA3 (the peak kernel used them) */

    /* Measurements (cb_machine_probe); GFLOP/s count an FMA as 2 flop, GB/s are 1e9 B/s. */
    int threads_all;          /* threads of the "all" figures */
    double fma_gflops_1t, fma_gflops_all;
    double dram_triad_gbs_1t, dram_triad_gbs_all;
    double l3_triad_gbs_1t, l3_triad_gbs_all;
    size_t dram_array_bytes;  /* size of each of the 3 DRAM triad arrays */
    size_t l3_array_bytes;    /* size of each of the 3 L3-resident arrays */
} cb_machine_info;

/* Fill the facts only (fast: reads /proc and /sys); measurements are zeroed. */
void cb_machine_describe(cb_machine_info *info);

/* Facts plus measurements. quick != 0: fewer samples (~0.5 s
 * in all instead of ~1.5 s). Allocates ~6x the last-level cache for the
 * duration of the call. Fails only when memory cannot be had. */
cb_status cb_machine_probe(cb_machine_info *info, int quick, cb_error *err);

/* One line warning that clock frequency is not pinned (governor other than
 * "performance", or no cpufreq control at all), or NULL when it is. */
const char *cb_machine_frequency_warning(const cb_machine_info *info);

/* Make OpenMP's idle threads give their CPU back quickly, for this program.
 *
 * libgomp's default: a thread that finishes its share spins for 300,000
 * pause instructions before it sleeps (a pause took 50 ns on this KVM
 * guest, so 15 ms). On a
 * machine where something else is running, that spinning thread holds a
 * vCPU the unfinished thread needs, so every parallel region can wait for a
 * scheduler tick: mobilenet_v1 at 2 threads took 120-350 ms instead of
 * ~20 ms on this 2-vCPU VM with one other busy process. With a spin of
 * 1,000 pauses (libgomp's own choice when it knows the machine is
 * oversubscribed, ~50 us here) back-to-back parallel regions still find
 * their threads awake, and an idle thread sleeps soon after.
 *
 * libgomp reads its settings once, when it is loaded, so this must run
 * first thing in main(): when neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT is
 * set, it sets GOMP_SPINCOUNT=1000 and re-executes the program
 * (/proc/self/exe, same argv). It returns when there is nothing to do (the
 * user chose a policy, or the program runs under valgrind, which would not
 * follow the exec) or the exec failed (then the defaults stay). */
void cb_machine_short_spin(char **argv);

#ifdef __cplusplus
}
#endif
#endif
