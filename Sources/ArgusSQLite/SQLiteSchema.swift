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
        m.registerMigration("v5_devices") { db in
            // Device API (spec §6): each event's risk verdict and place, and a per-device aggregate
            // (score, flags, country, city of its latest event) kept by triggers inside recordEvent's
            // transaction; erasing a visitor row erases its device.
            try db.execute(
                sql: """
                    ALTER TABLE events ADD COLUMN risk_score INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE events ADD COLUMN risk_flags TEXT NOT NULL DEFAULT '';
                    ALTER TABLE events ADD COLUMN country TEXT;
                    ALTER TABLE events ADD COLUMN city TEXT;
                    CREATE TABLE devices (
                      environment_id TEXT NOT NULL,
                      id TEXT NOT NULL,
                      created_at INTEGER NOT NULL,
                      last_seen_at INTEGER NOT NULL,
                      last_submitted_at INTEGER NOT NULL,
                      score INTEGER NOT NULL,
                      flags TEXT NOT NULL,
                      country TEXT,
                      city TEXT,
                      PRIMARY KEY (environment_id, id)
                    ) WITHOUT ROWID;
                    CREATE INDEX devices_seen ON devices(environment_id, last_seen_at, id);
                    CREATE INDEX devices_score ON devices(environment_id, score, id);
                    INSERT INTO devices (environment_id, id, created_at, last_seen_at, last_submitted_at, score, flags)
                      SELECT environment_id, id, first_seen_at, last_seen_at, last_seen_at, 0, '' FROM visitors;
                    CREATE TRIGGER events_device AFTER INSERT ON events BEGIN
                      INSERT INTO devices (environment_id, id, created_at, last_seen_at, last_submitted_at, score, flags, country, city)
                      VALUES (NEW.environment_id, NEW.visitor_id, NEW.timestamp, NEW.timestamp, NEW.timestamp, NEW.risk_score,
                        NEW.risk_flags, NEW.country, NEW.city)
                      ON CONFLICT(environment_id, id) DO UPDATE SET
                        created_at = min(created_at, excluded.created_at),
                        score = CASE WHEN excluded.last_seen_at >= last_seen_at THEN excluded.score ELSE score END,
                        flags = CASE WHEN excluded.last_seen_at >= last_seen_at THEN excluded.flags ELSE flags END,
                        country = CASE WHEN excluded.last_seen_at >= last_seen_at THEN excluded.country ELSE country END,
                        city = CASE WHEN excluded.last_seen_at >= last_seen_at THEN excluded.city ELSE city END,
                        last_submitted_at = max(last_submitted_at, excluded.last_submitted_at),
                        last_seen_at = max(last_seen_at, excluded.last_seen_at);
                    END;
                    CREATE TRIGGER visitors_device_erase AFTER DELETE ON visitors BEGIN
                      DELETE FROM devices WHERE environment_id = OLD.environment_id AND id = OLD.id;
                    END;
                    """)
        }
        m.registerMigration("v5_webhooks") { db in
            try db.execute(
                sql: """
                    CREATE TABLE webhook_endpoints (
                      id TEXT PRIMARY KEY,
                      environment_id TEXT NOT NULL REFERENCES environments(id),
                      url TEXT NOT NULL,
                      basic_auth_user TEXT,
                      sealed_password BLOB,
                      sealed_secret BLOB NOT NULL,
                      enabled INTEGER NOT NULL DEFAULT 1,
                      filter TEXT NOT NULL DEFAULT '{}',
                      created_at INTEGER NOT NULL
                    );
                    CREATE INDEX webhook_endpoints_environment ON webhook_endpoints(environment_id, enabled);
                    -- The outbox: one row per (event, endpoint), written in the event's transaction.
                    CREATE TABLE webhook_deliveries (
                      id TEXT PRIMARY KEY,
                      endpoint_id TEXT NOT NULL,
                      event_id TEXT NOT NULL,
                      status TEXT NOT NULL,
                      attempts INTEGER NOT NULL DEFAULT 0,
                      queued_at INTEGER NOT NULL,
                      next_attempt_at INTEGER NOT NULL,
                      lease_token TEXT,
                      last_attempt_at INTEGER,
                      last_status_code INTEGER,
                      last_error TEXT,
                      delivered_at INTEGER
                    );
                    CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
                    CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, status, id);
                    CREATE INDEX webhook_deliveries_event ON webhook_deliveries(event_id);
                    CREATE TABLE webhook_attempts (
                      delivery_id TEXT NOT NULL,
                      number INTEGER NOT NULL,
                      started_at INTEGER NOT NULL,
                      latency_ms INTEGER NOT NULL,
                      status_code INTEGER,
                      error TEXT
                    );
                    CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, started_at);
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
        m.registerMigration("v6_devices_verdict_when_changed") { db in
            // The same aggregate as v5's trigger, written in two steps: the times on every event,
            // the latest event's verdict and place only when they differ from the row's. An UPDATE
            // rewrites the entries of every index whose columns it sets, so v5's single upsert
            // moved each device's `devices_score` entry on every event although a device's score
            // rarely changes (`argus benchmark-store`: 164 against 188 µs of CPU per event).
            try db.execute(
                sql: """
                    DROP TRIGGER events_device;
                    CREATE TRIGGER events_device AFTER INSERT ON events BEGIN
                      INSERT INTO devices (environment_id, id, created_at, last_seen_at, last_submitted_at, score, flags, country, city)
                      VALUES (NEW.environment_id, NEW.visitor_id, NEW.timestamp, NEW.timestamp, NEW.timestamp, NEW.risk_score,
                        NEW.risk_flags, NEW.country, NEW.city)
                      ON CONFLICT(environment_id, id) DO UPDATE SET
                        created_at = min(created_at, excluded.created_at),
                        last_submitted_at = max(last_submitted_at, excluded.last_submitted_at),
                        last_seen_at = max(last_seen_at, excluded.last_seen_at);
                      -- The event is the device's latest (or as late) exactly when last_seen_at is now its time.
                      UPDATE devices SET score = NEW.risk_score, flags = NEW.risk_flags, country = NEW.country, city = NEW.city
                      WHERE environment_id = NEW.environment_id AND id = NEW.visitor_id AND last_seen_at = NEW.timestamp
                        AND (score IS NOT NEW.risk_score OR flags IS NOT NEW.risk_flags OR country IS NOT NEW.country
                          OR city IS NOT NEW.city);
                    END;
                    """)
        }
        m.registerMigration("v7_events_one_time_index") { db in
            // Every query that orders or bounds events by time names its environment (searches,
            // the device history, retention), so one index serves them all, in the order they
            // read: v1's (environment, time) needed a sort by id among equal times, and v3's
            // (time, id) was one more entry to write on every event.
            try db.execute(
                sql: """
                    CREATE INDEX events_environment_time_id ON events(environment_id, timestamp, id);
                    DROP INDEX events_environment_time;
                    DROP INDEX events_time;
                    """)
        }
        return m
    }
}
