//! The decision engine: sweeps a claim's domain and turns every relation of the claim into a
//! verdict with its coverage and evidence.
//!
//! This version decides with the exact engine: every point of a finite domain (fixed
//! values, sets, integer ranges) is enumerated in lexicographic order — earlier parameters
//! outer, smallest values first — so the first failing point found is the minimal
//! counterexample. Sampled ranges (`sample N`) are covered by log-spaced plus seeded random
//! points and yield at best `no-counterexample`. A point where a side is irrational, or where
//! the budget runs out, makes the claim `undecided` (unless another point refutes it); a
//! point where a side is undefined refutes the claim as written, and says so. Real-interval
//! parameters and the threshold/best-constant searches need the rigorous real-number engine
//! and are reported as `undecided` with that reason.
//!
//! A chain `E1 r1 E2 r2 E3` is decided as its steps `<id>.step<k>` (`E_k r_k E_{k+1}`) and as
//! its conclusion `<id>` (`E1 r E_last`, r the composition of the r_k), all from one sweep.

use crate::claims::{Body, Claim};
use crate::exact::{self, Budget, Env, ExactError};
use crate::expr::{DomainSpec, Expr, Rel};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rug::ops::Pow;
use rug::{Float, Integer, Rational};
use std::time::{Duration, Instant};

/// What a verdict promises (see DESIGN.md's verdict table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// holds at every point of the declared domain
    Certified,
    /// rigorously false at an exact point
    Refuted,
    /// the domain was sampled, and no sampled point fails
    NoCounterexample,
    /// some point could not be decided; the reason says which
    Undecided,
}

impl Verdict {
    /// The verdict's name in tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Certified => "certified",
            Verdict::Refuted => "refuted",
            Verdict::NoCounterexample => "no-counterexample",
            Verdict::Undecided => "undecided",
        }
    }
}

/// How much of the domain the verdict rests on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// points evaluated
    pub points: u64,
    /// real boxes proven (interval engine; 0 here)
    pub boxes: u64,
    /// whether every point of the domain was evaluated
    pub exhaustive: bool,
}

/// The value of one side at a point.
#[derive(Clone, Debug, PartialEq)]
pub enum Side {
    /// exact value
    Exact(Rational),
    /// the side has no value there (division by zero, …)
    Undefined(String),
}

/// A point where the relation fails, with both sides.
#[derive(Clone, Debug, PartialEq)]
pub struct Counterexample {
    /// parameter values in declaration order
    pub point: Vec<(String, Rational)>,
    /// left side there
    pub lhs: Side,
    /// right side there
    pub rhs: Side,
}

/// The decision about one relation (a `holds`, a chain's conclusion, or one chain step).
#[derive(Clone, Debug)]
pub struct Outcome {
    /// claim id, or `<id>.step<k>` for a chain step
    pub id: String,
    /// the paper's label
    pub source: String,
    /// the relation decided, printed in the expression language
    pub relation: String,
    /// file the claim came from
    pub file: String,
    /// the verdict
    pub verdict: Verdict,
    /// what it rests on
    pub coverage: Coverage,
    /// the minimal failing point, when refuted
    pub counterexample: Option<Counterexample>,
    /// how many evaluated points fail
    pub failures: u64,
    /// why the verdict is not stronger (undecided), or what else the reader must know
    pub reason: Option<String>,
}

/// Limits of one decision run.
#[derive(Clone, Debug)]
pub struct Options {
    /// most points swept per claim
    pub max_points: u64,
    /// wall-clock allowance per claim
    pub time_per_claim: Duration,
    /// limits of each exact evaluation (its deadline is set per claim)
    pub budget: Budget,
    /// seed of the named sampling generator (ChaCha8)
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_points: 2_000_000,
            time_per_claim: Duration::from_secs(60),
            budget: Budget::default(),
            seed: 0x5ab_ce27,
        }
    }
}

/// One relation to decide over the sweep: link `a` rel link `b`.
struct Check {
    id: String,
    a: usize,
    rel: Rel,
    b: usize,
    failures: u64,
    counterexample: Option<Counterexample>,
    undecided: Option<String>,
    undecided_points: u64,
}

