/* image.c — a photo as a network input: decode, centre-crop, resize, scale.
 *
 * stb_image decodes PNG/JPEG; stb_image_resize resamples. The pixels become
 * a (3, H, W) float tensor in [-1, 1] (x / 127.5 - 1), the input scaling of
 * the TF-slim MobileNet and Keras Xception/Inception releases. */
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>
#include <stb_image_resize.h>

#include "cli.h"

cb_status cli_load_image(const char *path, int out_h, int out_w, cb_tensor *t, cb_error *err) {
    int w, h, n;
    unsigned char *px = stbi_load(path, &w, &h, &n, 3);
    if (!px) return cb_fail(err, CB_ERR_IO, "%s: cannot read image: %s", path, stbi_failure_reason());
    if (out_h <= 0 || out_w <= 0) {  /* keep the photo's own size */
        out_h = h;
        out_w = w;
    }
    /* centre crop to the output's aspect ratio, so nothing is stretched */
    int cw = w, ch = h;
    if ((long)w * out_h > (long)h * out_w) cw = (int)((long)h * out_w / out_h);
    else ch = (int)((long)w * out_h / out_w);
    if (cw < 1) cw = 1;
    if (ch < 1) ch = 1;
    const unsigned char *crop = px + ((size_t)((h - ch) / 2) * w + (size_t)((w - cw) / 2)) * 3;
    unsigned char *rs = malloc((size_t)out_h * out_w * 3);
    cb_status s = rs ? cb_tensor_alloc_shape(t, (cb_shape){3, out_h, out_w}, err)
                     : cb_fail(err, CB_ERR_NOMEM, "out of memory");
    if (s == CB_OK && !stbir_resize_uint8(crop, cw, ch, w * 3, rs, out_w, out_h, 0, 3)) {
        cb_tensor_free(t);
        s = cb_fail(err, CB_ERR_FORMAT, "%s: cannot resize to %dx%d", path, out_w, out_h);
    }
    if (s == CB_OK) {
        size_t hw = (size_t)out_h * out_w;
        for (int c = 0; c < 3; c++)
            for (size_t k = 0; k < hw; k++) t->data[c * hw + k] = (float)rs[k * 3 + c] / 127.5f - 1.0f;
    }
    free(rs);
    stbi_image_free(px);
    return s;
}
