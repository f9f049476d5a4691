/*
 * What kind of workload a trace is, from where its file lives: a folder
 * named "handmade" holds fixtures (tiny traces that exercise the replay,
 * not workloads), "recorded" real programs, "synthetic" generated traces
 * (the specs' output in build/traces/synthetic too); anything else is
 * "other".  Summaries and default charts use every kind but fixtures;
 * move a file, or choose kinds with --kinds, to change that.
 */
#ifndef HB_REPORT_KIND_H
#define HB_REPORT_KIND_H

/* "fixture", "recorded", "synthetic" or "other"; "other" for NULL. */
const char *hb_trace_kind(const char *path);

/* The default choice of kinds for summaries and charts. */
#define HB_DEFAULT_KINDS "recorded,synthetic,other"

#endif /* HB_REPORT_KIND_H */
