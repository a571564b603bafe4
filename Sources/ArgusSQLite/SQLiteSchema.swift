import GRDB

/// Versioned migrations. A released migration is never edited: add a new one.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1_core") { db in
            try db.execute(
                sql: """
                    CREATE TABLE settings (
                      name TEXT PRIMARY KEY,
                      value BLOB NOT NULL
                    );
                    CREATE TABLE environments (
                      id TEXT PRIMARY KEY,
                      name TEXT NOT NULL UNIQUE,
                      created_at INTEGER NOT NULL,
                      retention_days INTEGER NOT NULL DEFAULT 365
                    );
                    CREATE TABLE api_keys (
                      id TEXT PRIMARY KEY,
                      environment_id TEXT REFERENCES environments(id),
                      kind TEXT NOT NULL,
                      public_value TEXT UNIQUE,
                      secret_hash TEXT UNIQUE,
                      sealed_secret BLOB,
                      scopes TEXT NOT NULL DEFAULT '',
                      allowed_origins TEXT NOT NULL DEFAULT '',
                      name TEXT NOT NULL DEFAULT '',
                      created_at INTEGER NOT NULL,
                      revoked_at INTEGER,
                      rate_limit_per_second INTEGER
                    );
                    CREATE INDEX api_keys_environment ON api_keys(environment_id, kind);
                    CREATE TABLE visitors (
                      environment_id TEXT NOT NULL,
                      id TEXT NOT NULL,
                      first_seen_at INTEGER NOT NULL,
                      last_seen_at INTEGER NOT NULL,
                      event_count INTEGER NOT NULL,
                      fingerprint_hash TEXT NOT NULL,
                      profile BLOB NOT NULL,
                      PRIMARY KEY (environment_id, id)
                    ) WITHOUT ROWID;
                    CREATE INDEX visitors_fingerprint ON visitors(environment_id, fingerprint_hash, last_seen_at);
                    CREATE TABLE events (
                      id TEXT PRIMARY KEY,
                      environment_id TEXT NOT NULL,
                      visitor_id TEXT NOT NULL,
                      timestamp INTEGER NOT NULL,
                      linked_id TEXT,
                      ip_address TEXT NOT NULL,
                      suspect INTEGER NOT NULL DEFAULT 0,
                      document BLOB NOT NULL,
                      components BLOB NOT NULL
                    );
                    CREATE INDEX events_environment_time ON events(environment_id, timestamp);
                    CREATE INDEX events_visitor ON events(environment_id, visitor_id, timestamp);
                    """)
        }
        m.registerMigration("v2_sealed_results") { db in
            try db.execute(
                sql: """
                    ALTER TABLE environments ADD COLUMN open_response INTEGER NOT NULL DEFAULT 0;
                    CREATE TABLE encryption_keys (
                      id TEXT PRIMARY KEY,
                      environment_id TEXT NOT NULL REFERENCES environments(id),
                      sealed_key BLOB NOT NULL,
                      status TEXT NOT NULL,
                      created_at INTEGER NOT NULL,
                      activated_at INTEGER,
                      deactivated_at INTEGER,
                      previous_key_id TEXT,
                      seal_count INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE INDEX encryption_keys_environment ON encryption_keys(environment_id, created_at);
                    -- At most one active key per environment, at any moment.
                    CREATE UNIQUE INDEX encryption_keys_one_active ON encryption_keys(environment_id) WHERE status = 'active';
                    """)
        }
        m.registerMigration("v3_event_search") { db in
            try db.execute(
                sql: """
                    CREATE INDEX events_time ON events(timestamp, id);
                    CREATE INDEX events_linked ON events(environment_id, linked_id, timestamp) WHERE linked_id IS NOT NULL;
                    CREATE INDEX events_ip ON events(environment_id, ip_address, timestamp);
                    """)
        }
        m.registerMigration("v4_no_fingerprint_hash") { db in
            // Identification keeps its own index in memory; this column and its index were written
            // on every identify and never read.
            try db.execute(
                sql: """
                    DROP INDEX visitors_fingerprint;
                    ALTER TABLE visitors DROP COLUMN fingerprint_hash;
                    """)
        }
        m.registerMigration("v5_prefetch") { db in
            // Ingest and prefetch tasks (spec §7) and the BINs each device and user used (velocity).
            try db.execute(
                sql: """
                    CREATE TABLE prefetch_tasks (
                      request_id TEXT PRIMARY KEY,
                      environment_id TEXT,
                      subscriber_id INTEGER NOT NULL,
                      session_id TEXT NOT NULL,
                      user_id TEXT NOT NULL,
                      status TEXT NOT NULL,
                      attempts INTEGER NOT NULL DEFAULT 0,
                      last_error TEXT,
                      created_at INTEGER NOT NULL,
                      updated_at INTEGER NOT NULL,
                      next_attempt_at INTEGER NOT NULL,
                      lease_until INTEGER NOT NULL DEFAULT 0,
                      fetched_at INTEGER,
                      result BLOB
                    );
                    CREATE INDEX prefetch_tasks_due ON prefetch_tasks(next_attempt_at) WHERE status = 'pending';
                    CREATE INDEX prefetch_tasks_session ON prefetch_tasks(session_id, fetched_at) WHERE status = 'done';
                    CREATE INDEX prefetch_tasks_user ON prefetch_tasks(user_id, fetched_at) WHERE status = 'done';
                    CREATE TABLE bin_observations (
                      subject TEXT NOT NULL,
                      bin TEXT NOT NULL,
                      last_seen_at INTEGER NOT NULL,
                      PRIMARY KEY (subject, bin)
                    ) WITHOUT ROWID;
                    """)
        }
        return m
    }
}
