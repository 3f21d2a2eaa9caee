/* cost.c — the exact cost of each layer, from its shapes alone (cost.h). */
#include "convblocks/cost.h"

#include <stdio.h>

static uint64_t numel(cb_shape s) { return cb_shape_numel(s); }

static uint64_t param_numel(const cb_graph *g, int idx) {
    return idx < 0 ? 0 : cb_tensor_numel(&g->params[idx].t);
}

cb_cost cb_layer_cost(const cb_graph *g, int i) {
    const cb_layer *l = &g->layers[i];
    const cb_shape in = g->values[l->in[0]], out = g->values[l->out];
    const uint64_t F = sizeof(float);
    cb_cost c = {0, 0, 0, 0, 0, 0};
    uint64_t in_elems = 0;
    for (int k = 0; k < l->n_in; k++) in_elems += numel(g->values[l->in[k]]);
    const uint64_t w = param_numel(g, l->param[CB_P_WEIGHT]);
    const uint64_t b = param_numel(g, l->param[CB_P_BIAS]);

    switch (l->op) {
    case CB_OP_CONV:
        /* every output value is a kh x kw window over C_in/groups channels */
        c.macs = numel(out) * (uint64_t)l->conv.kh * l->conv.kw * (uint64_t)(in.c / l->conv.groups);
        c.weights = w;
        c.params = w + b;
        c.other_ops = b ? numel(out) : 0;
        break;
    case CB_OP_FC:
        c.macs = numel(in) * (uint64_t)l->cout;
        c.weights = w;
        c.params = w + b;
        c.other_ops = b ? (uint64_t)l->cout : 0;
        break;
    case CB_OP_BN:
        c.params = 2 * (uint64_t)out.c;   /* gamma, beta */
        c.buffers = 2 * (uint64_t)out.c;  /* running mean, variance */
        c.other_ops = 2 * numel(out);
        break;
    case CB_OP_RELU:
    case CB_OP_ADD:
        c.other_ops = numel(out);
        break;
    case CB_OP_MAXPOOL:
        c.other_ops = numel(out) * (uint64_t)(l->pool.k * l->pool.k - 1);
        break;
    case CB_OP_AVGPOOL:
        c.other_ops = numel(out) * (uint64_t)(l->pool.k * l->pool.k);
        break;
    case CB_OP_GAP:
        c.other_ops = numel(in);
        break;
    case CB_OP_CONCAT:
    case CB_OP_COUNT:
        break;
    }
    c.bytes = F * (in_elems + c.params + c.buffers + numel(out));
    return c;
}

void cb_cost_add(cb_cost *sum, cb_cost c) {
    sum->macs += c.macs;
    sum->params += c.params;
    sum->weights += c.weights;
    sum->buffers += c.buffers;
    sum->other_ops += c.other_ops;
    sum->bytes += c.bytes;
}

cb_cost cb_graph_cost(const cb_graph *g, cb_cost *per_layer) {
    cb_cost total = {0, 0, 0, 0, 0, 0};
    for (int i = 0; i < g->n_layers; i++) {
        cb_cost c = cb_layer_cost(g, i);
        if (per_layer) per_layer[i] = c;
        cb_cost_add(&total, c);
    }
    return total;
}

double cb_cost_intensity(cb_cost c) {
    return c.bytes ? 2.0 * (double)c.macs / (double)c.bytes : 0.0;
}

const char *cb_layer_type(const cb_graph *g, const cb_layer *l) {
    switch (l->op) {
    case CB_OP_CONV:
        if (cb_layer_is_depthwise(g, l)) return "conv dw";
        if (l->conv.groups > 1) return "conv grouped";
        if (l->conv.kh == 1 && l->conv.kw == 1) return "conv 1x1";
        return "conv";
    case CB_OP_FC: return "fc";
    case CB_OP_BN: return "bn";
    case CB_OP_RELU: return "relu";
    case CB_OP_MAXPOOL:
    case CB_OP_AVGPOOL:
    case CB_OP_GAP: return "pool";
    case CB_OP_ADD: return "add";
    case CB_OP_CONCAT: return "concat";
    case CB_OP_COUNT: break;
    }
    return "?";
}

const char *cb_format_count(uint64_t v, char *buf, size_t n) {
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int k = 0; k < len && o + 2 < n; k++) {
        if (k > 0 && (len - k) % 3 == 0) buf[o++] = ',';
        buf[o++] = digits[k];
    }
    if (n) buf[o] = '\0';
    return buf;
}
