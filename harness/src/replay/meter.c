/*
 * The measuring pass's meter (see meter.h).
 */
#include "replay/meter.h"

/* Anonymous growth since the zero, less the growth of the memory source's
 * table of mappings (the harness's bookkeeping, not the heap's). */
static uint64_t resident_now(const hb_meter *m)
{
    uint64_t a = hb_anon_bytes(m->anon), base = m->base;
    if (m->mem)
        base += m->mem->table_bytes - m->table_base;
    return (a > base ? a - base : 0) + m->extra;
}

/* The allocator's reserved figure now: its memory source's bytes, else its
 * own statistics (read only at series points: some walk their free lists),
 * else none. */
static uint64_t reserved_now(hb_meter *m, bool at_point)
{
    if (m->mem)
        return m->mem->cur_bytes;
    if (!m->hs || !at_point)
        return UINT64_MAX;
    uint64_t stats, reserved;
    /* glibc's arena + hblkhd counts what it took by brk and mmap, so it
     * changes exactly when the process's mapped size does; mallinfo2 walks
     * every free chunk, so it is called again only then. */
    if (m->have_stats && m->hs->follows_vm && m->anon->vm_pages == m->stats_vm) {
        stats = m->stats_last;
        reserved = m->reserved_last;
    } else if (!hb_heapstats_read(m->hs, &stats, &reserved)) {
        return UINT64_MAX;
    }
    m->stats_vm = m->anon->vm_pages;
    m->stats_last = stats;
    m->reserved_last = reserved;
    m->have_stats = true;
    if (stats > m->stats_max)
        m->stats_max = stats;
    if (reserved > m->stats_reserved_max)
        m->stats_reserved_max = reserved;
    return reserved;
}

static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

static void close_point(hb_meter *m, uint64_t op)
{
    if (m->npts >= m->cap)
        return;
    uint64_t r = reserved_now(m, true);
    m->iv.op = op;
    if (r != UINT64_MAX)
        m->iv.reserved = m->iv.reserved == UINT64_MAX ? r : max_u64(m->iv.reserved, r);
    m->pts[m->npts++] = m->iv;
    m->iv = (hb_series_pt){ .reserved = m->mem ? 0 : UINT64_MAX };
}

void hb_meter_after_op(hb_pass *P, size_t i)
{
    hb_meter *m = P->meter;
    if (!m)
        return;
    uint64_t res = resident_now(m), live = P->live_bytes;
    /* #3's moment: while the footprint stays at its peak, the one with the
     * most live bytes (the peak is often first reached by an allocator's
     * set-up, with hardly a byte live). */
    if (res > m->res_peak || (res == m->res_peak && live > m->live_at_res_peak)) {
        m->res_peak = res;
        m->live_at_res_peak = live;
    }
    if (P->new_peak) {
        m->res_at_peak_live = res;
        m->usable_at_peak = m->usable;
    }
    m->sum_res += (double)res;
    m->sum_live += (double)live;
    m->iv.live = max_u64(m->iv.live, live);
    m->iv.resident = max_u64(m->iv.resident, res);
    if (m->mem)
        m->iv.reserved = max_u64(m->iv.reserved, m->mem->cur_bytes);
    if ((i + 1) % m->every == 0)
        close_point(m, i + 1);
}

void hb_meter_finish(hb_pass *P)
{
    hb_meter *m = P->meter;
    if (!m)
        return;
    m->res_end = resident_now(m);
    if (!P->nops || P->nops % m->every != 0)
        close_point(m, P->nops);
}
