/*
 * Robustness: thousands of randomly damaged traces (bytes flipped,
 * inserted, deleted, lines duplicated) go through all three readers.  Each
 * must either load a consistent trace or report errors, never crash (run
 * under -DHB_SANITIZE=ON to catch memory errors too).  The generator is a
 * fixed-seed xorshift, so a failure reproduces.
 */
#include <stdint.h>

#include "check.h"
#include "trace_util.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *const seeds[] = {
    "#! name: s\na 1 100\nc 2 4 32\nr 1 400\nf 2\nm 3 64 1000\nt 1\nf 1\nf -\nr 3 0\n",
    "20000\n3\n8\n1\na 0 512\na 1 128\nr 0 640\na 2 128\nf 1\nr 0 768\nf 0\nf 2\n",
    "= Start\n@ ./p:[0x1] + 0x10 0x64\n@ ./p:[0x2] < 0x10\n@ ./p:[0x2] > 0x20 0x80\n"
    "@ ./p:[0x3] - 0x20\n= End\n",
};
static const char alphabet[] = "acmrft-0123456789 \t\n\r#!:@<>+x";

static size_t mutate(const char *seed, char *out, size_t cap)
{
    size_t n = strlen(seed);
    memcpy(out, seed, n);
    for (unsigned k = 0, edits = 1 + next() % 6; k < edits; k++) {
        size_t at = n ? next() % n : 0;
        char c = alphabet[next() % (sizeof alphabet - 1)];
        switch (next() % 4) {
        case 0: out[at] = c; break;
        case 1: if (n + 1 < cap) { memmove(out + at + 1, out + at, n - at); out[at] = c; n++; } break;
        case 2: if (n) { memmove(out + at, out + at + 1, n - at - 1); n--; } break;
        default: out[at] = (char)next(); break; /* any byte, NUL included */
        }
    }
    return n;
}

/* A loaded trace must satisfy what the replay trusts. */
static int consistent(const hb_trace *t)
{
    for (size_t i = 0; i < t->nops; i++) {
        const hb_op *o = &t->ops[i];
        if (o->kind >= HB_OP_KINDS || (o->slot >= t->nslots && o->slot != HB_SLOT_NONE) ||
            (o->slot == HB_SLOT_NONE && o->kind != HB_OP_FREE) || o->size > INT64_MAX ||
            o->thread >= t->sum.threads)
            return 0;
    }
    return t->nslots == t->sum.peak_live_blocks;
}

static void test_damaged_traces(void)
{
    static const enum hb_trace_format fmts[] = { HB_FMT_NATIVE, HB_FMT_REP, HB_FMT_MTRACE };
    char buf[512];
    unsigned loaded = 0, rejected = 0;
    for (unsigned i = 0; i < 6000; i++) {
        unsigned s = i % 3;
        size_t n = mutate(seeds[s], buf, sizeof buf);
        hb_trace t;
        hb_diag d = { 0 };
        enum hb_trace_format f = (i / 3) % 2 ? fmts[s] : HB_FMT_AUTO;
        if (hb_trace_parse_buffer("fuzz", buf, n, f, &t, &d) == 0) {
            loaded++;
            CHECK(d.errors == 0);
            CHECK(consistent(&t));
            hb_trace_release(&t);
        } else {
            rejected++;
            CHECK(d.errors > 0);
            CHECK(t.ops == NULL);
        }
    }
    CHECK(loaded > 100 && rejected > 100); /* the damage is neither nil nor total */
    fprintf(stderr, "  %u loaded, %u rejected\n", loaded, rejected);
}

int main(void)
{
    RUN(test_damaged_traces);
    return check_summary();
}
