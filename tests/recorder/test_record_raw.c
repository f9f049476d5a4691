/*
 * Reading the recorder's raw files (record/raw.c): the header, the NUL tail
 * left by the file's last growth step, a line cut short by a kill, and a
 * file that is not a raw file at all.
 */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "record/raw.h"

static char path[] = "/tmp/hbrawtest.XXXXXX";

static void write_raw(const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    fwrite(text, 1, len, f);
    fclose(f);
}

static const char header[] =
    "# hbrecord 1 pid 42 ppid 7 image 1 fork-of 0 start 123456 exe /usr/bin/some prog\n"
    "# argv: some prog --flag\n";

static void test_header_and_counts(void)
{
    char text[1024];
    int n = snprintf(text, sizeof text, "%sa 1 10\nt 2\nc 2 3 4\nf 1\n# comment\nf -\n", header);
    write_raw(text, (size_t)n + 100); /* + the NUL tail */
    hb_rec_image im;
    char err[512];
    REQUIRE(hb_rec_image_load(path, &im, err, sizeof err) == 0);
    CHECK_EQ_U(im.pid, 42);
    CHECK_EQ_U(im.ppid, 7);
    CHECK_EQ_U(im.image, 1);
    CHECK_EQ_U(im.start_ns, 123456);
    CHECK(!strcmp(im.exe, "/usr/bin/some prog"));
    CHECK(!strcmp(hb_rec_image_program(&im), "some prog"));
    CHECK(!strcmp(im.argv, "some prog --flag"));
    CHECK_EQ_U(im.ops, 4);
    CHECK_EQ_U(im.threads, 3);
    CHECK_EQ_U(im.body_len, strlen(text) - strlen(header));
    hb_rec_image_release(&im);
}

static void test_unfinished_last_line_is_dropped(void)
{
    char text[1024];
    int n = snprintf(text, sizeof text, "%sa 1 10\na 2 3", header);
    write_raw(text, (size_t)n);
    hb_rec_image im;
    char err[512];
    REQUIRE(hb_rec_image_load(path, &im, err, sizeof err) == 0);
    CHECK_EQ_U(im.ops, 1);
    CHECK_EQ_U(im.body_len, strlen("a 1 10\n"));
    hb_rec_image_release(&im);
}

static void test_not_a_raw_file(void)
{
    write_raw("a 1 10\n", 7);
    hb_rec_image im;
    char err[512];
    CHECK(hb_rec_image_load(path, &im, err, sizeof err) == -1);
    CHECK_STR_CONTAINS(err, ":1: error: expected the recorder's header line");
    write_raw(header, strlen(header) - strlen("# argv: some prog --flag\n"));
    CHECK(hb_rec_image_load(path, &im, err, sizeof err) == -1);
    CHECK_STR_CONTAINS(err, ":2: error: expected the recorder's header line '# argv: ...'");
}

int main(void)
{
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    close(fd);
    RUN(test_header_and_counts);
    RUN(test_unfinished_last_line_is_dropped);
    RUN(test_not_a_raw_file);
    unlink(path);
    return check_summary();
}
