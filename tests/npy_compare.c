/* npy_compare — exit 0 if two .npy files hold the same shape and values
 * within |a - b| <= atol + rtol*|b| (default 1e-4 each), else 1 with the
 * first difference. Used by the end-to-end tests, which must not need numpy. */
#include <stdio.h>
#include <stdlib.h>

#include "convblocks/npy.h"
#include "golden_util.h"

int main(int argc, char **argv) {
    if (argc != 3 && argc != 5) {
        fprintf(stderr, "usage: npy_compare A.npy B.npy [ATOL RTOL]\n");
        return 2;
    }
    float atol = argc == 5 ? strtof(argv[3], NULL) : 1e-4f, rtol = argc == 5 ? strtof(argv[4], NULL) : 1e-4f;
    cb_tensor a, b;
    cb_error err;
    if (cb_npy_read(argv[1], &a, &err) != CB_OK || cb_npy_read(argv[2], &b, &err) != CB_OK) {
        fprintf(stderr, "npy_compare: %s\n", err.msg);
        return 2;
    }
    int rc = 0;
    if (cb_tensor_numel(&a) != cb_tensor_numel(&b)) {
        fprintf(stderr, "npy_compare: %llu vs %llu elements\n", (unsigned long long)cb_tensor_numel(&a),
                (unsigned long long)cb_tensor_numel(&b));
        rc = 1;
    } else {
        long bad = cbt_first_mismatch(a.data, b.data, (size_t)cb_tensor_numel(&a), atol, rtol);
        if (bad >= 0) {
            fprintf(stderr, "npy_compare: element %ld: %g vs %g\n", bad, a.data[bad], b.data[bad]);
            rc = 1;
        }
    }
    cb_tensor_free(&a);
    cb_tensor_free(&b);
    return rc;
}
