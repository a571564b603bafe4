#ifndef ARGUS_PCACHE_H
#define ARGUS_PCACHE_H

/// Installs, once per process and before SQLite's first use, a page cache that forwards to
/// SQLite's own and skips truncations with nothing to drop (see argus_pcache.c). Returns 1 if
/// installed now or earlier, 0 if SQLite was already initialized (the default cache stays).
int argus_pcache_install(void);

/// Counters since installation: truncations passed to SQLite's cache, and skipped.
void argus_pcache_counts(unsigned long long *forwarded, unsigned long long *skipped);

typedef struct sqlite3 sqlite3;

/// Syncs the connection's write-ahead log and database file through SQLite's own handles
/// (argus_sync.c). Returns an SQLite result code.
int argus_sync_files(sqlite3 *db);

#endif
