/* Spec errors name FILE:LINE:COL, the key, what was expected and what was
 * found; unknown keys are rejected. */
#include "check.h"
#include "gen/spec.h"

typedef struct bad_case {
    const char *yaml;
    const char *want; /* substring of the message */
} bad_case;

#define HEAD "name: x\nseed: 1\nphases:\n"

static const bad_case cases[] = {
    { "name: x\nseed: -3\nphases: []\n",
      "t.yaml:2:7: error: seed: expected a non-negative integer, got '-3'" },
    { "name: x\nseed: 1\ncolour: red\nphases: []\n",
      "t.yaml:3:1: error: spec: unknown key 'colour'; expected one of: name," },
    { "seed: 1\nphases: []\n", "t.yaml:1:1: error: spec: expected a key 'name'" },
    { "name: x\nphases: []\n", "error: spec: expected a key 'seed'" },
    { "name: x\nseed: 1\n", "error: phases: expected a list of at least one phase" },
    { HEAD "  - pattern: rampp\n    ops: 5\n",
      "t.yaml:4:14: error: phases[0].pattern: expected one of ramp, peak," },
    { HEAD "  - pattern: ramp\n    target: 1MiB\n    size: 8\n",
      "t.yaml:4:5: error: phases[0]: expected a key 'ops'" },
    { HEAD "  - pattern: ramp\n    ops: lots\n    target: 1MiB\n    size: 8\n",
      "t.yaml:5:10: error: phases[0].ops: expected a non-negative integer, got 'lots'" },
    { HEAD "  - pattern: ramp\n    ops: 5\n    size: 8\n",
      "error: phases[0]: expected a key 'target'" },
    { HEAD "  - pattern: queue\n    ops: 5\n    depth: 3\n    lifetime: phase\n    size: 8\n",
      "t.yaml:7:5: error: phases[0]: unknown key 'lifetime'" },
    { HEAD "  - {pattern: plateau, ops: 5, size: {dist: lognormal, median: 10, sigma: -1}}\n",
      "phases[0].size.sigma: expected a number in (0, 10], got '-1'" },
    { HEAD "  - {pattern: plateau, ops: 5, size: {dist: lognormal, sigma: 1}}\n",
      "phases[0].size: expected exactly one of 'mu' or 'median'" },
    { HEAD "  - {pattern: plateau, ops: 5, size: {dist: uniform, min: 10}}\n",
      "t.yaml:4:38: error: phases[0].size: expected a key 'max'" },
    { HEAD "  - {pattern: plateau, ops: 5, size: {dist: uniform, min: 10, max: 5}}\n",
      "phases[0].size.max: expected a size of at least min (10), got '5'" },
    { HEAD "  - {pattern: plateau, ops: 5, size: {dist: gauss}}\n",
      "phases[0].size.dist: expected one of uniform, exponential, lognormal, pareto," },
    { HEAD "  - {pattern: plateau, ops: 5, size: {dist: exponential, mean: 9, sigma: 1}}\n",
      "phases[0].size: unknown key 'sigma'" },
    { HEAD "  - {pattern: plateau, ops: 5, size: {dist: fixed, sizes: [8, 16], weights: [1]}}\n",
      "phases[0].size.weights: expected a list of 2 numbers, one per size" },
    { HEAD "  - {pattern: plateau, ops: 5, size: 99MiB}\n",
      "phases[0].size: expected a size up to max_size, got '99MiB'" },
    { HEAD "  - {pattern: plateau, ops: 5, size: 8, lifetime: {dist: normal}}\n",
      "phases[0].lifetime.dist: expected one of exponential, uniform, fixed, got 'normal'" },
    { HEAD "  - {pattern: plateau, ops: 5, size: 8, lifetime: sometimes}\n",
      "phases[0].lifetime: expected forever, phase or a mapping with 'dist', got 'sometimes'" },
    { HEAD "  - {pattern: plateau, ops: 5, size: 8, mix: {calloc: 0.7, aligned: 0.5}}\n",
      "phases[0].mix: expected calloc + aligned to be at most 1, got 1.2" },
    { HEAD "  - {pattern: plateau, ops: 5, size: 8, mix: {alignments: [3]}}\n",
      "phases[0].mix.alignments[0]: expected a power of two from 1 to 2^30, got '3'" },
    { HEAD "  - {pattern: plateau, ops: 5, size: 8, from: all, release: oldest}\n",
      "phases[0].release: expected random when from is all, got 'oldest'" },
    { HEAD "  - {pattern: vector, ops: 5, factor: 2, step: 8}\n",
      "phases[0]: expected one of 'factor' or 'step', not both" },
    { HEAD "  - {pattern: vector, ops: 5, noise: 0.5}\n", "phases[0]: expected a key 'size'" },
    { HEAD "  - {pattern: pow2-plus-one, ops: 5, level: 1MiB, min: 24}\n",
      "expected min <= max, both powers of two" },
    { HEAD "  - {pattern: fragment-firstfit, ops: 5, size: 8, large: 64, count: 2}\n",
      "phases[0].count: expected an integer of at least 3, got '2'" },
    { "name: x\nseed: 1\nend: never\nphases: []\n", "end: expected free or leak, got 'never'" },
    { "{ bad", "t.yaml:2:1: error: did not find expected" },
};

