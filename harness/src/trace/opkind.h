/*
 * The kinds of operation a trace holds: what the replay's results are
 * counted and timed by, so report/ can name them without the whole trace.
 */
#ifndef HB_TRACE_OPKIND_H
#define HB_TRACE_OPKIND_H

enum hb_op_kind {
    HB_OP_MALLOC = 0,  /* a:   size                                  */
    HB_OP_CALLOC = 1,  /* c:   aux = nmemb, size = nmemb * elsize     */
    HB_OP_REALLOC = 2, /* r:   size = new size (> 0), same slot       */
    HB_OP_FREE = 3,    /* f:   slot; HB_SLOT_NONE means free(NULL)    */
    HB_OP_ALIGNED = 4, /* m:   aux = alignment, size                 */
    HB_OP_KINDS = 5
};

#endif /* HB_TRACE_OPKIND_H */
