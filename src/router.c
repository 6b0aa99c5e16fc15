/* router.c — the route table as a segment trie (spec README §4, see router.h).
 * Each node has sorted literal children, at most one parameter child, and one route slot per
 * method. Matching is a depth-first walk that tries the literal child before the parameter
 * child and stops at the first node holding a route of the request's method: that realises
 * "literal wins at the first differing segment" and "consider only routes of the request's
 * method". Matching allocates nothing; all memory is built once by router_add. */
#include "router.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

struct node;

struct literal {
    char *seg; /* own copy of the template segment */
    size_t len;
    struct node *child;
};

struct node {
    struct literal *lit; /* sorted by (len, bytes) for binary search */
    size_t nlit, caplit;
    struct node *param;
    uint32_t slot[HTTP_METHOD_COUNT]; /* route index + 1; 0 = no route of that method */
    unsigned methods;                 /* bit per method with a slot, for the 405 walk */
};

/* A route plus the parameter names of its own template: templates sharing a parameter node
 * may name the parameter differently (/x/{a} GET, /x/{b} POST). */
struct entry {
    const struct route *route;
    size_t nparams;
    const char *pname[ROUTER_MAX_PARAMS];
    size_t plen[ROUTER_MAX_PARAMS];
};

struct router {
    struct node *root;
    struct entry *entries;
    size_t n, cap;
    /* Open-addressing map route pointer -> index + 1, so router_index_of is O(1) on the hot
     * path (metrics and logs look routes up per request). */
    uint32_t *hash;
    size_t hcap;
};

/* One segment of a template while it is being checked. */
struct tseg {
    const char *p;
    size_t len;
    bool param; /* p/len is then the name without braces */
};

struct router *router_new(void)
{
    struct router *r = xcalloc(1, sizeof *r);
    r->root = xcalloc(1, sizeof *r->root);
    return r;
}

static void node_free(struct node *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->nlit; i++) {
        free(n->lit[i].seg);
        node_free(n->lit[i].child);
    }
    free(n->lit);
    node_free(n->param);
    free(n);
}

void router_free(struct router *r)
{
    if (r == NULL)
        return;
    node_free(r->root);
    free(r->entries);
    free(r->hash);
    free(r);
}

/* ---- template parsing ---- */

static bool fail(char *err, size_t errlen, const char *path, const char *why)
{
    if (err && errlen)
        snprintf(err, errlen, "route %s: %s", path ? path : "(null)", why);
    return false;
}

static bool name_taken(const struct entry *e, const char *p, size_t len)
{
    for (size_t i = 0; i < e->nparams; i++)
        if (e->plen[i] == len && memcmp(e->pname[i], p, len) == 0)
            return true;
    return false;
}

/* Classifies one template segment; NULL on success, else the reason it is malformed. */
static const char *classify(const char *p, size_t len, struct tseg *out)
{
    if (len == 0)
        return "empty segment";
    bool open = p[0] == '{', close = p[len - 1] == '}';
    size_t from = open ? 1 : 0, to = close ? len - 1 : len;
    if (open != close)
        return "unbalanced braces";
    for (size_t i = from; i < to; i++)
        if (p[i] == '{' || p[i] == '}')
            return "unbalanced braces";
    if (open && to == from)
        return "empty parameter name";
    out->p = p + from;
    out->len = to - from;
    out->param = open;
    return NULL;
}

/* Splits a template into segments and records its parameter names in e. "/" has none. */
static bool template_parse(const char *path, struct tseg *segs, size_t *nseg, struct entry *e, char *err,
                           size_t errlen)
{
    if (path == NULL || path[0] != '/')
        return fail(err, errlen, path, "template must start with '/'");
    *nseg = 0;
    e->nparams = 0;
    size_t len = strlen(path);
    if (len == 1)
        return true; /* the root template */
    for (size_t i = 1;;) {
        size_t j = i;
        while (j < len && path[j] != '/')
            j++;
        if (*nseg == PATH_MAX_SEGMENTS)
            return fail(err, errlen, path, "too many segments");
        struct tseg *s = &segs[*nseg];
        const char *why = classify(path + i, j - i, s);
        if (why)
            return fail(err, errlen, path, why);
        if (s->param) {
            if (e->nparams == ROUTER_MAX_PARAMS)
                return fail(err, errlen, path, "too many parameters");
            if (name_taken(e, s->p, s->len))
                return fail(err, errlen, path, "parameter name used twice");
            e->pname[e->nparams] = s->p;
            e->plen[e->nparams++] = s->len;
        }
        (*nseg)++;
        if (j == len)
            break;
        i = j + 1;
    }
    return true;
}

