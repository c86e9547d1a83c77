//! Pictures drawn on the server as SVG: no script, nothing fetched, and every label escaped like any
//! other text on the page.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use maud::{Markup, html};
use saaswarden_core::{Alert, Severity};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 160.0;

/// Alerts per day, stacked by severity (the queue page).
pub(crate) fn alerts_over_time(alerts: &[Alert]) -> Markup {
    let mut days: BTreeMap<NaiveDate, BTreeMap<Severity, usize>> = BTreeMap::new();
    for alert in alerts {
        *days.entry(alert.created_at.date_naive()).or_default().entry(alert.severity).or_default() += 1;
    }
    if days.is_empty() {
        return html! {};
    }
    let (Some(first), Some(last)) = (days.keys().next().copied(), days.keys().next_back().copied()) else {
        return html! {};
    };
    let span = (last - first).num_days().max(0) as usize + 1;
    let most = days.values().map(|by| by.values().sum::<usize>()).max().unwrap_or(1).max(1) as f64;
    let slot = WIDTH / span as f64;
    let severities: Vec<Severity> = {
        let mut all: Vec<Severity> = days.values().flat_map(|by| by.keys().copied()).collect();
        all.sort();
        all.dedup();
        all
    };
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT + 20.0) } role="img" aria-label="Alerts per day by severity" {
                @for (date, by) in &days {
                    @let x = (*date - first).num_days() as f64 * slot;
                    @let mut y = HEIGHT;
                    @for severity in &severities {
                        @if let Some(count) = by.get(severity) {
                            @let h = *count as f64 / most * (HEIGHT - 10.0);
                            @let top = { y -= h; y };
                            rect class={ "sev-" (severity.as_str()) } x=(format!("{x:.1}")) y=(format!("{top:.1}"))
                                width=(format!("{:.1}", (slot - 1.0).max(1.0))) height=(format!("{h:.1}")) {
                                title { (date) ": " (count) " " (severity.as_str()) }
                            }
                        }
                    }
                }
                text x="0" y=(HEIGHT + 15.0) { (first) }
                text x=(WIDTH) y=(HEIGHT + 15.0) text-anchor="end" { (last) }
            }
            figcaption {
                "Alerts per day by severity: "
                @for severity in &severities { span class={ "key sev-" (severity.as_str()) } { (severity.as_str()) } " " }
            }
        }
    }
}

/// Vertical bars, one per label in order (a user's activity by hour).
pub(crate) fn columns(caption: &str, bars: &[(String, usize)]) -> Markup {
    let most = bars.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let slot = WIDTH / bars.len().max(1) as f64;
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT + 20.0) } role="img" aria-label=(caption) {
                @for (i, (label, count)) in bars.iter().enumerate() {
                    @let h = *count as f64 / most * (HEIGHT - 10.0);
                    @let x = i as f64 * slot;
                    rect.bar x=(format!("{x:.1}")) y=(format!("{:.1}", HEIGHT - h)) width=(format!("{:.1}", slot - 2.0)) height=(format!("{h:.1}")) {
                        title { (label) ": " (count) }
                    }
                    text x=(format!("{:.1}", x + slot / 2.0)) y=(HEIGHT + 15.0) text-anchor="middle" { (label) }
                }
            }
            figcaption { (caption) }
        }
    }
}

/// Horizontal bars, largest first (a user's activity by country).
pub(crate) fn rows(caption: &str, counts: &BTreeMap<String, usize>) -> Markup {
    let mut bars: Vec<(&String, &usize)> = counts.iter().collect();
    bars.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    bars.truncate(12);
    let most = bars.first().map(|(_, n)| **n).unwrap_or(0).max(1) as f64;
    let line = 18.0;
    let height = line * bars.len().max(1) as f64;
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (WIDTH) " " (height) } role="img" aria-label=(caption) {
                @for (i, (label, count)) in bars.iter().enumerate() {
                    @let y = i as f64 * line;
                    text x="0" y=(format!("{:.1}", y + 13.0)) { (label) }
                    rect.bar x="120" y=(format!("{:.1}", y + 2.0)) width=(format!("{:.1}", **count as f64 / most * (WIDTH - 200.0))) height="14" {}
                    text x=(format!("{:.1}", 126.0 + **count as f64 / most * (WIDTH - 200.0))) y=(format!("{:.1}", y + 13.0)) { (count) }
                }
            }
            figcaption { (caption) }
        }
    }
}

/// A place on the route map.
pub(crate) struct Place {
    pub label: String,
    pub latitude: f64,
    pub longitude: f64,
}

/// The world in an equirectangular projection with a graticule, the places, and the route between them
/// labelled with its distance.
pub(crate) fn route_map(places: &[Place], distance_km: Option<f64>) -> Markup {
    let (w, h) = (720.0, 360.0);
    let project = |p: &Place| ((p.longitude + 180.0) / 360.0 * w, (90.0 - p.latitude) / 180.0 * h);
    let points: Vec<(f64, f64)> = places.iter().map(project).collect();
    html! {
        figure.chart.map {
            svg viewBox={ "0 0 " (w) " " (h) } role="img" aria-label="Route between the places" {
                rect.sea x="0" y="0" width=(w) height=(h) {}
                @for lon in (-150..=150).step_by(30) {
                    line.grid x1=(format!("{:.1}", (lon as f64 + 180.0) / 360.0 * w)) y1="0"
                        x2=(format!("{:.1}", (lon as f64 + 180.0) / 360.0 * w)) y2=(h) {}
                }
                @for lat in (-60..=60).step_by(30) {
                    line.grid x1="0" y1=(format!("{:.1}", (90.0 - lat as f64) / 180.0 * h))
                        x2=(w) y2=(format!("{:.1}", (90.0 - lat as f64) / 180.0 * h)) {}
                }
                @if points.len() >= 2 {
                    polyline.route points=(points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect::<Vec<_>>().join(" ")) {}
                }
                @for (place, (x, y)) in places.iter().zip(&points) {
                    circle.place cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="5" {}
                    text.place x=(format!("{:.1}", x + 8.0)) y=(format!("{:.1}", y - 6.0)) { (place.label) }
                }
            }
            figcaption {
                @for (i, place) in places.iter().enumerate() {
                    @if i > 0 { " → " }
                    span.place-name { (place.label) }
                }
                @if let Some(km) = distance_km { " · " span.distance { (format!("{km:.0} km")) } }
            }
        }
    }
}
