//! Presentation of results: the terminal table and the Contract's JSON document for
//! `stabcert check`. It formats what the engines computed and computes nothing itself.

pub mod audit;

use crate::decide::{Bracket, Counterexample, Outcome, Side, Verdict};
use crate::engine::exact::approx;
use rug::Rational;
use serde_json::{Value, json};

/// Significant digits of `approx` fields.
pub const APPROX_DIGITS: u32 = 6;

/// Most bits of an exact value written out in full in the JSON document; larger values are
/// given as an outward 30-digit decimal enclosure (a 100-million-bit numerator would take
/// longer to write out than to compute, and nobody reads it).
pub const JSON_EXACT_BITS: u64 = 1 << 20;

fn bits(v: &Rational) -> u64 {
    u64::from(v.numer().significant_bits()) + u64::from(v.denom().significant_bits())
}

fn exact_str(v: &Rational) -> String {
    v.to_string()
}

/// `(lo, hi)` strings of an exact value: the value twice, or an enclosure when huge.
fn exact_pair(v: &Rational) -> (String, String) {
    if bits(v) > JSON_EXACT_BITS {
        crate::engine::exact::decimal_enclosure(v, 30)
    } else {
        (exact_str(v), exact_str(v))
    }
}

fn side_json(s: &Side) -> Value {
    match s {
        Side::Exact(v) => {
            let (lo, hi) = exact_pair(v);
            json!({
                "lo": lo, "hi": hi, "approx": approx(v, APPROX_DIGITS),
                "undefined": null,
            })
        }
        Side::Enclosure(lo, hi) => json!({
            "lo": exact_pair(lo).0, "hi": exact_pair(hi).1, "approx": approx(&mid(lo, hi), APPROX_DIGITS),
            "undefined": null,
        }),
        Side::Undefined(why) => json!({
            "lo": null, "hi": null, "approx": null, "undefined": why,
        }),
    }
}

fn mid(lo: &Rational, hi: &Rational) -> Rational {
    Rational::from(lo + hi) / 2u32
}

fn point_map(p: &[(String, Rational)]) -> Value {
    let mut m = serde_json::Map::new();
    for (n, v) in p {
        m.insert(n.clone(), Value::String(exact_str(v)));
    }
    Value::Object(m)
}

fn bracket_json(b: &Bracket, with_param: bool) -> Value {
    let mut v = json!({
        "lo": exact_str(&b.lo),
        "hi": exact_str(&b.hi),
        "approx": approx(&mid(&b.lo, &b.hi), 10),
        "witness": point_map(&b.witness),
        "meaning": b.meaning,
        "safe": exact_str(&b.safe),
        "safe_exhaustive": b.safe_exhaustive,
    });
    if with_param {
        v["param"] = Value::String(b.param.clone());
    } else {
        v["constant"] = Value::String(b.param.clone());
    }
    v
}

fn point_json(cx: &Counterexample) -> Value {
    point_map(&cx.point)
}

/// One claim's JSON object, as the Contract shows it (absent analyses are `null`).
pub fn outcome_json(o: &Outcome) -> Value {
    json!({
        "id": o.id,
        "source": o.source,
        "relation": o.relation,
        "file": o.file,
        "verdict": o.verdict.as_str(),
        "coverage": {
            "points": o.coverage.points,
            "boxes": o.coverage.boxes,
            "exhaustive": o.coverage.exhaustive,
            "methods": o.coverage.methods.iter().map(|(m, k)| (m.as_str().to_string(), json!(k))).collect::<serde_json::Map<String, Value>>(),
        },
        "failures": o.failures,
        "counterexample": o.counterexample.as_ref().map(|cx| json!({
            "point": point_json(cx),
            "lhs": side_json(&cx.lhs),
            "rhs": side_json(&cx.rhs),
        })),
        "threshold": o.threshold.as_ref().map(|b| bracket_json(b, true)),
        "best_constant": o.best_constant.as_ref().map(|b| bracket_json(b, false)),
        "reason": o.reason(),
        "certificate": o.certificate,
        "kernel": o.kernel,
        "engine": if o.symbolic { "symbolic" } else { "numeric" },
    })
}

/// This build's version (`Cargo.toml`), written into every JSON document and report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The layout version of every JSON document stabcert writes (`schema_version`): raised
/// when a field is removed or changes meaning; new fields may appear without a raise. The
/// JSON Schema `docs/stabcert.schema.json` describes version 1.
pub const SCHEMA_VERSION: u64 = 1;

