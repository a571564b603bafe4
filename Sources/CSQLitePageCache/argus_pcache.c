// SQLite ends every write transaction with a truncation of the page cache to the database's
// size (pager_end_transaction -> sqlite3PcacheTruncate). The default cache (pcache1) walks its
// whole hash table whenever the highest page number it has ever held since the last
// truncation lies past that size. B-tree rebalancing (balance_nonroot) renumbers new sibling
// pages through the lock-byte page's number (PENDING_BYTE / page size + 1: 262,145 at 4 KiB
// pages) as a temporary key, which raises that mark on nearly every commit of a write-heavy
// database, so each commit walked every cached page (4-5 % of an identify's CPU).
//
// This wrapper forwards every call to SQLite's own cache and keeps, per cache, an upper bound
// of the page numbers that can be in it: the highest key fetched or renumbered to, except the
// temporary key while no page holds it. A truncation at or above that bound has nothing to
// drop and is skipped; any other is forwarded, after which the bound is the new limit - 1.
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>

typedef struct {
    sqlite3_pcache *inner;
    unsigned bound;      // no page with a key above this is in the cache
    unsigned temporary;  // the lock-byte page's number for this page size
    int atTemporary;     // pages currently renumbered to `temporary`
} Cache;

static sqlite3_pcache_methods2 base;
static atomic_ullong forwarded, skipped;
static atomic_int installed;

static int xInit(void *arg) { (void)arg; return base.xInit ? base.xInit(base.pArg) : SQLITE_OK; }
static void xShutdown(void *arg) { (void)arg; if (base.xShutdown) base.xShutdown(base.pArg); }

static sqlite3_pcache *xCreate(int szPage, int szExtra, int bPurgeable) {
    Cache *c = calloc(1, sizeof(Cache));
    if (!c) return 0;
    c->inner = base.xCreate(szPage, szExtra, bPurgeable);
    if (!c->inner) { free(c); return 0; }
    c->temporary = szPage > 0 ? (unsigned)(0x40000000 / szPage) + 1 : 0;
    return (sqlite3_pcache *)c;
}

static void xCachesize(sqlite3_pcache *p, int n) { base.xCachesize(((Cache *)p)->inner, n); }
static int xPagecount(sqlite3_pcache *p) { return base.xPagecount(((Cache *)p)->inner); }

static sqlite3_pcache_page *xFetch(sqlite3_pcache *p, unsigned key, int createFlag) {
    Cache *c = (Cache *)p;
    if (createFlag && key > c->bound) c->bound = key;
    return base.xFetch(c->inner, key, createFlag);
}

static void xUnpin(sqlite3_pcache *p, sqlite3_pcache_page *page, int discard) {
    base.xUnpin(((Cache *)p)->inner, page, discard);
}

static void xRekey(sqlite3_pcache *p, sqlite3_pcache_page *page, unsigned oldKey, unsigned newKey) {
    Cache *c = (Cache *)p;
    if (newKey == c->temporary) {
        c->atTemporary += 1;
    } else if (newKey > c->bound) {
        c->bound = newKey;
    }
    if (oldKey == c->temporary && c->atTemporary > 0) c->atTemporary -= 1;
    base.xRekey(c->inner, page, oldKey, newKey);
}

static void xTruncate(sqlite3_pcache *p, unsigned limit) {
    Cache *c = (Cache *)p;
    int temporaryBeyond = c->atTemporary > 0 && c->temporary >= limit;
    if (c->bound < limit && !temporaryBeyond) {
        atomic_fetch_add_explicit(&skipped, 1, memory_order_relaxed);
        return;
    }
    atomic_fetch_add_explicit(&forwarded, 1, memory_order_relaxed);
    base.xTruncate(c->inner, limit);
    if (limit > 0 && c->bound >= limit) c->bound = limit - 1;
    if (temporaryBeyond) c->atTemporary = 0;
}

static void xDestroy(sqlite3_pcache *p) {
    Cache *c = (Cache *)p;
    base.xDestroy(c->inner);
    free(c);
}

static void xShrink(sqlite3_pcache *p) { if (base.xShrink) base.xShrink(((Cache *)p)->inner); }

int argus_pcache_install(void) {
    static sqlite3_pcache_methods2 wrapper = {
        1, 0, xInit, xShutdown, xCreate, xCachesize, xPagecount, xFetch, xUnpin, xRekey, xTruncate, xDestroy, xShrink,
    };
    if (atomic_load(&installed)) return 1;
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &base) != SQLITE_OK) return 0;
    if (!base.xFetch || sqlite3_config(SQLITE_CONFIG_PCACHE2, &wrapper) != SQLITE_OK) return 0;
    atomic_store(&installed, 1);
    return 1;
}

void argus_pcache_counts(unsigned long long *f, unsigned long long *s) {
    *f = atomic_load(&forwarded);
    *s = atomic_load(&skipped);
}
