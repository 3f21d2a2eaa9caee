/* player.h — how the animation advances in time, and the view state the
 * renderer reads besides the model: play/pause, speed, pinned pixel, help.
 * No SDL here, so the pacing is as testable and deterministic as the model.
 *
 * Time is counted in frames of 1/60 s (VIZ_FPS); the player adds a rate in
 * milli-MACs per second to an integer budget each frame and steps the model
 * by the whole MACs in it. Recording and live play share this code, which
 * is why recorded frames are identical from run to run.
 */
#ifndef CONVBLOCKS_VIZ_PLAYER_H
#define CONVBLOCKS_VIZ_PLAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "anim.h"
#include "filters.h"

#define VIZ_FPS 60

/* Fixed speeds in MACs per second: from a few taps a second (watch each
 * product) to more than a whole 48x32 channel per frame. */
#define VIZ_SPEED_LEVELS 15
extern const uint32_t viz_speed_levels[VIZ_SPEED_LEVELS];

typedef struct {
    bool playing;
    bool auto_speed;   /* slow for the first values of each stage, then faster */
    int level;         /* index into viz_speed_levels when !auto_speed */
    uint64_t custom;   /* if not 0 and !auto_speed: this many MACs per second (--speed) */
    uint64_t budget;   /* milli-MAC-frames not yet spent */
} viz_player;

void viz_player_init(viz_player *p);

/* The current rate in milli-MACs per second. Auto speed: each stage starts
 * at a third of an output value per second and ramps up, over the first
 * ~70 values, to one output channel every two seconds. */
uint64_t viz_player_rate_milli(const viz_player *p, const viz_anim *a);

/* Advance one frame; returns the MACs stepped. Does nothing when paused. */
uint64_t viz_player_tick(viz_player *p, viz_anim *a);

/* Speed up (+1) or down (-1): leaves auto speed at the nearest fixed level. */
void viz_player_speed(viz_player *p, const viz_anim *a, int dir);

/* A pinned output pixel: its full computation is shown. */
typedef struct {
    bool on;
    int stage, o, i, j;
} viz_pin;

/* Everything the renderer shows besides the model. */
typedef struct {
    viz_player player;
    viz_pin pin;
    bool help;
    bool rgb;                  /* input is a photo: channels are R, G, B */
    const char *input_name;    /* "chelsea.png" or "x.npy" */
    int photo_w, photo_h;      /* size of the original photo (0 for .npy) */
    viz_weight_source src;     /* hand-made, seeded, or which sets came from --params */
    const char *params_dir;    /* --params DIR, or NULL */
    double fps;                /* measured frames per second, shown if > 0 (key f) */
} viz_view;

#endif
