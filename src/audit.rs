//! `stabcert audit`: the whole audit of a paper in one run — the claim catalogue (exact,
//! interval and symbolic decisions, kernel re-checks), the Coq certificates, the plots of
//! `proofs/audit/paper.toml` (exact divergence of the constructions against the bounds, the
//! region where one bound beats another, Monte Carlo against exact) and the experiments of
//! [`crate::sgd::experiments`] — gathered into [`crate::report::audit`]'s Markdown, HTML,
//! JSON and SVG. Nothing here decides a verdict; it orchestrates and evaluates curves.

use crate::certify::{self, CoqResult};
use crate::claims::ConstructionSpec;
use crate::claims::{self, Claim, NamedConstruction, Paper, SourceFile};
use crate::decide::{Options as DecideOptions, Outcome};
use crate::engine::exact::{self, Budget, Env};
use crate::engine::real;
use crate::expr::{self, Expr};
use crate::pipeline::{self, PipelineError};
use crate::sgd::{config, experiments};
use crate::svg::{LinePlot, RegionMap, Series};
use rug::Rational;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// The plot specification of the paper, compiled in.
pub const PAPER_SPEC: &str = include_str!("../proofs/audit/paper.toml");

/// Why an audit stopped.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Bad input or an unwritable output folder (the message names it).
    #[error("{0}")]
    Input(String),
    /// An internal failure.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<PipelineError> for AuditError {
    fn from(e: PipelineError) -> Self {
        match e {
            PipelineError::UnknownId(_) => AuditError::Input(e.to_string()),
            PipelineError::Kernel(m) => AuditError::Internal(m),
        }
    }
}