/// The fields every JSON document starts with: `schema_version`, `document` (which command
/// wrote it: `check`, `certify`, `symbolic`, `simulate`, `audit`) and `stabcert_version`.
pub fn document_header(document: &str) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("schema_version".into(), json!(SCHEMA_VERSION));
    m.insert("document".into(), json!(document));
    m.insert("stabcert_version".into(), json!(VERSION));
    m
}

/// A JSON document: the header of `document`, then `fields` (an object) in order.
pub fn document(document: &str, fields: Value) -> Value {
    let mut m = document_header(document);
    if let Value::Object(f) = fields {
        m.extend(f);
    }
    Value::Object(m)
}

/// The whole `check --json` document.
pub fn json_document(outcomes: &[Outcome]) -> Value {
    document(
        "check",
        json!({ "claims": outcomes.iter().map(outcome_json).collect::<Vec<_>>() }),
    )
}

fn side_text(s: &Side) -> String {
    match s {
        Side::Exact(v) => {
            let a = approx(v, APPROX_DIGITS);
            if bits(v) > 200 {
                return format!("≈ {a}");
            }
            let e = exact_str(v);
            if e.len() <= 24 && e != a {
                format!("{e} ≈ {a}")
            } else if e.len() <= 24 {
                e
            } else {
                format!("≈ {a}")
            }
        }
        Side::Enclosure(lo, hi) => {
            let (l, h) = (approx(lo, APPROX_DIGITS + 2), approx(hi, APPROX_DIGITS + 2));
            if l == h {
                format!("≈ {l}")
            } else {
                format!("in [{l}, {h}]")
            }
        }
        Side::Undefined(why) => format!("undefined ({why})"),
    }
}

/// The evidence column: what the verdict rests on, in one line.
pub fn evidence(o: &Outcome) -> String {
    if o.symbolic {
        // no independent check stands behind it: say so wherever the evidence is shown
        return format!(
            "{} [checked by the symbolic engine only: its guarded rewrites and seeded numeric checks; no kernel re-check, no Coq proof]",
            o.reason().unwrap_or_default()
        );
    }
    let pts = o.coverage.points;
    let mut s = match o.verdict {
        Verdict::Certified if o.coverage.boxes > 0 => {
            // the methods that prove where the sides touch are named
            let touching: Vec<String> = o
                .coverage
                .methods
                .iter()
                .filter(|(m, _)| m.touching())
                .map(|(m, k)| format!("{k} {}", m.words()))
                .collect();
            format!(
                "holds on {} proven {} ({pts} points tested{})",
                o.coverage.boxes,
                if o.coverage.boxes == 1 {
                    "box"
                } else {
                    "boxes"
                },
                if touching.is_empty() {
                    String::new()
                } else {
                    format!("; {}", touching.join(", "))
                }
            )
        }
        Verdict::Certified => format!("holds at all {pts} points"),
        // sampled integer values, each with its real box proven
        Verdict::NoCounterexample if o.coverage.boxes > 0 => format!(
            "holds on {} proven {} at the sampled values ({pts} points tested)",
            o.coverage.boxes,
            if o.coverage.boxes == 1 {
                "box"
            } else {
                "boxes"
            }
        ),
        Verdict::NoCounterexample => format!("holds at {pts} sampled points"),
        Verdict::Refuted => {
            let cx = o.counterexample.as_ref();
            let at = cx.map_or_else(String::new, |cx| {
                let p = cx
                    .point
                    .iter()
                    .map(|(n, v)| format!("{n}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "fails at {}: lhs = {}, rhs = {}",
                    if p.is_empty() {
                        "the only point".into()
                    } else {
                        p
                    },
                    side_text(&cx.lhs),
                    side_text(&cx.rhs)
                )
            });
            format!("{at} ({} of {pts} tested points fail)", o.failures)
        }
        Verdict::Undecided => o.reason().unwrap_or_default(),
    };
    if let Some(t) = &o.threshold {
        s.push_str(&format!(
            "; threshold {} in [{}, {}]",
            t.param,
            approx(&t.lo, 10),
            approx(&t.hi, 10)
        ));
    }
    if let Some(b) = &o.best_constant {
        s.push_str(&format!(
            "; best {} in [{}, {}]",
            b.param,
            approx(&b.lo, 10),
            approx(&b.hi, 10)
        ));
    }
    if o.verdict != Verdict::Undecided
        && let Some(r) = &o.reason()
    {
        s.push_str("; ");
        s.push_str(r);
    }
    s
}

/// The terminal table of `check`, printable a row at a time (rows appear as claims are
/// decided): the id and source columns are as wide as the longest of the rows it will
/// print, the verdict column as wide as the longest verdict name.
pub struct Table {
    w: [usize; 3],
}

impl Table {
    /// A table for rows with these ids and sources.
    pub fn new<'a>(rows: impl IntoIterator<Item = (&'a str, &'a str)>) -> Table {
        let head = ["id", "source", "verdict"];
        let mut w = [head[0].len(), head[1].len(), "no-counterexample".len()];
        for (id, source) in rows {
            w[0] = w[0].max(id.chars().count());
            w[1] = w[1].max(source.chars().count());
        }
        Table { w }
    }

    fn line(&self, c: [&str; 4]) -> String {
        format!(
            "{:<w0$}  {:<w1$}  {:<w2$}  {}\n",
            c[0],
            c[1],
            c[2],
            c[3],
            w0 = self.w[0],
            w1 = self.w[1],
            w2 = self.w[2]
        )
    }

    /// The heading and its rule.
    pub fn head(&self) -> String {
        let mut out = self.line(["id", "source", "verdict", "evidence"]);
        out.push_str(&self.line([
            &"-".repeat(self.w[0]),
            &"-".repeat(self.w[1]),
            &"-".repeat(self.w[2]),
            "--------",
        ]));
        out
    }

    /// One outcome's row.
    pub fn row(&self, o: &Outcome) -> String {
        self.line([&o.id, &o.source, o.verdict.as_str(), &evidence(o)])
    }

    /// The closing count of verdicts.
    pub fn summary(outcomes: &[Outcome]) -> String {
        let count = |v: Verdict| outcomes.iter().filter(|o| o.verdict == v).count();
        format!(
            "\n{} relations: {} certified, {} refuted, {} no-counterexample, {} undecided\n",
            outcomes.len(),
            count(Verdict::Certified),
            count(Verdict::Refuted),
            count(Verdict::NoCounterexample),
            count(Verdict::Undecided)
        )
    }
}

