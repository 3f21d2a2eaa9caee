/* filters.h — where the viewer's input and weights come from. No SDL here.
 *
 * Default filters are hand-made so students see something happen on a
 * photo: per-channel blur, edge and sharpen kernels for the depthwise conv,
 * colour mixing (luminance, red-green, blue-yellow, average) for the
 * pointwise conv, and luminance-weighted blur/edge/sharpen filters for the
 * standard conv. `--seed N` replaces them with He-normal random weights
 * (std sqrt(2/fan_in), as blocks.py's randomize()); `--params DIR` loads the
 * ones a block saved with `convblocks run BLOCK --save-params DIR`.
 */
#ifndef CONVBLOCKS_VIZ_FILTERS_H
#define CONVBLOCKS_VIZ_FILTERS_H

#include <stdbool.h>
#include <stdint.h>

#include "anim.h"
#include "convblocks/status.h"
#include "convblocks/tensor.h"

/* The largest input the viewer animates (every pixel must stay visible). */
#define VIZ_MAX_CHANNELS 64
#define VIZ_MAX_SIDE 160

typedef struct {
    bool seeded;        /* random weights from seed instead of hand-made filters */
    uint64_t seed;
    /* Which sets came from --params (the others are defaults). */
    bool from_params_std, from_params_dw, from_params_pw, from_params_grp;
} viz_weight_source;

/* Weights for every mode on a c-channel input; grouped uses `groups`, which
 * must divide grp_c: c, or 6 for a photo, whose grouped conv reads six
 * channels a 1x1 conv makes from R, G, B. The caller frees with
 * viz_weights_free. */
cb_status viz_weights_make(viz_weights *w, int c, int groups, const viz_weight_source *src,
                           cb_error *err);

/* Replace the grouped set with one for `groups` (default or seeded). */
cb_status viz_weights_regroup(viz_weights *w, int groups, const viz_weight_source *src,
                              cb_error *err);

/* Load whichever of dw.weight, pw.weight, conv.weight and
 * spatial.conv.weight (with reduce.conv.weight, as inception_grouped saves
 * them) DIR holds (at least one), checking that each fits a c-channel
 * input; marks them in src. */
cb_status viz_weights_load(viz_weights *w, const char *dir, viz_weight_source *src,
                           cb_error *err);

void viz_weights_free(viz_weights *w);

/* Downscale an 8-bit RGB image (rows of `pitch` bytes, 3 bytes a pixel) to
 * (3, oh, ow) floats in [0, 1] by averaging the source pixels each target
 * pixel covers. Deterministic. */
void viz_rgb_to_tensor(const unsigned char *rgb, int w, int h, int pitch, int ow, int oh,
                       float *out);

/* The default target size for a w x h photo: 48 wide, the height keeping
 * the aspect ratio (at least 8, at most 64). */
void viz_default_size(int w, int h, int *ow, int *oh);

/* Check an input shape is small enough to animate. */
cb_status viz_check_input(cb_shape s, const char *name, cb_error *err);

#endif
