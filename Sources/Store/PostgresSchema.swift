/// The PostgreSQL store's schema, as versioned migrations (applied in order, each once, recorded
/// in `schema_migrations`). The tables and columns are those of `SQLiteSchema` after all its
/// migrations, so the store's queries run unchanged on both; what differs is how they are
/// indexed: full-text search uses `pg_trgm` (a GIN trigram index, which serves `ILIKE '%…%'`
/// for Chinese substrings of three characters or more), and the append-only review trail is
/// enforced by a trigger function. A shipped migration is never edited: add one.
enum PostgresSchema {
    static let migrations: [(String, [String])] = [
        (
            "v1-shared-store",
            [
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                """
                CREATE TABLE messages (
                    rowid BIGSERIAL PRIMARY KEY,
                    msgid TEXT NOT NULL UNIQUE,
                    msgtime BIGINT NOT NULL,
                    action TEXT NOT NULL,
                    msgtype TEXT NOT NULL,
                    sender TEXT NOT NULL,
                    sender_kind TEXT NOT NULL,
                    tolist TEXT NOT NULL,
                    roomid TEXT NOT NULL,
                    conversation TEXT NOT NULL,
                    text TEXT NOT NULL,
                    payload TEXT,
                    file TEXT NOT NULL,
                    line BIGINT NOT NULL,
                    "offset" BIGINT NOT NULL,
                    recalls TEXT
                )
                """,
                "CREATE INDEX messages_conversation_time ON messages(conversation, msgtime, rowid)",
                "CREATE INDEX messages_time ON messages(msgtime)",
                "CREATE INDEX messages_sender_time ON messages(sender, msgtime)",
                "CREATE INDEX messages_recalls ON messages(recalls) WHERE recalls IS NOT NULL",
                "CREATE INDEX messages_text_trgm ON messages USING gin (text gin_trgm_ops)",
                """
                CREATE TABLE alerts (
                    rowid BIGSERIAL PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    rule TEXT NOT NULL,
                    category TEXT NOT NULL,
                    severity TEXT NOT NULL,
                    severity_rank BIGINT NOT NULL,
                    msgid TEXT NOT NULL,
                    msgtime BIGINT NOT NULL,
                    roomid TEXT NOT NULL,
                    conversation TEXT NOT NULL,
                    sender TEXT NOT NULL,
                    tolist TEXT NOT NULL,
                    matched TEXT NOT NULL,
                    term TEXT NOT NULL,
                    span_start BIGINT NOT NULL,
                    span_end BIGINT NOT NULL,
                    text TEXT NOT NULL,
                    file TEXT NOT NULL,
                    line BIGINT NOT NULL,
                    "offset" BIGINT NOT NULL,
                    details TEXT NOT NULL,
                    related TEXT NOT NULL,
                    status TEXT NOT NULL DEFAULT 'new',
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    logged BIGINT NOT NULL DEFAULT 0,
                    sender_kind TEXT NOT NULL DEFAULT 'staff',
                    origin TEXT NOT NULL DEFAULT ''
                )
                """,
                "CREATE INDEX alerts_time ON alerts(msgtime, rowid)",
                "CREATE INDEX alerts_status_time ON alerts(status, msgtime)",
                "CREATE INDEX alerts_category_time ON alerts(category, msgtime)",
                "CREATE INDEX alerts_sender_time ON alerts(sender, msgtime)",
                "CREATE INDEX alerts_conversation_time ON alerts(conversation, msgtime)",
                "CREATE INDEX alerts_msgid ON alerts(msgid)",
                "CREATE INDEX alerts_unlogged ON alerts(origin, logged) WHERE logged = 0",
                """
                CREATE TABLE review_actions (
                    rowid BIGSERIAL PRIMARY KEY,
                    alert_id TEXT NOT NULL REFERENCES alerts(id),
                    action TEXT NOT NULL,
                    status TEXT NOT NULL,
                    reviewer TEXT NOT NULL,
                    note TEXT NOT NULL,
                    at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX review_actions_alert ON review_actions(alert_id, rowid)",
                """
                CREATE FUNCTION chatwarden_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'review actions are append-only';
                END
                $$
                """,
                """
                CREATE TRIGGER review_actions_append_only BEFORE UPDATE OR DELETE ON review_actions
                    FOR EACH ROW EXECUTE FUNCTION chatwarden_append_only()
                """,
                """
                CREATE TABLE checkpoints (
                    daemon TEXT NOT NULL DEFAULT '',
                    source TEXT NOT NULL,
                    path TEXT NOT NULL,
                    device BIGINT NOT NULL,
                    inode BIGINT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    "offset" BIGINT NOT NULL,
                    line BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (daemon, source)
                )
                """,
                """
                CREATE TABLE quarantine (
                    rowid BIGSERIAL PRIMARY KEY,
                    daemon TEXT NOT NULL DEFAULT '',
                    file TEXT NOT NULL,
                    line BIGINT NOT NULL,
                    "offset" BIGINT NOT NULL,
                    reason TEXT NOT NULL,
                    excerpt TEXT NOT NULL,
                    at BIGINT NOT NULL,
                    UNIQUE (daemon, file, "offset")
                )
                """,
                """
                CREATE TABLE window_state (
                    daemon TEXT NOT NULL DEFAULT '',
                    key TEXT NOT NULL,
                    data TEXT NOT NULL,
                    PRIMARY KEY (daemon, key)
                )
                """,
                """
                CREATE TABLE notifications (
                    channel TEXT NOT NULL,
                    alert_id TEXT NOT NULL,
                    immediate BIGINT NOT NULL,
                    state TEXT NOT NULL DEFAULT 'pending',
                    attempts BIGINT NOT NULL DEFAULT 0,
                    enqueued_at BIGINT NOT NULL,
                    next_at BIGINT NOT NULL,
                    sent_at BIGINT,
                    last_error TEXT,
                    PRIMARY KEY (channel, alert_id)
                )
                """,
                "CREATE INDEX notifications_due ON notifications(state, next_at)",
            ]
        ),
        (
            "v6-evidence",
            [
                // See SQLiteSchema v6: repairs, other versions of a message id, the evidence chain.
                "ALTER TABLE messages ADD COLUMN repair TEXT",
                """
                CREATE TABLE message_versions (
                    msgid TEXT NOT NULL,
                    text TEXT NOT NULL,
                    msgtime BIGINT NOT NULL,
                    file TEXT NOT NULL,
                    line BIGINT NOT NULL,
                    "offset" BIGINT NOT NULL,
                    seen_at BIGINT NOT NULL,
                    PRIMARY KEY (msgid, file, "offset")
                )
                """,
                """
                CREATE TABLE evidence_chain (
                    seq BIGINT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    ref TEXT NOT NULL,
                    content_hash TEXT NOT NULL,
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL,
                    at BIGINT NOT NULL,
                    UNIQUE (kind, ref)
                )
                """,
                "CREATE TABLE store_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                "INSERT INTO store_state (key, value) VALUES ('chain_backfill', 'pending')",
            ]
        ),
        (
            "v7-alert-id-scheme",
            [
                // See SQLiteSchema v7.
                """
                INSERT INTO store_state (key, value)
                SELECT 'legacy_alert_ids', CASE WHEN EXISTS (SELECT 1 FROM alerts) THEN 'present' ELSE 'none' END
                """
            ]
        ),
        (
            "v8-window-last-touched",
            [
                // See SQLiteSchema v8.
                "ALTER TABLE window_state ADD COLUMN last_touched BIGINT NOT NULL DEFAULT 0",
                "UPDATE window_state SET last_touched = coalesce((data::json->>'l')::bigint, 0) WHERE data <> ''",
            ]
        ),
        (
            "v9-search-normalised",
            [
                // See SQLiteSchema v9: search over the search form (``SearchText``), here a
                // column with its own trigram index; rows indexed before are filled at open.
                "ALTER TABLE messages ADD COLUMN search_text TEXT NOT NULL DEFAULT ''",
                "CREATE INDEX messages_search_trgm ON messages USING gin (search_text gin_trgm_ops)",
                "DROP INDEX IF EXISTS messages_text_trgm",
                """
                INSERT INTO store_state (key, value)
                SELECT 'search_backfill', CASE WHEN EXISTS (SELECT 1 FROM messages) THEN '0 ' || (SELECT max(rowid) FROM messages) ELSE 'done' END
                """,
            ]
        ),
        (
            "v10-review-desk",
            [
                // See SQLiteSchema v10.
                "ALTER TABLE alerts ADD COLUMN staff TEXT NOT NULL DEFAULT ''",
                "ALTER TABLE alerts ADD COLUMN assignee TEXT NOT NULL DEFAULT ''",
                """
                UPDATE alerts SET staff = CASE WHEN sender_kind = 'staff' THEN sender ELSE coalesce((
                    SELECT value FROM json_array_elements_text(alerts.tolist::json) AS t(value)
                    WHERE NOT (length(value) >= 16 AND substr(value, 1, 2) IN ('wo', 'wm', 'wb')) LIMIT 1), '') END
                """,
                "CREATE INDEX alerts_staff_time ON alerts(staff, msgtime)",
                "CREATE INDEX alerts_assignee_time ON alerts(assignee, msgtime)",
                "CREATE INDEX alerts_rule_time ON alerts(rule, msgtime)",
                "ALTER TABLE review_actions ADD COLUMN actor TEXT NOT NULL DEFAULT ''",
                """
                CREATE TABLE users (
                    name TEXT PRIMARY KEY,
                    role TEXT NOT NULL,
                    password_hash TEXT NOT NULL,
                    disabled BIGINT NOT NULL DEFAULT 0,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE saved_filters (
                    owner TEXT NOT NULL,
                    name TEXT NOT NULL,
                    query TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (owner, name)
                )
                """,
                """
                CREATE TABLE access_log (
                    rowid BIGSERIAL PRIMARY KEY,
                    account TEXT NOT NULL,
                    action TEXT NOT NULL,
                    ref TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    at BIGINT NOT NULL
                )
                """,
                """
                CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
                    FOR EACH ROW EXECUTE FUNCTION chatwarden_append_only()
                """,
            ]
        ),
        (
            "v11-rule-versions",
            [
                // See SQLiteSchema v11.
                """
                CREATE TABLE rule_versions (
                    version TEXT PRIMARY KEY,
                    entries TEXT NOT NULL,
                    first_seen BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE rule_activations (
                    rowid BIGSERIAL PRIMARY KEY,
                    version TEXT NOT NULL REFERENCES rule_versions(version),
                    daemon TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    at BIGINT NOT NULL
                )
                """,
                "ALTER TABLE alerts ADD COLUMN rule_version TEXT NOT NULL DEFAULT ''",
            ]
        ),
        (
            "v12-retention-holds",
            [
                // See SQLiteSchema v12.
                """
                CREATE TABLE legal_holds (
                    rowid BIGSERIAL PRIMARY KEY,
                    kind TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    set_by TEXT NOT NULL,
                    set_at BIGINT NOT NULL,
                    lifted_by TEXT NOT NULL DEFAULT '',
                    lifted_at BIGINT,
                    lift_reason TEXT NOT NULL DEFAULT ''
                )
                """,
                """
                CREATE TABLE case_alerts (
                    case_name TEXT NOT NULL,
                    alert_id TEXT NOT NULL,
                    conversation TEXT NOT NULL,
                    added_by TEXT NOT NULL,
                    added_at BIGINT NOT NULL,
                    PRIMARY KEY (case_name, alert_id)
                )
                """,
                """
                CREATE TABLE purges (
                    rowid BIGSERIAL PRIMARY KEY,
                    messages_before BIGINT,
                    alerts_before BIGINT,
                    messages BIGINT NOT NULL,
                    alerts BIGINT NOT NULL,
                    reviews BIGINT NOT NULL,
                    held_messages BIGINT NOT NULL,
                    held_alerts BIGINT NOT NULL,
                    removed_hash TEXT NOT NULL,
                    by TEXT NOT NULL,
                    at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE purged_rows (
                    kind TEXT NOT NULL,
                    ref TEXT NOT NULL,
                    purge BIGINT NOT NULL,
                    PRIMARY KEY (kind, ref)
                )
                """,
                """
                CREATE OR REPLACE FUNCTION chatwarden_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'review_actions'
                        AND EXISTS (SELECT 1 FROM store_state WHERE key = 'purging') THEN
                        RETURN OLD;
                    END IF;
                    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
                END
                $$
                """,
            ]
        ),
        (
            "v13-samples",
            [
                // See SQLiteSchema v13.
                """
                CREATE TABLE samples (
                    rowid BIGSERIAL PRIMARY KEY,
                    seed TEXT NOT NULL,
                    since BIGINT NOT NULL,
                    until BIGINT NOT NULL,
                    quiet_rate TEXT NOT NULL,
                    dismissed_rate TEXT NOT NULL,
                    by TEXT NOT NULL,
                    at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE sample_items (
                    rowid BIGSERIAL PRIMARY KEY,
                    sample BIGINT NOT NULL REFERENCES samples(rowid),
                    kind TEXT NOT NULL,
                    ref TEXT NOT NULL,
                    staff TEXT NOT NULL,
                    week TEXT NOT NULL,
                    status TEXT NOT NULL DEFAULT 'open',
                    reviewer TEXT NOT NULL DEFAULT '',
                    note TEXT NOT NULL DEFAULT '',
                    reviewed_at BIGINT
                )
                """,
                "CREATE INDEX sample_items_open ON sample_items(status, rowid)",
            ]
        ),
        (
            "v14-media-jobs",
            [
                // See SQLiteSchema v14.
                """
                CREATE TABLE media_jobs (
                    msgid TEXT PRIMARY KEY,
                    md5sum TEXT NOT NULL,
                    sdkfileid TEXT NOT NULL,
                    msgtime BIGINT NOT NULL,
                    status TEXT NOT NULL,
                    attempts BIGINT NOT NULL,
                    next_at BIGINT NOT NULL,
                    reason TEXT NOT NULL,
                    path TEXT NOT NULL,
                    sha256 TEXT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX media_jobs_due ON media_jobs(status, next_at)",
            ]
        ),
    ]
}