/// The whole terminal table: id, source, verdict, evidence, then the count of verdicts.
pub fn table(outcomes: &[Outcome]) -> String {
    let t = Table::new(outcomes.iter().map(|o| (o.id.as_str(), o.source.as_str())));
    let mut out = t.head();
    for o in outcomes {
        out.push_str(&t.row(o));
    }
    out.push_str(&Table::summary(outcomes));
    out
}

/// `x` with `digits` significant digits: positional between 1e-3 and 1e6, else scientific.
fn sig(x: f64, digits: usize) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let e = x.abs().log10().floor() as i32;
    if (-3..6).contains(&e) {
        let decimals = (digits as i32 - 1 - e).max(0) as usize;
        format!("{x:.decimals$}")
    } else {
        format!("{x:.prec$e}", prec = digits - 1)
    }
}

fn stat_cells(s: &Option<crate::sgd::sim::Stat>) -> (String, String, String) {
    match s {
        Some(s) => (
            sig(s.mean, 6),
            sig(s.se, 3),
            format!("[{}, {}]", sig(s.lo, 6), sig(s.hi, 6)),
        ),
        None => ("-".into(), "-".into(), "-".into()),
    }
}

/// The terminal table of a Monte Carlo twin run: one row per checkpoint.
pub fn simulation_table(description: &str, s: &crate::sgd::sim::Summary) -> String {
    let mut out = format!(
        "{description}\n{} replicas, seed {}; distances are E||w_T - w'_T|| and E|f(w_T; z) - f(w'_T; z)| with standard errors and 95% confidence intervals of the mean (Student t)\n\n",
        s.replicas, s.seed
    );
    out += &format!(
        "{:>10} {:>10}  {:>13} {:>9} {:>29}  {:>13} {:>9}\n",
        "step", "T", "E||dw||", "se", "95% CI", "E|df|", "se"
    );
    for c in &s.checkpoints {
        let (m, se, ci) = stat_cells(&c.dist);
        let (pm, pse, _) = stat_cells(&c.probe);
        let left_out = if c.non_finite > 0 {
            format!(
                "  ({} of {} left out)",
                c.non_finite,
                c.non_finite + c.replicas
            )
        } else {
            String::new()
        };
        out += &format!(
            "{:>10} {:>10}  {m:>13} {se:>9} {ci:>29}  {pm:>13} {pse:>9}{left_out}\n",
            c.step, c.time
        );
    }
    if let Some(first) = s.non_finite.first() {
        out += &format!(
            "\nwarning: {} of {} replicas produced NaN or infinity (first: replica {} after step {}); from then on each checkpoint averages only the replicas still finite there (the mean is conditional on not overflowing) and says how many it left out\n",
            s.non_finite.len(),
            s.replicas,
            first.replica,
            first.step
        );
    }
    out
}

