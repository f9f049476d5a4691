/*
 * The treap of live blocks against a plain array: random blocks inserted
 * and removed, every overlap query answered the same way, including
 * ranges that touch a block's first and last byte and ranges that only
 * abut it.
 */
#include <stdlib.h>

#include "check.h"
#include "verify/intervals.h"

#define SLOTS 2000
#define SPACE 200000u

static uintptr_t start_of[SLOTS];
static uint64_t len_of[SLOTS];
static int live[SLOTS];

static int64_t brute_overlap(uintptr_t s, uint64_t n)
{
    for (int i = 0; i < SLOTS; i++)
        if (live[i] && start_of[i] < s + n && s < start_of[i] + len_of[i])
            return i;
    return -1;
}

static void test_against_brute_force(void)
{
    hb_intervals t;
    REQUIRE(hb_ival_init(&t, SLOTS) == 0);
    srand(7);
    unsigned mismatches = 0, inserted = 0;
    for (int step = 0; step < 40000; step++) {
        int slot = rand() % SLOTS;
        uintptr_t s = 4096 + (uintptr_t)(rand() % SPACE);
        uint64_t n = 1 + (uint64_t)(rand() % 300);
        int64_t want = brute_overlap(s, n), got = hb_ival_overlap(&t, s, n);
        mismatches += (want < 0) != (got < 0);
        if (got >= 0) /* the block named must overlap */
            mismatches += !(start_of[got] < s + n && s < start_of[got] + len_of[got]);
        if (live[slot]) {
            hb_ival_remove(&t, (uint32_t)slot);
            live[slot] = 0;
        } else if (want < 0) {
            hb_ival_insert(&t, (uint32_t)slot, s, n);
            start_of[slot] = s;
            len_of[slot] = n;
            live[slot] = 1;
            inserted++;
        }
    }
    CHECK_EQ_U(mismatches, 0);
    CHECK(inserted > 5000);
    hb_ival_free(&t);
}

static void test_edges(void)
{
    hb_intervals t;
    REQUIRE(hb_ival_init(&t, 4) == 0);
    CHECK(hb_ival_overlap(&t, 100, 10) == -1);
    hb_ival_insert(&t, 2, 100, 10); /* [100, 110) */
    CHECK(hb_ival_overlap(&t, 90, 10) == -1);  /* abuts below */
    CHECK(hb_ival_overlap(&t, 110, 5) == -1);  /* abuts above */
    CHECK(hb_ival_overlap(&t, 91, 10) == 2);   /* its first byte */
    CHECK(hb_ival_overlap(&t, 109, 1) == 2);   /* its last byte */
    CHECK(hb_ival_overlap(&t, 50, 500) == 2);  /* around it */
    hb_ival_remove(&t, 2);
    hb_ival_remove(&t, 2); /* twice: nothing */
    CHECK(hb_ival_overlap(&t, 100, 10) == -1);
    CHECK_EQ_U(t.count, 0);
    hb_ival_free(&t);
}

int main(void)
{
    RUN(test_against_brute_force);
    RUN(test_edges);
    return check_summary();
}
