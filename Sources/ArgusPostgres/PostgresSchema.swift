/// Versioned migrations of the PostgreSQL store, recorded in `schema_migrations`.
/// A released migration is never edited: add a new one at the end.
///
/// The schema mirrors the SQLite one (Sources/ArgusSQLite/SQLiteSchema.swift) in its final shape,
/// with PostgreSQL's types: every text column sorts and compares by bytes (`COLLATE "C"`), as
/// SQLite's BINARY does, so that orders and keyset cursors agree between the two stores.
/// What SQLite's triggers do, PL/pgSQL triggers do here, in the same transaction.
enum PostgresSchema {
    struct Migration {
        let version: String
        /// Run one by one, in one transaction with the version's row.
        let statements: [String]
    }

    static let migrations: [Migration] = [
        Migration(
            version: "v1_initial",
            statements: [
                """
                CREATE TABLE settings (
                  name TEXT COLLATE "C" PRIMARY KEY,
                  value BYTEA NOT NULL
                )
                """,
                """
                CREATE TABLE environments (
                  id TEXT COLLATE "C" PRIMARY KEY,
                  name TEXT COLLATE "C" NOT NULL UNIQUE,
                  created_at BIGINT NOT NULL,
                  retention_days BIGINT NOT NULL DEFAULT 365,
                  open_response BOOLEAN NOT NULL DEFAULT false
                )
                """,
                """
                CREATE TABLE api_keys (
                  id TEXT COLLATE "C" PRIMARY KEY,
                  environment_id TEXT COLLATE "C" REFERENCES environments(id),
                  kind TEXT COLLATE "C" NOT NULL,
                  public_value TEXT COLLATE "C" UNIQUE,
                  secret_hash TEXT COLLATE "C" UNIQUE,
                  sealed_secret BYTEA,
                  scopes TEXT COLLATE "C" NOT NULL DEFAULT '',
                  allowed_origins TEXT COLLATE "C" NOT NULL DEFAULT '',
                  name TEXT COLLATE "C" NOT NULL DEFAULT '',
                  created_at BIGINT NOT NULL,
                  revoked_at BIGINT,
                  rate_limit_per_second BIGINT
                )
                """,
                "CREATE INDEX api_keys_environment ON api_keys(environment_id, kind)",
                """
                CREATE TABLE encryption_keys (
                  id TEXT COLLATE "C" PRIMARY KEY,
                  environment_id TEXT COLLATE "C" NOT NULL REFERENCES environments(id),
                  sealed_key BYTEA NOT NULL,
                  status TEXT COLLATE "C" NOT NULL,
                  created_at BIGINT NOT NULL,
                  activated_at BIGINT,
                  deactivated_at BIGINT,
                  previous_key_id TEXT COLLATE "C",
                  seal_count BIGINT NOT NULL DEFAULT 0
                )
                """,
                "CREATE INDEX encryption_keys_environment ON encryption_keys(environment_id, created_at)",
                // At most one active key per environment, at any moment (checked at each statement).
                "CREATE UNIQUE INDEX encryption_keys_one_active ON encryption_keys(environment_id) WHERE status = 'active'",
                // changed_xid: the id of the transaction that last wrote the row (the change feed).
                """
                CREATE TABLE visitors (
                  environment_id TEXT COLLATE "C" NOT NULL,
                  id TEXT COLLATE "C" NOT NULL,
                  first_seen_at BIGINT NOT NULL,
                  last_seen_at BIGINT NOT NULL,
                  event_count BIGINT NOT NULL,
                  profile BYTEA NOT NULL,
                  changed_xid BIGINT NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
                  PRIMARY KEY (environment_id, id)
                )
                """,
                "CREATE INDEX visitors_changes ON visitors(environment_id, changed_xid, id)",
                // Visitors erased (deleteVisitors, retention), for the other instances' change feed;
                // a visitor written again leaves this table. Rows older than a day are pruned.
                """
                CREATE TABLE visitor_erasures (
                  environment_id TEXT COLLATE "C" NOT NULL,
                  id TEXT COLLATE "C" NOT NULL,
                  changed_xid BIGINT NOT NULL,
                  erased_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                  PRIMARY KEY (environment_id, id)
                )
                """,
                "CREATE INDEX visitor_erasures_changes ON visitor_erasures(environment_id, changed_xid, id)",
                "CREATE INDEX visitor_erasures_age ON visitor_erasures(erased_at)",
                """
                CREATE TABLE events (
                  id TEXT COLLATE "C" PRIMARY KEY,
                  environment_id TEXT COLLATE "C" NOT NULL,
                  visitor_id TEXT COLLATE "C" NOT NULL,
                  timestamp BIGINT NOT NULL,
                  linked_id TEXT COLLATE "C",
                  ip_address TEXT COLLATE "C" NOT NULL,
                  suspect BOOLEAN NOT NULL DEFAULT false,
                  document BYTEA NOT NULL,
                  components BYTEA NOT NULL,
                  risk_score BIGINT NOT NULL DEFAULT 0,
                  risk_flags TEXT COLLATE "C" NOT NULL DEFAULT '',
                  country TEXT COLLATE "C",
                  city TEXT COLLATE "C"
                )
                """,
                "CREATE INDEX events_environment_time ON events(environment_id, timestamp)",
                "CREATE INDEX events_visitor ON events(environment_id, visitor_id, timestamp)",
                "CREATE INDEX events_time ON events(timestamp, id)",
                "CREATE INDEX events_linked ON events(environment_id, linked_id, timestamp) WHERE linked_id IS NOT NULL",
                "CREATE INDEX events_ip ON events(environment_id, ip_address, timestamp)",
                """
                CREATE TABLE devices (
                  environment_id TEXT COLLATE "C" NOT NULL,
                  id TEXT COLLATE "C" NOT NULL,
                  created_at BIGINT NOT NULL,
                  last_seen_at BIGINT NOT NULL,
                  last_submitted_at BIGINT NOT NULL,
                  score BIGINT NOT NULL,
                  flags TEXT COLLATE "C" NOT NULL,
                  country TEXT COLLATE "C",
                  city TEXT COLLATE "C",
                  PRIMARY KEY (environment_id, id)
                )
                """,
                "CREATE INDEX devices_seen ON devices(environment_id, last_seen_at, id)",
                "CREATE INDEX devices_score ON devices(environment_id, score, id)",
                // The per-device aggregate (score, flags, country, city of its latest event), kept in the
                // event's transaction as SQLite's events_device trigger does.
                """
                CREATE FUNCTION argus_events_device() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
                BEGIN
                  INSERT INTO devices AS d (environment_id, id, created_at, last_seen_at, last_submitted_at, score, flags, country, city)
                  VALUES (NEW.environment_id, NEW.visitor_id, NEW.timestamp, NEW.timestamp, NEW.timestamp, NEW.risk_score,
                    NEW.risk_flags, NEW.country, NEW.city)
                  ON CONFLICT (environment_id, id) DO UPDATE SET
                    created_at = least(d.created_at, excluded.created_at),
                    score = CASE WHEN excluded.last_seen_at >= d.last_seen_at THEN excluded.score ELSE d.score END,
                    flags = CASE WHEN excluded.last_seen_at >= d.last_seen_at THEN excluded.flags ELSE d.flags END,
                    country = CASE WHEN excluded.last_seen_at >= d.last_seen_at THEN excluded.country ELSE d.country END,
                    city = CASE WHEN excluded.last_seen_at >= d.last_seen_at THEN excluded.city ELSE d.city END,
                    last_submitted_at = greatest(d.last_submitted_at, excluded.last_submitted_at),
                    last_seen_at = greatest(d.last_seen_at, excluded.last_seen_at);
                  RETURN NULL;
                END
                $$
                """,
                "CREATE TRIGGER events_device AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION argus_events_device()",
                // Erasing a visitor row erases its device and enters the change feed as an erasure.
                """
                CREATE FUNCTION argus_visitors_erase() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
                BEGIN
                  DELETE FROM devices WHERE environment_id = OLD.environment_id AND id = OLD.id;
                  INSERT INTO visitor_erasures (environment_id, id, changed_xid)
                  VALUES (OLD.environment_id, OLD.id, pg_current_xact_id()::text::bigint)
                  ON CONFLICT (environment_id, id) DO UPDATE SET changed_xid = excluded.changed_xid, erased_at = now();
                  RETURN NULL;
                END
                $$
                """,
                "CREATE TRIGGER visitors_erase AFTER DELETE ON visitors FOR EACH ROW EXECUTE FUNCTION argus_visitors_erase()",
                """
                CREATE FUNCTION argus_visitors_return() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
                BEGIN
                  DELETE FROM visitor_erasures WHERE environment_id = NEW.environment_id AND id = NEW.id;
                  RETURN NULL;
                END
                $$
                """,
                "CREATE TRIGGER visitors_return AFTER INSERT ON visitors FOR EACH ROW EXECUTE FUNCTION argus_visitors_return()",
                """
                CREATE TABLE webhook_endpoints (
                  id TEXT COLLATE "C" PRIMARY KEY,
                  environment_id TEXT COLLATE "C" NOT NULL REFERENCES environments(id),
                  url TEXT COLLATE "C" NOT NULL,
                  basic_auth_user TEXT COLLATE "C",
                  sealed_password BYTEA,
                  sealed_secret BYTEA NOT NULL,
                  enabled BOOLEAN NOT NULL DEFAULT true,
                  filter TEXT COLLATE "C" NOT NULL DEFAULT '{}',
                  created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX webhook_endpoints_environment ON webhook_endpoints(environment_id, enabled)",
                // The outbox: one row per (event, endpoint), written in the event's transaction.
                """
                CREATE TABLE webhook_deliveries (
                  id TEXT COLLATE "C" PRIMARY KEY,
                  endpoint_id TEXT COLLATE "C" NOT NULL,
                  event_id TEXT COLLATE "C" NOT NULL,
                  status TEXT COLLATE "C" NOT NULL,
                  attempts BIGINT NOT NULL DEFAULT 0,
                  queued_at BIGINT NOT NULL,
                  next_attempt_at BIGINT NOT NULL,
                  lease_token TEXT COLLATE "C",
                  last_attempt_at BIGINT,
                  last_status_code BIGINT,
                  last_error TEXT COLLATE "C",
                  delivered_at BIGINT
                )
                """,
                "CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending'",
                "CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, status, id)",
                "CREATE INDEX webhook_deliveries_event ON webhook_deliveries(event_id)",
                """
                CREATE TABLE webhook_attempts (
                  seq BIGINT GENERATED ALWAYS AS IDENTITY,
                  delivery_id TEXT COLLATE "C" NOT NULL,
                  number BIGINT NOT NULL,
                  started_at BIGINT NOT NULL,
                  latency_ms BIGINT NOT NULL,
                  status_code BIGINT,
                  error TEXT COLLATE "C"
                )
                """,
                "CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, started_at, seq)",
                """
                CREATE TABLE prefetch_tasks (
                  request_id TEXT COLLATE "C" PRIMARY KEY,
                  environment_id TEXT COLLATE "C",
                  subscriber_id BIGINT NOT NULL,
                  session_id TEXT COLLATE "C" NOT NULL,
                  user_id TEXT COLLATE "C" NOT NULL,
                  status TEXT COLLATE "C" NOT NULL,
                  attempts BIGINT NOT NULL DEFAULT 0,
                  last_error TEXT COLLATE "C",
                  created_at BIGINT NOT NULL,
                  updated_at BIGINT NOT NULL,
                  next_attempt_at BIGINT NOT NULL,
                  lease_until BIGINT NOT NULL DEFAULT 0,
                  fetched_at BIGINT,
                  result BYTEA
                )
                """,
                "CREATE INDEX prefetch_tasks_due ON prefetch_tasks(next_attempt_at) WHERE status = 'pending'",
                "CREATE INDEX prefetch_tasks_session ON prefetch_tasks(session_id, fetched_at) WHERE status = 'done'",
                "CREATE INDEX prefetch_tasks_user ON prefetch_tasks(user_id, fetched_at) WHERE status = 'done'",
                """
                CREATE TABLE bin_observations (
                  subject TEXT COLLATE "C" NOT NULL,
                  bin TEXT COLLATE "C" NOT NULL,
                  last_seen_at BIGINT NOT NULL,
                  PRIMARY KEY (subject, bin)
                )
                """,
            ]),
        Migration(
            // As SQLite's v7: every query by time names its environment, so one index serves
            // them all in the order they read, and each event writes one entry fewer.
            version: "v2_events_one_time_index",
            statements: [
                "CREATE INDEX events_environment_time_id ON events(environment_id, timestamp, id)",
                "DROP INDEX events_environment_time",
                "DROP INDEX events_time",
            ]),
    ]
}
