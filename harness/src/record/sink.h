/*
 * Writing a trace file, compressed by its name: .xz (liblzma, preset 6:
 * on trace text, 9e gains under 1% and is four times slower),
 * .gz (zlib), else plain.  The bytes go to PATH.tmp, renamed over PATH only
 * when everything was written, so a failed recording never leaves half a
 * trace under the final name.
 */
#ifndef HB_RECORD_SINK_H
#define HB_RECORD_SINK_H

#include <stddef.h>

typedef struct hb_rec_sink hb_rec_sink;

hb_rec_sink *hb_rec_sink_open(const char *path, char *err, size_t errlen);
int hb_rec_sink_write(hb_rec_sink *s, const void *data, size_t len);
int hb_rec_sink_printf(hb_rec_sink *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Finishes and renames; 0, or -1 with a message in err.  Frees s either way. */
int hb_rec_sink_close(hb_rec_sink *s, char *err, size_t errlen);

#endif /* HB_RECORD_SINK_H */
