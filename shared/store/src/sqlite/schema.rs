//! The schema, versioned with SQLite's `user_version` so older files are migrated in place.

use rusqlite::Connection;

/// Each entry moves the schema from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE activities (
    tenant      TEXT NOT NULL,
    id          TEXT NOT NULL,
    app         TEXT NOT NULL,
    user_key    TEXT NOT NULL,
    actor_id    TEXT,
    occurred_at INTEGER NOT NULL,
    action      TEXT NOT NULL,
    ip          TEXT,
    country     TEXT,
    body        TEXT NOT NULL
);
-- A rowid table: rows carry the raw entry (kilobytes), which WITHOUT ROWID tables store badly.
CREATE UNIQUE INDEX activities_by_id ON activities (tenant, id);
CREATE INDEX activities_by_user ON activities (tenant, user_key, occurred_at);
CREATE INDEX activities_by_ip ON activities (tenant, ip, occurred_at);
CREATE INDEX activities_by_time ON activities (tenant, occurred_at);

CREATE TABLE alerts (
    id          TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL,
    policy_id   TEXT NOT NULL,
    status      TEXT NOT NULL,
    severity    INTEGER NOT NULL,
    user_key    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX alerts_by_time ON alerts (tenant, created_at);

CREATE TABLE alert_history (
    alert_id    TEXT NOT NULL REFERENCES alerts (id),
    seq         INTEGER NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (alert_id, seq)
);

CREATE TABLE user_state (
    tenant      TEXT NOT NULL,
    user_key    TEXT NOT NULL,
    version     INTEGER NOT NULL,
    -- A blob (UserState::to_bytes); text when an earlier release wrote it as JSON.
    body        TEXT NOT NULL,
    PRIMARY KEY (tenant, user_key)
);

CREATE TABLE tenants (
    tenant      TEXT PRIMARY KEY,
    first_seen  INTEGER NOT NULL
);
"#,
    r#"
CREATE TABLE usage (
    tenant      TEXT NOT NULL,
    key         TEXT NOT NULL,
    user_key    TEXT NOT NULL,
    last_seen   INTEGER NOT NULL,
    PRIMARY KEY (tenant, key, user_key)
) WITHOUT ROWID;

CREATE TABLE directory (
    tenant      TEXT NOT NULL,
    user_key    TEXT NOT NULL,
    status      TEXT NOT NULL,
    since       INTEGER NOT NULL,
    source      TEXT NOT NULL,
    PRIMARY KEY (tenant, user_key)
);

CREATE TABLE tenant_state (
    tenant      TEXT NOT NULL,
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (tenant, name)
);
"#,
    r#"
CREATE TABLE checkpoints (
    tenant      TEXT NOT NULL,
    stream      TEXT NOT NULL,
    version     INTEGER NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (tenant, stream)
);
"#,
    r#"
CREATE TABLE governance_log (
    id          TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL,
    alert_id    TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX governance_by_alert ON governance_log (alert_id);
CREATE INDEX governance_by_time ON governance_log (tenant, created_at);

CREATE TABLE governance_budget (
    tenant      TEXT NOT NULL,
    period      TEXT NOT NULL,
    used        INTEGER NOT NULL,
    PRIMARY KEY (tenant, period)
);
"#,
    // Searches by outcome (failed sign-ins) filter in SQL rather than reading every body: a column, filled
    // in from the stored JSON for activities recorded before it.
    r#"
ALTER TABLE activities ADD COLUMN outcome TEXT;
UPDATE activities SET outcome = json_extract(body, '$.outcome');
"#,
];

pub(super) fn prepare(conn: &Connection) -> rusqlite::Result<()> {
    // 16 KB pages, for a new file only (an existing file keeps its own): an activity row carries its raw
    // entry (about 1.3 KB), which left a third of each 4 KB page empty and split a page every other insert.
    // A replay wrote 202 MB instead of 167 MB and spent twice the system time (docs/benchmarks.md).
    conn.pragma_update(None, "page_size", 16_384)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // A replay touches the activity indexes and every user's state: with SQLite's 2 MB default cache it
    // spends its time re-reading and spilling pages. 64 MB of cache and memory-mapped reads keep it in RAM.
    // The map is 64 MB, not more: its pages count as the process's resident memory, and a 256 MB map made
    // a million-entry replay peak at 362 MB with no gain in speed (docs/benchmarks.md, "Local replay").
    conn.pragma_update(None, "cache_size", -65_536)?;
    conn.pragma_update(None, "mmap_size", 67_108_864)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let current: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    for (version, migration) in (0_i64..).zip(MIGRATIONS).skip(usize::try_from(current).unwrap_or(0)) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(migration)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file written before the outcome column existed: its activities get their outcome from the stored
    /// JSON, so a search for failed sign-ins finds them.
    #[test]
    fn a_file_from_before_the_outcome_column_is_migrated_with_its_outcomes() {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch(MIGRATIONS[0]).expect("first schema");
        conn.pragma_update(None, "user_version", 1).expect("version 1");
        for (id, outcome) in [("a", "failure"), ("b", "success")] {
            let body = format!(r#"{{"id":"{id}","outcome":"{outcome}"}}"#);
            conn.execute(
                "INSERT INTO activities (tenant, id, app, user_key, occurred_at, action, body)
                 VALUES ('acme', ?1, 'slack', 'u', 0, 'user_login', ?2)",
                rusqlite::params![id, body],
            )
            .expect("an old row");
        }
        prepare(&conn).expect("migrate");
        let failed: Vec<String> = conn
            .prepare("SELECT id FROM activities WHERE outcome = 'failure'")
            .and_then(|mut s| s.query_map([], |row| row.get(0))?.collect())
            .expect("query");
        assert_eq!(failed, ["a"]);
        let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0)).expect("version");
        assert_eq!(version, MIGRATIONS.len() as i64);
    }
}