/* ---- trie ---- */

static int seg_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return alen < blen ? -1 : 1;
    return memcmp(a, b, alen);
}

/* Binary search; returns the index of the match, or -(insertion point) - 1. */
static long literal_find(const struct node *n, const char *p, size_t len)
{
    size_t lo = 0, hi = n->nlit;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = seg_cmp(n->lit[mid].seg, n->lit[mid].len, p, len);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(long)lo - 1;
}

static struct node *literal_child(struct node *n, const char *p, size_t len)
{
    long at = literal_find(n, p, len);
    if (at >= 0)
        return n->lit[at].child;
    size_t pos = (size_t)(-at - 1);
    if (n->nlit == n->caplit) {
        n->caplit = n->caplit ? n->caplit * 2 : 4;
        n->lit = xrealloc(n->lit, n->caplit * sizeof *n->lit);
    }
    memmove(n->lit + pos + 1, n->lit + pos, (n->nlit - pos) * sizeof *n->lit);
    n->lit[pos] = (struct literal){xstrndup(p, len), len, xcalloc(1, sizeof(struct node))};
    n->nlit++;
    return n->lit[pos].child;
}

static struct node *param_child(struct node *n)
{
    if (n->param == NULL)
        n->param = xcalloc(1, sizeof *n->param);
    return n->param;
}

/* ---- index by route pointer ---- */

static size_t ptr_hash(const void *p, size_t mask)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 17;
    x *= (uintptr_t)0x9E3779B97F4A7C15ull;
    return (size_t)(x >> 7) & mask;
}

static void hash_put(uint32_t *h, size_t hcap, const struct entry *entries, uint32_t idx)
{
    size_t i = ptr_hash(entries[idx].route, hcap - 1);
    while (h[i] != 0)
        i = (i + 1) & (hcap - 1);
    h[i] = idx + 1;
}

/* Keeps the table at most half full; rebuilt from the entries when it grows. */
static void hash_add(struct router *r, uint32_t idx)
{
    if ((idx + 1) * 2 > r->hcap) {
        free(r->hash);
        r->hcap = r->hcap ? r->hcap * 2 : 64;
        r->hash = xcalloc(r->hcap, sizeof *r->hash);
        for (uint32_t k = 0; k < idx; k++)
            hash_put(r->hash, r->hcap, r->entries, k);
    }
    hash_put(r->hash, r->hcap, r->entries, idx);
}

/* ---- public: building ---- */

bool router_add(struct router *r, const struct route *route, char *err, size_t errlen)
{
    if (route == NULL || (unsigned)route->method >= HTTP_METHOD_COUNT)
        return fail(err, errlen, route ? route->path : NULL, "unknown method");
    struct tseg segs[PATH_MAX_SEGMENTS];
    size_t nseg;
    struct entry e = {.route = route};
    if (!template_parse(route->path, segs, &nseg, &e, err, errlen))
        return false;

    struct node *n = r->root;
    for (size_t i = 0; i < nseg; i++)
        n = segs[i].param ? param_child(n) : literal_child(n, segs[i].p, segs[i].len);
    if (n->slot[route->method] != 0)
        return fail(err, errlen, route->path, "duplicate method and template");

    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->entries = xrealloc(r->entries, r->cap * sizeof *r->entries);
    }
    r->entries[r->n] = e;
    n->slot[route->method] = (uint32_t)r->n + 1;
    n->methods |= 1u << route->method;
    hash_add(r, (uint32_t)r->n);
    r->n++;
    return true;
}

size_t router_count(const struct router *r)
{
    return r->n;
}

const struct route *router_route(const struct router *r, size_t index)
{
    return index < r->n ? r->entries[index].route : NULL;
}

/* Returns (size_t)-1 for a route that was never added. */
size_t router_index_of(const struct router *r, const struct route *route)
{
    if (r->hcap == 0)
        return (size_t)-1;
    for (size_t i = ptr_hash(route, r->hcap - 1); r->hash[i] != 0; i = (i + 1) & (r->hcap - 1))
        if (r->entries[r->hash[i] - 1].route == route)
            return r->hash[i] - 1;
    return (size_t)-1;
}

/* ---- public: matching ---- */

/* Route slot serving method at n, or 0. HEAD falls back to GET (router.h): a HEAD route, when
 * one is registered, still wins. */
static uint32_t slot_for(const struct node *n, enum http_method m)
{
    if (n->slot[m])
        return n->slot[m];
    return m == HTTP_HEAD ? n->slot[HTTP_GET] : 0;
}

/* Depth-first, literal child first. On success *slot is set and *pmask has bit d set for
 * every depth d that was consumed by a parameter node. */