static void test_errors_name_file_line_column(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[1024] = "";
        hb_spec s;
        int rc = hb_spec_load_string("t.yaml", cases[i].yaml, strlen(cases[i].yaml), &s, err,
                                     sizeof err);
        CHECK(rc == -1);
        CHECK_STR_CONTAINS(err, cases[i].want);
    }
}

static void test_good_spec_reads_all_fields(void)
{
    const char *y = "name: good\ndescription: one line\nseed: 99\nmax_size: 1MiB\nend: leak\n"
                    "phases:\n"
                    "  - {pattern: peak, ops: 1000, height: 4MiB, rise: 0.25, release: newest,\n"
                    "     size: {dist: lognormal, median: 100, sigma: 1}, lifetime: phase}\n"
                    "  - {pattern: vector, ops: 500, vectors: 3, step: 64, max: 4KiB}\n";
    char err[1024] = "";
    hb_spec s;
    REQUIRE(hb_spec_load_string("g.yaml", y, strlen(y), &s, err, sizeof err) == 0);
    CHECK(!strcmp(s.name, "good") && !strcmp(s.description, "one line"));
    CHECK_EQ_U(s.seed, 99);
    CHECK_EQ_U(s.max_size, 1 << 20);
    CHECK(s.end == HB_END_LEAK);
    REQUIRE(s.nphases == 2);
    CHECK_EQ_U(s.total_ops, 1500);
    CHECK(s.phases[0].pattern == HB_PAT_PEAK && s.phases[0].level == 4 << 20);
    CHECK_EQ_U(s.phases[0].rise_ops, 250);
    CHECK(s.phases[0].release == HB_RELEASE_NEWEST && s.phases[0].life.kind == HB_LIFE_PHASE);
    CHECK(s.phases[0].size.kind == HB_SIZE_LOGNORMAL && s.phases[0].size.max == 1 << 20);
    CHECK(s.phases[1].step == 64 && s.phases[1].vectors == 3 && s.phases[1].vmax == 4096);
    uint64_t h = s.hash;
    hb_spec_set_seed(&s, 100);
    CHECK(s.hash != h && s.seed == 100);
    CHECK_EQ_U(h, hb_spec_hash_bytes(y, strlen(y), 99));
    hb_spec_free(&s);
}

static void test_missing_file(void)
{
    char err[1024] = "";
    hb_spec s;
    CHECK(hb_spec_load("/nonexistent/x.yaml", &s, err, sizeof err) == -1);
    CHECK_STR_CONTAINS(err, "/nonexistent/x.yaml: error: cannot open");
}

int main(void)
{
    RUN(test_errors_name_file_line_column);
    RUN(test_good_spec_reads_all_fields);
    RUN(test_missing_file);
    return check_summary();
}
