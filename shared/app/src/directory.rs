//! Terminated identities from a file (`saaswarden directory import`): CSV with a header, or JSON.
//!
//! CSV: columns `email` (or `upn`), `status` (deleted | disabled), `since` (RFC 3339 or YYYY-MM-DD); other
//! columns are ignored. JSON: an array of objects with the same fields, or `{"terminated": [...]}`.
//! A bad row is reported with its line (CSV) or index (JSON); every good row is imported.

use chrono::{DateTime, NaiveDate, Utc};
use saaswarden_connectors::input::Rejected;
use saaswarden_core::directory::{Termination, TerminationStatus};
use serde_json::Value;

#[derive(Debug, Default)]
pub struct ParsedDirectory {
    pub records: Vec<Termination>,
    pub rejected: Vec<Rejected>,
}

/// Parses a directory file; `origin` names it in every message and in each record's source.
pub fn parse_terminations(text: &str, origin: &str) -> Result<ParsedDirectory, String> {
    if text.trim_start().starts_with(['[', '{']) { parse_json(text, origin) } else { parse_csv(text, origin) }
}

fn record(user: Option<&str>, status: Option<&str>, since: Option<&str>, origin: &str) -> Result<Termination, String> {
    let user = user.map(str::trim).filter(|u| !u.is_empty()).ok_or("no `email` or `upn`")?;
    let status: TerminationStatus = status.ok_or("no `status`")?.parse()?;
    let since_text = since.map(str::trim).ok_or("no `since`")?;
    let since =
        parse_since(since_text).ok_or_else(|| format!("`since` is `{since_text}`: write RFC 3339 or YYYY-MM-DD"))?;
    Ok(Termination { user: user.to_lowercase(), status, since, source: format!("import:{origin}") })
}

fn parse_since(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).ok().or_else(|| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
    })
}

fn parse_csv(text: &str, origin: &str) -> Result<ParsedDirectory, String> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("{origin}: cannot read the CSV header: {e}"))?.clone();
    let column = |names: &[&str]| headers.iter().position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)));
    let user_col = column(&["email", "upn", "userPrincipalName", "mail"]).ok_or_else(|| {
        format!(
            "{origin}: the header has no `email` or `upn` column (found: {})",
            headers.iter().collect::<Vec<_>>().join(", ")
        )
    })?;
    let (status_col, since_col) = (column(&["status"]), column(&["since", "terminated_at", "date"]));
    let mut parsed = ParsedDirectory::default();
    for row in reader.records() {
        match row {
            Ok(row) => {
                let line = row.position().map_or(0, |p| p.line());
                let field = |col: Option<usize>| col.and_then(|c| row.get(c));
                match record(field(Some(user_col)), field(status_col), field(since_col), origin) {
                    Ok(r) => parsed.records.push(r),
                    Err(reason) => parsed.rejected.push(Rejected {
                        location: format!("{origin}: line {line}"),
                        entry_id: field(Some(user_col)).map(str::to_string),
                        reason,
                    }),
                }
            }
            Err(e) => parsed.rejected.push(Rejected {
                location: format!("{origin}: line {}", e.position().map_or(0, |p| p.line())),
                entry_id: None,
                reason: e.to_string(),
            }),
        }
    }
    Ok(parsed)
}

fn parse_json(text: &str, origin: &str) -> Result<ParsedDirectory, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("{origin}: not valid JSON: {e}"))?;
    let rows = match &value {
        Value::Array(rows) => rows,
        Value::Object(map) => match map.get("terminated") {
            Some(Value::Array(rows)) => rows,
            _ => return Err(format!("{origin}: expected an array or {{\"terminated\": [...]}}")),
        },
        _ => return Err(format!("{origin}: expected an array or {{\"terminated\": [...]}}")),
    };
    let mut parsed = ParsedDirectory::default();
    for (i, row) in rows.iter().enumerate() {
        let field = |names: &[&str]| names.iter().find_map(|n| row.get(*n).and_then(Value::as_str));
        let user = field(&["email", "upn", "userPrincipalName", "mail"]);
        match record(user, field(&["status"]), field(&["since", "terminated_at"]), origin) {
            Ok(r) => parsed.records.push(r),
            Err(reason) => parsed.rejected.push(Rejected {
                location: format!("{origin}: [{i}]"),
                entry_id: user.map(str::to_string),
                reason,
            }),
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_import_and_bad_rows_are_reported_by_line() {
        let text = "email,status,since,note\nBob@Acme.example,disabled,2026-10-20,left\n\
                    eve@acme.example,fired,2026-10-21,\n,deleted,2026-10-22,\n\
                    carl@acme.example,deleted,2026-10-23T08:00:00Z,\nzed@acme.example,deleted,soon,\n";
        let parsed = parse_terminations(text, "gone.csv").expect("parses");
        let users: Vec<&str> = parsed.records.iter().map(|r| r.user.as_str()).collect();
        assert_eq!(users, ["bob@acme.example", "carl@acme.example"]);
        assert_eq!(parsed.records[0].source, "import:gone.csv");
        let problems: Vec<String> = parsed.rejected.iter().map(|r| r.to_string()).collect();
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(
            problems[0].starts_with("gone.csv: line 3 (id eve@acme.example)") && problems[0].contains("fired"),
            "{problems:#?}"
        );
        assert!(problems[1].contains("line 4") && problems[1].contains("email"), "{problems:#?}");
        assert!(problems[2].contains("line 6") && problems[2].contains("since"), "{problems:#?}");
    }

    #[test]
    fn json_forms_import_and_a_missing_user_column_is_an_error() {
        let array = r#"[{"upn":"a@x.io","status":"deleted","since":"2026-10-01"},{"email":"b@x.io","status":"gone"}]"#;
        let parsed = parse_terminations(array, "d.json").expect("parses");
        assert_eq!((parsed.records.len(), parsed.rejected.len()), (1, 1));
        assert!(parsed.rejected[0].to_string().starts_with("d.json: [1] (id b@x.io)"));
        let wrapped = r#"{"terminated":[{"email":"a@x.io","status":"disabled","since":"2026-10-01T00:00:00Z"}]}"#;
        assert_eq!(parse_terminations(wrapped, "d.json").expect("parses").records.len(), 1);
        let error = parse_terminations("name,status\nx,deleted\n", "bad.csv").expect_err("no user column");
        assert!(error.contains("bad.csv") && error.contains("email"), "{error}");
        assert!(parse_terminations("{\"terminated\": 3}", "w.json").is_err());
    }
}
