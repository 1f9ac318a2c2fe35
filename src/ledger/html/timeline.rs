//! The timeline: signatures per maintainer and day, drawn as inline SVG (one circle per
//! maintainer-day, so StageX's thousands of signatures stay a few hundred shapes).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};

use super::maintainers::Maintainer;
use super::text::esc;
use crate::ledger::audit::LedgerImage;

const WIDTH: f64 = 960.0;
const LEFT: f64 = 130.0;
const RIGHT: f64 = 20.0;
const ROW: f64 = 28.0;
const TOP: f64 = 10.0;
const AXIS: f64 = 30.0;

/// Signatures per maintainer and day, counted as the images come: (row, day) → (valid,
/// invalid).
#[derive(Debug, Default)]
pub struct Days(BTreeMap<(usize, NaiveDate), (usize, usize)>);

impl Days {
    /// Counts one image's dated signatures by a maintainer.
    pub fn add(&mut self, image: &LedgerImage, maintainers: &[Maintainer]) {
        for s in &image.signatures {
            let Some(row) = s
                .file
                .maintainer
                .as_deref()
                .and_then(|h| maintainers.iter().position(|m| m.handle == h))
            else {
                continue;
            };
            let Some(day) = s
                .file
                .created
                .as_deref()
                .and_then(|c| NaiveDate::parse_from_str(c.get(..10)?, "%Y-%m-%d").ok())
            else {
                continue;
            };
            let entry = self.0.entry((row, day)).or_default();
            if s.file.counts {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
    }

    /// The SVG, or a sentence when no signature carries a date.
    pub fn svg(&self, maintainers: &[Maintainer]) -> String {
        svg(&self.0, maintainers)
    }
}

fn svg(days: &BTreeMap<(usize, NaiveDate), (usize, usize)>, maintainers: &[Maintainer]) -> String {
    let (Some(first), Some(last)) = (
        days.keys().map(|(_, d)| *d).min(),
        days.keys().map(|(_, d)| *d).max(),
    ) else {
        return "<p>No dated signature by a maintainer.</p>\n".into();
    };
    let span = (last - first).num_days().max(1) as f64;
    let one_day = first == last;
    // Everything on one day is drawn in the middle, clear of the handles on the left, its date
    // the axis's only label.
    let x = |d: NaiveDate| {
        if one_day {
            (LEFT + WIDTH - RIGHT) / 2.0
        } else {
            LEFT + (d - first).num_days() as f64 / span * (WIDTH - LEFT - RIGHT)
        }
    };
    let height = TOP + ROW * maintainers.len() as f64 + AXIS;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg role=\"img\" aria-labelledby=\"timeline-title\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" style=\"max-width:{WIDTH}px\" xmlns=\"http://www.w3.org/2000/svg\">\n<title id=\"timeline-title\">Signatures per maintainer from {first} to {last}</title>"
    );
    for (i, m) in maintainers.iter().enumerate() {
        let y = TOP + ROW * i as f64 + ROW / 2.0;
        let _ = writeln!(
            out,
            "<text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\" dominant-baseline=\"middle\">{}</text><line x1=\"{LEFT}\" x2=\"{:.0}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#d0d7de\"/>",
            LEFT - 8.0,
            y,
            esc(&m.handle),
            WIDTH - RIGHT
        );
    }
    for ((row, day), (valid, invalid)) in days {
        let y = TOP + ROW * *row as f64 + ROW / 2.0;
        let total = valid + invalid;
        let r = (2.5 + (total as f64).sqrt() * 1.5).min(ROW / 2.0 - 1.0);
        let handle = esc(&maintainers[*row].handle);
        let (fill, label) = if *valid > 0 {
            (
                "#1a7f37",
                format!("{handle}: {valid} valid, {invalid} not counting on {day}"),
            )
        } else {
            ("none", format!("{handle}: {invalid} not counting on {day}"))
        };
        let _ = writeln!(
            out,
            "<circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\" fill=\"{fill}\" fill-opacity=\"0.7\" stroke=\"{}\"><title>{label}</title></circle>",
            x(*day),
            if *valid > 0 { "#1a7f37" } else { "#b42318" },
        );
    }
    // Month ticks, at most about ten.
    let axis_y = TOP + ROW * maintainers.len() as f64;
    let months =
        ((last.year() - first.year()) * 12 + last.month() as i32 - first.month() as i32).max(1);
    let step = (months / 10).max(1);
    let mut tick = NaiveDate::from_ymd_opt(first.year(), first.month(), 1).unwrap_or(first);
    let mut i = 0;
    while tick <= last && !one_day {
        if tick >= first && i % step == 0 {
            let tx = x(tick);
            let _ = writeln!(
                out,
                "<line x1=\"{tx:.1}\" x2=\"{tx:.1}\" y1=\"{TOP}\" y2=\"{:.1}\" stroke=\"#eaeef2\"/><text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                axis_y + 4.0,
                axis_y + 18.0,
                tick.format("%Y-%m")
            );
        }
        i += 1;
        tick = tick
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(last.succ_opt().unwrap_or(last));
        if tick == last.succ_opt().unwrap_or(last) {
            break;
        }
    }
    if one_day {
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{first}</text>",
            x(first),
            axis_y + 18.0
        );
    }
    out.push_str("</svg>\n");
    out
}
