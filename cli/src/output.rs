//! How results look: aligned tables for people, JSON for programs, and time parsing for flags.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use saaswarden_core::{Activity, Alert};

/// A plain table: columns padded to their widest cell, the last column left unpadded.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let cells: Vec<&str> = cells.collect();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        out.push('\n');
    };
    line(&mut headers.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

pub fn alert_table(alerts: &[Alert]) -> String {
    let rows: Vec<Vec<String>> = alerts
        .iter()
        .map(|a| {
            vec![
                a.id.clone(),
                a.severity.to_string(),
                a.status.as_str().to_string(),
                a.policy_id.clone(),
                a.created_at.format("%Y-%m-%d %H:%M").to_string(),
                a.title.clone(),
            ]
        })
        .collect();
    table(&["ID", "SEVERITY", "STATUS", "POLICY", "CREATED (UTC)", "TITLE"], &rows)
}

pub fn activity_table(activities: &[Activity]) -> String {
    let rows: Vec<Vec<String>> = activities
        .iter()
        .map(|a| {
            vec![
                a.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                a.app.to_string(),
                a.actor.display().to_string(),
                a.ip.map(|ip| ip.to_string()).unwrap_or_else(|| "-".into()),
                a.country().unwrap_or("-").to_string(),
                a.action.clone(),
                a.id.clone(),
            ]
        })
        .collect();
    table(&["TIME (UTC)", "APP", "USER", "IP", "COUNTRY", "ACTION", "ID"], &rows)
}

pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// `--since`: RFC 3339, or a date meaning its first instant (UTC).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    parse_with(text, NaiveTime::MIN)
}

/// `--until`: RFC 3339, or a date meaning its last instant (UTC), so a single date covers the whole day.
pub fn parse_time_end(text: &str) -> Result<DateTime<Utc>, String> {
    let last = NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).unwrap_or(NaiveTime::MIN);
    parse_with(text, last)
}

fn parse_with(text: &str, time_of_day: NaiveTime) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|date| date.and_time(time_of_day).and_utc())
        .map_err(|_| format!("`{text}` is not a time: write RFC 3339 (2026-10-01T09:30:00Z) or a date (2026-10-01)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_cover_whole_days_and_bad_times_say_what_to_write() {
        assert_eq!(parse_time("2026-10-01").map(|t| t.to_rfc3339()), Ok("2026-10-01T00:00:00+00:00".into()));
        assert_eq!(parse_time_end("2026-10-01").map(|t| t.to_rfc3339()), Ok("2026-10-01T23:59:59.999999+00:00".into()));
        assert_eq!(
            parse_time("2026-10-01T09:30:00+02:00").map(|t| t.to_rfc3339()),
            Ok("2026-10-01T07:30:00+00:00".into())
        );
        assert!(parse_time("yesterday").is_err_and(|e| e.contains("RFC 3339")));
    }

    #[test]
    fn tables_align_columns() {
        let text = table(&["A", "BB"], &[vec!["xxx".into(), "y".into()], vec!["z".into(), "long last".into()]]);
        assert_eq!(text, "A    BB\nxxx  y\nz    long last\n");
    }
}
