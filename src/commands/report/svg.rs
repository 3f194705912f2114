//! The charts, drawn as SVG by this small file rather than a plotting crate: two chart shapes (one mirror's latency
//! and success rate; every mirror's latency) need linear scales, ticks, a polyline and rectangles — a few hundred
//! lines we can read and test — while plotters (the well-kept choice) brings font loading and a dozen crates, and
//! its SVG backend writes text with its own escaping we would have to audit anyway. Every text from outside goes
//! through `escape::text`, and none is put in an attribute: names and failures are `<text>` and `<title>`
//! children, so the page a browser builds holds them as text whatever they contain.

use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use rust_i18n::t;

use super::escape::text as esc;
use crate::history::Outcome;

/// The time a chart spans: the report's window, so charts of one page share their x axis.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub from: SystemTime,
    pub to: SystemTime,
}

const WIDTH: f64 = 720.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const PALETTE: [&str; 8] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f",
];
const FAIL: &str = "#d62728";

fn secs(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A linear map from a domain to a range of pixels; a domain of one value maps to the middle.
#[derive(Debug, Clone, Copy)]
struct Scale {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
}

impl Scale {
    fn at(&self, v: f64) -> f64 {
        if !(self.d1 - self.d0).is_normal() {
            return (self.r0 + self.r1) / 2.0;
        }
        let f = ((v - self.d0) / (self.d1 - self.d0)).clamp(0.0, 1.0);
        self.r0 + f * (self.r1 - self.r0)
    }
}

/// A step of 1, 2 or 5 × 10ⁿ such that `ticks` steps cover `max`; the axis ends at a whole number of steps.
fn nice_step(max: f64, ticks: usize) -> f64 {
    let raw = if max.is_finite() && max > 0.0 {
        max / ticks as f64
    } else {
        return 1.0;
    };
    let e = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * e)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * e)
        // Whole milliseconds: a tick of 0.5 ms would be labelled as 0 or 1 ms.
        .max(1.0)
}

/// The y axis for latencies: 0 to a whole number of nice steps at or above the largest (4 steps at most).
fn latency_axis(max_ms: f64) -> (f64, f64) {
    if !(max_ms.is_finite() && max_ms > 0.0) {
        return (1.0, 1.0);
    }
    let step = nice_step(max_ms, 4);
    let top = (max_ms / step).ceil().max(1.0) * step;
    (step, top)
}

/// `14:05:09` within two hours, `11-28 14:05` within two days, else `11-28`: what a person needs to place a point.
fn when(t: f64, span: f64) -> String {
    let at = crate::history::timestamp(UNIX_EPOCH + std::time::Duration::from_secs_f64(t.max(0.0)));
    let range = if span <= 2.0 * 3600.0 {
        11..19
    } else if span <= 2.0 * 86_400.0 {
        5..16
    } else {
        5..10
    };
    at.get(range).unwrap_or(&at).replace('T', " ")
}

/// A name as a label: cut to `max` characters with `…` (the whole name is in the chart's title and the page).
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut c: String = s.chars().take(max - 1).collect();
    c.push('…');
    c
}

fn ms(v: f64) -> String {
    crate::ui::text::millis(v)
}

fn open(out: &mut String, class: &str, height: f64, title: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"{class}\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"{WIDTH}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">\
         <title>{}</title><rect width=\"{WIDTH}\" height=\"{height}\" fill=\"#fff\"/>",
        esc(title)
    );
}

