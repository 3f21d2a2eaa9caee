/* player.c — pacing of the animation (player.h). No SDL here. */
#include "player.h"

const uint32_t viz_speed_levels[VIZ_SPEED_LEVELS] = {
    1, 3, 10, 30, 100, 300, 1000, 3000, 10000, 30000, 100000, 300000, 1000000, 3000000, 10000000,
};

void viz_player_init(viz_player *p) {
    p->playing = true;
    p->auto_speed = true;
    p->level = 3;
    p->budget = 0;
    p->custom = 0;
}

uint64_t viz_player_rate_milli(const viz_player *p, const viz_anim *a) {
    if (!p->auto_speed && p->custom) return p->custom * 1000u;
    if (!p->auto_speed) return (uint64_t)viz_speed_levels[p->level] * 1000u;
    const viz_cursor *c = &a->cur;
    if (c->stage >= a->n_stages) return 0;
    const viz_stage *st = &a->st[c->stage];
    /* Output values per second, in thousandths, by how far into the stage. */
    uint64_t vps_milli;
    if (c->value < 1)
        vps_milli = 300;
    else if (c->value < 3)
        vps_milli = 1000;
    else if (c->value < 8)
        vps_milli = 3000;
    else if (c->value < 24)
        vps_milli = 10000;
    else if (c->value < 72)
        vps_milli = 40000;
    else {
        /* one output channel every two seconds */
        vps_milli = (uint64_t)st->out.h * st->out.w * 1000u / 2u;
        if (vps_milli < 40000) vps_milli = 40000;
    }
    return vps_milli * st->per;
}

uint64_t viz_player_tick(viz_player *p, viz_anim *a) {
    if (!p->playing || viz_anim_done(a)) return 0;
    p->budget += viz_player_rate_milli(p, a);
    const uint64_t unit = 1000u * VIZ_FPS; /* one MAC */
    uint64_t n = p->budget / unit;
    p->budget %= unit;
    if (n > a->total - a->t) n = a->total - a->t;
    viz_anim_seek(a, a->t + n);
    return n;
}

void viz_player_speed(viz_player *p, const viz_anim *a, int dir) {
    if (p->auto_speed || p->custom) {
        /* Start from the fixed level nearest the current auto rate. */
        uint64_t r = viz_player_rate_milli(p, a) / 1000u;
        int best = 0;
        for (int k = 0; k < VIZ_SPEED_LEVELS; k++)
            if (viz_speed_levels[k] <= r) best = k;
        p->level = best;
        p->auto_speed = false;
        p->custom = 0;
    }
    p->level += dir;
    if (p->level < 0) p->level = 0;
    if (p->level >= VIZ_SPEED_LEVELS) p->level = VIZ_SPEED_LEVELS - 1;
    p->budget = 0;
}