/// Decides every relation of `claim` (one outcome for `holds`; the conclusion then each
/// step for a chain).
pub fn decide(claim: &Claim, opts: &Options) -> Vec<Outcome> {
    let (links, mut checks): (Vec<&Expr>, Vec<Check>) = match &claim.body {
        Body::Holds(r) => (
            vec![&r.lhs, &r.rhs],
            vec![check(claim.id.clone(), 0, r.rel, 1)],
        ),
        Body::Chain { exprs, rels } => {
            let mut cs = Vec::new();
            if let Some(comp) = rels.iter().try_fold(Rel::Eq, |a, r| a.compose(*r)) {
                cs.push(check(claim.id.clone(), 0, comp, exprs.len() - 1));
            }
            for (k, r) in rels.iter().enumerate() {
                cs.push(check(format!("{}.step{}", claim.id, k + 1), k, *r, k + 1));
            }
            (exprs.iter().collect(), cs)
        }
    };
    let finish = |checks: Vec<Check>, coverage: Coverage, stopped: Option<String>, note| {
        checks
            .into_iter()
            .map(|c| outcome(claim, c, &links, coverage.clone(), &stopped, &note))
            .collect()
    };

    if let Some(k) = &claim.best_constant {
        return finish(
            checks,
            Coverage::default(),
            Some(format!(
                "`holds` has the free constant `{k}`; the best-constant search needs the rigorous real-number engine, which this build does not have"
            )),
            None,
        );
    }
    if let Some(p) = claim
        .params
        .iter()
        .find(|p| matches!(p.domain, DomainSpec::Real { .. }))
    {
        return finish(
            checks,
            Coverage::default(),
            Some(format!(
                "parameter `{}` ranges over a real interval; deciding it needs the rigorous real-number engine (interval branch and bound), which this build does not have",
                p.name
            )),
            None,
        );
    }

    let mut budget = opts.budget.clone();
    let deadline = Instant::now() + opts.time_per_claim;
    budget.deadline = Some(deadline);
    let mut sweep = Sweep {
        claim,
        links: &links,
        checks: &mut checks,
        budget,
        opts,
        deadline,
        env: Env::new(),
        point: Vec::new(),
        points: 0,
        exhaustive: true,
        stopped: None,
    };
    sweep.run(0);
    let coverage = Coverage {
        points: sweep.points,
        boxes: 0,
        exhaustive: sweep.exhaustive && sweep.stopped.is_none(),
    };
    let stopped = sweep.stopped.take();
    let note = claim.threshold.as_ref().map(|t| {
        format!(
            "the threshold search on `{t}` needs the rigorous real-number engine, which this build does not have"
        )
    });
    finish(checks, coverage, stopped, note)
}

fn check(id: String, a: usize, rel: Rel, b: usize) -> Check {
    Check {
        id,
        a,
        rel,
        b,
        failures: 0,
        counterexample: None,
        undecided: None,
        undecided_points: 0,
    }
}

fn outcome(
    claim: &Claim,
    c: Check,
    links: &[&Expr],
    coverage: Coverage,
    stopped: &Option<String>,
    note: &Option<String>,
) -> Outcome {
    let verdict = if c.failures > 0 {
        Verdict::Refuted
    } else if c.undecided.is_some() || stopped.is_some() || coverage.points == 0 {
        Verdict::Undecided
    } else if coverage.exhaustive {
        Verdict::Certified
    } else {
        Verdict::NoCounterexample
    };
    let mut reasons: Vec<String> = Vec::new();
    if let Some(u) = &c.undecided {
        reasons.push(format!(
            "{u}{}",
            if c.undecided_points > 1 {
                format!(" ({} points undecided)", c.undecided_points)
            } else {
                String::new()
            }
        ));
    }
    reasons.extend(stopped.iter().cloned());
    reasons.extend(note.iter().cloned());
    if verdict == Verdict::Undecided && coverage.points == 0 && reasons.is_empty() {
        reasons.push("the domain has no points".into());
    }
    Outcome {
        id: c.id,
        source: claim.source.clone(),
        relation: format!("{} {} {}", links[c.a], c.rel, links[c.b]),
        file: claim.file.clone(),
        verdict,
        coverage,
        counterexample: c.counterexample,
        failures: c.failures,
        reason: if reasons.is_empty() {
            None
        } else {
            Some(reasons.join("; "))
        },
    }
}

struct Sweep<'a> {
    claim: &'a Claim,
    links: &'a [&'a Expr],
    checks: &'a mut Vec<Check>,
    budget: Budget,
    opts: &'a Options,
    deadline: Instant,
    env: Env,
    point: Vec<(String, Rational)>,
    points: u64,
    exhaustive: bool,
    stopped: Option<String>,
}