/// The x axis along `y`: ticks and dates at five places in the frame.
fn time_axis(out: &mut String, x: Scale, y: f64) {
    let span = x.d1 - x.d0;
    let _ = write!(
        out,
        "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#999\"/>",
        x.r0, x.r1
    );
    for i in 0..=4 {
        let t = x.d0 + span * i as f64 / 4.0;
        let px = x.at(t);
        let anchor = match i {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        let _ = write!(
            out,
            "<line x1=\"{px:.1}\" y1=\"{y:.1}\" x2=\"{px:.1}\" y2=\"{:.1}\" stroke=\"#999\"/>\
             <text class=\"tick\" x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
            y + 4.0,
            y + 16.0,
            esc(&when(t, span))
        );
    }
}

/// Horizontal grid lines with their latency, and the axis's name.
fn latency_grid(out: &mut String, y: Scale, step: f64, x0: f64, x1: f64) {
    let mut v = 0.0;
    while v <= y.d1 + step / 2.0 {
        let py = y.at(v);
        let _ = write!(
            out,
            "<line x1=\"{x0:.1}\" y1=\"{py:.1}\" x2=\"{x1:.1}\" y2=\"{py:.1}\" stroke=\"#eee\"/>\
             <text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            x0 - 4.0,
            py + 4.0,
            esc(&ms(v))
        );
        v += step;
    }
}

/// The successful outcomes' latencies as points, oldest first.
fn points(outcomes: &[&Outcome]) -> Vec<(f64, f64)> {
    let mut v: Vec<(f64, f64)> = outcomes
        .iter()
        .filter(|o| o.row.ok)
        .filter_map(|o| Some((secs(o.at), o.row.latency_ms.filter(|l| l.is_finite())?)))
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v
}

fn max_latency<'a>(all: impl Iterator<Item = &'a Outcome>) -> f64 {
    all.filter(|o| o.row.ok)
        .filter_map(|o| o.row.latency_ms)
        .filter(|l| l.is_finite())
        .fold(0.0, f64::max)
}

/// At most one point per pixel column, the column's median: a 90-day history of a 5-minute timer is 25,920 probes
/// a mirror, and a circle for each would make a page of tens of megabytes that shows no more. `pts` oldest first.
fn thin(pts: Vec<(f64, f64)>, x: Scale) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    let mut column: Vec<(f64, f64)> = Vec::new();
    let flush = |column: &mut Vec<(f64, f64)>, out: &mut Vec<(f64, f64)>| {
        if column.is_empty() {
            return;
        }
        column.sort_by(|a, b| a.1.total_cmp(&b.1));
        out.push(column[column.len() / 2]);
        column.clear();
    };
    for p in pts {
        if column
            .first()
            .is_some_and(|c| x.at(c.0).floor() != x.at(p.0).floor())
        {
            flush(&mut column, &mut out);
        }
        column.push(p);
    }
    flush(&mut column, &mut out);
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

/// How many points a line may show as circles.
const MAX_POINTS: usize = 200;

/// One line of latencies with a point (and its tooltip) at each successful probe.
fn line(out: &mut String, outcomes: &[&Outcome], x: Scale, y: Scale, colour: &str, span: f64) {
    let pts = thin(points(outcomes), x);
    if pts.len() > 1 {
        let path: Vec<String> = pts
            .iter()
            .map(|(t, l)| format!("{:.1},{:.1}", x.at(*t), y.at(*l)))
            .collect();
        let _ = write!(
            out,
            "<polyline class=\"latency\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{}\"/>",
            path.join(" ")
        );
    }
    // A point (with its tooltip) at each probe while they can be told apart; past that the line says it all.
    if pts.len() > MAX_POINTS {
        return;
    }
    for (t, l) in &pts {
        let _ = write!(
            out,
            "<circle class=\"ok\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{colour}\"><title>{} — {}</title></circle>",
            x.at(*t),
            y.at(*l),
            esc(&when(*t, span.min(86_400.0))),
            esc(&ms(*l))
        );
    }
}

