// Flushes a connection's database file and its write-ahead log to disk through SQLite's own
// file handles (SQLITE_FCNTL_FILE_POINTER, SQLITE_FCNTL_JOURNAL_POINTER): a handle of our own
// would have to stay open for the database's lifetime, since closing any descriptor of a file
// drops every POSIX lock the process holds on it, SQLite's included.
//
// Why (SQLiteStore.maintain): a PASSIVE checkpoint that cannot reach the WAL's end (commits
// keep coming) copies pages into the database file without syncing it; the sync is left to
// the checkpoint that completes the WAL, which the writer runs between two commits before the
// WAL starts over. That sync then flushed every page copied since the last one, holding
// commits for 6-12 ms. Flushing first from the side connection leaves it a few pages.
#include <sqlite3.h>
#include "argus_pcache.h"

static int sync_file(sqlite3 *db, int op) {
    sqlite3_file *file = 0;
    int rc = sqlite3_file_control(db, "main", op, &file);
    if (rc == SQLITE_NOTFOUND) return SQLITE_OK;  // no such file for this connection
    if (rc != SQLITE_OK) return rc;
    if (file == 0 || file->pMethods == 0) return SQLITE_OK;  // not open
    return file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
}

int argus_sync_files(sqlite3 *db) {
    int rc = sync_file(db, SQLITE_FCNTL_JOURNAL_POINTER);
    if (rc != SQLITE_OK) return rc;
    return sync_file(db, SQLITE_FCNTL_FILE_POINTER);
}
