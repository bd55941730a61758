//! The equity curve as a small hand-written SVG: one panel per currency, the curve, the
//! starting cash as a dashed line, the value range and the time range as labels.
//!
//! Hand-written because it is a polyline and a few labels: a plotting crate would add font
//! handling and dozens of dependencies for no gain. The output is deterministic text.

use std::fmt::Write;

use super::bars::timestamp::format_time;

const WIDTH: f64 = 800.0;
const PANEL_HEIGHT: f64 = 260.0;
const LEFT: f64 = 100.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 36.0;

/// One currency's equity over time.
#[derive(Debug, Clone, Copy)]
pub struct Panel<'a> {
    /// `USD` or `HKD`.
    pub currency: &'a str,
    /// Cash at the start: drawn as a dashed line.
    pub initial_cash: f64,
    /// `(time_ms, equity)`.
    pub curve: &'a [(i64, f64)],
}

/// An SVG document with one equity panel per currency that has points.
pub fn equity_svg<'a>(panels: impl IntoIterator<Item = Panel<'a>>) -> String {
    let panels: Vec<Panel<'a>> = panels.into_iter().filter(|p| !p.curve.is_empty()).collect();
    let height = PANEL_HEIGHT * panels.len().max(1) as f64;
    let mut svg = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
    );
    if panels.is_empty() {
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle">no bars: no equity to draw</text>"#,
            WIDTH / 2.0,
            height / 2.0
        );
    }
    for (i, account) in panels.iter().enumerate() {
        panel(&mut svg, account, PANEL_HEIGHT * i as f64);
    }
    svg.push_str("</svg>\n");
    svg
}

fn panel(svg: &mut String, account: &Panel<'_>, y0: f64) {
    let (left, top) = (LEFT, y0 + TOP);
    let (w, h) = (WIDTH - LEFT - RIGHT, PANEL_HEIGHT - TOP - BOTTOM);
    let curve = account.curve;
    let (t0, t1) = (curve[0].0, curve[curve.len() - 1].0);
    let values = curve.iter().map(|p| p.1).chain([account.initial_cash]);
    let (mut lo, mut hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if hi - lo < 1e-9 {
        (lo, hi) = (lo - 1.0, hi + 1.0);
    }
    let x = |t: i64| {
        if t1 == t0 {
            left + w / 2.0
        } else {
            left + (t - t0) as f64 / (t1 - t0) as f64 * w
        }
    };
    let y = |v: f64| top + (hi - v) / (hi - lo) * h;

    let _ = writeln!(
        svg,
        r#"<text x="{left}" y="{:.1}" font-size="14" font-weight="bold">Equity ({})</text>"#,
        y0 + 20.0,
        account.currency
    );
    let _ = writeln!(
        svg,
        r##"<rect x="{left}" y="{top:.1}" width="{w:.1}" height="{h:.1}" fill="none" stroke="#999999"/>"##
    );
    let base = y(account.initial_cash);
    let _ = writeln!(
        svg,
        r##"<line x1="{left}" y1="{base:.1}" x2="{:.1}" y2="{base:.1}" stroke="#999999" stroke-dasharray="4 4"/>"##,
        left + w
    );
    let mut points = String::new();
    for (i, &(t, v)) in curve.iter().enumerate() {
        let _ = write!(
            points,
            "{}{:.1},{:.1}",
            if i == 0 { "" } else { " " },
            x(t),
            y(v)
        );
    }
    let _ = writeln!(
        svg,
        r##"<polyline points="{points}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>"##
    );
    for (value, at) in [(hi, top), (lo, top + h)] {
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{value:.2}</text>"#,
            left - 6.0,
            at + 4.0
        );
    }
    for (t, anchor, at) in [(t0, "start", left), (t1, "end", left + w)] {
        let _ = writeln!(
            svg,
            r#"<text x="{at:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
            top + h + 18.0,
            format_time(t, 0)
        );
    }
}
