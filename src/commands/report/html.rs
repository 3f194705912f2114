//! The page: one HTML file with its style inline and its charts as inline SVG — no script, font, style sheet or
//! image from anywhere (many users' networks block CDNs, and a page mailed around must show the same offline). A
//! Content-Security-Policy says so to the browser too, so even a mistake in escaping could not load or run
//! anything. Every text from outside goes through `escape::text`.

use std::fmt::Write;

use rust_i18n::t;

use super::escape::text as esc;
use super::svg;
use super::Data;
use crate::history::timestamp;
use crate::ui::text::{bytes, millis};

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans CJK SC','Microsoft YaHei',sans-serif;\
margin:2em auto;max-width:1000px;padding:0 1em;color:#222}\
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}\
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border:1px solid #ddd;padding:.35em .5em;\
text-align:left;vertical-align:top}th{background:#f5f5f5}td.num{text-align:right;white-space:nowrap}\
.meta,.url,.empty{color:#666}.bad{color:#b00}.good{color:#070}code{font-size:.95em;word-break:break-all}\
.mirror{margin:1.5em 0}svg{max-width:100%;height:auto;border:1px solid #eee}";

fn rate(successes: usize, probes: usize) -> String {
    if probes == 0 {
        return "-".into();
    }
    format!(
        "{:.0}% ({successes}/{probes})",
        100.0 * successes as f64 / probes as f64
    )
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        return format!("<p class=\"empty\">{}</p>", esc(&t!("report.daemon.none")));
    }
    let mut s = String::from("<ol>");
    for i in items {
        let _ = write!(s, "<li><code>{}</code></li>", esc(i));
    }
    s.push_str("</ol>");
    s
}

pub fn page(d: &Data) -> String {
    let lang = if rust_i18n::locale().starts_with("zh") {
        "zh-CN"
    } else {
        "en"
    };
    let mut s = String::new();
    let title = t!("report.title", registry = d.registry);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"mirrorctl {}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>{}</h1>\n<p class=\"meta\">{}</p>\n",
        env!("CARGO_PKG_VERSION"),
        esc(&title),
        esc(&title),
        esc(&t!(
            "report.meta",
            from = timestamp(d.since),
            to = timestamp(d.frame.to),
            database = d.database
        )),
    );
    ranking(&mut s, d);
    daemon(&mut s, d);
    charts(&mut s, d);
    decisions(&mut s, d);
    let _ = write!(
        s,
        "<p class=\"meta\">{}</p>\n</body>\n</html>\n",
        esc(&t!("report.footer", version = env!("CARGO_PKG_VERSION")))
    );
    s
}

