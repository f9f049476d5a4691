#include "report/palette.h"

#include <stdint.h>
#include <string.h>

typedef struct entry {
    const char *name;
    hb_look look;
} entry;

/* Baseline-like system allocators first, then the suite from simple to
 * elaborate, the mmap baseline last.  Colours are far apart in hue and in
 * lightness; dash and hatch change between neighbours. */
static const entry fixed[] = {
    { "glibc", { "#000000", 1, 7, 0 } },    { "jemalloc", { "#e69f00", 2, 5, 1 } },
    { "mimalloc", { "#56b4e9", 3, 9, 2 } }, { "tcmalloc", { "#009e73", 4, 11, 4 } },
    { "buddy", { "#d55e00", 5, 13, 5 } },   { "pow2", { "#0072b2", 1, 4, 6 } },
    { "firstfit", { "#cc79a7", 2, 6, 7 } }, { "bestfit", { "#8c564b", 3, 8, 1 } },
    { "segfit", { "#7f7f7f", 4, 10, 2 } },  { "pagemeta", { "#bcbd22", 5, 12, 4 } },
    { "nova", { "#9467bd", 1, 14, 5 } },    { "mmap", { "#17becf", 2, 1, 6 } },
};
#define NFIXED (sizeof fixed / sizeof fixed[0])

/* Other names: a colour not in the table above, by hash. */
static const char *const extra[] = { "#e31a1c", "#33a02c", "#1f78b4", "#ff7f00",
                                     "#6a3d9a", "#b15928", "#a6761d", "#666600" };

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

size_t hb_look_rank(const char *name)
{
    for (size_t i = 0; i < NFIXED; i++)
        if (!strcmp(fixed[i].name, name))
            return i;
    return NFIXED;
}

hb_look hb_look_of(const char *name)
{
    size_t r = hb_look_rank(name);
    if (r < NFIXED)
        return fixed[r].look;
    uint32_t h = fnv1a(name);
    hb_look l = { extra[h % 8], (int)(h / 8 % 5) + 1, (int)(h / 40 % 14) + 1,
                  (int)(h / 560 % 7) + 1 };
    return l;
}
