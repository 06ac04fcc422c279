import GRDB

/// The SQLite store's schema, as versioned migrations. A migration is never edited once shipped:
/// add a new one instead (the GRDB rule). `PostgresSchema` must describe the same tables.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-archive-alerts-checkpoints") { db in
            // The conversation-archive index: one row per message, idempotent by msgid.
            try db.execute(
                sql: """
                    CREATE TABLE messages (
                        rowid INTEGER PRIMARY KEY,
                        msgid TEXT NOT NULL UNIQUE,
                        msgtime INTEGER NOT NULL,
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
                        line INTEGER NOT NULL,
                        offset INTEGER NOT NULL
                    );
                    CREATE INDEX messages_conversation_time ON messages(conversation, msgtime, rowid);
                    CREATE INDEX messages_time ON messages(msgtime);
                    CREATE INDEX messages_sender_time ON messages(sender, msgtime);

                    -- Full-text search over the text, trigram-tokenised so Chinese substrings match.
                    CREATE VIRTUAL TABLE messages_fts USING fts5(
                        text, content='messages', content_rowid='rowid', tokenize='trigram'
                    );
                    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
                        INSERT INTO messages_fts(rowid, text) VALUES (new.rowid, new.text);
                    END;
                    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
                        INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
                    END;

                    CREATE TABLE alerts (
                        rowid INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        rule TEXT NOT NULL,
                        category TEXT NOT NULL,
                        severity TEXT NOT NULL,
                        severity_rank INTEGER NOT NULL,
                        msgid TEXT NOT NULL,
                        msgtime INTEGER NOT NULL,
                        roomid TEXT NOT NULL,
                        conversation TEXT NOT NULL,
                        sender TEXT NOT NULL,
                        tolist TEXT NOT NULL,
                        matched TEXT NOT NULL,
                        term TEXT NOT NULL,
                        span_start INTEGER NOT NULL,
                        span_end INTEGER NOT NULL,
                        text TEXT NOT NULL,
                        file TEXT NOT NULL,
                        line INTEGER NOT NULL,
                        offset INTEGER NOT NULL,
                        details TEXT NOT NULL,
                        related TEXT NOT NULL,
                        status TEXT NOT NULL DEFAULT 'new',
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        logged INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE INDEX alerts_time ON alerts(msgtime, rowid);
                    CREATE INDEX alerts_status_time ON alerts(status, msgtime);
                    CREATE INDEX alerts_category_time ON alerts(category, msgtime);
                    CREATE INDEX alerts_sender_time ON alerts(sender, msgtime);
                    CREATE INDEX alerts_conversation_time ON alerts(conversation, msgtime);
                    CREATE INDEX alerts_msgid ON alerts(msgid);
                    CREATE INDEX alerts_unlogged ON alerts(logged) WHERE logged = 0;

                    -- Append-only audit trail of what reviewers decided.
                    CREATE TABLE review_actions (
                        rowid INTEGER PRIMARY KEY,
                        alert_id TEXT NOT NULL REFERENCES alerts(id),
                        action TEXT NOT NULL,
                        status TEXT NOT NULL,
                        reviewer TEXT NOT NULL,
                        note TEXT NOT NULL,
                        at INTEGER NOT NULL
                    );
                    CREATE INDEX review_actions_alert ON review_actions(alert_id, rowid);
                    CREATE TRIGGER review_actions_no_update BEFORE UPDATE ON review_actions BEGIN
                        SELECT RAISE(ABORT, 'review actions are append-only');
                    END;
                    CREATE TRIGGER review_actions_no_delete BEFORE DELETE ON review_actions BEGIN
                        SELECT RAISE(ABORT, 'review actions are append-only');
                    END;

                    -- Where each followed archive file has been read to.
                    CREATE TABLE checkpoints (
                        source TEXT PRIMARY KEY,
                        path TEXT NOT NULL,
                        device INTEGER NOT NULL,
                        inode INTEGER NOT NULL,
                        fingerprint TEXT NOT NULL,
                        offset INTEGER NOT NULL,
                        line INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    );

                    -- Lines that did not decode, with where they are and why.
                    CREATE TABLE quarantine (
                        rowid INTEGER PRIMARY KEY,
                        file TEXT NOT NULL,
                        line INTEGER NOT NULL,
                        offset INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        excerpt TEXT NOT NULL,
                        at INTEGER NOT NULL,
                        UNIQUE(file, offset)
                    );
                    """)
        }
        migrator.registerMigration("v2-recalls-sender-kind") { db in
            // Which message a recall withdrew, and whether an alert's sender is staff, as columns
            // the review commands can index and filter on.
            try db.execute(
                sql: """
                    ALTER TABLE messages ADD COLUMN recalls TEXT;
                    UPDATE messages SET recalls = json_extract(payload, '$.pre_msgid') WHERE action = 'recall';
                    CREATE INDEX messages_recalls ON messages(recalls) WHERE recalls IS NOT NULL;
                    ALTER TABLE alerts ADD COLUMN sender_kind TEXT NOT NULL DEFAULT 'staff';
                    UPDATE alerts SET sender_kind = CASE
                        WHEN length(sender) >= 16 AND substr(sender, 1, 2) IN ('wo', 'wm') THEN 'customer'
                        WHEN length(sender) >= 16 AND substr(sender, 1, 2) = 'wb' THEN 'robot'
                        ELSE 'staff' END;
                    """)
        }
        migrator.registerMigration("v3-window-state") { db in
            // The state of the rules over time (sliding windows), saved with each batch.
            try db.execute(
                sql: """
                    CREATE TABLE window_state (
                        key TEXT PRIMARY KEY,
                        data TEXT NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v4-notifications") { db in
            // Notifications to send, one row per channel and alert, enqueued in the transaction
            // that inserts the alert (so a crash neither loses nor duplicates the enqueueing).
            try db.execute(
                sql: """
                    CREATE TABLE notifications (
                        channel TEXT NOT NULL,
                        alert_id TEXT NOT NULL,
                        immediate INTEGER NOT NULL,
                        state TEXT NOT NULL DEFAULT 'pending',
                        attempts INTEGER NOT NULL DEFAULT 0,
                        enqueued_at INTEGER NOT NULL,
                        next_at INTEGER NOT NULL,
                        sent_at INTEGER,
                        last_error TEXT,
                        PRIMARY KEY (channel, alert_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX notifications_due ON notifications(state, next_at);
                    """)
        }
        migrator.registerMigration("v5-daemon-names") { db in
            // Several daemons may share a (PostgreSQL) store: what each owns alone is keyed by
            // its name. SQLite keeps one daemon, named "", but the same columns, so the store's
            // queries are the same on both.
            try db.execute(
                sql: """
                    CREATE TABLE checkpoints_v5 (
                        daemon TEXT NOT NULL DEFAULT '',
                        source TEXT NOT NULL,
                        path TEXT NOT NULL,
                        device INTEGER NOT NULL,
                        inode INTEGER NOT NULL,
                        fingerprint TEXT NOT NULL,
                        "offset" INTEGER NOT NULL,
                        line INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        PRIMARY KEY (daemon, source)
                    ) WITHOUT ROWID;
                    INSERT INTO checkpoints_v5 SELECT '', source, path, device, inode, fingerprint, "offset", line, updated_at FROM checkpoints;
                    DROP TABLE checkpoints;
                    ALTER TABLE checkpoints_v5 RENAME TO checkpoints;

                    CREATE TABLE window_state_v5 (
                        daemon TEXT NOT NULL DEFAULT '',
                        key TEXT NOT NULL,
                        data TEXT NOT NULL,
                        PRIMARY KEY (daemon, key)
                    ) WITHOUT ROWID;
                    INSERT INTO window_state_v5 SELECT '', key, data FROM window_state;
                    DROP TABLE window_state;
                    ALTER TABLE window_state_v5 RENAME TO window_state;

                    ALTER TABLE alerts ADD COLUMN origin TEXT NOT NULL DEFAULT '';
                    DROP INDEX alerts_unlogged;
                    CREATE INDEX alerts_unlogged ON alerts(origin, logged) WHERE logged = 0;
                    ALTER TABLE quarantine ADD COLUMN daemon TEXT NOT NULL DEFAULT '';
                    """)
        }
        migrator.registerMigration("v6-evidence") { db in
            // Issue 15: evidence nobody edits unnoticed, and never a silent mismatch.
            // - messages.repair: how a record was repaired to be read (invalid UTF-8, cut line).
            // - message_versions: other records that came with an indexed message's id but a
            //   different text (the index keeps the first; these are shown beside it).
            // - evidence_chain: one hash chain over alerts and review actions, in commit order;
            //   `chatwarden verify` walks it. Rows that existed before are chained at the next
            //   open (store_state 'chain_backfill').
            try db.execute(
                sql: """
                    ALTER TABLE messages ADD COLUMN repair TEXT;
                    CREATE TABLE message_versions (
                        msgid TEXT NOT NULL,
                        text TEXT NOT NULL,
                        msgtime INTEGER NOT NULL,
                        file TEXT NOT NULL,
                        line INTEGER NOT NULL,
                        "offset" INTEGER NOT NULL,
                        seen_at INTEGER NOT NULL,
                        PRIMARY KEY (msgid, file, "offset")
                    ) WITHOUT ROWID;
                    CREATE TABLE evidence_chain (
                        seq INTEGER PRIMARY KEY,
                        kind TEXT NOT NULL,
                        ref TEXT NOT NULL,
                        content_hash TEXT NOT NULL,
                        prev_hash TEXT NOT NULL,
                        hash TEXT NOT NULL,
                        at INTEGER NOT NULL,
                        UNIQUE (kind, ref)
                    );
                    CREATE TABLE store_state (
                        key TEXT PRIMARY KEY,
                        value TEXT NOT NULL
                    ) WITHOUT ROWID;
                    INSERT INTO store_state (key, value) VALUES ('chain_backfill', 'pending');
                    """)
        }
        migrator.registerMigration("v7-alert-id-scheme") { db in
            // Alert ids became SHA-256 based (issue 22). A store holding alerts made under the old
            // scheme keeps them; new alerts whose old-scheme id it holds are not inserted again.
            try db.execute(
                sql: """
                    INSERT INTO store_state (key, value)
                    SELECT 'legacy_alert_ids', CASE WHEN EXISTS (SELECT 1 FROM alerts) THEN 'present' ELSE 'none' END;
                    """)
        }
        migrator.registerMigration("v8-window-last-touched") { db in
            // How old a key's window state is, as a column: the store expires shared state by it
            // instead of reading the window engine's own encoding (once, here, for old rows).
            try db.execute(
                sql: """
                    ALTER TABLE window_state ADD COLUMN last_touched INTEGER NOT NULL DEFAULT 0;
                    UPDATE window_state SET last_touched = coalesce(json_extract(data, '$.l'), 0) WHERE data <> '';
                    """)
        }
        migrator.registerMigration("v9-search-normalised") { db in
            // Issue 18: search sees what detection sees. The trigram index over the original text
            // (kept by triggers) gives way to a contentless FTS5 index of the bigrams of each
            // message's search form (``SearchText``), written by the store as it inserts messages;
            // the text itself stays stored once, in `messages`. Messages indexed before are added
            // at the next open ('search_backfill' holds the last rowid done and the last to do), in chunks.
            try db.execute(
                sql: """
                    DROP TRIGGER IF EXISTS messages_fts_insert;
                    DROP TRIGGER IF EXISTS messages_fts_delete;
                    DROP TABLE IF EXISTS messages_fts;
                    CREATE VIRTUAL TABLE messages_search USING fts5(
                        body, content='', columnsize=0, tokenize='unicode61'
                    );
                    INSERT INTO store_state (key, value)
                    SELECT 'search_backfill', CASE WHEN EXISTS (SELECT 1 FROM messages) THEN '0 ' || (SELECT max(rowid) FROM messages) ELSE 'done' END;
                    """)
        }
        migrator.registerMigration("v10-review-desk") { db in
            // Issue 19: a review desk for a team.
            // - alerts.staff: the staff member an alert is about (its sender when staff, otherwise
            //   the first staff member it was sent to), which a reviewer's scope is checked against;
            //   alerts.assignee: who has it. Both indexed with time for the queue.
            // - review_actions.actor: the account that recorded an action for someone else (an
            //   admin acting for a reviewer); chained when set.
            // - users, saved_filters: accounts of the console and the CLI, each person's filters.
            // - access_log: who looked at what (alert pages, conversations, searches, exports)
            //   and account changes; append-only and chained like the review trail.
            try db.execute(
                sql: """
                    ALTER TABLE alerts ADD COLUMN staff TEXT NOT NULL DEFAULT '';
                    ALTER TABLE alerts ADD COLUMN assignee TEXT NOT NULL DEFAULT '';
                    UPDATE alerts SET staff = CASE WHEN sender_kind = 'staff' THEN sender ELSE coalesce((
                        SELECT value FROM json_each(alerts.tolist)
                        WHERE NOT (length(value) >= 16 AND substr(value, 1, 2) IN ('wo', 'wm', 'wb')) LIMIT 1), '') END;
                    CREATE INDEX alerts_staff_time ON alerts(staff, msgtime);
                    CREATE INDEX alerts_assignee_time ON alerts(assignee, msgtime);
                    CREATE INDEX alerts_rule_time ON alerts(rule, msgtime);
                    ALTER TABLE review_actions ADD COLUMN actor TEXT NOT NULL DEFAULT '';
                    CREATE TABLE users (
                        name TEXT PRIMARY KEY,
                        role TEXT NOT NULL,
                        password_hash TEXT NOT NULL,
                        disabled INTEGER NOT NULL DEFAULT 0,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE saved_filters (
                        owner TEXT NOT NULL,
                        name TEXT NOT NULL,
                        query TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (owner, name)
                    ) WITHOUT ROWID;
                    CREATE TABLE access_log (
                        rowid INTEGER PRIMARY KEY,
                        account TEXT NOT NULL,
                        action TEXT NOT NULL,
                        ref TEXT NOT NULL,
                        detail TEXT NOT NULL,
                        at INTEGER NOT NULL
                    );
                    CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log BEGIN
                        SELECT RAISE(ABORT, 'the access log is append-only');
                    END;
                    CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log BEGIN
                        SELECT RAISE(ABORT, 'the access log is append-only');
                    END;
                    """)
        }
        migrator.registerMigration("v11-rule-versions") { db in
            // Issue 20: which rules were in force. A rule version is the SHA-256 of the rule
            // set's canonical text (``RuleSet/canonicalText``); its entries per category are kept
            // so that `rules history` can say what changed. An activation is when a version came
            // into force (daemon start, reload, a scan). Each alert names the version that raised
            // it (chained when set, as review_actions.actor).
            try db.execute(
                sql: """
                    CREATE TABLE rule_versions (
                        version TEXT PRIMARY KEY,
                        entries TEXT NOT NULL,
                        first_seen INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE rule_activations (
                        rowid INTEGER PRIMARY KEY,
                        version TEXT NOT NULL REFERENCES rule_versions(version),
                        daemon TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        at INTEGER NOT NULL
                    );
                    ALTER TABLE alerts ADD COLUMN rule_version TEXT NOT NULL DEFAULT '';
                    """)
        }
        migrator.registerMigration("v12-retention-holds") { db in
            // Issue 20: retention and legal hold.
            // - legal_holds: a hold on a staff member, a customer, a conversation or a named case;
            //   set and lifted (with reasons) by a supervisor; never deleted.
            // - case_alerts: the alerts of a named case, with their conversations (held whole).
            // - purges: each purge, chained with the hash of the rows it removed (purged_rows),
            //   so `verify` tells a purge from a deletion behind the product's back.
            // - The review trail stays append-only, except inside a purge's own transaction
            //   (marked by a store_state row no other connection ever sees).
            try db.execute(
                sql: """
                    CREATE TABLE legal_holds (
                        rowid INTEGER PRIMARY KEY,
                        kind TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        set_by TEXT NOT NULL,
                        set_at INTEGER NOT NULL,
                        lifted_by TEXT NOT NULL DEFAULT '',
                        lifted_at INTEGER,
                        lift_reason TEXT NOT NULL DEFAULT ''
                    );
                    CREATE TABLE case_alerts (
                        case_name TEXT NOT NULL,
                        alert_id TEXT NOT NULL,
                        conversation TEXT NOT NULL,
                        added_by TEXT NOT NULL,
                        added_at INTEGER NOT NULL,
                        PRIMARY KEY (case_name, alert_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE purges (
                        rowid INTEGER PRIMARY KEY,
                        messages_before INTEGER,
                        alerts_before INTEGER,
                        messages INTEGER NOT NULL,
                        alerts INTEGER NOT NULL,
                        reviews INTEGER NOT NULL,
                        held_messages INTEGER NOT NULL,
                        held_alerts INTEGER NOT NULL,
                        removed_hash TEXT NOT NULL,
                        by TEXT NOT NULL,
                        at INTEGER NOT NULL
                    );
                    CREATE TABLE purged_rows (
                        kind TEXT NOT NULL,
                        ref TEXT NOT NULL,
                        purge INTEGER NOT NULL,
                        PRIMARY KEY (kind, ref)
                    ) WITHOUT ROWID;
                    DROP TRIGGER review_actions_no_delete;
                    CREATE TRIGGER review_actions_no_delete BEFORE DELETE ON review_actions
                    WHEN NOT EXISTS (SELECT 1 FROM store_state WHERE key = 'purging') BEGIN
                        SELECT RAISE(ABORT, 'review actions are append-only');
                    END;
                    """)
        }
        migrator.registerMigration("v13-samples") { db in
            // Issue 20: samples of conversations that raised nothing and of dismissed alerts, with
            // the seed and parameters that draw them again; their items are reviewed like alerts.
            try db.execute(
                sql: """
                    CREATE TABLE samples (
                        rowid INTEGER PRIMARY KEY,
                        seed TEXT NOT NULL,
                        since INTEGER NOT NULL,
                        until INTEGER NOT NULL,
                        quiet_rate TEXT NOT NULL,
                        dismissed_rate TEXT NOT NULL,
                        by TEXT NOT NULL,
                        at INTEGER NOT NULL
                    );
                    CREATE TABLE sample_items (
                        rowid INTEGER PRIMARY KEY,
                        sample INTEGER NOT NULL REFERENCES samples(rowid),
                        kind TEXT NOT NULL,
                        ref TEXT NOT NULL,
                        staff TEXT NOT NULL,
                        week TEXT NOT NULL,
                        status TEXT NOT NULL DEFAULT 'open',
                        reviewer TEXT NOT NULL DEFAULT '',
                        note TEXT NOT NULL DEFAULT '',
                        reviewed_at INTEGER
                    );
                    CREATE INDEX sample_items_open ON sample_items(status, rowid);
                    """)
        }
        migrator.registerMigration("v14-media-jobs") { db in
            // Issue 21: each image message waits here for the image path, inserted with the
            // message; its alerts commit with the update that marks it done (the media checkpoint).
            try db.execute(
                sql: """
                    CREATE TABLE media_jobs (
                        msgid TEXT PRIMARY KEY,
                        md5sum TEXT NOT NULL,
                        sdkfileid TEXT NOT NULL,
                        msgtime INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        attempts INTEGER NOT NULL,
                        next_at INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        path TEXT NOT NULL,
                        sha256 TEXT NOT NULL,
                        updated_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX media_jobs_due ON media_jobs(status, next_at);
                    """)
        }
        return migrator
    }
}