fn ranking(s: &mut String, d: &Data) {
    let _ = write!(
        s,
        "<section id=\"ranking\">\n<h2>{}</h2>\n<p>{}</p>\n",
        esc(&t!("report.ranking.heading")),
        esc(&t!("report.ranking.how"))
    );
    if d.mirrors.is_empty() {
        let _ = write!(
            s,
            "<p class=\"empty\">{}</p>\n</section>\n",
            esc(&t!("report.ranking.empty", registry = d.registry))
        );
        return;
    }
    let heads = [
        "#".into(),
        t!("table.mirror"),
        t!("history.col_window"),
        t!("history.col_24h"),
        t!("table.latency"),
        t!("table.speed"),
        t!("report.ranking.why"),
        t!("history.col_last_failure"),
    ];
    s.push_str("<table id=\"ranking-table\">\n<thead><tr>");
    for h in heads {
        let _ = write!(s, "<th>{}</th>", esc(&h));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    let dash = || "-".to_string();
    for (i, (m, why)) in d
        .mirrors
        .iter()
        .zip(super::reasons::reasons(&d.mirrors))
        .enumerate()
    {
        let failure = m.last_failure.as_ref().map_or_else(dash, |f| {
            let mut x = format!("{} {}", f.at, f.status);
            if let Some(r) = &f.reason {
                x.push_str(": ");
                x.push_str(r);
            }
            x
        });
        let class = if m.success_rate >= 0.9 {
            "good"
        } else if m.success_rate < 0.5 {
            "bad"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "<tr><td class=\"num\">{}</td><td><a href=\"#mirror-{}\">{}</a><br><code class=\"url\">{}</code></td>\
             <td class=\"num {class}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td>{}</td><td>{}</td></tr>",
            i + 1,
            i + 1,
            esc(&m.name),
            esc(&m.url),
            esc(&rate(m.successes, m.probes)),
            esc(&rate(m.last_24h.successes, m.last_24h.probes)),
            esc(&m.median_latency_ms.map_or_else(dash, millis)),
            esc(&m
                .median_throughput_bps
                .map_or_else(dash, |b| format!("{}/s", bytes(b)))),
            esc(&why),
            esc(&failure),
        );
    }
    s.push_str("</tbody>\n</table>\n</section>\n");
}

fn daemon(s: &mut String, d: &Data) {
    let show = &d.show;
    let _ = write!(
        s,
        "<section id=\"daemon\">\n<h2>{}</h2>\n<h3>{}</h3>\n",
        esc(&t!("report.daemon.heading")),
        esc(&t!("report.daemon.file", path = show.file.path))
    );
    match (&show.file.error, show.file.exists) {
        (Some(e), _) => {
            let _ = write!(s, "<p class=\"bad\">{}</p>", esc(e));
        }
        (None, false) => {
            let _ = write!(
                s,
                "<p class=\"empty\">{}</p>",
                esc(&t!("report.daemon.no_file"))
            );
        }
        (None, true) => s.push_str(&list(&show.file.mirrors)),
    }
    let live = &show.live;
    let _ = write!(
        s,
        "\n<h3>{}</h3>\n",
        esc(&t!(
            "report.daemon.live",
            host = live.host,
            version = live.server_version.as_deref().unwrap_or("-")
        ))
    );
    if live.reachable {
        s.push_str(&list(&live.mirrors));
    } else {
        let _ = write!(
            s,
            "<p class=\"bad\">{}</p>",
            esc(&t!(
                "report.daemon.down",
                detail = live.error.as_deref().unwrap_or("")
            ))
        );
    }
    for diff in &show.differences {
        let _ = write!(
            s,
            "\n<p class=\"bad\">{}</p><p>{} <code>{}</code></p>",
            esc(&diff.message),
            esc(&t!("report.daemon.fix")),
            esc(&diff.fix)
        );
    }
    s.push_str("\n</section>\n");
}

fn charts(s: &mut String, d: &Data) {
    let _ = write!(
        s,
        "<section id=\"charts\">\n<h2>{}</h2>\n",
        esc(&t!("report.charts.heading"))
    );
    if !d.mirrors.is_empty() {
        s.push_str(&super::overview(d));
        s.push('\n');
    }
    for (i, m) in d.mirrors.iter().enumerate() {
        let mine = d.outcomes_of(&m.url);
        let _ = write!(
            s,
            "<div class=\"mirror\" id=\"mirror-{}\">\n<h3>{}. {}</h3>\n<p class=\"url\"><code>{}</code></p>\n{}\n</div>\n",
            i + 1,
            i + 1,
            esc(&m.name),
            esc(&m.url),
            svg::mirror_chart(&m.name, &m.url, &mine, d.frame)
        );
    }
    s.push_str("</section>\n");
}

fn decisions(s: &mut String, d: &Data) {
    let _ = write!(
        s,
        "<section id=\"decisions\">\n<h2>{}</h2>\n",
        esc(&t!("report.decisions.heading"))
    );
    if d.decisions.is_empty() {
        let _ = write!(
            s,
            "<p class=\"empty\">{}</p>\n</section>\n",
            esc(&t!("report.decisions.none"))
        );
        return;
    }
    s.push_str("<table id=\"decisions-table\">\n<thead><tr>");
    for h in [
        t!("report.decisions.at"),
        t!("report.decisions.action"),
        t!("table.mirror"),
        t!("report.decisions.replacement"),
        t!("report.decisions.reason"),
        t!("report.decisions.changed"),
    ] {
        let _ = write!(s, "<th>{}</th>", esc(&h));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for x in &d.decisions {
        let _ = writeln!(
            s,
            "<tr><td class=\"num\">{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            esc(&timestamp(x.at)),
            esc(&x.action),
            esc(x.mirror.as_deref().unwrap_or("-")),
            esc(x.replacement.as_deref().unwrap_or("-")),
            esc(&x.reason),
            esc(&if x.changed { t!("report.yes") } else { t!("report.no") }),
        );
    }
    s.push_str("</tbody>\n</table>\n</section>\n");
}
