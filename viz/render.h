/* render.h — draws the animation model (anim.h) and view (player.h) with
 * SDL2 and SDL2_ttf. It only reads them; the event loop in main.c owns both.
 *
 * The layout is recomputed for every frame from the output size, so the
 * window may be resized freely; the last layout is kept for hit testing
 * (which output pixel a click lands on, where on the timeline).
 */
#ifndef CONVBLOCKS_VIZ_RENDER_H
#define CONVBLOCKS_VIZ_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <SDL.h>

#include "anim.h"
#include "player.h"

typedef struct viz_renderer viz_renderer;

/* Fonts are DejaVuSans.ttf, DejaVuSans-Bold.ttf and DejaVuSansMono.ttf in
 * font_dir. NULL with a one-line reason in err (size n) on failure. */
viz_renderer *viz_renderer_new(SDL_Renderer *r, const char *font_dir, char *err, size_t n);
void viz_renderer_free(viz_renderer *vr);

/* Draw one frame of w x h pixels. Does not present. */
void viz_render(viz_renderer *vr, int w, int h, const viz_anim *a, const viz_view *v);

/* After a viz_render: the output value under (mx, my), if any — the stage
 * whose output it is, channel o, row i, column j. */
bool viz_hit_output(const viz_renderer *vr, const viz_anim *a, int mx, int my, int *stage,
                    int *o, int *i, int *j);

/* After a viz_render: the mode tab under (mx, my), if any. */
bool viz_hit_tab(const viz_renderer *vr, int mx, int my, viz_mode *m);

/* After a viz_render: the timeline position under (mx, my) as t in
 * [0, a->total], if (mx, my) is on it (or `dragging`, then anywhere). */
bool viz_hit_timeline(const viz_renderer *vr, const viz_anim *a, int mx, int my, bool dragging,
                      uint64_t *t);

#endif
