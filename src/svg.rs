//! Self-contained SVG plots (no fonts or external files needed; generic font names only):
//! line plots with linear or logarithmic axes, optional error bands, and region maps.

use std::fmt::Write;

/// One series of a line plot.
#[derive(Clone, Debug)]
pub struct Series {
    /// legend text
    pub name: String,
    /// (x, y) points in order; non-finite or (on a log axis) non-positive points are skipped
    pub points: Vec<(f64, f64)>,
    /// optional (lo, hi) band per point, drawn shaded
    pub band: Option<Vec<(f64, f64)>>,
    /// dashed line
    pub dashed: bool,
    /// markers at the points instead of a line
    pub markers: bool,
    /// what the shaded band is, for the legend (e.g. "95% confidence interval")
    pub band_label: String,
}

impl Series {
    /// A solid line.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
        Series {
            name: name.into(),
            points,
            band: None,
            dashed: false,
            markers: false,
            band_label: String::new(),
        }
    }
}

/// A line plot.
#[derive(Clone, Debug)]
pub struct LinePlot {
    /// title (above the plot)
    pub title: String,
    /// the x axis label
    pub xlabel: String,
    /// the y axis label
    pub ylabel: String,
    /// logarithmic x axis
    pub logx: bool,
    /// logarithmic y axis
    pub logy: bool,
    /// the series
    pub series: Vec<Series>,
    /// a line of small print under the plot (parameters, seed)
    pub caption: String,
}

const W: f64 = 780.0;
const H: f64 = 420.0;
const L: f64 = 72.0;
const R: f64 = 300.0;
const T: f64 = 40.0;
const B: f64 = 70.0;
const COLORS: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

/// Text as an SVG text node shows it: escaped, without the Markdown backticks that
/// captions built from messages may carry.
fn txt(s: &str) -> String {
    esc(&s.replace('`', ""))
}

/// Escapes text for SVG/XML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn tr(v: f64, log: bool) -> Option<f64> {
    if !v.is_finite() || (log && v <= 0.0) {
        None
    } else if log {
        Some(v.log10())
    } else {
        Some(v)
    }
}

/// Legend text cut to what fits beside the plot.
fn clip_label(s: &str) -> String {
    if s.chars().count() <= 38 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(37).collect::<String>())
    }
}

/// A plain decimal with at most `digits` significant digits and no exponent.
fn plain(v: f64, digits: usize) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let mag = v.abs().log10().floor() as i64;
    let decimals = (digits as i64 - 1 - mag).clamp(0, 12) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The SVG text of a tick value: a plain decimal (`0.001`, `20000`) from 10^-6 to 10^7,
/// a power of ten written as one (`10` with a raised exponent) beyond.
fn tick_label(v: f64, log: bool) -> String {
    let value = if log { 10f64.powf(v) } else { v };
    let a = value.abs();
    if value == 0.0 || (1e-6..1e7).contains(&a) {
        return txt(&plain(value, 4));
    }
    let e = a.log10().floor();
    let m = value / 10f64.powf(e);
    let mant = if (m.abs() - 1.0).abs() < 1e-9 {
        if m < 0.0 {
            "-".to_string()
        } else {
            String::new()
        }
    } else {
        format!("{}×", plain(m, 3))
    };
    format!(
        r#"{mant}10<tspan dy="-5" font-size="9">{}</tspan>"#,
        e as i64
    )
}

/// Tick positions (in transformed units) over [lo, hi].
fn ticks(lo: f64, hi: f64, log: bool) -> Vec<f64> {
    if log {
        let (a, b) = (lo.floor() as i64, hi.ceil() as i64);
        let step = ((b - a) / 8).max(1);
        // under two decades, 2 and 5 times each power of ten too
        let mult: &[f64] = if hi - lo < 2.0 {
            &[1.0, 2.0, 5.0]
        } else {
            &[1.0]
        };
        return (a..=b)
            .filter(|e| (e - a) % step == 0)
            .flat_map(|e| mult.iter().map(move |m| e as f64 + m.log10()))
            .filter(|&e| e >= lo - 1e-9 && e <= hi + 1e-9)
            .collect();
    }
    let span = (hi - lo).max(1e-300);
    let raw = span / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= 7.0)
        .unwrap_or(10.0 * mag);
    let mut v = (lo / step).ceil() * step;
    let mut out = Vec::new();
    while v <= hi + step * 1e-9 && out.len() < 20 {
        out.push(v);
        v += step;
    }
    out
}

