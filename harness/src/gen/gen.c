#include "gen/gen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen/engine.h"

/* Whether the phase must end with its pool empty, and in which order its
 * last blocks go. */
static bool must_drain(const hb_phase *ph)
{
    if (ph->pattern == HB_PAT_QUEUE || ph->pattern == HB_PAT_STACK)
        return ph->drain;
    return ph->life.kind == HB_LIFE_PHASE;
}

static enum hb_release drain_order(const hb_phase *ph)
{
    if (ph->pattern == HB_PAT_QUEUE)
        return HB_RELEASE_OLDEST;
    if (ph->pattern == HB_PAT_STACK)
        return HB_RELEASE_NEWEST;
    return ph->release;
}

/* Each iteration writes one line.  Draining comes first: once the blocks
 * that must die in this phase fill the operations left (one spare kept for
 * an allocation to pair with), every operation frees one of them.  If a
 * single operation is left with nothing to free, it is free(NULL), the one
 * operation that neither creates nor needs a block. */
static int run_phase(hb_gen *g, size_t i)
{
    hb_gen_phase_begin(g, i);
    if (hb_pattern_begin(g))
        return -1;
    const hb_phase *ph = g->ph;
    bool drain = must_drain(ph);
    char note[160];
    snprintf(note, sizeof note, "# phase %zu/%zu: %s, %" PRIu64 " ops\n", i + 1,
             g->spec->nphases, hb_pattern_name(ph->pattern), ph->ops);
    hb_buf_puts(&g->out, note);
    while (g->now < g->phase_end) {
        uint64_t left = g->phase_end - g->now;
        if (drain && g->npool + 1 >= left) {
            if (g->npool)
                hb_gen_free(g, hb_gen_victim(g, HB_FROM_PHASE, drain_order(ph)));
            else
                hb_gen_free_null(g);
            continue;
        }
        if (!hb_gen_free_due(g))
            hb_pattern_step(g);
    }
    return 0;
}

static void finish(hb_gen *g, hb_gen_text *out)
{
    uint64_t before = g->now;
    if (g->spec->end == HB_END_FREE && g->nlive) {
        hb_buf_puts(&g->out, "# end: free every block still live, oldest first\n");
        for (uint64_t id = 1; id <= g->nids; id++)
            if (g->blocks[id].alive)
                hb_gen_free(g, id);
    }
    out->final_frees = g->now - before;
    out->ops = g->now;
    out->peak_live_bytes = g->peak_bytes;
    out->peak_live_blocks = g->peak_blocks;
    out->end_live_blocks = g->nlive;
}

static void header(hb_buf *h, const hb_spec *s, const hb_gen_text *t)
{
    char line[1024];
    snprintf(line, sizeof line, "#! name: %s\n", s->name);
    hb_buf_puts(h, line);
    if (s->description[0]) {
        snprintf(line, sizeof line, "#! description: %s\n", s->description);
        hb_buf_puts(h, line);
    }
    snprintf(line, sizeof line,
             "#! source: generated: %s, seed %" PRIu64 "\n"
             "#! spec-hash: %016" PRIx64 "\n"
             "#! generator: heapbench-gen %s\n"
             "#! ops: %" PRIu64 "\n"
             "#! peak-live-bytes: %" PRIu64 "\n",
             s->path, s->seed, s->hash, HB_GEN_VERSION, t->ops, t->peak_live_bytes);
    hb_buf_puts(h, line);
}

int hb_gen_trace(const hb_spec *s, hb_gen_text *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    hb_gen g;
    if (hb_gen_init(&g, s)) {
        snprintf(err, errlen, "%s: error: out of memory for %" PRIu64 " operations", s->path,
                 s->total_ops);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < s->nphases && rc == 0; i++)
        rc = run_phase(&g, i);
    finish(&g, out);
    hb_buf h = { 0 };
    header(&h, s, out);
    hb_buf_put(&h, g.out.data, g.out.len);
    if (rc || g.out.oom || h.oom) {
        snprintf(err, errlen, "%s: error: out of memory while generating", s->path);
        hb_buf_free(&h);
        hb_gen_destroy(&g);
        return -1;
    }
    out->text = h.data;
    out->len = h.len;
    hb_gen_destroy(&g);
    return 0;
}

int hb_gen_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    char tmp[4096];
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    snprintf(tmp, sizeof tmp, "%.*s.%s.tmp.%ld", dirlen, path, slash ? slash + 1 : path,
             (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: error: cannot create: %s", tmp, strerror(errno));
        return -1;
    }
    size_t wrote = fwrite(data, 1, len, f);
    int bad = wrote != len || fflush(f) != 0;
    int saved = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    if (!bad && rename(tmp, path) != 0) {
        bad = 1;
        saved = errno;
    }
    if (bad) {
        unlink(tmp);
        snprintf(err, errlen, "%s: error: cannot write: %s", path, strerror(saved));
        return -1;
    }
    return 0;
}

int hb_gen_header_hash(const char *path, uint64_t *hash)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char line[1024];
    int rc = -1;
    while (fgets(line, sizeof line, f) && !strncmp(line, "#", 1)) {
        if (!strncmp(line, "#! spec-hash: ", 14)) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(line + 14, &end, 16);
            if (!errno && end != line + 14 && (*end == '\n' || *end == '\r' || !*end)) {
                *hash = v;
                rc = 0;
            }
            break;
        }
    }
    fclose(f);
    return rc;
}