static bool find(const struct node *n, const struct path *p, size_t d, enum http_method m, uint32_t mask,
                 uint32_t *slot, uint32_t *pmask)
{
    if (d == p->nseg) {
        *slot = slot_for(n, m);
        *pmask = mask;
        return *slot != 0;
    }
    if (n->nlit) {
        long at = literal_find(n, p->seg[d].p, p->seg[d].len);
        if (at >= 0 && find(n->lit[at].child, p, d + 1, m, mask, slot, pmask))
            return true;
    }
    return n->param && find(n->param, p, d + 1, m, mask | 1u << d, slot, pmask);
}

/* Union of the methods of every node the whole path reaches, for 405's Allow. */
static unsigned methods_matching(const struct node *n, const struct path *p, size_t d)
{
    if (d == p->nseg)
        return n->methods;
    unsigned allow = 0;
    if (n->nlit) {
        long at = literal_find(n, p->seg[d].p, p->seg[d].len);
        if (at >= 0)
            allow |= methods_matching(n->lit[at].child, p, d + 1);
    }
    if (n->param)
        allow |= methods_matching(n->param, p, d + 1);
    return allow;
}

static void fill_params(const struct entry *e, const struct path *p, uint32_t pmask, struct route_match *out)
{
    size_t k = 0;
    for (size_t d = 0; d < p->nseg && k < e->nparams; d++) {
        if (!(pmask & 1u << d))
            continue;
        out->params[k] = (struct route_param){e->pname[k], e->plen[k], p->seg[d].p, p->seg[d].len};
        k++;
    }
    out->nparams = k;
}

enum route_result router_match(const struct router *r, enum http_method method, const struct path *path,
                               struct route_match *out)
{
    out->route = NULL;
    out->nparams = 0;
    out->allow = 0;
    if (path->nseg > PATH_MAX_SEGMENTS)
        return ROUTE_NOT_FOUND;

    uint32_t slot = 0, pmask = 0;
    if ((unsigned)method < HTTP_METHOD_COUNT && find(r->root, path, 0, method, 0, &slot, &pmask)) {
        const struct entry *e = &r->entries[slot - 1];
        out->route = e->route;
        fill_params(e, path, pmask, out);
        return ROUTE_FOUND;
    }
    unsigned allow = methods_matching(r->root, path, 0);
    if (allow == 0)
        return ROUTE_NOT_FOUND;
    if (allow & 1u << HTTP_GET)
        allow |= 1u << HTTP_HEAD;
    out->allow = allow;
    return ROUTE_METHOD_NOT_ALLOWED;
}

const char *route_param(const struct route_match *m, const char *name, size_t *len)
{
    size_t nlen = strlen(name);
    for (size_t i = 0; i < m->nparams; i++) {
        if (m->params[i].name_len == nlen && memcmp(m->params[i].name, name, nlen) == 0) {
            if (len)
                *len = m->params[i].len;
            return m->params[i].value;
        }
    }
    if (len)
        *len = 0;
    return NULL;
}

/* ---- methods ---- */

static const char *const method_names[HTTP_METHOD_COUNT] = {
    [HTTP_GET] = "GET",     [HTTP_HEAD] = "HEAD",     [HTTP_POST] = "POST",       [HTTP_PUT] = "PUT",
    [HTTP_PATCH] = "PATCH", [HTTP_DELETE] = "DELETE", [HTTP_OPTIONS] = "OPTIONS",
};

/* Method names are case-sensitive (RFC 9110 §9.1): "get" is not GET. */
enum http_method http_method_parse(const char *s, size_t len)
{
    for (int m = 0; m < HTTP_METHOD_COUNT; m++)
        if (strlen(method_names[m]) == len && memcmp(method_names[m], s, len) == 0)
            return (enum http_method)m;
    return HTTP_OTHER;
}

const char *http_method_name(enum http_method m)
{
    return (unsigned)m < HTTP_METHOD_COUNT ? method_names[m] : "OTHER";
}

void router_allow_header(unsigned allow, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    if (allow & 1u << HTTP_GET)
        allow |= 1u << HTTP_HEAD;
    size_t o = 0;
    buf[0] = '\0';
    for (int m = 0; m < HTTP_METHOD_COUNT; m++) {
        if (!(allow & 1u << m))
            continue;
        int w = snprintf(buf + o, cap - o, "%s%s", o ? ", " : "", method_names[m]);
        if (w < 0 || (size_t)w >= cap - o) {
            buf[o] = '\0'; /* only whole names: a cut "HE" would be a wrong header */
            return;
        }
        o += (size_t)w;
    }
}
