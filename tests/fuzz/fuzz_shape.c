/* fuzz_shape.c — libFuzzer target for the --shape parser, cb_shape_parse.
 *
 * The input is the argument text (cut at its first NUL, as argv would be).
 * Properties: no crash or out-of-bounds read; an accepted shape has three
 * positive dimensions whose float32 bytes stay within CB_MAX_TENSOR_BYTES,
 * and printing it with cb_shape_str parses back to the same shape; a
 * refusal leaves a message that quotes the argument's start.
 */
#include "fuzz_util.h"

#include "convblocks/tensor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_strndup(data, size);
    cb_shape s = {-1, -1, -1}, back;
    cb_error err;
    if (cb_shape_parse(text, &s, &err) == CB_OK) {
        FUZZ_ASSERT(s.c > 0 && s.h > 0 && s.w > 0);
        FUZZ_ASSERT(cb_shape_numel(s) * 4 <= CB_MAX_TENSOR_BYTES);
        char buf[64];
        cb_shape_str(s, buf, sizeof buf);
        FUZZ_ASSERT(cb_shape_parse(buf, &back, &err) == CB_OK && cb_shape_eq(s, back));
    } else {
        FUZZ_ASSERT(s.c == -1 && s.h == -1 && s.w == -1); /* untouched on failure */
        FUZZ_ASSERT(memchr(err.msg, '\0', sizeof err.msg) && strncmp(err.msg, "shape '", 7) == 0);
    }
    free(text);
    return 0;
}