/// One cross per pixel column that had failures, its tooltip the newest of them (and how many there were).
fn failures(out: &mut String, outcomes: &[&Outcome], x: Scale, y: f64) {
    let span = x.d1 - x.d0;
    let mut failed: Vec<&Outcome> = outcomes.iter().copied().filter(|o| !o.row.ok).collect();
    failed.sort_by_key(|o| o.at);
    let mut i = 0;
    while i < failed.len() {
        let col = x.at(secs(failed[i].at)).floor();
        let mut j = i;
        while j + 1 < failed.len() && x.at(secs(failed[j + 1].at)).floor() == col {
            j += 1;
        }
        let o = failed[j];
        let mut why = match &o.row.error {
            Some(e) => format!("{}: {e}", o.row.status),
            None => o.row.status.clone(),
        };
        if j > i {
            why = format!("{why} (×{})", j - i + 1);
        }
        let _ = write!(
            out,
            "<path class=\"failure\" d=\"M{:.1},{:.1}l6,6m0,-6l-6,6\" stroke=\"{FAIL}\" stroke-width=\"1.5\">\
             <title>{} — {}</title></path>",
            x.at(secs(o.at)) - 3.0,
            y - 9.0,
            esc(&when(secs(o.at), span.min(86_400.0))),
            esc(&why)
        );
        i = j + 1;
    }
}

fn note(out: &mut String, x: f64, y: f64, what: &str) {
    let _ = write!(
        out,
        "<text class=\"note\" x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"middle\" fill=\"#666\" font-size=\"13\">{}</text>",
        esc(what)
    );
}

/// How many bars the success rate is shown in across the frame.
const BUCKETS: usize = 30;

/// One mirror's record: its latency at each successful probe (a cross under the line at each failure, with its
/// status and reason as a tooltip), and below it the share of probes that worked in each of 30 slices of the frame.
pub fn mirror_chart(name: &str, url: &str, outcomes: &[&Outcome], frame: Frame) -> String {
    const H: f64 = 300.0;
    let (top, bottom) = (34.0, 176.0);
    let (bar_top, bar_bottom) = (200.0, 256.0);
    let mut out = String::new();
    open(
        &mut out,
        "chart mirror-chart",
        H,
        &format!("{name} — {url}"),
    );
    let _ = write!(
        out,
        "<text class=\"heading\" x=\"{LEFT}\" y=\"18\" font-size=\"13\" font-weight=\"bold\">{}</text>",
        esc(&cut(name, 80))
    );
    let x = Scale {
        d0: secs(frame.from),
        d1: secs(frame.to),
        r0: LEFT,
        r1: WIDTH - RIGHT,
    };
    let span = x.d1 - x.d0;
    let (step, max) = latency_axis(max_latency(outcomes.iter().copied()));
    let y = Scale {
        d0: 0.0,
        d1: max,
        r0: bottom,
        r1: top,
    };
    latency_grid(&mut out, y, step, x.r0, x.r1);
    let _ = write!(
        out,
        "<text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
         <text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
        x.r1,
        top - 6.0,
        esc(&t!("report.chart.latency")),
        x.r1,
        bar_top - 6.0,
        esc(&t!("report.chart.success"))
    );
    line(&mut out, outcomes, x, y, PALETTE[0], span);
    failures(&mut out, outcomes, x, bottom);
    // The success rate per slice: full height is every probe in it worked; a slice with only failures still shows
    // a red sliver, so a dead stretch is not mistaken for no data.
    let _ = write!(
        out,
        "<line x1=\"{:.1}\" y1=\"{bar_bottom}\" x2=\"{:.1}\" y2=\"{bar_bottom}\" stroke=\"#ccc\"/>",
        x.r0, x.r1
    );
    let width = (x.r1 - x.r0) / BUCKETS as f64;
    for (i, (probes, ok)) in buckets(outcomes, x.d0, x.d1).into_iter().enumerate() {
        if probes == 0 {
            continue;
        }
        let rate = ok as f64 / probes as f64;
        let h = ((bar_bottom - bar_top) * rate).max(2.0);
        let colour = if rate >= 1.0 {
            "#2ca02c"
        } else if rate >= 0.5 {
            "#ffbf00"
        } else {
            FAIL
        };
        let _ = write!(
            out,
            "<rect class=\"rate\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{colour}\">\
             <title>{} — {ok}/{probes} ({:.0}%)</title></rect>",
            x.r0 + width * i as f64 + 0.5,
            bar_bottom - h,
            (width - 1.0).max(1.0),
            esc(&when(x.d0 + span * i as f64 / BUCKETS as f64, span)),
            rate * 100.0
        );
    }
    if outcomes.is_empty() {
        note(
            &mut out,
            (x.r0 + x.r1) / 2.0,
            (top + bottom) / 2.0,
            &t!("report.chart.no_probes"),
        );
    } else if !outcomes.iter().any(|o| o.row.ok) {
        note(
            &mut out,
            (x.r0 + x.r1) / 2.0,
            (top + bottom) / 2.0,
            &t!("report.chart.no_success"),
        );
    }
    time_axis(&mut out, x, bar_bottom + 6.0);
    out.push_str("</svg>");
    out
}