fn range(vals: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in vals {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return None;
    }
    if hi - lo < 1e-12 * lo.abs().max(1.0) {
        return Some((lo - 0.5, hi + 0.5));
    }
    let pad = (hi - lo) * 0.04;
    Some((lo - pad, hi + pad))
}

/// Most characters of a caption line at font size 10 across the plot's width.
const CAPTION_CHARS: usize = 140;

/// A caption cut into lines at spaces (no line longer than [`CAPTION_CHARS`] unless one
/// word is).
fn caption_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = vec![String::new()];
    for word in text.split(' ') {
        let last = lines.last_mut().expect("one line");
        if !last.is_empty() && last.chars().count() + 1 + word.chars().count() > CAPTION_CHARS {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

/// The SVG's height: the plot's, and a line more per extra caption line.
fn height(caption: &str) -> f64 {
    H + 13.0 * (caption_lines(caption).len() as f64 - 1.0)
}

fn frame(out: &mut String, title: &str, caption: &str) {
    let h = height(caption);
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" viewBox="0 0 {W} {h}" style="max-width:100%;height:auto" font-family="sans-serif" font-size="12"><rect x="0" y="0" width="{W}" height="{h}" fill="#ffffff"/><text x="{}" y="22" text-anchor="middle" font-size="{}">{}</text>"##,
        W / 2.0,
        if title.chars().count() > 90 { 11 } else { 14 },
        txt(title)
    );
}

fn axes(
    out: &mut String,
    (x0, x1, y0, y1): (f64, f64, f64, f64),
    (logx, logy): (bool, bool),
    (xlabel, ylabel): (&str, &str),
) {
    let (pw, ph) = (W - L - R, H - T - B);
    let _ = write!(
        out,
        r##"<rect x="{L}" y="{T}" width="{pw}" height="{ph}" fill="none" stroke="#333333"/>"##
    );
    for t in ticks(x0, x1, logx) {
        let px = L + (t - x0) / (x1 - x0) * pw;
        let _ = write!(
            out,
            r##"<line x1="{px:.1}" y1="{}" x2="{px:.1}" y2="{T}" stroke="#dddddd"/><text x="{px:.1}" y="{}" text-anchor="middle">{}</text>"##,
            T + ph,
            T + ph + 16.0,
            tick_label(t, logx)
        );
    }
    for t in ticks(y0, y1, logy) {
        let py = T + ph - (t - y0) / (y1 - y0) * ph;
        let _ = write!(
            out,
            r##"<line x1="{L}" y1="{py:.1}" x2="{}" y2="{py:.1}" stroke="#dddddd"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            L + pw,
            L - 6.0,
            py + 4.0,
            tick_label(t, logy)
        );
    }
    let _ = write!(
        out,
        r##"<text x="{}" y="{}" text-anchor="middle">{}</text><text x="16" y="{}" text-anchor="middle" transform="rotate(-90 16 {})">{}</text>"##,
        L + pw / 2.0,
        T + ph + 36.0,
        txt(xlabel),
        T + ph / 2.0,
        T + ph / 2.0,
        txt(ylabel)
    );
}

fn caption(out: &mut String, text: &str) {
    for (k, line) in caption_lines(text).iter().enumerate() {
        let _ = write!(
            out,
            r##"<text x="8" y="{}" font-size="10" fill="#555555">{}</text>"##,
            H - 8.0 + 13.0 * k as f64,
            txt(line)
        );
    }
}

/// A second line of small print above the caption (a note on the curves).
fn note(out: &mut String, text: &str) {
    let _ = write!(
        out,
        r##"<text x="8" y="{}" font-size="10" fill="#8a3b00">{}</text>"##,
        H - 22.0,
        txt(text)
    );
}

/// Pairs of series (by index) whose values agree to 6 significant digits at every x they
/// share (at least two): drawn, one hides the other, so plots and reports say so.
pub fn coinciding(series: &[Series]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for i in 0..series.len() {
        for j in i + 1..series.len() {
            let mut shared = 0;
            let mut same = true;
            for &(x, y) in &series[i].points {
                if let Some(&(_, z)) = series[j].points.iter().find(|p| p.0 == x) {
                    if !(y.is_finite() && z.is_finite()) {
                        continue;
                    }
                    shared += 1;
                    if (y - z).abs() > 1e-6 * y.abs().max(z.abs()) {
                        same = false;
                        break;
                    }
                }
            }
            if same && shared >= 2 {
                out.push((i, j));
            }
        }
    }
    out
}

/// What a plot says about its coinciding series (`None`: no two coincide).
pub fn coincidence_note(series: &[Series]) -> Option<String> {
    let pairs = coinciding(series);
    if pairs.is_empty() {
        return None;
    }
    Some(format!(
        "{} (equal to 6 digits at every point; one line hides the other)",
        pairs
            .iter()
            .map(|&(i, j)| format!(
                "\"{}\" and \"{}\" coincide",
                clip_label(&series[i].name),
                clip_label(&series[j].name)
            ))
            .collect::<Vec<_>>()
            .join("; ")
    ))
}

/// A polyline through `pts` (if it has two points) and its legend entry at row `ly`.
fn line_and_legend(out: &mut String, pts: &[(f64, f64)], s: &Series, color: &str, ly: f64) {
    let dash = if s.dashed {
        r#" stroke-dasharray="6 4""#
    } else {
        ""
    };
    if pts.len() > 1 {
        let mut d = String::new();
        for (i, (x, y)) in pts.iter().enumerate() {
            let _ = write!(d, "{}{x:.1},{y:.1} ", if i == 0 { "M" } else { "L" });
        }
        let _ = write!(
            out,
            r##"<path d="{d}" fill="none" stroke="{color}" stroke-width="2"{dash}/>"##
        );
    }
    let lx = W - R + 12.0;
    if s.markers {
        let _ = write!(
            out,
            r##"<circle cx="{}" cy="{ly}" r="3" fill="{color}"/>"##,
            lx + 11.0
        );
    } else {
        let _ = write!(
            out,
            r##"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{color}" stroke-width="2"{dash}/>"##,
            lx + 22.0
        );
    }
    let _ = write!(
        out,
        r##"<text x="{}" y="{}">{}</text>"##,
        lx + 28.0,
        ly + 4.0,
        txt(&clip_label(&s.name))
    );
}

/// The legend row of a series' shaded band at row `ly`.
fn band_legend(out: &mut String, s: &Series, color: &str, ly: f64) {
    let lx = W - R + 12.0;
    let label = if s.band_label.is_empty() {
        "shaded: band around the points"
    } else {
        &s.band_label
    };
    let _ = write!(
        out,
        r##"<rect x="{lx}" y="{}" width="22" height="10" fill="{color}" fill-opacity="0.18"/><text x="{}" y="{}">{}</text>"##,
        ly - 5.0,
        lx + 28.0,
        ly + 4.0,
        txt(&clip_label(label))
    );
}

/// Renders a line plot as one `<svg>` element.
pub fn line_plot(p: &LinePlot) -> String {
    let mut out = String::new();
    frame(&mut out, &p.title, &p.caption);
    let xs = p
        .series
        .iter()
        .flat_map(|s| s.points.iter().filter_map(|&(x, _)| tr(x, p.logx)));
    let ys = p.series.iter().flat_map(|s| {
        let band = s
            .band
            .iter()
            .flatten()
            .flat_map(|&(lo, hi)| [tr(lo, p.logy), tr(hi, p.logy)])
            .flatten();
        s.points
            .iter()
            .filter_map(|&(_, y)| tr(y, p.logy))
            .chain(band)
            .collect::<Vec<_>>()
    });
    let (Some((x0, x1)), Some((y0, y1))) = (range(xs), range(ys)) else {
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" text-anchor="middle">no finite data to plot</text>"##,
            W / 2.0,
            H / 2.0
        );
        caption(&mut out, &p.caption);
        out.push_str("</svg>");
        return out;
    };
    axes(
        &mut out,
        (x0, x1, y0, y1),
        (p.logx, p.logy),
        (&p.xlabel, &p.ylabel),
    );
    let (pw, ph) = (W - L - R, H - T - B);
    let map = |x: f64, y: f64| -> Option<(f64, f64)> {
        let (x, y) = (tr(x, p.logx)?, tr(y, p.logy)?);
        Some((
            L + (x - x0) / (x1 - x0) * pw,
            T + ph - (y - y0) / (y1 - y0) * ph,
        ))
    };
    let mut row = 0usize;
    for (k, s) in p.series.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        if let Some(band) = &s.band {
            let upper: Vec<(f64, f64)> = s
                .points
                .iter()
                .zip(band)
                .filter_map(|(&(x, _), &(_, hi))| map(x, hi))
                .collect();
            let lower: Vec<(f64, f64)> = s
                .points
                .iter()
                .zip(band)
                .filter_map(|(&(x, _), &(lo, _))| map(x, lo))
                .collect();
            if upper.len() == lower.len() && upper.len() > 1 {
                let mut d = String::new();
                for (i, (x, y)) in upper.iter().chain(lower.iter().rev()).enumerate() {
                    let _ = write!(d, "{}{x:.1},{y:.1} ", if i == 0 { "M" } else { "L" });
                }
                let _ = write!(
                    out,
                    r##"<path d="{d}Z" fill="{color}" fill-opacity="0.18" stroke="none"/>"##
                );
            }
        }
        let pts: Vec<(f64, f64)> = s.points.iter().filter_map(|&(x, y)| map(x, y)).collect();
        let ly = T + 14.0 + 20.0 * row as f64;
        row += 1;
        if s.markers {
            for (x, y) in &pts {
                let _ = write!(
                    out,
                    r##"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{color}"/>"##
                );
            }
            line_and_legend(&mut out, &[], s, color, ly);
        } else {
            line_and_legend(&mut out, &pts, s, color, ly);
        }
        if s.band.is_some() {
            band_legend(&mut out, s, color, T + 14.0 + 20.0 * row as f64);
            row += 1;
        }
    }
    if let Some(n) = coincidence_note(&p.series) {
        note(&mut out, &format!("Note: {n}."));
    }
    caption(&mut out, &p.caption);
    out.push_str("</svg>");
    out
}