/// What `stabcert audit` does.
#[derive(Clone, Debug)]
pub struct AuditOptions {
    /// claim files or folders (empty: the paper's catalogue compiled into the binary, with
    /// its plots and experiments)
    pub paths: Vec<PathBuf>,
    /// a plot file (the schema of `proofs/audit/paper.toml`); default: the built-in paper's
    /// plots for the built-in catalogue, none for other claims
    pub plots: Option<PathBuf>,
    /// output folder
    pub out: PathBuf,
    /// small budgets: a subset of points per claim, no coqc, small experiments
    pub quick: bool,
    /// master seed of the experiments and Monte Carlo runs
    pub seed: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    #[serde(default)]
    sections: Sections,
    #[serde(default)]
    curves: Vec<CurveSpec>,
    #[serde(default)]
    region: Vec<RegionSpec>,
    #[serde(default)]
    montecarlo: Vec<McSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CurveSpec {
    id: String,
    title: String,
    construction: Option<String>,
    ylabel: Option<String>,
    #[serde(rename = "let")]
    lets: Vec<String>,
    x: String,
    from: u64,
    to: u64,
    points: usize,
    series: Vec<(String, String)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionSpec {
    id: String,
    title: String,
    #[serde(rename = "let")]
    lets: Vec<String>,
    a: String,
    b: String,
    x: String,
    x_range: (f64, f64),
    y: String,
    y_range: (f64, f64),
    cells: (usize, usize),
    claimed: String,
    claimed_text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct McSpec {
    id: String,
    title: String,
    construction: String,
    params: Vec<(String, String)>,
    checkpoints: Vec<usize>,
}

/// The heading and introduction of a report section.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionText {
    /// the heading
    pub title: String,
    /// the paragraph under it
    pub text: String,
}

/// The headings of the plot sections (`[sections.curves]`, `[sections.region]`,
/// `[sections.montecarlo]` of a plot file); unset ones get generic wording.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sections {
    /// exact divergence of constructions against bounds
    pub curves: Option<SectionText>,
    /// region maps: where one bound is below another
    pub region: Option<SectionText>,
    /// Monte Carlo runs against the exact engine
    pub montecarlo: Option<SectionText>,
}

impl Sections {
    /// The heading and text of a plot kind's section.
    pub fn of(&self, kind: &str) -> SectionText {
        let (set, title, text) = match kind {
            "curve" => (
                &self.curves,
                "Constructions against the bounds",
                "Exact E||w_T - w'_T|| of each construction, derived from the SGD update and evaluated by the engines, beside the bounds (log-log).",
            ),
            "region" => (
                &self.region,
                "Where one bound is below another",
                "Each cell is decided with rigorous intervals at its grid point (grey: not separated at 128 bits). The dashed line is the boundary as stated; the solid line is where the two bounds are equal with their constants.",
            ),
            _ => (
                &self.montecarlo,
                "Monte Carlo against exact",
                "The constructions run in f64 (embedded in d = 10 dimensions, twin runs coupled by their index sequence) against the exact engine's E||Delta_T||.",
            ),
        };
        set.clone().unwrap_or_else(|| SectionText {
            title: title.into(),
            text: text.into(),
        })
    }
}

/// One plot of the report.
#[derive(Clone, Debug)]
pub struct Plot {
    /// file stem under `plots/`
    pub id: String,
    /// `curve`, `region`, `montecarlo` or `experiment`
    pub kind: &'static str,
    /// the SVG document
    pub svg: String,
    /// the data behind it (for results.json)
    pub data: serde_json::Value,
    /// a note on the plot for the report's text (series that coincide)
    pub note: Option<String>,
}

impl Plot {
    /// The SVG and note of a line plot; the id, kind and data are the caller's.
    fn from_line(p: &LinePlot) -> Plot {
        Plot {
            id: String::new(),
            kind: "",
            svg: crate::svg::line_plot(p),
            data: serde_json::Value::Null,
            note: crate::svg::coincidence_note(&p.series),
        }
    }
}

/// Everything an audit produced, for the report writers.
pub struct Audit {
    /// the claims in catalogue order
    pub claims: Vec<Claim>,
    /// one outcome per relation
    pub outcomes: Vec<Outcome>,
    /// per outcome: what Coq did with its script
    pub coq: Vec<String>,
    /// the count of what Coq proved, whole-domain proofs apart ([`certify::coverage_summary`])
    pub coq_summary: String,
    /// the plots
    pub plots: Vec<Plot>,
    /// the experiments (the built-in paper only)
    pub experiments: Option<experiments::Experiments>,
    /// the options it ran with
    pub options: AuditOptions,
    /// the `[paper]` table of the claim files
    pub paper: Option<Paper>,
    /// the claim files, with their hashes
    pub files: Vec<SourceFile>,
    /// the plot file: its name and hash (`None`: no plots)
    pub plot_file: Option<SourceFile>,
    /// the plot sections' headings
    pub sections: Sections,
}

fn internal(e: impl std::fmt::Display) -> AuditError {
    AuditError::Internal(e.to_string())
}

/// What plot specifications are read against: the plot file's name (for messages) and
/// the constructions of the claim files.
struct SpecCtx<'a> {
    file: &'a str,
    constructions: &'a [NamedConstruction],
}

impl SpecCtx<'_> {
    fn err(&self, msg: impl std::fmt::Display) -> AuditError {
        AuditError::Input(format!("{}: {msg}", self.file))
    }

    fn construction(&self, id: &str) -> Result<&NamedConstruction, AuditError> {
        self.constructions
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| self.err(format!("no construction `{id}` in the claim files")))
    }

    /// Binds `let` entries (`name = expr`, in order) to exact values.
    fn bind(&self, lets: &[String]) -> Result<Vec<(String, Rational)>, AuditError> {
        bind(lets).map_err(|e| self.err(e))
    }

    fn expr(&self, src: &str, spec: Option<&ConstructionSpec>) -> Result<Expr, AuditError> {
        with_quantities(src, spec).map_err(|e| self.err(e))
    }
}

