/*
 * Subcommands of the heapbench binary.  Each takes the arguments after its
 * own name (argv[0] is the subcommand) and returns the process exit status:
 * 0 success, 1 the work found a problem (bad input, failed check), 2 usage.
 */
#ifndef HB_CLI_H
#define HB_CLI_H

int hb_cmd_run(int argc, char **argv);      /* replay one allocator x trace cell */
int hb_cmd_bench(int argc, char **argv);    /* run the whole matrix of a config  */
int hb_cmd_plan(int argc, char **argv);     /* print the matrix as command lines */
int hb_cmd_list(int argc, char **argv);     /* allocators and traces it sees     */
int hb_cmd_env(int argc, char **argv);      /* machine, compiler, library facts  */
int hb_cmd_trace(int argc, char **argv);    /* trace stats|check|convert|gen     */
int hb_cmd_trace_gen(int argc, char **argv);/* synthetic trace from a YAML spec  */
int hb_cmd_record(int argc, char **argv);   /* record a program's allocations    */
int hb_cmd_scaling(int argc, char **argv);  /* per-op cost vs live blocks        */
int hb_cmd_plotdata(int argc, char **argv); /* results.csv -> gnuplot matrices  */
int hb_cmd_report(int argc, char **argv);   /* results -> report.md or summary   */
int hb_cmd_merge(int argc, char **argv);    /* rows of plan jobs -> a run folder */

#endif /* HB_CLI_H */