/// A map of a boolean over a log-log grid, with boundary curves on top.
#[derive(Clone, Debug)]
pub struct RegionMap {
    /// title
    pub title: String,
    /// x label
    pub xlabel: String,
    /// y label
    pub ylabel: String,
    /// log10 of the x grid values (columns)
    pub xs: Vec<f64>,
    /// log10 of the y grid values (rows)
    pub ys: Vec<f64>,
    /// cell (row-major: `cells[j][i]` at `ys[j]`, `xs[i]`): `Some(true)`, `Some(false)`,
    /// or `None` where undecided
    pub cells: Vec<Vec<Option<bool>>>,
    /// legend of true / false cells
    pub legend: (String, String),
    /// boundary curves, in log10 coordinates
    pub curves: Vec<Series>,
    /// small print
    pub caption: String,
}

/// Renders a region map as one `<svg>` element.
pub fn region_map(m: &RegionMap) -> String {
    let mut out = String::new();
    frame(&mut out, &m.title, &m.caption);
    let (Some(&x0), Some(&x1), Some(&y0), Some(&y1)) =
        (m.xs.first(), m.xs.last(), m.ys.first(), m.ys.last())
    else {
        out.push_str("</svg>");
        return out;
    };
    let (pw, ph) = (W - L - R, H - T - B);
    let (dx, dy) = (pw / m.xs.len() as f64, ph / m.ys.len() as f64);
    for (j, row) in m.cells.iter().enumerate() {
        for (i, c) in row.iter().enumerate() {
            let fill = match c {
                Some(true) => "#9ecae1",
                Some(false) => "#fdae6b",
                None => "#dddddd",
            };
            let _ = write!(
                out,
                r##"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{fill}"/>"##,
                L + i as f64 * dx,
                T + ph - (j + 1) as f64 * dy,
                dx + 0.3,
                dy + 0.3
            );
        }
    }
    // grid values are cell centres: the axes span half a cell beyond them
    let hx = (x1 - x0) / (m.xs.len().max(2) - 1) as f64 / 2.0;
    let hy = (y1 - y0) / (m.ys.len().max(2) - 1) as f64 / 2.0;
    let (ax0, ax1, ay0, ay1) = (x0 - hx, x1 + hx, y0 - hy, y1 + hy);
    axes(
        &mut out,
        (ax0, ax1, ay0, ay1),
        (true, true),
        (&m.xlabel, &m.ylabel),
    );
    for (k, s) in m.curves.iter().enumerate() {
        let color = ["#000000", "#d62728", "#2ca02c"][k % 3];
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite() && *y >= ay0 && *y <= ay1)
            .map(|&(x, y)| {
                (
                    L + (x - ax0) / (ax1 - ax0) * pw,
                    T + ph - (y - ay0) / (ay1 - ay0) * ph,
                )
            })
            .collect();
        line_and_legend(&mut out, &pts, s, color, T + 74.0 + 20.0 * k as f64);
    }
    let lx = W - R + 12.0;
    for (k, (fill, label)) in [
        ("#9ecae1", m.legend.0.as_str()),
        ("#fdae6b", m.legend.1.as_str()),
        ("#dddddd", "not separated (undecided)"),
    ]
    .iter()
    .enumerate()
    {
        let y = T + 4.0 + 18.0 * k as f64;
        let _ = write!(
            out,
            r##"<rect x="{lx}" y="{y}" width="14" height="12" fill="{fill}"/><text x="{}" y="{}">{}</text>"##,
            lx + 20.0,
            y + 10.0,
            txt(&clip_label(label))
        );
    }
    caption(&mut out, &m.caption);
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plots_are_well_formed_and_escape_text() {
        let p = LinePlot {
            title: "a < b & c".into(),
            xlabel: "T".into(),
            ylabel: "E||Δ||".into(),
            logx: true,
            logy: true,
            series: vec![
                Series::line("exact", vec![(1.0, 1.0), (10.0, 3.0), (100.0, 9.0)]),
                Series {
                    band: Some(vec![(0.5, 2.0), (2.0, 4.0), (0.0, 10.0)]),
                    markers: true,
                    ..Series::line("mc", vec![(1.0, 1.1), (10.0, 2.9), (100.0, 9.5)])
                },
            ],
            caption: "seed 1".into(),
        };
        let s = line_plot(&p);
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("a &lt; b &amp; c"));
        assert!(!s.contains("NaN") && !s.contains("inf"));
        let m = RegionMap {
            title: "map".into(),
            xlabel: "n".into(),
            ylabel: "T".into(),
            xs: vec![0.0, 1.0, 2.0],
            ys: vec![0.0, 1.0],
            cells: vec![vec![Some(true), Some(false), None]; 2],
            legend: ("yes".into(), "no".into()),
            curves: vec![Series::line("b", vec![(0.0, 0.0), (2.0, 1.0)])],
            caption: String::new(),
        };
        let s = region_map(&m);
        assert_eq!(s.matches("<rect").count(), 1 + 6 + 1 + 3);
        assert!(s.contains("(undecided)"));
    }

    #[test]
    fn ticks_are_plain_decimals_and_powers_of_ten() {
        assert_eq!(tick_label(-3.0, true), "0.001");
        assert_eq!(tick_label(5f64.log10() + 4.0, true), "50000");
        assert_eq!(tick_label(0.5, false), "0.5");
        assert_eq!(tick_label(250.0, false), "250");
        // beyond 10^7: ten with a raised exponent, never 1e12
        let big = tick_label(12.0, true);
        assert!(
            big.starts_with("10<tspan") && big.contains(">12</tspan>"),
            "{big}"
        );
        assert!(!big.contains("1e"));
        assert!(tick_label(2e-9, false).starts_with("2×10<tspan"));
    }

    #[test]
    fn legends_name_markers_bands_and_coinciding_curves() {
        let p = LinePlot {
            title: "`t`".into(),
            xlabel: "x".into(),
            ylabel: "y".into(),
            logx: false,
            logy: false,
            series: vec![
                Series::line("a", vec![(1.0, 1.0), (2.0, 4.0)]),
                Series::line("b", vec![(1.0, 1.0), (2.0, 4.0 + 1e-9)]),
                Series {
                    band: Some(vec![(0.0, 2.0), (3.0, 5.0)]),
                    markers: true,
                    band_label: "shaded: 95% confidence interval".into(),
                    ..Series::line("mc", vec![(1.0, 1.0), (2.0, 4.5)])
                },
            ],
            caption: "construction `x`".into(),
        };
        assert_eq!(coinciding(&p.series), vec![(0, 1)]);
        let s = line_plot(&p);
        roxmltree::Document::parse(&s).unwrap();
        assert!(s.contains("shaded: 95% confidence interval"));
        assert!(s.contains("&quot;a&quot; and &quot;b&quot; coincide"));
        // a marker series shows a marker in its legend: 2 points + 1 legend circle
        assert_eq!(s.matches("<circle").count(), 3);
        assert!(!s.contains('`'));
        assert!(s.contains("max-width:100%"));
    }

    #[test]
    fn long_captions_wrap_and_the_plot_grows() {
        let long = "word ".repeat(70);
        assert_eq!(caption_lines(&long).len(), 3);
        assert!(
            caption_lines(&long)
                .iter()
                .all(|l| l.chars().count() <= CAPTION_CHARS)
        );
        let m = RegionMap {
            title: "t".into(),
            xlabel: "n".into(),
            ylabel: "T".into(),
            xs: vec![0.0, 1.0],
            ys: vec![0.0, 1.0],
            cells: vec![vec![Some(true), None]; 2],
            legend: ("yes".into(), "no".into()),
            curves: vec![],
            caption: long,
        };
        let s = region_map(&m);
        assert!(s.contains(&format!("height=\"{}\"", H + 26.0)), "{s}");
        assert_eq!(s.matches("font-size=\"10\" fill=\"#555555\"").count(), 3);
    }
}