/// (probes, successes) in each of `BUCKETS` equal slices of `from..=to`.
fn buckets(outcomes: &[&Outcome], from: f64, to: f64) -> Vec<(usize, usize)> {
    let mut v = vec![(0, 0); BUCKETS];
    let span = to - from;
    for o in outcomes {
        let f = if span > 0.0 {
            ((secs(o.at) - from) / span).clamp(0.0, 1.0)
        } else {
            0.5
        };
        let i = ((f * BUCKETS as f64) as usize).min(BUCKETS - 1);
        v[i].0 += 1;
        v[i].1 += usize::from(o.row.ok);
    }
    v
}

/// Every mirror's latency on one axis, a colour each, with a legend; a mirror with no successful probe is in the
/// legend, said so.
pub fn latency_chart(mirrors: &[(&str, Vec<&Outcome>)], frame: Frame, title: &str) -> String {
    let rows = mirrors.len().div_ceil(3).max(1) as f64;
    let (top, bottom) = (34.0, 226.0);
    let h = bottom + 34.0 + rows * 18.0;
    let mut out = String::new();
    open(&mut out, "chart latency-chart", h, title);
    let _ = write!(
        out,
        "<text class=\"heading\" x=\"{LEFT}\" y=\"18\" font-size=\"13\" font-weight=\"bold\">{}</text>",
        esc(title)
    );
    let x = Scale {
        d0: secs(frame.from),
        d1: secs(frame.to),
        r0: LEFT,
        r1: WIDTH - RIGHT,
    };
    let (step, max) = latency_axis(max_latency(
        mirrors.iter().flat_map(|(_, o)| o.iter().copied()),
    ));
    let y = Scale {
        d0: 0.0,
        d1: max,
        r0: bottom,
        r1: top,
    };
    latency_grid(&mut out, y, step, x.r0, x.r1);
    for (i, (name, outcomes)) in mirrors.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        line(&mut out, outcomes, x, y, colour, x.d1 - x.d0);
        let lx = LEFT + (i % 3) as f64 * 216.0;
        let ly = bottom + 38.0 + (i / 3) as f64 * 18.0;
        let label = if outcomes.iter().any(|o| o.row.ok) {
            cut(name, 32)
        } else {
            format!("{} ({})", cut(name, 12), t!("report.chart.no_success"))
        };
        let _ = write!(
            out,
            "<g class=\"legend\"><rect x=\"{lx:.1}\" y=\"{:.1}\" width=\"12\" height=\"4\" fill=\"{colour}\"/>\
             <text x=\"{:.1}\" y=\"{ly:.1}\">{}</text></g>",
            ly - 6.0,
            lx + 16.0,
            esc(&label)
        );
    }
    if mirrors.iter().all(|(_, o)| o.is_empty()) {
        note(
            &mut out,
            (x.r0 + x.r1) / 2.0,
            (top + bottom) / 2.0,
            &t!("report.chart.no_probes"),
        );
    }
    time_axis(&mut out, x, bottom);
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn frame(now: SystemTime, days: u64) -> Frame {
        Frame {
            from: now - Duration::from_secs(days * 86_400),
            to: now,
        }
    }

    fn count(s: &str, what: &str) -> usize {
        s.matches(what).count()
    }

    /// The numbers in `attr="…"` of every element that has it, in order.
    fn attrs(s: &str, attr: &str) -> Vec<f64> {
        s.split(&format!(" {attr}=\""))
            .skip(1)
            .filter_map(|p| p.split('"').next()?.parse().ok())
            .collect()
    }

    #[test]
    fn scales_map_the_domain_onto_the_pixels_and_stay_inside() {
        let s = Scale {
            d0: 0.0,
            d1: 100.0,
            r0: 200.0,
            r1: 0.0,
        };
        assert_eq!(s.at(0.0), 200.0);
        assert_eq!(s.at(25.0), 150.0);
        assert_eq!(s.at(100.0), 0.0);
        // A point outside the frame (a clock that moved) is drawn at the edge, not off the chart.
        assert_eq!(s.at(1e9), 0.0);
        assert_eq!(s.at(-5.0), 200.0);
        // One value: the middle, never a division by zero.
        let one = Scale {
            d0: 5.0,
            d1: 5.0,
            ..s
        };
        assert_eq!(one.at(5.0), 100.0);
    }

    #[test]
    fn the_latency_axis_ends_on_a_nice_number_above_the_largest() {
        assert_eq!(latency_axis(0.0), (1.0, 1.0));
        assert_eq!(latency_axis(37.0), (10.0, 40.0));
        assert_eq!(latency_axis(40.0), (10.0, 40.0));
        assert_eq!(latency_axis(41.0), (20.0, 60.0));
        assert_eq!(latency_axis(950.0), (500.0, 1000.0));
        assert_eq!(latency_axis(f64::NAN), (1.0, 1.0));
        assert_eq!(latency_axis(f64::INFINITY), (1.0, 1.0));
    }

    #[test]
    fn points_sit_where_their_time_and_latency_say() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let f = frame(now, 4);
        let a = Outcome::sample("https://a/", f.from, true, 40.0);
        let b = Outcome::sample(
            "https://a/",
            now - Duration::from_secs(2 * 86_400),
            true,
            20.0,
        );
        let c = Outcome::sample("https://a/", now, true, 10.0);
        let s = mirror_chart("a", "https://a/", &[&a, &b, &c], f);
        let cx = attrs(&s, "cx");
        // The frame's start at the left edge, its middle in the middle, now at the right edge.
        assert_eq!(cx, [LEFT, (LEFT + WIDTH - RIGHT) / 2.0, WIDTH - RIGHT]);
        // 40 ms is the axis's top (34), 20 ms half-way down to 0 at 176.
        assert_eq!(attrs(&s, "cy"), [34.0, 105.0, 140.5]);
        assert_eq!(count(&s, "<polyline"), 1);
        assert!(s.contains(">40 ms<") && s.contains(">0 ms<"), "{s}");
        // Three probes, each in its own slice, each all good.
        assert_eq!(count(&s, "class=\"rate\""), 3);
        assert_eq!(count(&s, "fill=\"#2ca02c\""), 3);
    }

    #[test]
    fn an_empty_history_draws_axes_and_says_so() {
        let f = frame(SystemTime::now(), 7);
        let s = mirror_chart("a", "https://a/", &[], f);
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("no probes in this window"), "{s}");
        assert_eq!(count(&s, "<circle"), 0);
        assert_eq!(count(&s, "<polyline"), 0);
        assert_eq!(count(&s, "class=\"rate\""), 0);
        let all = latency_chart(&[], f, "t");
        assert!(all.contains("no probes in this window"), "{all}");
        // No NaN or infinity anywhere a number goes.
        for s in [&s, &all] {
            assert!(!s.contains("NaN") && !s.contains("inf"), "{s}");
        }
    }

    #[test]
    fn one_point_is_a_point_and_no_line() {
        let now = SystemTime::now();
        let o = Outcome::sample("https://a/", now - Duration::from_secs(3600), true, 55.0);
        let s = mirror_chart("a", "https://a/", &[&o], frame(now, 1));
        assert_eq!(count(&s, "<circle"), 1);
        assert_eq!(count(&s, "<polyline"), 0);
        // 55 ms on an axis to 60 ms, as drawn to a tenth of a pixel.
        let cy = 34.0 + (176.0 - 34.0) * (60.0 - 55.0) / 60.0;
        assert_eq!(attrs(&s, "cy"), [(cy * 10.0_f64).round() / 10.0]);
        assert!(!s.contains("NaN"), "{s}");
    }

    #[test]
    fn a_mirror_with_only_failures_shows_each_failure_and_a_red_record() {
        let now = SystemTime::now();
        let v: Vec<Outcome> = (1..=3)
            .map(|i| {
                Outcome::sample(
                    "https://dead/",
                    now - Duration::from_secs(i * 86_400),
                    false,
                    10_000.0,
                )
            })
            .collect();
        let refs: Vec<&Outcome> = v.iter().collect();
        let s = mirror_chart("dead", "https://dead/", &refs, frame(now, 7));
        assert_eq!(count(&s, "class=\"failure\""), 3);
        assert_eq!(count(&s, "<circle"), 0);
        assert!(s.contains("timeout: no answer within 10 s"), "{s}");
        assert!(s.contains("no successful probe"), "{s}");
        // A failure's latency (the timeout) does not stretch the axis.
        assert!(!s.contains("10.0 s") && s.contains(">1 ms<"), "{s}");
        assert_eq!(count(&s, "class=\"rate\""), 3);
        assert_eq!(count(&s, &format!("fill=\"{FAIL}\"")), 3);
        assert!(
            attrs(&s, "height").contains(&2.0),
            "a sliver, not nothing: {s}"
        );
        let all = latency_chart(&[("dead", refs)], frame(now, 7), "t");
        assert!(all.contains("dead (no successful probe)"), "{all}");
        let long = "a-mirror-with-a-name-far-too-long-for-a-legend.example.com";
        let all = latency_chart(&[(long, vec![])], frame(now, 7), "t");
        assert!(
            all.contains(">a-mirror-wi… (no successful probe)<"),
            "{all}"
        );
    }

    #[test]
    fn ninety_days_of_a_five_minute_timer_stays_a_small_chart() {
        let now = SystemTime::now();
        let f = frame(now, 90);
        let v: Vec<Outcome> = (0..25_920u64)
            .map(|i| {
                Outcome::sample(
                    "https://a/",
                    f.from + Duration::from_secs(300 * i),
                    i % 10 != 0,
                    (i % 97) as f64,
                )
            })
            .collect();
        let refs: Vec<&Outcome> = v.iter().collect();
        let s = mirror_chart("a", "https://a/", &refs, f);
        // One point and at most one cross per pixel column of the 640 the plot is wide.
        assert_eq!(count(&s, "<circle"), 0, "past MAX_POINTS the line alone");
        assert_eq!(count(&s, "<polyline"), 1);
        let pairs = s
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(
            (600..=641).contains(&pairs.split(' ').count()),
            "a point per pixel column"
        );
        assert!(count(&s, "class=\"failure\"") <= 641);
        assert!(s.len() < 400_000, "{} bytes", s.len());
        assert!(s.contains("(×"), "merged failures say how many");
    }

    #[test]
    fn hostile_names_and_failures_are_text_in_the_svg() {
        let now = SystemTime::now();
        let name = "<script>alert(1)</script>\"><img src=x onerror=alert(2)></svg>";
        let mut bad = Outcome::sample("https://x/", now, false, 1.0);
        bad.row.error = Some("</title></svg><img src=x onerror=alert(3)>".into());
        let good = Outcome::sample("https://x/", now, true, 1.0);
        let s = mirror_chart(
            name,
            "https://x/\"onload=\"alert(4)",
            &[&bad, &good],
            frame(now, 1),
        );
        let all = latency_chart(&[(name, vec![&bad, &good])], frame(now, 1), name);
        for s in [&s, &all] {
            assert_eq!(count(s, "<svg"), 1, "{s}");
            assert_eq!(count(s, "</svg>"), 1, "{s}");
            assert!(s.ends_with("</svg>"));
            for tag in ["<script", "<img", "onload=\""] {
                assert!(!s.contains(tag), "{tag} in {s}");
            }
            assert!(
                s.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img"),
                "{s}"
            );
        }
        assert!(s.contains("&lt;/title&gt;&lt;/svg&gt;&lt;img"), "{s}");
    }
}