fn fmt_point(p: &[(String, Rational)]) -> String {
    p.iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Sweep<'_> {
    /// Enumerates parameter `i` (and all later ones) under the values bound so far.
    fn run(&mut self, i: usize) {
        if self.stopped.is_some() {
            return;
        }
        if i == self.claim.params.len() {
            self.evaluate_point();
            return;
        }
        let p = &self.claim.params[i];
        let values = match self.values(&p.domain, &p.name) {
            Ok(v) => v,
            Err(msg) => {
                // the domain itself cannot be enumerated here: every relation is undecided
                let msg = format!(
                    "the domain of `{}` at {}: {msg}",
                    p.name,
                    if self.point.is_empty() {
                        "the start".to_string()
                    } else {
                        fmt_point(&self.point)
                    }
                );
                self.stopped = Some(msg);
                return;
            }
        };
        for v in values {
            self.env.push(&p.name, v.clone());
            self.point.push((p.name.clone(), v));
            self.run(i + 1);
            self.point.pop();
            self.env.pop();
            if self.stopped.is_some() {
                return;
            }
        }
    }

    fn eval(&mut self, e: &Expr) -> Result<Rational, ExactError> {
        exact::eval(e, &mut self.env, &self.budget)
    }

    /// The values of one parameter under the current bindings, in ascending order.
    fn values(&mut self, d: &DomainSpec, name: &str) -> Result<Vec<Rational>, String> {
        let ev = |s: &mut Self, e: &Expr| s.eval(e).map_err(|e| e.to_string());
        match d {
            DomainSpec::Fixed(e) => Ok(vec![ev(self, e)?]),
            DomainSpec::Set(vs) => {
                let mut out = Vec::new();
                for v in vs {
                    out.push(ev(self, v)?);
                }
                out.sort();
                out.dedup();
                Ok(out)
            }
            DomainSpec::IntRange {
                lo,
                hi,
                inclusive,
                sample,
            } => {
                let lo = ev(self, lo)?;
                let hi = ev(self, hi)?;
                let lo_i = lo.ceil().numer().clone();
                let mut hi_i = hi.clone().floor().numer().clone();
                if !inclusive && hi.is_integer() {
                    hi_i -= 1;
                }
                if lo_i > hi_i {
                    return Ok(Vec::new());
                }
                let count = Integer::from(&hi_i - &lo_i) + 1;
                match sample {
                    Some(n) if count > *n => {
                        self.exhaustive = false;
                        Ok(self.sample(&lo_i, &hi_i, *n, name))
                    }
                    _ => {
                        let remaining = self.opts.max_points.saturating_sub(self.points);
                        if count > remaining {
                            return Err(format!(
                                "{count} values exceed the point budget ({} points per claim); add `sample N` to sample the range",
                                self.opts.max_points
                            ));
                        }
                        let mut out = Vec::new();
                        let mut k = lo_i;
                        while k <= hi_i {
                            out.push(Rational::from(k.clone()));
                            k += 1;
                        }
                        Ok(out)
                    }
                }
            }
            DomainSpec::Real { .. } => Err("real intervals need the interval engine".into()),
        }
    }

    /// `n` points of `[lo, hi]`: about half log-spaced offsets from `lo` (both ends
    /// included), the rest uniform from a ChaCha8 stream seeded by the run seed, the claim,
    /// the parameter and the values of the earlier parameters (so the sample does not depend
    /// on evaluation order or thread count).
    fn sample(&self, lo: &Integer, hi: &Integer, n: u64, name: &str) -> Vec<Rational> {
        let width = Integer::from(hi - lo); // >= n
        let mut pts: Vec<Integer> = vec![lo.clone(), hi.clone()];
        let m = (n / 2).max(2);
        let wf = Float::with_val(128, Integer::from(&width + 1u32));
        for k in 1..m - 1 {
            // lo + round((width+1)^(k/(m-1))) - 1
            let e = Float::with_val(128, k) / (m - 1);
            let v = Float::with_val(128, (&wf).pow(&e));
            let off = v.round().to_integer().unwrap_or_default() - 1u32;
            let off = off.clamp(&Integer::new(), &width);
            pts.push(lo + off);
        }
        let mut h = fnv(self.opts.seed.to_le_bytes().as_slice());
        h = fnv_more(h, self.claim.id.as_bytes());
        h = fnv_more(h, name.as_bytes());
        h = fnv_more(h, fmt_point(&self.point).as_bytes());
        let mut rng = ChaCha8Rng::seed_from_u64(h);
        let span = Integer::from(&width + 1u32);
        let words = span.significant_bits() / 64 + 2;
        for _ in pts.len() as u64..n {
            let mut r = Integer::new();
            for _ in 0..words {
                r <<= 64;
                r += rng.r#gen::<u64>();
            }
            r %= &span;
            pts.push(lo + r);
        }
        pts.sort();
        pts.dedup();
        pts.into_iter().map(Rational::from).collect()
    }

    fn evaluate_point(&mut self) {
        self.points += 1;
        if self.points > self.opts.max_points {
            self.stopped = Some(format!(
                "point budget of {} exhausted",
                self.opts.max_points
            ));
            self.points -= 1;
            return;
        }
        if self.points.is_multiple_of(256) && Instant::now() > self.deadline {
            self.stopped = Some(format!(
                "time budget of {:?} exhausted after {} points",
                self.opts.time_per_claim, self.points
            ));
            return;
        }
        let mark = self.env.len();
        // definitions, in order; a failing definition fails every link that uses it
        let mut let_err: Vec<(String, ExactError)> = Vec::new();
        for d in &self.claim.lets {
            if let_err.iter().any(|(n, _)| d.expr.mentions(n)) {
                let e = let_err
                    .iter()
                    .find(|(n, _)| d.expr.mentions(n))
                    .map(|(_, e)| e.clone())
                    .expect("found above");
                let_err.push((d.name.clone(), e));
                continue;
            }
            match self.eval(&d.expr) {
                Ok(v) => self.env.push(&d.name, v),
                Err(e) => let_err.push((d.name.clone(), e)),
            }
        }
        let links = self.links;
        let vals: Vec<Result<Rational, ExactError>> = links
            .iter()
            .map(|e| {
                if let Some((n, err)) = let_err.iter().find(|(n, _)| e.mentions(n)) {
                    return Err(prefix(err, &format!("in the definition of `{n}`: ")));
                }
                self.eval(e)
            })
            .collect();
        self.env.truncate(mark);
        for c in self.checks.iter_mut() {
            let (a, b) = (&vals[c.a], &vals[c.b]);
            match (a, b) {
                (Ok(x), Ok(y)) => {
                    if !c.rel.holds(x.cmp(y)) {
                        c.failures += 1;
                        if c.counterexample.is_none() {
                            c.counterexample = Some(Counterexample {
                                point: self.point.clone(),
                                lhs: Side::Exact(x.clone()),
                                rhs: Side::Exact(y.clone()),
                            });
                        }
                    }
                }
                _ => {
                    let undefined = |r: &Result<Rational, ExactError>| match r {
                        Err(ExactError::Undefined(m) | ExactError::NotInteger(m)) => {
                            Some(m.clone())
                        }
                        _ => None,
                    };
                    if undefined(a).is_some() || undefined(b).is_some() {
                        c.failures += 1;
                        if c.counterexample.is_none() {
                            let side = |r: &Result<Rational, ExactError>| match r {
                                Ok(v) => Side::Exact(v.clone()),
                                Err(e) => Side::Undefined(e.to_string()),
                            };
                            c.counterexample = Some(Counterexample {
                                point: self.point.clone(),
                                lhs: side(a),
                                rhs: side(b),
                            });
                        }
                    } else {
                        c.undecided_points += 1;
                        if c.undecided.is_none() {
                            let (side, e) = match (a, b) {
                                (Err(e), _) => ("lhs", e),
                                (_, Err(e)) => ("rhs", e),
                                _ => unreachable!("one side failed"),
                            };
                            c.undecided = Some(format!(
                                "at {}: the {side} has no exact value ({e}); deciding it needs the rigorous real-number engine",
                                fmt_point(&self.point)
                            ));
                        }
                    }
                }
            }
        }
    }
}