/// Binds `let` entries (`name = expr`, in order) to exact values.
fn bind(lets: &[String]) -> Result<Vec<(String, Rational)>, AuditError> {
    let mut env = Env::new();
    let mut out = Vec::new();
    for l in lets {
        let (name, src) = l
            .split_once('=')
            .ok_or_else(|| internal(format!("audit spec: `{l}` is not name = expr")))?;
        let e = expr::parse_expr(src.trim())
            .map_err(|e| internal(format!("audit spec `{l}`: {}", e.message)))?;
        let v = exact::eval(&e, &mut env, &Budget::default()).map_err(internal)?;
        env.push(name.trim(), v.clone());
        out.push((name.trim().to_string(), v));
    }
    Ok(out)
}

/// `src` with every construction quantity it names replaced by its derived expression.
fn with_quantities(src: &str, spec: Option<&ConstructionSpec>) -> Result<Expr, AuditError> {
    let mut e = expr::parse_expr(src)
        .map_err(|e| internal(format!("audit spec `{src}`: {}", e.message)))?;
    if let Some(spec) = spec {
        for q in spec.quantities() {
            if e.mentions(&q.name) {
                e = e.substitute(&q.name, &q.expr);
            }
        }
    }
    Ok(e)
}

/// The midpoint of a rigorous enclosure at an exact point (for plotting only).
fn value(e: &Expr, vars: &[(String, Rational)]) -> Option<f64> {
    let budget = Budget::with_time(Duration::from_secs(20));
    let iv = real::eval_at(e, vars, 128, &budget).ok()?;
    let (lo, hi) = (iv.lo().to_f64(), iv.hi().to_f64());
    let m = 0.5 * (lo + hi);
    m.is_finite().then_some(m)
}

fn log_grid(from: f64, to: f64, points: usize) -> Vec<f64> {
    let (a, b) = (from.log10(), to.log10());
    (0..points)
        .map(|i| a + (b - a) * i as f64 / (points.max(2) - 1) as f64)
        .collect()
}

fn curve_plot(cx: &SpecCtx, c: &CurveSpec) -> Result<Plot, AuditError> {
    let spec = match &c.construction {
        Some(id) => Some(&cx.construction(id)?.spec),
        None => None,
    };
    let lets = cx.bind(&c.lets)?;
    let mut xs: Vec<u64> = log_grid(c.from as f64, c.to as f64, c.points)
        .into_iter()
        .map(|l| 10f64.powf(l).round() as u64)
        .collect();
    xs.dedup();
    let mut series = Vec::new();
    let mut data = Vec::new();
    for (k, (name, src)) in c.series.iter().enumerate() {
        let e = cx.expr(src, spec)?;
        let pts: Vec<(f64, f64)> = xs
            .iter()
            .filter_map(|&x| {
                let mut vars = lets.clone();
                vars.push((c.x.clone(), Rational::from(x)));
                value(&e, &vars).map(|v| (x as f64, v))
            })
            .collect();
        data.push(serde_json::json!({ "name": name, "expr": src, "points": pts }));
        series.push(Series {
            dashed: k > 0,
            ..Series::line(name.clone(), pts)
        });
    }
    let plot = LinePlot {
        title: c.title.clone(),
        xlabel: c.x.clone(),
        ylabel: c
            .ylabel
            .clone()
            .unwrap_or_else(|| "E||w_T - w'_T|| and bounds".into()),
        logx: true,
        logy: true,
        series,
        caption: match &c.construction {
            Some(id) => format!("construction {id}, {}", c.lets.join(", ")),
            None => c.lets.join(", "),
        },
    };
    Ok(Plot {
        id: c.id.clone(),
        kind: "curve",
        data: serde_json::json!({ "title": c.title, "construction": c.construction, "let": c.lets, "series": data }),
        ..Plot::from_line(&plot)
    })
}

