/* Sizes, durations and the YAML reader's error messages. */
#include <string.h>

#include "check.h"
#include "util/units.h"
#include "util/yamlx.h"

static void test_sizes(void)
{
    uint64_t v = 0;
    CHECK(hb_parse_size("4096", &v) == 0 && v == 4096);
    CHECK(hb_parse_size("64KiB", &v) == 0 && v == 65536);
    CHECK(hb_parse_size("256MiB", &v) == 0 && v == (uint64_t)256 << 20);
    CHECK(hb_parse_size("1.5G", &v) == 0 && v == (uint64_t)3 << 29);
    CHECK(hb_parse_size("2 MB", &v) == 0 && v == 2000000);
    CHECK(hb_parse_size("", &v) == -1);
    CHECK(hb_parse_size("-1", &v) == -1);
    CHECK(hb_parse_size("12 parsecs", &v) == -1);
    CHECK(hb_parse_size("99999999999999999999999", &v) == -1);
}

static void test_durations(void)
{
    double s = 0;
    CHECK(hb_parse_duration("120", &s) == 0 && s == 120);
    CHECK(hb_parse_duration("90s", &s) == 0 && s == 90);
    CHECK(hb_parse_duration("2m", &s) == 0 && s == 120);
    CHECK(hb_parse_duration("500ms", &s) == 0 && s == 0.5);
    CHECK(hb_parse_duration("soon", &s) == -1);
}

static const char doc[] = "name: x\n"
                          "count: 12\n"
                          "size: lots\n"
                          "list: [a, b]\n";

static void test_yaml_reads(void)
{
    hb_yaml y;
    REQUIRE(hb_yaml_load_string(&y, "spec.yaml", doc, strlen(doc)) == 0);
    yaml_node_t *root = hb_yaml_root(&y);
    uint64_t v;
    CHECK(hb_yaml_u64(&y, hb_yaml_get(&y, root, "count"), "count", &v) == 0 && v == 12);
    CHECK_EQ_U(hb_yaml_seq_len(hb_yaml_get(&y, root, "list")), 2);
    CHECK(hb_yaml_size(&y, hb_yaml_get(&y, root, "size"), "size", &v) == -1);
    CHECK_STR_CONTAINS(y.err, "spec.yaml:3:7: error: size: expected a size");
    CHECK_STR_CONTAINS(y.err, "got 'lots'");
    hb_yaml_free(&y);
}

static void test_yaml_unknown_key(void)
{
    hb_yaml y;
    REQUIRE(hb_yaml_load_string(&y, "c.yaml", doc, strlen(doc)) == 0);
    static const char *const allowed[] = { "name", "count", "size", NULL };
    CHECK(hb_yaml_only_keys(&y, hb_yaml_root(&y), "config", allowed) == -1);
    CHECK_STR_CONTAINS(y.err, "c.yaml:4:1: error: config: unknown key 'list'");
    hb_yaml_free(&y);
}

static void test_yaml_syntax_error(void)
{
    hb_yaml y;
    const char bad[] = "a: [1, 2\nb: 3\n";
    CHECK(hb_yaml_load_string(&y, "bad.yaml", bad, strlen(bad)) == -1);
    CHECK_STR_CONTAINS(y.err, "bad.yaml:");
    CHECK_STR_CONTAINS(y.err, ": error: ");
    hb_yaml_free(&y);
}

int main(void)
{
    RUN(test_sizes);
    RUN(test_durations);
    RUN(test_yaml_reads);
    RUN(test_yaml_unknown_key);
    RUN(test_yaml_syntax_error);
    return check_summary();
}