fn prefix(e: &ExactError, p: &str) -> ExactError {
    match e {
        ExactError::NotRational(m) => ExactError::NotRational(format!("{p}{m}")),
        ExactError::Undefined(m) => ExactError::Undefined(format!("{p}{m}")),
        ExactError::NotInteger(m) => ExactError::NotInteger(format!("{p}{m}")),
        ExactError::Budget(m) => ExactError::Budget(format!("{p}{m}")),
        ExactError::Unbound(m) => ExactError::Unbound(m.clone()),
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    fnv_more(0xcbf2_9ce4_8422_2325, bytes)
}

fn fnv_more(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::load_str;

    fn run(body: &str) -> Vec<Outcome> {
        let src = format!("[[claim]]\nid = \"c\"\nsource = \"S\"\ntext = \"t\"\n{body}\n");
        let cs = load_str("t.toml", &src).unwrap();
        decide(&cs[0], &Options::default())
    }

    #[test]
    fn certifies_a_true_finite_claim() {
        let o = run("params = [\"n in 1..=50\", \"r in 1..=n\"]\nholds = \"(n-r)/n <= (1-1/n)^r\"");
        assert_eq!(o[0].verdict, Verdict::Certified, "{:?}", o[0].reason);
        assert_eq!(o[0].coverage.points, 50 * 51 / 2);
        assert!(o[0].coverage.exhaustive);
    }

    #[test]
    fn refutes_with_the_lexicographically_smallest_point() {
        // 2^n <= n^2 fails for n = 3 (8 > 9? no: 8 <= 9), n = 1 (2 > 1): smallest n = 1
        let o = run("params = [\"n in 1..=10\"]\nholds = \"2^n <= n^2\"");
        assert_eq!(o[0].verdict, Verdict::Refuted);
        let cx = o[0].counterexample.as_ref().unwrap();
        assert_eq!(cx.point[0].1, 1);
        assert_eq!(cx.lhs, Side::Exact(Rational::from(2)));
        // fails at n = 1 and n = 5..=10 (2^n > n^2), holds at 2, 3 (8 <= 9), 4
        assert_eq!(o[0].failures, 7);
    }

    #[test]
    fn undefined_points_refute_and_irrational_ones_are_undecided() {
        let o = run("params = [\"n in 0..=3\"]\nholds = \"1/n <= 1\"");
        assert_eq!(o[0].verdict, Verdict::Refuted);
        assert!(matches!(
            o[0].counterexample.as_ref().unwrap().lhs,
            Side::Undefined(_)
        ));
        let o = run("params = [\"n in 1..=3\"]\nholds = \"n^(1/2) <= n\"");
        assert_eq!(o[0].verdict, Verdict::Undecided);
        assert!(
            o[0].reason.as_ref().unwrap().contains("n=2"),
            "{:?}",
            o[0].reason
        );
        let o = run("params = [\"a in (0, 1]\"]\nholds = \"a <= 1\"");
        assert_eq!(o[0].verdict, Verdict::Undecided);
        assert!(o[0].reason.as_ref().unwrap().contains("real interval"));
    }

    #[test]
    fn chains_give_conclusion_and_steps() {
        let o =
            run("params = [\"n in 1..=5\"]\nchain = [\"n\", \"<=\", \"n^2/3\", \"<=\", \"n^2\"]");
        assert_eq!(o.len(), 3);
        assert_eq!(o[0].id, "c");
        assert_eq!(o[0].verdict, Verdict::Certified);
        assert_eq!(o[1].id, "c.step1");
        assert_eq!(o[1].verdict, Verdict::Refuted);
        assert_eq!(o[2].id, "c.step2");
        assert_eq!(o[2].verdict, Verdict::Certified);
    }

    #[test]
    fn sampling_is_seeded_and_not_exhaustive() {
        let body = "params = [\"n in 1..=10^15 sample 40\"]\nholds = \"n >= 1\"";
        let a = run(body);
        let b = run(body);
        assert_eq!(a[0].verdict, Verdict::NoCounterexample);
        assert!(!a[0].coverage.exhaustive);
        assert!(a[0].coverage.points >= 30 && a[0].coverage.points <= 40);
        assert_eq!(a[0].coverage, b[0].coverage);
        // a sampled range small enough to enumerate is enumerated
        let c = run("params = [\"n in 1..=10 sample 40\"]\nholds = \"n >= 1\"");
        assert_eq!(c[0].verdict, Verdict::Certified);
    }

    #[test]
    fn dependent_empty_ranges_and_budgets() {
        let o = run("params = [\"n in 1..=3\", \"r in n+1..=3\"]\nholds = \"r > n\"");
        assert_eq!(o[0].verdict, Verdict::Certified);
        assert_eq!(o[0].coverage.points, 3);
        let o = run("params = [\"n in 1..=10^9\"]\nholds = \"n >= 1\"");
        assert_eq!(o[0].verdict, Verdict::Undecided);
        assert!(o[0].reason.as_ref().unwrap().contains("point budget"));
    }
}