fn region_plot(cx: &SpecCtx, r: &RegionSpec) -> Result<Plot, AuditError> {
    let lets = cx.bind(&r.lets)?;
    let a = cx.expr(&r.a, None)?;
    let b = cx.expr(&r.b, None)?;
    let diff = Expr::bin(expr::BinOp::Sub, a.clone(), b.clone());
    let claimed = cx.expr(&r.claimed, None)?;
    let xs = log_grid(r.x_range.0, r.x_range.1, r.cells.0);
    let ys = log_grid(r.y_range.0, r.y_range.1, r.cells.1);
    let at = |lx: f64, ly: f64| -> Vec<(String, Rational)> {
        let mut v = lets.clone();
        v.push((
            r.x.clone(),
            Rational::from(10f64.powf(lx).round().max(2.0) as u64),
        ));
        v.push((
            r.y.clone(),
            Rational::from_f64(10f64.powf(ly)).unwrap_or_else(|| Rational::from(1)),
        ));
        v
    };
    let budget = Budget::with_time(Duration::from_secs(20));
    let cells: Vec<Vec<Option<bool>>> = ys
        .iter()
        .map(|&ly| {
            xs.iter()
                .map(|&lx| {
                    let iv = real::eval_at(&diff, &at(lx, ly), 128, &budget).ok()?;
                    let zero = real::Interval::from_rational(&Rational::new(), 128);
                    match iv.certain_cmp(&zero)? {
                        std::cmp::Ordering::Greater => Some(false),
                        _ => Some(true),
                    }
                })
                .collect()
        })
        .collect();
    // the exact boundary: per column, bisection in log T on the sign of A - B
    let sign = |lx: f64, ly: f64| value(&diff, &at(lx, ly)).map(|v| v > 0.0);
    let exact: Vec<(f64, f64)> = xs
        .iter()
        .filter_map(|&lx| {
            let (mut lo, mut hi) = (ys[0], *ys.last()?);
            if sign(lx, lo)? || !sign(lx, hi)? {
                return None;
            }
            for _ in 0..50 {
                let mid = 0.5 * (lo + hi);
                if sign(lx, mid)? {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            Some((lx, 0.5 * (lo + hi)))
        })
        .collect();
    let claimed_pts: Vec<(f64, f64)> = xs
        .iter()
        .filter_map(|&lx| value(&claimed, &at(lx, 0.0)).map(|v| (lx, v.log10())))
        .collect();
    let map = RegionMap {
        title: r.title.clone(),
        xlabel: r.x.clone(),
        ylabel: r.y.clone(),
        xs: xs.clone(),
        ys: ys.clone(),
        cells: cells.clone(),
        // each cell is decided rigorously at one point, its grid point, not on the whole cell
        legend: (
            "A <= B at its grid point".into(),
            "A > B at its grid point".into(),
        ),
        curves: vec![
            Series {
                dashed: true,
                ..Series::line(r.claimed_text.clone(), claimed_pts.clone())
            },
            Series::line("exact boundary A = B", exact.clone()),
        ],
        caption: format!(
            "A = {}, B = {}; {}; each cell shows the sign of A - B proved by interval arithmetic at the cell's grid point",
            r.a,
            r.b,
            r.lets.join(", ")
        ),
    };
    Ok(Plot {
        id: r.id.clone(),
        kind: "region",
        svg: crate::svg::region_map(&map),
        note: None,
        data: serde_json::json!({
            "title": r.title, "a": r.a, "b": r.b, "let": r.lets,
            "log10_x": xs, "log10_y": ys, "a_le_b": cells,
            "claimed_boundary_log10": claimed_pts, "exact_boundary_log10": exact,
        }),
    })
}

fn mc_plot(cx: &SpecCtx, m: &McSpec, quick: bool, seed: u64) -> Result<Plot, AuditError> {
    let named = cx.construction(&m.construction)?;
    let replicas = if quick { 400 } else { 10_000 };
    let steps = *m
        .checkpoints
        .last()
        .ok_or_else(|| cx.err(format!("montecarlo `{}`: empty checkpoints", m.id)))?;
    let params: Vec<String> = m
        .params
        .iter()
        .map(|(k, v)| format!("{k} = {}", toml::Value::String(v.clone())))
        .collect();
    // a construction of a claim file on disk is read from it; the catalogue's is compiled in
    let file = if named.file.starts_with("<catalogue>/") {
        String::new()
    } else {
        format!("file = {}\n", toml::Value::String(named.file.clone()))
    };
    let text = format!(
        "seed = {seed}\nreplicas = {replicas}\nsteps = {steps}\ncheckpoints = {:?}\n[data]\nsource = \"construction\"\nid = {}\n{file}dim = 10\nseed = {seed}\nparams = {{ {} }}\n",
        m.checkpoints,
        toml::Value::String(m.construction.clone()),
        params.join(", ")
    );
    let cfg = config::parse(&format!("<audit {}>", m.id), &text, None)
        .map_err(|e| cx.err(format!("montecarlo `{}`: {e}", m.id)))?;
    let summary = cfg.sim.monte_carlo(replicas, seed, &|| {});
    let q = named
        .spec
        .quantities()
        .into_iter()
        .find(|q| q.name == "div_T")
        .ok_or_else(|| internal("no div_T"))?;
    let lets = cx.bind(
        &m.params
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>(),
    )?;
    let mut exact_pts = Vec::new();
    let mut mc = Vec::new();
    let mut band = Vec::new();
    let mut rows = Vec::new();
    for c in &summary.checkpoints {
        let mut env = Env::new();
        for (k, v) in &lets {
            env.push(k, v.clone());
        }
        env.push("T", Rational::from(c.time));
        let ex = exact::eval(&q.expr, &mut env, &Budget::default())
            .map_err(internal)?
            .to_f64();
        exact_pts.push((c.time as f64, ex));
        if let Some(s) = c.dist {
            mc.push((c.time as f64, s.mean));
            band.push((s.lo, s.hi));
            rows.push(serde_json::json!({ "T": c.time, "exact": ex, "mean": s.mean, "se": s.se, "z": (s.mean - ex) / s.se }));
        }
    }
    let plot = LinePlot {
        title: m.title.clone(),
        xlabel: "T".into(),
        ylabel: "E||w_T - w'_T||".into(),
        logx: true,
        logy: true,
        series: vec![
            Series::line("exact (engine)", exact_pts),
            Series {
                band: Some(band),
                markers: true,
                band_label: "shaded: 95% confidence interval".into(),
                ..Series::line("Monte Carlo mean", mc)
            },
        ],
        caption: format!(
            "construction `{}` ({}), embedded in d = 10, {replicas} replicas, seed {seed}",
            m.construction,
            m.params
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Ok(Plot {
        id: m.id.clone(),
        kind: "montecarlo",
        data: serde_json::json!({ "title": m.title, "construction": m.construction, "replicas": replicas, "seed": seed, "checkpoints": rows }),
        ..Plot::from_line(&plot)
    })
}

/// Plots of the experiments (Figure 1a/1b analogs, Theorem 2's divergence against its bound).
fn experiment_plots(x: &experiments::Experiments) -> Vec<Plot> {
    let stat_series = |c: &experiments::Curve, name: &str| Series {
        band: Some(
            c.stats
                .iter()
                .map(|s| (s.mean - s.sd, s.mean + s.sd))
                .collect(),
        ),
        band_label: format!("shaded: {name}, mean ± 1 sd"),
        ..Series::line(
            name.to_string(),
            c.x.iter()
                .zip(&c.stats)
                .map(|(x, s)| (*x, s.mean))
                .collect(),
        )
    };
    let mut plots = Vec::new();
    let f = &x.fig1a;
    plots.push(Plot {
        id: "fig1a".into(),
        kind: "experiment",
        data: serde_json::to_value(f).unwrap_or_default(),
        ..Plot::from_line(&LinePlot {
            title: "Figure 1a analog: normalised distance between twin runs".into(),
            xlabel: "epoch".into(),
            ylabel: "||w - w'|| / ||w|| (mean +- sd)".into(),
            logx: false,
            logy: false,
            series: f.curves.iter().map(|c| stat_series(c, &c.name)).collect(),
            caption: format!("{} twin pairs, seed {}", f.pairs, x.seed),
        })
    });
    let b = &x.fig1b;
    let mk = |name: &str, st: &[crate::sgd::sim::Stat]| Series {
        band: Some(st.iter().map(|s| (s.mean - s.sd, s.mean + s.sd)).collect()),
        band_label: format!("shaded: {name}, mean ± 1 sd"),
        ..Series::line(
            name.to_string(),
            b.epochs.iter().zip(st).map(|(e, s)| (*e, s.mean)).collect(),
        )
    };
    plots.push(Plot {
        id: "fig1b".into(),
        kind: "experiment",
        data: serde_json::to_value(b).unwrap_or_default(),
        ..Plot::from_line(&LinePlot {
            title: "Figure 1b analog: normalised Hessian contractivity, eq. (4)".into(),
            xlabel: "epoch".into(),
            ylabel: "g^T H g / ||g||^2 (mean over copies +- sd)".into(),
            logx: false,
            logy: false,
            series: vec![mk("mean", &b.mean), mk("mean(min)", &b.mean_min)],
            caption: format!("seed {}", x.seed),
        })
    });
    for (k, t) in x.thm2.iter().enumerate() {
        let d = &t.divergence;
        plots.push(Plot {
            kind: "experiment",
            id: format!(
                "thm2_{}",
                ["linear", "logistic"].get(k).copied().unwrap_or("other")
            ),
            data: serde_json::to_value(t).unwrap_or_default(),
            ..Plot::from_line(&LinePlot {
                title: format!(
                    "Theorem 2: {} divergence against 4LR/(xi gamma n)",
                    ["linear regression", "logistic regression"]
                        .get(k)
                        .copied()
                        .unwrap_or("")
                ),
                xlabel: "step".into(),
                ylabel: "E||w_T - w'_T||".into(),
                logx: true,
                logy: true,
                series: vec![
                    Series {
                        band: Some(d.stats.iter().map(|s| (s.lo, s.hi)).collect()),
                        markers: true,
                        band_label: "shaded: 95% confidence interval".into(),
                        ..Series::line(
                            "Monte Carlo mean",
                            d.x.iter()
                                .zip(&d.stats)
                                .map(|(x, s)| (*x, s.mean))
                                .collect(),
                        )
                    },
                    Series {
                        dashed: true,
                        ..Series::line(
                            "bound 4LR/(xi gamma n)",
                            vec![(d.x[0], t.bound), (*d.x.last().unwrap_or(&1.0), t.bound)],
                        )
                    },
                ],
                caption: format!(
                    "n = {}, xi = {}, R = {:.4}, gamma = {:.4}, L = {:.4}, seed {}",
                    t.n, t.xi, t.r, t.gamma, t.l, x.seed
                ),
            })
        });
    }
    plots
}

/// The plot file of an audit: read and parsed, errors naming the file, line and column.
fn plot_spec(opts: &AuditOptions) -> Result<Option<(SourceFile, SpecFile)>, AuditError> {
    let (name, text) = match (&opts.plots, opts.paths.is_empty()) {
        (Some(p), _) => (
            p.display().to_string(),
            crate::source::read_text(p)
                .map_err(|e| AuditError::Input(format!("{}: cannot read: {e}", p.display())))?,
        ),
        (None, true) => (
            "<catalogue>/audit/paper.toml".into(),
            PAPER_SPEC.to_string(),
        ),
        (None, false) => return Ok(None),
    };
    let spec: SpecFile = toml::from_str(&text).map_err(|e| {
        let off = e.span().map_or(0, |s| s.start);
        AuditError::Input(
            crate::source::SourceError::at(&name, &text, off, crate::source::one_line(e.message()))
                .to_string(),
        )
    })?;
    let file = SourceFile {
        sha256: claims::sha256_hex(text.as_bytes()),
        bytes: text.len(),
        name,
    };
    Ok(Some((file, spec)))
}

/// Runs the audit: decides the claims, writes the Coq scripts into `opts.out` (and runs
/// coqc unless `quick`), draws the plots and, for the built-in paper, runs the experiments.
pub fn run(opts: &AuditOptions) -> Result<Audit, AuditError> {
    let builtin = opts.paths.is_empty();
    let catalogue = if builtin {
        claims::builtin_catalogue()
    } else {
        for p in &opts.paths {
            if !p.exists() {
                return Err(AuditError::Input(format!(
                    "{}: no such file or folder",
                    p.display()
                )));
            }
        }
        claims::load_paths_catalogue(&opts.paths)
    }
    .map_err(|e| AuditError::Input(e.to_string()))?;
    let spec = plot_spec(opts)?;
    let claims = catalogue.claims.clone();
    let decide_opts = if opts.quick {
        DecideOptions {
            max_points: 100,
            max_boxes: 10,
            time_per_claim: Duration::from_millis(500),
            ..DecideOptions::default()
        }
    } else {
        DecideOptions::default()
    };
    let bar = pipeline::progress_bar(4, "audit phases");
    let t0 = std::time::Instant::now();
    let step = |msg: &str| {
        if std::env::var_os("STABCERT_TIMING").is_some() {
            eprintln!("audit: {msg} after {:.1} s", t0.elapsed().as_secs_f64());
        }
        if let Some(b) = &bar {
            b.set_message(msg.to_string());
            b.inc(1);
        }
    };
    // claims are independent: decided in parallel, collected in catalogue order
    let per_claim: Vec<Result<Vec<Outcome>, PipelineError>> = {
        use rayon::prelude::*;
        claims
            .par_iter()
            .map(|c| {
                let t = std::time::Instant::now();
                let r = pipeline::decide_claims(std::slice::from_ref(c), &[], &decide_opts);
                if std::env::var_os("STABCERT_TIMING").is_some() {
                    eprintln!("audit: claim {} {:.2} s", c.id, t.elapsed().as_secs_f64());
                }
                r
            })
            .collect()
    };
    let mut outcomes = Vec::new();
    for r in per_claim {
        outcomes.extend(r?);
    }
    step("claims decided");
    let certs = certify::certificates(&claims, &outcomes);
    let coqc = if opts.quick {
        None
    } else {
        certify::coqc_path()
    };
    let why = if opts.quick {
        "--quick: scripts written, coqc not run"
    } else {
        "coqc is not installed (scripts/setup.sh installs it)"
    };
    let statuses = certify::write_all(
        &opts.out.join("coq"),
        certs,
        coqc.as_deref(),
        why,
        Duration::from_secs(300),
    )
    .map_err(|e| AuditError::Input(format!("{}: {e}", opts.out.display())))?;
    let coq: Vec<String> = statuses
        .iter()
        .map(|st| match (&st.coq, st.cert.script()) {
            (_, None) => st
                .cert
                .not_certified
                .first()
                .cloned()
                .unwrap_or_else(|| "no script".into()),
            (CoqResult::Checked(_), _) => format!(
                "{} (checked by coqc, {} theorems)",
                st.coq_coverage().describe(),
                st.cert.proves().len()
            ),
            (other, _) => other.describe(),
        })
        .collect();
    let coq_summary = certify::coverage_summary(&statuses);
    step("certificates");
    // the experiments reproduce the built-in paper's figures and tables: for it only
    let experiments = builtin.then(|| {
        experiments::run_all(experiments::Scale {
            quick: opts.quick,
            seed: opts.seed,
        })
    });
    step("experiments");
    let mut plots = Vec::new();
    let mut sections = Sections::default();
    let mut plot_file = None;
    if let Some((file, spec)) = spec {
        let cx = SpecCtx {
            file: &file.name,
            constructions: &catalogue.constructions,
        };
        for c in &spec.curves {
            plots.push(curve_plot(&cx, c)?);
        }
        for r in &spec.region {
            plots.push(region_plot(&cx, r)?);
        }
        for m in &spec.montecarlo {
            plots.push(mc_plot(&cx, m, opts.quick, opts.seed)?);
        }
        sections = spec.sections;
        plot_file = Some(file);
    }
    if let Some(x) = &experiments {
        plots.extend(experiment_plots(x));
    }
    step("plots");
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(Audit {
        claims,
        outcomes,
        coq,
        coq_summary,
        plots,
        experiments,
        options: opts.clone(),
        paper: catalogue.paper,
        files: catalogue.files,
        plot_file,
        sections,
    })
}
