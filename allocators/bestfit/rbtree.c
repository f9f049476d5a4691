/*
 * Red-black tree of free blocks (see rbtree.h).
 *
 * The rules: every node is red or black, the root and the sentinel are
 * black, a red node has black children, and every path from a node down to
 * the sentinel crosses the same number of black nodes.  Each rebalancing
 * case is written once with a direction d and its mirror !d, so a left
 * case and its right twin cannot drift apart.
 */
#include <assert.h>

#include "rbtree.h"

#include "kit/check_fail.h"

/* Written with & and | rather than && and ||: a descent step then costs
 * no branch, which matters because its direction is a coin toss that the
 * processor would mispredict half the time. */
static bool key_less(const bf_node *a, const bf_node *b)
{
    size_t sa = bf_node_size(a), sb = bf_node_size(b);
    return (sa < sb) | ((sa == sb) & (a < b));
}

static int side_of(const bf_node *n) { return n == n->parent->child[1]; }

/* v takes u's place under u's parent. */
static void transplant(bf_tree *t, bf_node *u, bf_node *v)
{
    if (u->parent == &t->nil)
        t->root = v;
    else
        u->parent->child[side_of(u)] = v;
    v->parent = u->parent;
}

/* Moves x down to side d; its child on the other side takes its place. */
static void rotate(bf_tree *t, bf_node *x, int d)
{
    bf_node *y = x->child[!d];
    x->child[!d] = y->child[d];
    if (y->child[d] != &t->nil)
        y->child[d]->parent = x;
    transplant(t, x, y);
    y->child[d] = x;
    x->parent = y;
}

void bf_tree_init(bf_tree *t)
{
    t->nil = (bf_node){ { &t->nil, &t->nil }, &t->nil, 0 };
    t->root = &t->nil;
}

/* A red z under a red parent is the only broken rule after an insert; a
 * red uncle lets the problem move two levels up, a black one ends it with
 * at most two rotations. */
static void insert_fixup(bf_tree *t, bf_node *z)
{
    while (z->parent->red) {
        bf_node *p = z->parent, *g = p->parent;
        int d = side_of(p);
        bf_node *uncle = g->child[!d];
        if (uncle->red) {
            p->red = uncle->red = 0;
            g->red = 1;
            z = g;
            continue;
        }
        if (side_of(z) != d) {
            z = p;
            rotate(t, z, d);
            p = z->parent;
        }
        p->red = 0;
        g->red = 1;
        rotate(t, g, !d);
    }
    t->root->red = 0;
}

void bf_tree_insert(bf_tree *t, bf_node *z)
{
    assert(z != &t->nil && z != t->root && !t->nil.red); /* the sentinel stays black */
    bf_node *parent = &t->nil;
    int d = 0;
    for (bf_node *x = t->root; x != &t->nil; x = x->child[d]) {
        parent = x;
        d = !key_less(z, x);
    }
    z->parent = parent;
    if (parent == &t->nil)
        t->root = z;
    else
        parent->child[d] = z;
    z->child[0] = z->child[1] = &t->nil;
    z->red = 1;
    insert_fixup(t, z);
}

static bf_node *minimum(const bf_tree *t, bf_node *n)
{
    while (n->child[0] != &t->nil)
        n = n->child[0];
    return n;
}

/* x carries an extra black after a black node left its path.  A red
 * sibling is turned black first; then either the sibling's children are
 * black (recolour, move up) or one rotation or two settle it. */
static void remove_fixup(bf_tree *t, bf_node *x)
{
    while (x != t->root && !x->red) {
        bf_node *p = x->parent;
        int d = x == p->child[1];
        bf_node *w = p->child[!d];
        if (w->red) {
            w->red = 0;
            p->red = 1;
            rotate(t, p, d);
            w = p->child[!d];
        }
        if (!w->child[0]->red && !w->child[1]->red) {
            w->red = 1;
            x = p;
            continue;
        }
        if (!w->child[!d]->red) {
            w->child[d]->red = 0;
            w->red = 1;
            rotate(t, w, !d);
            w = p->child[!d];
        }
        w->red = p->red;
        p->red = 0;
        w->child[!d]->red = 0;
        rotate(t, p, d);
        x = t->root;
    }
    x->red = 0;
}

void bf_tree_remove(bf_tree *t, bf_node *z)
{
    /* z is in the tree: its parent points at it, or it is the root */
    assert(z != &t->nil &&
           (z->parent == &t->nil ? t->root == z : z->parent->child[z->parent->child[1] == z] == z));
    bf_node *y = z, *x;
    size_t removed_red = y->red;
    if (z->child[0] == &t->nil || z->child[1] == &t->nil) {
        x = z->child[z->child[0] == &t->nil];
        transplant(t, z, x);
    } else {
        y = minimum(t, z->child[1]); /* z's successor takes its place */
        removed_red = y->red;
        x = y->child[1];
        if (y->parent == z) {
            x->parent = y;
        } else {
            transplant(t, y, x);
            y->child[1] = z->child[1];
            y->child[1]->parent = y;
        }
        transplant(t, z, y);
        y->child[0] = z->child[0];
        y->child[0]->parent = y;
        y->red = z->red;
    }
    if (!removed_red)
        remove_fixup(t, x);
}