/// The CSV of a Monte Carlo twin run: one row per checkpoint (empty cells where some
/// replica was not finite).
pub fn simulation_csv(s: &crate::sgd::sim::Summary) -> String {
    let mut out = String::from(
        "step,time,replicas,non_finite,dist_mean,dist_sd,dist_se,dist_lo,dist_hi,probe_mean,probe_sd,probe_se,probe_lo,probe_hi\n",
    );
    let cells = |s: &Option<crate::sgd::sim::Stat>| match s {
        Some(s) => format!("{:e},{:e},{:e},{:e},{:e}", s.mean, s.sd, s.se, s.lo, s.hi),
        None => ",,,,".to_string(),
    };
    for c in &s.checkpoints {
        out += &format!(
            "{},{},{},{},{},{}\n",
            c.step,
            c.time,
            c.replicas,
            c.non_finite,
            cells(&c.dist),
            cells(&c.probe)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::{Coverage, Reason};

    fn outcome(verdict: Verdict, cx: Option<Counterexample>) -> Outcome {
        Outcome {
            id: "c".into(),
            source: "S".into(),
            relation: "a <= b".into(),
            file: "f".into(),
            verdict,
            coverage: Coverage {
                points: 10,
                boxes: 0,
                exhaustive: true,
                methods: Default::default(),
            },
            counterexample: cx,
            failures: 3,
            reasons: Vec::new(),
            threshold: None,
            best_constant: None,
            kernel: None,
            certificate: None,
            symbolic: false,
        }
    }

    #[test]
    fn symbolic_evidence_says_nothing_else_checked_it() {
        let mut o = outcome(Verdict::Certified, None);
        o.symbolic = true;
        o.reasons = vec![Reason::Symbolic("A/B is of order T/n".into())];
        let e = evidence(&o);
        assert!(e.starts_with("A/B is of order T/n ["), "{e}");
        assert!(
            e.contains("symbolic engine only") && e.contains("no Coq proof"),
            "{e}"
        );
    }

    #[test]
    fn json_sides_and_points() {
        let cx = Counterexample {
            point: vec![("n".into(), Rational::from(2))],
            lhs: Side::Exact(Rational::from((8, 15))),
            rhs: Side::Enclosure(Rational::from((1, 7)), Rational::from((1, 6))),
        };
        let v = outcome_json(&outcome(Verdict::Refuted, Some(cx)));
        assert_eq!(v["counterexample"]["point"]["n"], "2");
        assert_eq!(v["counterexample"]["lhs"]["lo"], "8/15");
        assert_eq!(v["counterexample"]["lhs"]["approx"], "0.533333");
        assert_eq!(v["counterexample"]["rhs"]["lo"], "1/7");
        assert_eq!(v["counterexample"]["rhs"]["hi"], "1/6");
        assert!(v["threshold"].is_null() && v["certificate"].is_null());
        let u = Counterexample {
            point: vec![],
            lhs: Side::Undefined("division by zero".into()),
            rhs: Side::Exact(Rational::new()),
        };
        let v = outcome_json(&outcome(Verdict::Refuted, Some(u)));
        assert!(v["counterexample"]["lhs"]["lo"].is_null());
        assert_eq!(v["counterexample"]["lhs"]["undefined"], "division by zero");
    }

    #[test]
    fn table_has_a_row_per_outcome_and_a_summary() {
        let t = table(&[
            outcome(Verdict::Certified, None),
            outcome(Verdict::Undecided, None),
        ]);
        assert_eq!(t.lines().filter(|l| l.starts_with("c ")).count(), 2);
        assert!(
            t.contains("2 relations: 1 certified, 0 refuted, 0 no-counterexample, 1 undecided")
        );
        assert!(evidence(&outcome(Verdict::Certified, None)).contains("all 10 points"));
    }
}
