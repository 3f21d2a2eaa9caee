# Expected Mann-Whitney U p-values for tests/test_bench_stats.c, from scipy.
# Run: /usr/bin/python3 tests/bench_mwu_expected.py  (Debian python3-scipy 1.10.1;
# its output is pasted into test_bench_stats.c).
from scipy.stats import mannwhitneyu
import scipy
cases = {
 "A": ([19, 22, 16, 29, 24], [20, 11, 17, 12]),
 "B": ([1, 2, 2, 3, 3, 3, 4], [2, 3, 4, 4, 5, 5, 6, 7]),
 "C": ([10.1, 10.4, 9.8, 10.9, 11.2, 10.0, 10.6, 9.9, 10.3, 10.8],
       [11.5, 10.7, 12.1, 11.9, 11.0, 12.4, 11.3, 10.2, 11.8, 12.0]),
}
print("scipy", scipy.__version__)
for k, (x, y) in cases.items():
    for alt in ["two-sided", "greater", "less"]:
        for m in ["auto", "exact", "asymptotic"]:
            r = mannwhitneyu(x, y, alternative=alt, method=m)
            print(k, alt, m, repr(float(r.statistic)), repr(float(r.pvalue)))