/* n takes old's place: same links, same colour (n may be old itself). */
static void take_place(bf_tree *t, bf_node *old, bf_node *n)
{
    if (n == old)
        return;
    *n = *old;
    if (n->parent == &t->nil)
        t->root = n;
    else
        n->parent->child[old == n->parent->child[1]] = n;
    for (int d = 0; d < 2; d++)
        if (n->child[d] != &t->nil)
            n->child[d]->parent = n;
}

/* The in-order neighbour of n on side d (1: successor), or the sentinel. */
static bf_node *neighbour(const bf_tree *t, bf_node *n, int d)
{
    if (n->child[d] != &t->nil) {
        for (n = n->child[d]; n->child[!d] != &t->nil;)
            n = n->child[!d];
        return n;
    }
    while (n->parent != &t->nil && n == n->parent->child[d])
        n = n->parent;
    return n->parent;
}

void bf_tree_rekey(bf_tree *t, bf_node *old, bf_node *n, int grew)
{
    bf_node *next = neighbour(t, old, grew);
    bool in_order = next == &t->nil || (grew ? key_less(n, next) : key_less(next, n));
    if (in_order) {
        take_place(t, old, n);
        return;
    }
    bf_tree_remove(t, old);
    bf_tree_insert(t, n);
}

bf_node *bf_tree_best_fit(const bf_tree *t, size_t size)
{
    bf_node *best = NULL;
    for (bf_node *n = t->root; n != &t->nil;) {
        bool fits = bf_node_size(n) >= size;
        best = fits ? n : best;
        n = n->child[!fits];
    }
    return best;
}

bool bf_tree_contains(const bf_tree *t, const bf_node *n)
{
    for (bf_node *x = t->root; x != &t->nil; x = x->child[key_less(x, n)])
        if (x == n)
            return true;
    return false;
}

/* ---- check ------------------------------------------------------------- */

typedef struct walk {
    const bf_tree *t;
    bf_node_valid valid;
    const void *ctx;
    size_t limit, count;
    char *msg;
    size_t msglen;
} walk;

/* Black height of the subtree at n, or -1 with a message.  n hangs under
 * `parent`; its keys must lie strictly between lo and hi (NULL: unbounded).
 * Every link is checked by the node it points to, after that node has been
 * proved a free block, so no bad pointer is followed. */
static int check_subtree(walk *w, const bf_node *n, const bf_node *parent, const bf_node *lo,
                         const bf_node *hi)
{
    if (n == &w->t->nil)
        return 1;
    if (++w->count > w->limit || !w->valid(w->ctx, n))
        return -hb_check_fail(w->msg, w->msglen, "bestfit: ",
                              "tree node %p is not a free block (or the tree has a cycle)",
                              (const void *)n);
    if (n->parent != parent)
        return -hb_check_fail(w->msg, w->msglen, "bestfit: ", "tree node %p: parent link broken",
                              (const void *)n);
    if (n->red && parent->red)
        return -hb_check_fail(w->msg, w->msglen, "bestfit: ", "red tree node %p has a red parent",
                              (const void *)n);
    if ((lo && !key_less(lo, n)) || (hi && !key_less(n, hi)))
        return -hb_check_fail(w->msg, w->msglen,
                              "bestfit: ", "tree node %p (size %zu) out of order", (const void *)n,
                              bf_node_size(n));
    int left = check_subtree(w, n->child[0], n, lo, n);
    int right = left < 0 ? -1 : check_subtree(w, n->child[1], n, n, hi);
    if (right < 0)
        return -1;
    if (left != right)
        return -hb_check_fail(w->msg, w->msglen,
                              "bestfit: ", "tree node %p: black heights %d and %d differ",
                              (const void *)n, left, right);
    return left + !n->red;
}

int bf_tree_check(const bf_tree *t, bf_node_valid valid, const void *ctx, size_t limit,
                  size_t *count, char *msg, size_t msglen)
{
    walk w = { t, valid, ctx, limit, 0, msg, msglen };
    if (t->nil.red)
        return -hb_check_fail(w.msg, w.msglen, "bestfit: ", "tree sentinel is red") < 0;
    int height = check_subtree(&w, t->root, &t->nil, NULL, NULL);
    *count = w.count;
    if (height >= 0 && t->root->red)
        return -hb_check_fail(w.msg, w.msglen, "bestfit: ", "tree root is red") < 0;
    return height < 0;
}
