//! The decision engine: sweeps a claim's domain and turns every relation of the claim into a
//! verdict with its coverage and evidence, and runs the searches (`threshold`,
//! `best_constant`).
//!
//! - Integer, fixed and set parameters are enumerated in lexicographic order (earlier
//!   parameters outer, smallest values first), so the first failing point is the minimal
//!   counterexample; `sample N` ranges are covered by log-spaced plus seeded random points.
//! - At a point, both sides are first evaluated exactly; a side that is irrational (or too
//!   large for the exact budget) is enclosed by the interval engine at rising precision until
//!   the relation is decided. Two monomials in rational powers of rationals that intervals
//!   cannot separate are compared exactly by exponent clearing (`x^q` vs `y^q`).
//! - Real parameters are covered by branch and bound: a box is proven when interval
//!   evaluation over the whole box proves the relation; otherwise its simplest interior
//!   rational is tested as a candidate counterexample, and the box is split. A box still open
//!   at the budget makes the relation `undecided`, and the reason names it.
//! - Counterexamples are minimised: smallest integers first (enumeration order), and in real
//!   parameters the simplest rational (smallest denominator) of the largest interval around
//!   the first failure on which interval arithmetic proves the failure.
//! - A point where a side is undefined refutes the relation as written, and says so.
//!
//! A chain `E1 r1 E2 r2 E3` is decided as its steps `<id>.step<k>` and as its conclusion
//! `<id>` (`E1 r E_last`, r the composition of the r_k).

use crate::claims::{Body, Claim, Param};
use crate::exact::{self, Budget, Env, ExactError};
use crate::expr::{BinOp, DomainSpec, Expr, Rel};
use crate::real::{self, Arith, Interval, RealEnv, RealError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rug::ops::Pow;
use rug::{Float, Integer, Rational};
use std::cmp::Ordering;
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
    /// some point or box could not be decided; the reason says which
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
    /// points evaluated (integer points, and candidate points tested inside real boxes)
    pub points: u64,
    /// real boxes on which interval arithmetic proved the relation
    pub boxes: u64,
    /// whether the whole domain is covered (every integer point, every real box)
    pub exhaustive: bool,
}

/// The value of one side at a point.
#[derive(Clone, Debug, PartialEq)]
pub enum Side {
    /// exact value
    Exact(Rational),
    /// rigorous enclosure `[lo, hi]` (exact rational ends)
    Enclosure(Rational, Rational),
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

/// A rigorous bracket found by a search.
#[derive(Clone, Debug, PartialEq)]
pub struct Bracket {
    /// the searched parameter or constant
    pub param: String,
    /// lower end (exact)
    pub lo: Rational,
    /// upper end (exact)
    pub hi: Rational,
    /// the point where the relation fails at the failing end (the witness)
    pub witness: Vec<(String, Rational)>,
    /// what the bracket means, in words
    pub meaning: String,
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
    /// `threshold` search result
    pub threshold: Option<Bracket>,
    /// `best_constant` search result
    pub best_constant: Option<Bracket>,
    /// what the independent kernel re-checked (filled by the caller)
    pub kernel: Option<String>,
    /// the path of the Coq script that proves the verdict (filled by the caller)
    pub certificate: Option<String>,
    /// decided by the symbolic engine (a `[[symbolic]]` table): the reason is the evidence
    pub symbolic: bool,
}

/// Limits of one decision run.
#[derive(Clone, Debug)]
pub struct Options {
    /// most points swept per claim
    pub max_points: u64,
    /// most boxes examined per relation and integer point
    pub max_boxes: u64,
    /// wall-clock allowance per claim (searches get it once more per step, bounded below)
    pub time_per_claim: Duration,
    /// limits of each exact evaluation (its deadline is set per claim)
    pub budget: Budget,
    /// seed of the named sampling generator (ChaCha8)
    pub seed: u64,
    /// starting and largest precision (bits) of interval evaluation at a point
    pub prec: (u32, u32),
    /// relative width at which a search bracket is accepted
    pub search_rel_width: Rational,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_points: 2_000_000,
            max_boxes: 4_000,
            time_per_claim: Duration::from_secs(60),
            budget: Budget::default(),
            seed: 0x5ab_ce27,
            prec: (64, 4096),
            search_rel_width: Rational::from((1, 1_000_000_000)),
        }
    }
}

/// One relation to decide over the sweep: link `a` rel link `b`.
#[derive(Clone, Debug)]
struct Check {
    id: String,
    a: usize,
    rel: Rel,
    b: usize,
}

/// What the sweep found for one relation.
#[derive(Clone, Debug, Default)]
struct Tally {
    failures: u64,
    counterexample: Option<Counterexample>,
    undecided: Option<String>,
    undecided_count: u64,
    boxes: u64,
    /// an equality over real parameters, checked at sample points only
    sampled: bool,
}

/// What a sweep found, for every relation of the claim.
#[derive(Clone, Debug)]
struct SweepResult {
    tallies: Vec<Tally>,
    points: u64,
    exhaustive: bool,
    stopped: Option<String>,
}

/// The relations a claim decides, as (outcome id, lhs, relation, rhs): one for `holds`, the
/// conclusion then each step for a chain (what the kernel re-checks).
pub fn relations(claim: &Claim) -> Vec<(String, Expr, Rel, Expr)> {
    let (links, checks) = plan(claim);
    checks
        .into_iter()
        .map(|c| (c.id, links[c.a].clone(), c.rel, links[c.b].clone()))
        .collect()
}

fn plan(claim: &Claim) -> (Vec<Expr>, Vec<Check>) {
    match &claim.body {
        Body::Holds(r) => (
            vec![r.lhs.clone(), r.rhs.clone()],
            vec![Check {
                id: claim.id.clone(),
                a: 0,
                rel: r.rel,
                b: 1,
            }],
        ),
        Body::Chain { exprs, rels } => {
            let mut cs = Vec::new();
            if let Some(comp) = rels.iter().try_fold(Rel::Eq, |a, r| a.compose(*r)) {
                cs.push(Check {
                    id: claim.id.clone(),
                    a: 0,
                    rel: comp,
                    b: exprs.len() - 1,
                });
            }
            for (k, r) in rels.iter().enumerate() {
                cs.push(Check {
                    id: format!("{}.step{}", claim.id, k + 1),
                    a: k,
                    rel: *r,
                    b: k + 1,
                });
            }
            (exprs.clone(), cs)
        }
        Body::Symbolic(_) => (Vec::new(), Vec::new()),
    }
}

/// Decides every relation of `claim` (one outcome for `holds`; the conclusion then each
/// step for a chain), and runs its searches.
pub fn decide(claim: &Claim, opts: &Options) -> Vec<Outcome> {
    if let Body::Symbolic(spec) = &claim.body {
        return vec![crate::symbolic::decide_claim(claim, spec)];
    }
    let (links, checks) = plan(claim);
    let deadline = Instant::now() + opts.time_per_claim;
    if let Some(k) = &claim.best_constant {
        return vec![best_constant(claim, k, &links, &checks[0], opts, deadline)];
    }
    let res = sweep(claim, &links, &checks, opts, deadline);
    let mut outs = outcomes(claim, &links, &checks, &res);
    if let Some(t) = &claim.threshold {
        // every relation of a chain gets its own threshold: a step can start to fail
        // where the conclusion still holds
        for (k, check) in checks.iter().enumerate() {
            let (bracket, note) = threshold(claim, t, &links, check, opts, deadline);
            outs[k].threshold = bracket;
            if let Some(n) = note {
                append_reason(&mut outs[k], n);
            }
        }
    }
    outs
}

fn append_reason(o: &mut Outcome, note: String) {
    o.reason = Some(match o.reason.take() {
        Some(r) => format!("{r}; {note}"),
        None => note,
    });
}

fn outcomes(claim: &Claim, links: &[Expr], checks: &[Check], res: &SweepResult) -> Vec<Outcome> {
    checks
        .iter()
        .zip(&res.tallies)
        .map(|(c, t)| {
            let verdict = if t.failures > 0 {
                Verdict::Refuted
            } else if t.undecided.is_some() || res.stopped.is_some() || res.points + t.boxes == 0 {
                Verdict::Undecided
            } else if res.exhaustive && !t.sampled {
                Verdict::Certified
            } else {
                Verdict::NoCounterexample
            };
            let mut reasons: Vec<String> = Vec::new();
            if let Some(u) = &t.undecided {
                reasons.push(if t.undecided_count > 1 {
                    format!(
                        "{u} (and {} more undecided points or boxes)",
                        t.undecided_count - 1
                    )
                } else {
                    u.clone()
                });
            }
            reasons.extend(res.stopped.iter().cloned());
            if verdict == Verdict::Undecided && reasons.is_empty() {
                reasons.push("the domain has no points".into());
            }
            Outcome {
                id: c.id.clone(),
                source: claim.source.clone(),
                relation: format!("{} {} {}", links[c.a], c.rel, links[c.b]),
                file: claim.file.clone(),
                verdict,
                coverage: Coverage {
                    points: res.points,
                    boxes: t.boxes,
                    exhaustive: res.exhaustive && res.stopped.is_none() && !t.sampled,
                },
                counterexample: t.counterexample.clone(),
                failures: t.failures,
                reason: if reasons.is_empty() {
                    None
                } else {
                    Some(reasons.join("; "))
                },
                threshold: None,
                best_constant: None,
                kernel: None,
                certificate: None,
                symbolic: false,
            }
        })
        .collect()
}

// ------------------------------------------------------------------ the sweep

fn fmt_point(p: &[(String, Rational)]) -> String {
    p.iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A real parameter's interval at the current integer point.
#[derive(Clone, Debug)]
struct RealDim {
    name: String,
    lo: Rational,
    lo_closed: bool,
    hi: Rational,
    hi_closed: bool,
}

struct Sweep<'a> {
    claim: &'a Claim,
    links: &'a [Expr],
    checks: &'a [Check],
    tallies: Vec<Tally>,
    budget: Budget,
    opts: &'a Options,
    deadline: Instant,
    env: Env,
    point: Vec<(String, Rational)>,
    points: u64,
    exhaustive: bool,
    stopped: Option<String>,
    /// indices of the enumerated (integer, set, fixed) parameters, in declaration order
    nonreal: Vec<usize>,
    /// indices of the real-interval parameters, in declaration order
    reals: Vec<usize>,
    /// when set, each enumerated point is handed to this visitor instead of being decided
    /// (it returns false to stop the sweep)
    visitor: Option<&'a mut PointVisitor<'a>>,
}

fn sweep(
    claim: &Claim,
    links: &[Expr],
    checks: &[Check],
    opts: &Options,
    deadline: Instant,
) -> SweepResult {
    let is_real = |p: &Param| matches!(p.domain, DomainSpec::Real { .. });
    let (reals, nonreal): (Vec<usize>, Vec<usize>) =
        (0..claim.params.len()).partition(|&i| is_real(&claim.params[i]));
    let mut sw = Sweep::new(claim, links, checks, opts, deadline, nonreal, reals);
    let real_names: Vec<&str> = sw
        .reals
        .iter()
        .map(|&i| claim.params[i].name.as_str())
        .collect();
    for p in &claim.params {
        let bounds: Vec<&Expr> = match &p.domain {
            DomainSpec::Fixed(e) => vec![e],
            DomainSpec::Set(v) => v.iter().collect(),
            DomainSpec::IntRange { lo, hi, .. } | DomainSpec::Real { lo, hi, .. } => vec![lo, hi],
        };
        if let Some(r) = real_names
            .iter()
            .find(|r| bounds.iter().any(|b| b.mentions(r)))
        {
            sw.stopped = Some(format!(
                "the domain of `{}` depends on the real parameter `{r}`: real parameters must span a box (branch and bound) and integer parameters are enumerated first",
                p.name
            ));
        }
    }
    if sw.stopped.is_none() {
        sw.run(0);
    }
    SweepResult {
        tallies: sw.tallies,
        points: sw.points,
        exhaustive: sw.exhaustive,
        stopped: sw.stopped,
    }
}

/// A callback over enumerated points (false stops the sweep).
type PointVisitor<'v> = dyn FnMut(&[(String, Rational)]) -> bool + 'v;

/// Enumerates the points of a claim without real parameters, handing each to `visit`.
/// Returns (points, exhaustive, why it stopped early).
fn enumerate_points(
    claim: &Claim,
    opts: &Options,
    deadline: Instant,
    visit: &mut PointVisitor<'_>,
) -> (u64, bool, Option<String>) {
    let nonreal: Vec<usize> = (0..claim.params.len()).collect();
    let mut sw = Sweep::new(claim, &[], &[], opts, deadline, nonreal, Vec::new());
    sw.visitor = Some(visit);
    sw.run(0);
    (sw.points, sw.exhaustive, sw.stopped)
}

impl<'a> Sweep<'a> {
    /// A sweep at its start: no point visited, the per-claim deadline in the budget.
    fn new(
        claim: &'a Claim,
        links: &'a [Expr],
        checks: &'a [Check],
        opts: &'a Options,
        deadline: Instant,
        nonreal: Vec<usize>,
        reals: Vec<usize>,
    ) -> Self {
        let mut budget = opts.budget.clone();
        budget.deadline = Some(deadline);
        Sweep {
            claim,
            links,
            checks,
            tallies: vec![Tally::default(); checks.len()],
            budget,
            opts,
            deadline,
            env: Env::new(),
            point: Vec::new(),
            points: 0,
            exhaustive: true,
            stopped: None,
            nonreal,
            reals,
            visitor: None,
        }
    }
}

impl Sweep<'_> {
    fn run(&mut self, i: usize) {
        if self.stopped.is_some() {
            return;
        }
        if i == self.nonreal.len() {
            if let Some(v) = self.visitor.as_mut() {
                self.points += 1;
                if self.points > self.opts.max_points || Instant::now() > self.deadline {
                    self.stopped = Some("point or time budget exhausted".into());
                } else if !v(&self.point) {
                    self.stopped = Some("stopped by the visitor".into());
                }
                return;
            }
            if self.reals.is_empty() {
                self.point_decide();
            } else {
                self.boxes_decide();
            }
            return;
        }
        let p = &self.claim.params[self.nonreal[i]];
        let values = match self.values(&p.domain, &p.name) {
            Ok(v) => v,
            Err(msg) => {
                self.stopped = Some(format!(
                    "the domain of `{}` at {}: {msg}",
                    p.name,
                    if self.point.is_empty() {
                        "the start".to_string()
                    } else {
                        fmt_point(&self.point)
                    }
                ));
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

    fn exact(&mut self, e: &Expr) -> Result<Rational, ExactError> {
        exact::eval(e, &mut self.env, &self.budget)
    }

    /// The values of one parameter under the current bindings, in ascending order.
    fn values(&mut self, d: &DomainSpec, name: &str) -> Result<Vec<Rational>, String> {
        let ev = |s: &mut Self, e: &Expr| s.exact(e).map_err(|e| e.to_string());
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
            DomainSpec::Real { .. } => Err("a real interval cannot be enumerated".into()),
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

    fn count_point(&mut self) -> bool {
        self.points += 1;
        if self.points > self.opts.max_points {
            self.points -= 1;
            self.stopped = Some(format!(
                "point budget of {} exhausted",
                self.opts.max_points
            ));
            return false;
        }
        if self.points.is_multiple_of(64) && Instant::now() > self.deadline {
            self.stopped = Some(format!(
                "time budget of {:?} exhausted after {} points",
                self.opts.time_per_claim, self.points
            ));
            return false;
        }
        true
    }

    /// Decides every relation at the current point (all parameters bound to rationals).
    fn point_decide(&mut self) {
        if !self.count_point() {
            return;
        }
        let pe = PointEval::new(self.claim, self.links, &self.point, &self.budget, self.opts);
        let results = pe.decide_checks(self.checks);
        for (k, r) in results.into_iter().enumerate() {
            record(&mut self.tallies[k], &self.point, r);
        }
    }

    /// Branch and bound over the real parameters at the current integer point.
    fn boxes_decide(&mut self) {
        let mut dims = Vec::new();
        for i in self.reals.clone() {
            let p = &self.claim.params[i];
            let DomainSpec::Real {
                lo,
                lo_closed,
                hi,
                hi_closed,
            } = &p.domain
            else {
                unreachable!("checked in sweep()")
            };
            let (l, h) = match (self.exact(lo), self.exact(hi)) {
                (Ok(l), Ok(h)) => (l, h),
                (Err(e), _) | (_, Err(e)) => {
                    self.stopped = Some(format!(
                        "the interval of `{}` at {}: its ends must be rational ({e})",
                        p.name,
                        fmt_point(&self.point)
                    ));
                    return;
                }
            };
            if l > h || (l == h && !(*lo_closed && *hi_closed)) {
                return; // empty at this point: nothing to decide
            }
            dims.push(RealDim {
                name: p.name.clone(),
                lo: l,
                lo_closed: *lo_closed,
                hi: h,
                hi_closed: *hi_closed,
            });
        }
        for k in 0..self.checks.len() {
            if self.tallies[k].failures > 0 {
                // already refuted at a smaller integer point: keep the minimal counterexample
                continue;
            }
            if self.checks[k].rel == Rel::Eq {
                // interval arithmetic never proves an equality on a box: test it exactly (or
                // rigorously) at sample points instead, and say that it was sampled
                self.sample_equality(k, &dims);
                continue;
            }
            // once a relation has an open box its verdict is at best `undecided`; later
            // integer points then get a small box budget, enough to find a counterexample
            // (which would still refute it) without re-exhausting the full budget each time
            let max_boxes = if self.tallies[k].undecided.is_some() {
                (self.opts.max_boxes / 32).max(16)
            } else {
                self.opts.max_boxes
            };
            let bb = BranchAndBound {
                claim: self.claim,
                links: self.links,
                check: &self.checks[k],
                fixed: &self.point,
                budget: &self.budget,
                opts: self.opts,
                deadline: self.deadline,
                max_boxes,
            };
            let r = bb.run(&dims);
            self.points += r.points;
            let t = &mut self.tallies[k];
            t.boxes += r.proven;
            if let Some(cx) = r.counterexample {
                t.failures += 1;
                t.counterexample = Some(cx);
            } else if let Some(u) = r.open {
                t.undecided_count += 1;
                t.undecided.get_or_insert(u);
            }
        }
    }
}

impl Sweep<'_> {
    /// An equality over real parameters at the simplest rationals of a 2^4-grid of the box
    /// (per dimension, up to 64 points in all).
    fn sample_equality(&mut self, k: usize, dims: &[RealDim]) {
        let per_dim = match dims.len() {
            1 => 17,
            2 => 8,
            _ => 4,
        };
        let mut grids: Vec<Vec<Rational>> = Vec::new();
        for d in dims {
            let w = Rational::from(&d.hi - &d.lo);
            let mut g = Vec::new();
            for i in 0..per_dim {
                let a = &d.lo + &w * Rational::from((i, per_dim));
                let b = &d.lo + &w * Rational::from((i + 1, per_dim));
                let a_in = i > 0 || d.lo_closed;
                let b_in = i + 1 < per_dim || d.hi_closed;
                g.push(simplest_in(&a, a_in, &b, b_in));
            }
            // simplest first (smallest denominator, then smallest size): the first failure
            // found is then the simplest sampled one
            g.sort_by(|x, y| {
                x.denom()
                    .cmp(y.denom())
                    .then(x.clone().abs().cmp(&y.clone().abs()))
            });
            g.dedup();
            grids.push(g);
        }
        let mut idx = vec![0usize; dims.len()];
        self.tallies[k].sampled = true;
        loop {
            let mut point = self.point.clone();
            for (d, (g, i)) in dims.iter().zip(grids.iter().zip(&idx)) {
                point.push((d.name.clone(), g[*i].clone()));
            }
            self.points += 1;
            let mut opts = self.opts.clone();
            opts.prec.1 = opts.prec.1.min(BOX_POINT_MAX_PREC);
            let pe = PointEval::new(self.claim, self.links, &point, &self.budget, &opts);
            let v = pe
                .decide_checks(std::slice::from_ref(&self.checks[k]))
                .remove(0);
            let failed = matches!(v, PointVerdict::Fails(..));
            record(&mut self.tallies[k], &point, v);
            if failed || Instant::now() > self.deadline {
                return;
            }
            // next grid point (odometer)
            let mut j = 0;
            loop {
                if j == idx.len() {
                    return;
                }
                idx[j] += 1;
                if idx[j] < grids[j].len() {
                    break;
                }
                idx[j] = 0;
                j += 1;
            }
        }
    }
}

/// The outcome of one relation at one exact point.
#[derive(Clone, Debug)]
enum PointVerdict {
    Holds,
    Fails(Side, Side),
    Unknown(String),
}

fn record(t: &mut Tally, point: &[(String, Rational)], r: PointVerdict) {
    match r {
        PointVerdict::Holds => {}
        PointVerdict::Fails(lhs, rhs) => {
            t.failures += 1;
            if t.counterexample.is_none() {
                t.counterexample = Some(Counterexample {
                    point: point.to_vec(),
                    lhs,
                    rhs,
                });
            }
        }
        PointVerdict::Unknown(why) => {
            t.undecided_count += 1;
            if t.undecided.is_none() {
                t.undecided = Some(format!("at {}: {why}", fmt_point(point)));
            }
        }
    }
}

// ------------------------------------------------------------------ decisions at a point

/// A link's value at an exact point.
#[derive(Clone, Debug)]
enum LinkVal {
    Exact(Rational),
    Undefined(String),
    /// not rational (or too large for the exact budget): needs intervals
    Inexact(String),
}

/// Evaluates links of a claim at one exact point: exactly where possible, otherwise by
/// intervals at rising precision.
struct PointEval<'a> {
    lets: &'a [crate::claims::Def],
    guards: &'a [(String, crate::expr::Relation)],
    links: &'a [Expr],
    point: &'a [(String, Rational)],
    budget: &'a Budget,
    opts: &'a Options,
}

fn undefined_msg(e: &ExactError) -> Option<String> {
    match e {
        ExactError::Undefined(m) | ExactError::NotInteger(m) => Some(m.clone()),
        _ => None,
    }
}

impl<'a> PointEval<'a> {
    fn new(
        claim: &'a Claim,
        links: &'a [Expr],
        point: &'a [(String, Rational)],
        budget: &'a Budget,
        opts: &'a Options,
    ) -> Self {
        PointEval {
            lets: &claim.lets,
            guards: &claim.guards,
            links,
            point,
            budget,
            opts,
        }
    }

    /// Exact values of the links that need them (`None` for links not needed).
    fn exact_links(&self, needed: &[bool]) -> Vec<Option<LinkVal>> {
        let mut env = Env::new();
        for (n, v) in self.point {
            env.push(n, v.clone());
        }
        let mut let_err: Vec<(String, LinkVal)> = Vec::new();
        for d in self.lets {
            if let Some((_, e)) = let_err.iter().find(|(n, _)| d.expr.mentions(n)) {
                let e = e.clone();
                let_err.push((d.name.clone(), e));
                continue;
            }
            match exact::eval(&d.expr, &mut env, self.budget) {
                Ok(v) => env.push(&d.name, v),
                Err(e) => {
                    let lv = match undefined_msg(&e) {
                        Some(m) => LinkVal::Undefined(format!("in `{}`: {m}", d.name)),
                        None => LinkVal::Inexact(format!("`{}`: {e}", d.name)),
                    };
                    let_err.push((d.name.clone(), lv));
                }
            }
        }
        self.links
            .iter()
            .zip(needed)
            .map(|(e, need)| {
                if !need {
                    return None;
                }
                if let Some((_, lv)) = let_err.iter().find(|(n, _)| e.mentions(n)) {
                    // an undefined definition makes the link undefined; an inexact one
                    // leaves it to intervals
                    return Some(lv.clone());
                }
                Some(match exact::eval(e, &mut env, self.budget) {
                    Ok(v) => LinkVal::Exact(v),
                    Err(err) => match undefined_msg(&err) {
                        Some(m) => LinkVal::Undefined(m),
                        None => LinkVal::Inexact(err.to_string()),
                    },
                })
            })
            .collect()
    }

    /// The definitions and the links with every rational part replaced by its exact value
    /// at this point ([`exact::fold_exact`]), for interval evaluation.
    fn folded(&self, needed: &[bool]) -> (Vec<(String, Expr)>, Vec<Expr>) {
        let mut env = Env::new();
        for (n, v) in self.point {
            env.push(n, v.clone());
        }
        let mut lets = Vec::with_capacity(self.lets.len());
        for d in self.lets {
            let f = exact::fold_exact(&d.expr, &mut env, self.budget);
            if let Expr::Num(v) = &f {
                env.push(&d.name, v.clone());
            }
            lets.push((d.name.clone(), f));
        }
        let links = self
            .links
            .iter()
            .zip(needed)
            .map(|(e, need)| {
                if *need {
                    exact::fold_exact(e, &mut env, self.budget)
                } else {
                    e.clone()
                }
            })
            .collect();
        (lets, links)
    }

    /// Interval values of the links that need them, at `prec` bits.
    fn interval_links(
        &self,
        needed: &[bool],
        prec: u32,
        folded: &(Vec<(String, Expr)>, Vec<Expr>),
    ) -> Vec<Option<Result<Interval, RealError>>> {
        let mut env = RealEnv::new();
        for (n, v) in self.point {
            env.push_exact(n, v, prec);
        }
        let ar = Arith { prec };
        let mut let_err: Vec<(String, RealError)> = Vec::new();
        for (name, expr) in &folded.0 {
            if let Some((_, e)) = let_err.iter().find(|(n, _)| expr.mentions(n)) {
                let e = e.clone();
                let_err.push((name.clone(), e));
                continue;
            }
            match real::eval(expr, &mut env, ar, self.budget) {
                Ok(iv) => env.push(name, iv),
                Err(e) => let_err.push((name.clone(), e)),
            }
        }
        folded
            .1
            .iter()
            .zip(needed)
            .map(|(e, need)| {
                if !need {
                    return None;
                }
                if let Some((n, err)) = let_err.iter().find(|(n, _)| e.mentions(n)) {
                    return Some(Err(match err {
                        RealError::Undefined(m) => RealError::Undefined(format!("in `{n}`: {m}")),
                        other => other.clone(),
                    }));
                }
                Some(real::eval(e, &mut env, ar, self.budget))
            })
            .collect()
    }

    /// Decides each check at this point, once the claim's guards hold here.
    fn decide_checks(&self, checks: &[Check]) -> Vec<PointVerdict> {
        if let Some(why) = self.guard_failure() {
            return checks
                .iter()
                .map(|_| PointVerdict::Unknown(why.clone()))
                .collect();
        }
        self.decide_unguarded(checks)
    }

    /// Why the derived quantities do not apply at this point, if they do not.
    fn guard_failure(&self) -> Option<String> {
        for (text, r) in self.guards {
            let links = [r.lhs.clone(), r.rhs.clone()];
            let check = Check {
                id: String::new(),
                a: 0,
                rel: r.rel,
                b: 1,
            };
            let pe = PointEval {
                lets: &[],
                guards: &[],
                links: &links,
                point: self.point,
                budget: self.budget,
                opts: self.opts,
            };
            match pe.decide_unguarded(std::slice::from_ref(&check)).remove(0) {
                PointVerdict::Holds => {}
                PointVerdict::Fails(..) => {
                    return Some(format!(
                        "the construction's closed forms need that {text}, which fails here"
                    ));
                }
                PointVerdict::Unknown(w) => {
                    return Some(format!(
                        "the construction's condition that {text} could not be checked ({w})"
                    ));
                }
            }
        }
        None
    }

    fn decide_unguarded(&self, checks: &[Check]) -> Vec<PointVerdict> {
        let mut needed = vec![false; self.links.len()];
        for c in checks {
            needed[c.a] = true;
            needed[c.b] = true;
        }
        let ex = self.exact_links(&needed);
        let mut out: Vec<Option<PointVerdict>> = vec![None; checks.len()];
        let mut pending = vec![false; self.links.len()];
        for (k, c) in checks.iter().enumerate() {
            let (a, b) = (
                ex[c.a].as_ref().expect("needed"),
                ex[c.b].as_ref().expect("needed"),
            );
            out[k] = match (a, b) {
                (LinkVal::Exact(x), LinkVal::Exact(y)) => Some(if c.rel.holds(x.cmp(y)) {
                    PointVerdict::Holds
                } else {
                    PointVerdict::Fails(Side::Exact(x.clone()), Side::Exact(y.clone()))
                }),
                (LinkVal::Undefined(_), _) | (_, LinkVal::Undefined(_)) => {
                    let side = |v: &LinkVal| match v {
                        LinkVal::Exact(x) => Side::Exact(x.clone()),
                        LinkVal::Undefined(m) => Side::Undefined(m.clone()),
                        LinkVal::Inexact(m) => Side::Undefined(format!("not evaluated: {m}")),
                    };
                    Some(PointVerdict::Fails(side(a), side(b)))
                }
                _ => {
                    pending[c.a] = true;
                    pending[c.b] = true;
                    None
                }
            };
        }
        if out.iter().all(Option::is_some) {
            return out.into_iter().map(|o| o.expect("all decided")).collect();
        }
        // intervals at rising precision for the rest
        let mut prec = self.opts.prec.0;
        let folded = self.folded(&pending);
        let last = loop {
            let iv = self.interval_links(&pending, prec, &folded);
            for (k, c) in checks.iter().enumerate() {
                if out[k].is_some() {
                    continue;
                }
                let a = enclosure_of(&ex[c.a], &iv[c.a], prec);
                let b = enclosure_of(&ex[c.b], &iv[c.b], prec);
                out[k] = match (&a, &b) {
                    (Err(RealError::Undefined(m)), _) => {
                        Some(PointVerdict::Fails(Side::Undefined(m.clone()), side_of(&b)))
                    }
                    (_, Err(RealError::Undefined(m))) => {
                        Some(PointVerdict::Fails(side_of(&a), Side::Undefined(m.clone())))
                    }
                    (Err(RealError::Budget(m)), _) | (_, Err(RealError::Budget(m))) => {
                        Some(PointVerdict::Unknown(m.clone()))
                    }
                    (Ok(x), Ok(y)) => decide_intervals(c.rel, x, y).map(|holds| {
                        if holds {
                            PointVerdict::Holds
                        } else {
                            PointVerdict::Fails(side_iv(x), side_iv(y))
                        }
                    }),
                    _ => None,
                };
            }
            if out.iter().all(Option::is_some) || prec >= self.opts.prec.1 {
                break iv;
            }
            prec = (prec * 2).min(self.opts.prec.1);
        };
        // still open: exact comparison of monomials in rational powers, else undecided
        checks
            .iter()
            .enumerate()
            .map(|(k, c)| {
                if let Some(v) = out[k].take() {
                    return v;
                }
                if let Some(ord) = self.monomial_cmp(&self.links[c.a], &self.links[c.b]) {
                    return if c.rel.holds(ord) {
                        PointVerdict::Holds
                    } else {
                        let a = enclosure_of(&ex[c.a], &last[c.a], prec);
                        let b = enclosure_of(&ex[c.b], &last[c.b], prec);
                        PointVerdict::Fails(side_of(&a), side_of(&b))
                    };
                }
                let a = enclosure_of(&ex[c.a], &last[c.a], prec);
                let b = enclosure_of(&ex[c.b], &last[c.b], prec);
                PointVerdict::Unknown(match (&a, &b) {
                    (Ok(x), Ok(y)) => format!(
                        "lhs in [{}, {}] and rhs in [{}, {}] are not separated at {prec} bits (they may be equal)",
                        approx_f(&x.lo),
                        approx_f(&x.hi),
                        approx_f(&y.lo),
                        approx_f(&y.hi)
                    ),
                    (Err(e), _) | (_, Err(e)) => format!("{e} (at {prec} bits)"),
                })
            })
            .collect()
    }

    /// For sides that are products of rationals and rational powers of positive rationals,
    /// the exact order: `x <=> y` iff `(x/y)^q <=> 1` with q the common denominator.
    fn monomial_cmp(&self, a: &Expr, b: &Expr) -> Option<Ordering> {
        let mut env = Env::new();
        for (n, v) in self.point {
            env.push(n, v.clone());
        }
        // definitions must be inlined to be seen as monomials; only exact ones qualify
        for d in self.lets {
            if let Ok(v) = exact::eval(&d.expr, &mut env, self.budget) {
                env.push(&d.name, v);
            }
        }
        let ma = monomial(a, &mut env, self.budget)?;
        let mb = monomial(b, &mut env, self.budget)?;
        compare_monomials(&ma, &mb, self.budget)
    }
}

fn approx_f(f: &Float) -> String {
    match f.to_rational() {
        Some(q) => exact::approx(&q, 8),
        None => f.to_string(),
    }
}

/// The enclosure of a link: its exact value when it has one, else its interval.
fn enclosure_of(
    ex: &Option<LinkVal>,
    iv: &Option<Result<Interval, RealError>>,
    prec: u32,
) -> Result<Interval, RealError> {
    match ex {
        Some(LinkVal::Exact(v)) => Ok(Interval::from_rational(v, prec)),
        Some(LinkVal::Undefined(m)) => Err(RealError::Undefined(m.clone())),
        _ => iv
            .clone()
            .unwrap_or_else(|| Err(RealError::MaybeUndefined("not evaluated".into()))),
    }
}

fn side_iv(iv: &Interval) -> Side {
    match iv.to_rational_bounds() {
        (Some(l), Some(h)) if l == h => Side::Exact(l),
        (Some(l), Some(h)) => Side::Enclosure(l, h),
        _ => Side::Undefined("unbounded enclosure".into()),
    }
}

fn side_of(r: &Result<Interval, RealError>) -> Side {
    match r {
        Ok(iv) => side_iv(iv),
        Err(e) => Side::Undefined(e.to_string()),
    }
}

/// `Some(true)` when `x rel y` holds for every pair of values of the enclosures,
/// `Some(false)` when it fails for every pair, `None` otherwise.
fn decide_intervals(rel: Rel, x: &Interval, y: &Interval) -> Option<bool> {
    let le_all = x.hi <= y.lo; // every x <= every y
    let lt_all = x.hi < y.lo;
    let ge_all = x.lo >= y.hi;
    let gt_all = x.lo > y.hi;
    // (holds for every pair, fails for every pair)
    let (yes, no) = match rel {
        Rel::Le => (le_all, gt_all),
        Rel::Lt => (lt_all, ge_all),
        Rel::Ge => (ge_all, lt_all),
        Rel::Gt => (gt_all, le_all),
        Rel::Eq => (
            x.is_point() && y.is_point() && x.lo == y.lo,
            lt_all || gt_all,
        ),
    };
    if yes {
        Some(true)
    } else if no {
        Some(false)
    } else {
        None
    }
}

/// `c · Π b_i^(e_i)` with `c` rational, `b_i > 0` rational, `e_i` rational.
/// plus opaque positive atoms (`exp(...)` of an exactly folded argument) with exponents,
/// which cancel when both sides carry the same ones.
type Monomial = (Rational, Vec<(Rational, Rational)>, Vec<(String, Rational)>);

/// The monomial form of `e` at an exact point, if it has one (products, quotients, and
/// powers with exact rational exponents of exact rationals; anything exactly rational is a
/// constant).
fn monomial(e: &Expr, env: &mut Env, budget: &Budget) -> Option<Monomial> {
    if let Ok(v) = exact::eval(e, env, budget) {
        return Some((v, Vec::new(), Vec::new()));
    }
    let scale = |f: Vec<(Rational, Rational)>, at: Vec<(String, Rational)>, k: &Rational| {
        (
            f.into_iter().map(|(b, e2)| (b, e2 * k)).collect::<Vec<_>>(),
            at.into_iter()
                .map(|(b, e2)| (b, e2 * k))
                .collect::<Vec<_>>(),
        )
    };
    match e {
        Expr::Bin(BinOp::Mul, a, b) => {
            let (ca, mut fa, mut aa) = monomial(a, env, budget)?;
            let (cb, fb, ab) = monomial(b, env, budget)?;
            fa.extend(fb);
            aa.extend(ab);
            Some((ca * cb, fa, aa))
        }
        Expr::Bin(BinOp::Div, a, b) => {
            let (ca, mut fa, mut aa) = monomial(a, env, budget)?;
            let (cb, fb, ab) = monomial(b, env, budget)?;
            if cb == 0 {
                return None;
            }
            let (fb, ab) = scale(fb, ab, &Rational::from(-1));
            fa.extend(fb);
            aa.extend(ab);
            Some((ca / cb, fa, aa))
        }
        Expr::Neg(a) => {
            let (c, f, at) = monomial(a, env, budget)?;
            Some((-c, f, at))
        }
        Expr::Bin(BinOp::Pow, a, b) => {
            let ex = exact::eval(b, env, budget).ok()?;
            let (c, f, at) = monomial(a, env, budget)?;
            if c <= 0 || ex.denom().significant_bits() > 16 || ex.numer().significant_bits() > 16 {
                return None;
            }
            let (f, at) = scale(f, at, &ex);
            let mut out = vec![(c, ex.clone())];
            out.extend(f);
            Some((Rational::from(1), out, at))
        }
        Expr::Call(crate::expr::Func::Sqrt, args) => {
            let (c, f, at) = monomial(&args[0], env, budget)?;
            if c <= 0 {
                return None;
            }
            let half = Rational::from((1, 2));
            let (f, at) = scale(f, at, &half);
            let mut out = vec![(c, half)];
            out.extend(f);
            Some((Rational::from(1), out, at))
        }
        Expr::Call(crate::expr::Func::Exp, args) => {
            // exp(x) > 0 where x has a value: an atom keyed by its argument with every exact
            // part folded. The argument must be shown defined here, or a zero factor beside
            // the atom would hide an undefined value.
            let mut renv = RealEnv::new();
            for (n, v) in env.bindings() {
                renv.push_exact(n, v, 256);
            }
            real::eval(&args[0], &mut renv, Arith { prec: 256 }, budget).ok()?;
            let key = format!("exp({})", exact::fold_constants(&args[0], env, &[]));
            Some((
                Rational::from(1),
                Vec::new(),
                vec![(key, Rational::from(1))],
            ))
        }
        _ => None,
    }
}

/// Exact order of two monomials by exponent clearing.
fn compare_monomials(a: &Monomial, b: &Monomial, budget: &Budget) -> Option<Ordering> {
    // signs: all bases are positive, so the sign is the coefficient's
    let sa = a.0.cmp0();
    let sb = b.0.cmp0();
    if sa != sb || sa == Ordering::Equal {
        return Some(match (sa, sb) {
            (Ordering::Equal, Ordering::Equal) => Ordering::Equal,
            _ => sa.cmp(&sb),
        });
    }
    // opaque atoms must cancel exactly
    let mut net: Vec<(String, Rational)> = Vec::new();
    for (k, e) in
        a.2.iter()
            .cloned()
            .chain(b.2.iter().map(|(k, e)| (k.clone(), -e.clone())))
    {
        match net.iter_mut().find(|(k2, _)| *k2 == k) {
            Some((_, e2)) => *e2 += e,
            None => net.push((k, e)),
        }
    }
    if net.iter().any(|(_, e)| *e != 0) {
        return None;
    }
    // x / y = (ca/cb) Π b^e, compare with 1; flip when both negative
    let mut factors: Vec<(Rational, Rational)> = a.1.clone();
    factors.extend(b.1.iter().map(|(base, e)| (base.clone(), -e.clone())));
    let ratio = Rational::from(&a.0 / &b.0); // positive
    let q = factors
        .iter()
        .fold(Integer::from(1), |acc, (_, e)| acc.lcm(e.denom()));
    let q = q.to_u32().filter(|q| *q <= 1 << 12)?;
    // (ratio^q) * Π base^(e q)  vs 1
    let mut num = Rational::from(1);
    let qq = Rational::from(q);
    for (base, e) in std::iter::once((ratio, Rational::from(1))).chain(factors) {
        if base <= 0 {
            return None;
        }
        let ex = Rational::from(&e * &qq);
        debug_assert!(ex.is_integer());
        num *= exact::pow(&base, &ex, budget).ok()?;
    }
    let ord = num.cmp(&Rational::from(1));
    Some(if sa == Ordering::Less {
        ord.reverse()
    } else {
        ord
    })
}

// ------------------------------------------------------------------ branch and bound

/// Candidate points that must all be undecidable, with no box proven, before branch and
/// bound gives up on a relation as a likely identity.
const IDENTITY_PROBES: u64 = 24;

/// Largest precision (bits) for candidate points tested inside real boxes.
const BOX_POINT_MAX_PREC: u32 = 512;

struct BranchAndBound<'a> {
    max_boxes: u64,
    claim: &'a Claim,
    links: &'a [Expr],
    check: &'a Check,
    fixed: &'a [(String, Rational)],
    budget: &'a Budget,
    opts: &'a Options,
    deadline: Instant,
}

struct BoxResult {
    proven: u64,
    points: u64,
    counterexample: Option<Counterexample>,
    open: Option<String>,
}

/// What interval evaluation says about a whole box.
enum BoxVerdict {
    Proven,
    AllFail,
    Unknown,
}

impl BranchAndBound<'_> {
    fn box_eval(&self, dims: &[RealDim], boxv: &[(Rational, Rational)], prec: u32) -> BoxVerdict {
        let mut env = self.env_for(dims, boxv, prec);
        let ar = Arith { prec };
        // the construction's guards must hold on the whole box
        for (_, r) in &self.claim.guards {
            let l = real::eval(&r.lhs, &mut env, ar, self.budget);
            let h = real::eval(&r.rhs, &mut env, ar, self.budget);
            match (l, h) {
                (Ok(x), Ok(y)) if decide_intervals(r.rel, &x, &y) == Some(true) => {}
                _ => return BoxVerdict::Unknown,
            }
        }
        for d in &self.claim.lets {
            match real::eval(&d.expr, &mut env, ar, self.budget) {
                Ok(iv) => env.push(&d.name, iv),
                Err(_) => return BoxVerdict::Unknown,
            }
        }
        let a = real::eval(&self.links[self.check.a], &mut env, ar, self.budget);
        let b = real::eval(&self.links[self.check.b], &mut env, ar, self.budget);
        match (a, b) {
            (Ok(x), Ok(y)) => match decide_intervals(self.check.rel, &x, &y) {
                Some(true) => return BoxVerdict::Proven,
                Some(false) => return BoxVerdict::AllFail,
                None => {}
            },
            _ => return BoxVerdict::Unknown,
        }
        self.refined(dims, boxv, prec)
    }

    /// `g` with `relation holds <=> g >= 0` (or `> 0` when strict), definitions inlined;
    /// `None` for equalities.
    fn margin(&self) -> Option<(Expr, bool)> {
        let (a, b) = (&self.links[self.check.a], &self.links[self.check.b]);
        let (g, strict) = match self.check.rel {
            Rel::Le => (Expr::bin(BinOp::Sub, b.clone(), a.clone()), false),
            Rel::Lt => (Expr::bin(BinOp::Sub, b.clone(), a.clone()), true),
            Rel::Ge => (Expr::bin(BinOp::Sub, a.clone(), b.clone()), false),
            Rel::Gt => (Expr::bin(BinOp::Sub, a.clone(), b.clone()), true),
            Rel::Eq => return None,
        };
        let mut g = g;
        for d in self.claim.lets.iter().rev() {
            // a margin too large to inline is simply not used (plain evaluation still is)
            g = g.substitute_checked(&d.name, &d.expr).ok()?;
        }
        Some((g, strict))
    }

    fn env_for(&self, dims: &[RealDim], boxv: &[(Rational, Rational)], prec: u32) -> RealEnv {
        let mut env = RealEnv::new();
        for (n, v) in self.fixed {
            env.push_exact(n, v, prec);
        }
        for (d, (lo, hi)) in dims.iter().zip(boxv) {
            if lo == hi {
                env.push_exact(&d.name, lo, prec);
            } else {
                env.push(&d.name, Interval::from_bounds(lo, hi, prec));
            }
        }
        env
    }

    /// Second-order tests on a box that plain interval evaluation could not decide: the
    /// margin `g` is monotone in every variable whose partial derivative has a constant sign
    /// on the box, so its minimum lies on the face where those variables sit at their
    /// minimising ends; on that face the mean-value form `g(c) + Σ g_i'(X)(X_i - c_i)` bounds
    /// it. Both rest on interval derivatives (`real::eval_dual`), so they are as rigorous as
    /// plain evaluation and far tighter near points where the two sides touch.
    fn refined(&self, dims: &[RealDim], boxv: &[(Rational, Rational)], prec: u32) -> BoxVerdict {
        let Some((g, strict)) = self.margin() else {
            return BoxVerdict::Unknown;
        };
        let ar = Arith { prec };
        let ok = |iv: &Interval| if strict { iv.lo > 0 } else { iv.lo >= 0 };
        let bad = |iv: &Interval| if strict { iv.hi <= 0 } else { iv.hi < 0 };
        // lower bound of g on the minimising face, upper bound on the whole box
        let mut face = boxv.to_vec();
        for _round in 0..2 {
            let vars: Vec<String> = dims
                .iter()
                .zip(&face)
                .filter(|(_, (lo, hi))| lo != hi)
                .map(|(d, _)| d.name.clone())
                .collect();
            if vars.is_empty() {
                break;
            }
            let mut env = self.env_for(dims, &face, prec);
            let Ok(dual) = real::eval_dual(&g, &mut env, &vars, ar, self.budget) else {
                return BoxVerdict::Unknown;
            };
            if ok(&dual.v) {
                return BoxVerdict::Proven;
            }
            let mut moved = false;
            for (name, dv) in vars.iter().zip(&dual.d) {
                let k = dims
                    .iter()
                    .position(|d| &d.name == name)
                    .expect("a box dimension");
                if dv.lo >= 0 {
                    face[k].1 = face[k].0.clone();
                    moved = true;
                } else if dv.hi <= 0 {
                    face[k].0 = face[k].1.clone();
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        let lower = self.mean_value(&g, dims, &face, ar);
        if let Some(l) = &lower
            && ok(l)
        {
            return BoxVerdict::Proven;
        }
        if face.as_slice() == boxv {
            if let Some(l) = &lower
                && bad(l)
            {
                return BoxVerdict::AllFail;
            }
        } else if let Some(u) = self.mean_value(&g, dims, boxv, ar)
            && bad(&u)
        {
            return BoxVerdict::AllFail;
        }
        BoxVerdict::Unknown
    }

    /// The mean-value enclosure of `g` over the box (or its value, for a point box).
    fn mean_value(
        &self,
        g: &Expr,
        dims: &[RealDim],
        boxv: &[(Rational, Rational)],
        ar: Arith,
    ) -> Option<Interval> {
        let center: Vec<(Rational, Rational)> = boxv
            .iter()
            .map(|(lo, hi)| {
                let c = Rational::from(lo + hi) / 2u32;
                (c.clone(), c)
            })
            .collect();
        let mut cenv = self.env_for(dims, &center, ar.prec);
        let gc = real::eval(g, &mut cenv, ar, self.budget).ok()?;
        let vars: Vec<(usize, String)> = dims
            .iter()
            .enumerate()
            .filter(|(k, _)| boxv[*k].0 != boxv[*k].1)
            .map(|(k, d)| (k, d.name.clone()))
            .collect();
        if vars.is_empty() {
            return Some(gc);
        }
        let names: Vec<String> = vars.iter().map(|(_, n)| n.clone()).collect();
        let mut env = self.env_for(dims, boxv, ar.prec);
        let dual = real::eval_dual(g, &mut env, &names, ar, self.budget).ok()?;
        let mut acc = gc;
        for ((k, _), dv) in vars.iter().zip(&dual.d) {
            let c = &center[*k].0;
            let off = Interval::from_bounds(
                &Rational::from(&boxv[*k].0 - c),
                &Rational::from(&boxv[*k].1 - c),
                ar.prec,
            );
            acc = ar.add(&acc, &ar.mul(dv, &off));
        }
        // the plain enclosure is valid too: keep the tighter ends
        Some(Interval {
            lo: if acc.lo > dual.v.lo {
                acc.lo
            } else {
                dual.v.lo
            },
            hi: if acc.hi < dual.v.hi {
                acc.hi
            } else {
                dual.v.hi
            },
        })
    }

    fn point_eval(
        &self,
        dims: &[RealDim],
        pt: &[Rational],
    ) -> (Vec<(String, Rational)>, PointVerdict) {
        let mut point = self.fixed.to_vec();
        point.extend(dims.iter().map(|d| d.name.clone()).zip(pt.iter().cloned()));
        // candidate points inside boxes: a failure shows at moderate precision; the full
        // precision ladder is kept for the points of integer domains
        let mut opts = self.opts.clone();
        opts.prec.1 = opts.prec.1.min(BOX_POINT_MAX_PREC);
        let pe = PointEval::new(self.claim, self.links, &point, self.budget, &opts);
        let v = pe.decide_checks(std::slice::from_ref(self.check)).remove(0);
        (point, v)
    }

    fn run(&self, dims: &[RealDim]) -> BoxResult {
        let mut res = BoxResult {
            proven: 0,
            points: 0,
            counterexample: None,
            open: None,
        };
        let root: Vec<(Rational, Rational)> =
            dims.iter().map(|d| (d.lo.clone(), d.hi.clone())).collect();
        let root_box = root.clone();
        let mut unknown_points = 0u64;
        let mut stack = vec![(root, 0u32)];
        let mut examined = 0u64;
        let max_depth = 60;
        while let Some((bx, depth)) = stack.pop() {
            examined += 1;
            if examined > self.max_boxes || Instant::now() > self.deadline {
                res.open.get_or_insert_with(|| {
                    format!(
                        "{} at {}: box {} still open when the {} ran out",
                        if examined > self.max_boxes {
                            "box budget"
                        } else {
                            "time budget"
                        },
                        if self.fixed.is_empty() {
                            "-".into()
                        } else {
                            fmt_point(self.fixed)
                        },
                        fmt_box(dims, &bx),
                        if examined > self.max_boxes {
                            "box budget"
                        } else {
                            "time budget"
                        }
                    )
                });
                break;
            }
            // a box touching an open end is proven only on its closed hull, which is fine:
            // proving the relation on a superset of the box proves it on the box
            match self.box_eval(dims, &bx, 64) {
                BoxVerdict::Proven => {
                    res.proven += 1;
                    continue;
                }
                BoxVerdict::AllFail | BoxVerdict::Unknown => {}
            }
            // a candidate point: the simplest rational inside the box (respecting open ends)
            let pt: Vec<Rational> = dims
                .iter()
                .zip(&bx)
                .map(|(d, (lo, hi))| {
                    simplest_in(
                        lo,
                        lo != &d.lo || d.lo_closed,
                        hi,
                        hi != &d.hi || d.hi_closed,
                    )
                })
                .collect();
            res.points += 1;
            let (point, v) = self.point_eval(dims, &pt);
            match v {
                PointVerdict::Fails(lhs, rhs) => {
                    let cx = self.minimise(dims, Counterexample { point, lhs, rhs });
                    res.counterexample = Some(cx);
                    return res;
                }
                PointVerdict::Holds => {}
                PointVerdict::Unknown(why) => {
                    unknown_points += 1;
                    // sides that no tested point separates, and no box proven: most likely an
                    // identity, which intervals can never decide; stop spending the budget
                    if unknown_points >= IDENTITY_PROBES
                        && res.proven == 0
                        && unknown_points == res.points
                    {
                        res.open.get_or_insert_with(|| {
                            format!(
                                "at {}: the sides could not be separated at any of {unknown_points} tested points of {} ({why}); they may be identical there",
                                if self.fixed.is_empty() { "-".into() } else { fmt_point(self.fixed) },
                                fmt_box(dims, &root_box)
                            )
                        });
                        break;
                    }
                }
            }
            if depth >= max_depth || bx.iter().all(|(lo, hi)| lo == hi) {
                res.open.get_or_insert_with(|| {
                    format!(
                        "at {}: box {} cannot be decided by interval arithmetic (it may touch the boundary where both sides are equal)",
                        if self.fixed.is_empty() { "-".into() } else { fmt_point(self.fixed) },
                        fmt_box(dims, &bx)
                    )
                });
                continue;
            }
            // split the widest dimension (relative to its domain) at its midpoint
            let k = (0..dims.len())
                .max_by(|&i, &j| {
                    let wi = Rational::from(&bx[i].1 - &bx[i].0) / dom_width(&dims[i]);
                    let wj = Rational::from(&bx[j].1 - &bx[j].0) / dom_width(&dims[j]);
                    wi.cmp(&wj).then(j.cmp(&i))
                })
                .expect("at least one dimension");
            let mid = Rational::from(&bx[k].0 + &bx[k].1) / 2u32;
            let mut lo_half = bx.clone();
            lo_half[k].1 = mid.clone();
            let mut hi_half = bx;
            hi_half[k].0 = mid;
            // depth first, lower half first: small values are examined (and refuted) first
            stack.push((hi_half, depth + 1));
            stack.push((lo_half, depth + 1));
        }
        res
    }

    /// The simplest rational (smallest denominator) in the largest interval around the
    /// failing point, per real parameter in order, on which intervals prove the failure:
    /// each end is pushed outward greedily by halving steps while the added piece is proven
    /// to fail too.
    fn minimise(&self, dims: &[RealDim], mut cx: Counterexample) -> Counterexample {
        let nfixed = self.fixed.len();
        for k in 0..dims.len() {
            let cur: Vec<Rational> = cx.point[nfixed..].iter().map(|(_, v)| v.clone()).collect();
            let d = &dims[k];
            let fails_on = |a: &Rational, b: &Rational| {
                let mut bx: Vec<(Rational, Rational)> =
                    cur.iter().map(|v| (v.clone(), v.clone())).collect();
                bx[k] = (a.clone(), b.clone());
                matches!(self.box_eval(dims, &bx, 128), BoxVerdict::AllFail)
            };
            let (mut l, mut r) = (cur[k].clone(), cur[k].clone());
            let mut w = dom_width(d);
            for _ in 0..48 {
                if Instant::now() > self.deadline {
                    break;
                }
                let nl = Rational::from(&l - &w).max(d.lo.clone());
                if nl < l && fails_on(&nl, &l) {
                    l = nl;
                }
                let nr = Rational::from(&r + &w).min(d.hi.clone());
                if nr > r && fails_on(&r, &nr) {
                    r = nr;
                }
                w /= 2u32;
            }
            if l < r {
                let q = simplest_in(&l, l != d.lo || d.lo_closed, &r, r != d.hi || d.hi_closed);
                let mut pt = cur.clone();
                pt[k] = q;
                let (point, v) = self.point_eval(dims, &pt);
                if let PointVerdict::Fails(lhs, rhs) = v {
                    cx = Counterexample { point, lhs, rhs };
                }
            }
        }
        cx
    }
}

fn dom_width(d: &RealDim) -> Rational {
    let w = Rational::from(&d.hi - &d.lo);
    if w == 0 { Rational::from(1) } else { w }
}

fn fmt_box(dims: &[RealDim], bx: &[(Rational, Rational)]) -> String {
    dims.iter()
        .zip(bx)
        .map(|(d, (lo, hi))| {
            if lo == hi {
                format!("{}={}", d.name, lo)
            } else {
                format!(
                    "{} in [{}, {}]",
                    d.name,
                    exact::approx(lo, 6),
                    exact::approx(hi, 6)
                )
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The simplest rational (smallest denominator, then smallest absolute value) in the
/// interval from `lo` to `hi` (`lo <= hi`), each end included or not.
pub fn simplest_in(lo: &Rational, lo_in: bool, hi: &Rational, hi_in: bool) -> Rational {
    if lo == hi {
        return lo.clone();
    }
    if *hi < 0 || (*hi == 0 && !hi_in) {
        return -simplest_in(&Rational::from(-hi), hi_in, &Rational::from(-lo), lo_in);
    }
    if *lo < 0 || (*lo == 0 && lo_in) {
        return Rational::new(); // 0 is inside
    }
    simplest_pos(lo, lo_in, Some(hi), hi_in)
}

/// Simplest rational in an interval of positive reals (`hi = None` is +∞).
fn simplest_pos(lo: &Rational, lo_in: bool, hi: Option<&Rational>, hi_in: bool) -> Rational {
    // the smallest integer inside, if any
    let fl = lo.clone().floor();
    let first_int = if lo.is_integer() && lo_in {
        fl.clone()
    } else {
        fl.clone() + 1u32
    };
    let inside = match hi {
        None => true,
        Some(h) => first_int < *h || (first_int == *h && hi_in),
    };
    if inside {
        return first_int;
    }
    // lo and hi share the integer part n: n + 1/simplest(1/(hi-n), 1/(lo-n))
    let n = fl;
    let h = hi.expect("finite when no integer fits");
    let fh = Rational::from(h - &n);
    let fl_ = Rational::from(lo - &n);
    let inv_lo = Rational::from(fh.recip_ref());
    let inv_hi = if fl_ == 0 {
        None
    } else {
        Some(Rational::from(fl_.recip_ref()))
    };
    let s = simplest_pos(&inv_lo, hi_in, inv_hi.as_ref(), lo_in);
    n + s.recip()
}

// ------------------------------------------------------------------ searches

/// A copy of `claim` with parameter `name` fixed to `v` (or, for `best_constant`, the free
/// constant bound as a new fixed parameter).
fn with_fixed(claim: &Claim, name: &str, v: &Rational) -> Claim {
    let mut c = claim.clone();
    let dom = DomainSpec::Fixed(Expr::Num(v.clone()));
    if let Some(p) = c.params.iter_mut().find(|p| p.name == name) {
        p.domain = dom;
    } else {
        c.params.insert(
            0,
            Param {
                name: name.to_string(),
                domain: dom,
            },
        );
    }
    c.threshold = None;
    c.best_constant = None;
    c
}

/// Does the relation hold on the claim's domain with `name = v`? `Some(Ok(exhaustive))` holds
/// (certified or no counterexample), `Some(Err(cx))` refuted, `None` undecided.
fn holds_with(
    claim: &Claim,
    name: &str,
    v: &Rational,
    links: &[Expr],
    check: &Check,
    opts: &Options,
    deadline: Instant,
) -> Option<Result<bool, Counterexample>> {
    let c = with_fixed(claim, name, v);
    let res = sweep(&c, links, std::slice::from_ref(check), opts, deadline);
    let t = &res.tallies[0];
    if let Some(cx) = &t.counterexample {
        return Some(Err(cx.clone()));
    }
    if t.undecided.is_some() || res.stopped.is_some() || res.points + t.boxes == 0 {
        return None;
    }
    // holds: on the whole domain (true) or at every sampled point (false)
    Some(Ok(res.exhaustive && !t.sampled))
}

fn rel_small(lo: &Rational, hi: &Rational, tol: &Rational) -> bool {
    let w = Rational::from(hi - lo).abs();
    let m = Rational::from(lo.abs_ref()).max(Rational::from(hi.abs_ref()));
    if m == 0 {
        return true;
    }
    w <= Rational::from(&m * tol)
}

/// Bisection between `good` (holds) and `bad` (refuted, with its counterexample). Integer
/// parameters bisect on integers. Returns the final (good, bad, witness) or why it stopped.
#[allow(clippy::too_many_arguments)]
fn bisect(
    claim: &Claim,
    name: &str,
    mut good: Rational,
    mut bad: Rational,
    mut witness: Counterexample,
    mut good_exhaustive: bool,
    integer: bool,
    links: &[Expr],
    check: &Check,
    opts: &Options,
    deadline: Instant,
) -> (Rational, Rational, Counterexample, bool, Option<String>) {
    for _ in 0..200 {
        if integer {
            if Rational::from(&bad - &good).abs() <= 1 {
                break;
            }
        } else if rel_small(&good, &bad, &opts.search_rel_width) {
            break;
        }
        if Instant::now() > deadline {
            return (
                good,
                bad,
                witness,
                good_exhaustive,
                Some("time budget exhausted during the search".into()),
            );
        }
        let mut mid = Rational::from(&good + &bad) / 2u32;
        if integer {
            mid = mid.floor();
        } else {
            // a short dyadic midpoint keeps the numbers small
            let lo = good.clone().min(bad.clone());
            let hi = good.clone().max(bad.clone());
            let w = Rational::from(&hi - &lo) / 8u32;
            mid = simplest_in(
                &Rational::from(&mid - &w),
                true,
                &Rational::from(&mid + &w),
                true,
            );
        }
        match holds_with(claim, name, &mid, links, check, opts, deadline) {
            Some(Ok(ex)) => {
                good = mid;
                good_exhaustive = ex;
            }
            Some(Err(cx)) => {
                bad = mid;
                witness = cx;
            }
            None => {
                return (
                    good,
                    bad,
                    witness,
                    good_exhaustive,
                    Some(format!(
                        "the claim could not be decided at {name} = {mid}; the bracket stops there"
                    )),
                );
            }
        }
    }
    (good, bad, witness, good_exhaustive, None)
}

/// `threshold = "p"`: the supremum (or infimum) of `p` for which the relation holds on the
/// rest of the domain, as a bracket `[lo, hi]`: the relation holds at the safe end and is
/// refuted (with the witness) at the other.
fn threshold(
    claim: &Claim,
    name: &str,
    links: &[Expr],
    check: &Check,
    opts: &Options,
    deadline: Instant,
) -> (Option<Bracket>, Option<String>) {
    let p = claim
        .params
        .iter()
        .find(|p| p.name == name)
        .expect("validated");
    let env = Env::new();
    let _ = env;
    let b = &opts.budget;
    let ends = |lo: &Expr, hi: &Expr| -> Option<(Rational, Rational)> {
        if !lo.free_vars().is_empty() || !hi.free_vars().is_empty() {
            return None;
        }
        Some((
            exact::eval_closed(lo, b).ok()?,
            exact::eval_closed(hi, b).ok()?,
        ))
    };
    let (lo, lo_in, hi, hi_in, integer) = match &p.domain {
        DomainSpec::Real {
            lo,
            lo_closed,
            hi,
            hi_closed,
        } => match ends(lo, hi) {
            Some((l, h)) => (l, *lo_closed, h, *hi_closed, false),
            None => {
                return (
                    None,
                    Some(format!("threshold search needs constant ends for `{name}`")),
                );
            }
        },
        DomainSpec::IntRange {
            lo, hi, inclusive, ..
        } => match ends(lo, hi) {
            Some((l, h)) => {
                let h = if *inclusive || !h.is_integer() {
                    h.floor()
                } else {
                    h - 1u32
                };
                (l.ceil(), true, h, true, true)
            }
            None => {
                return (
                    None,
                    Some(format!("threshold search needs constant ends for `{name}`")),
                );
            }
        },
        _ => {
            return (
                None,
                Some(format!("threshold search needs a range for `{name}`")),
            );
        }
    };
    // probe points near both ends (inside the domain)
    let inner = |x: &Rational, toward: &Rational, closed: bool| -> Rational {
        if closed || integer {
            x.clone()
        } else {
            // a point 1e-6 of the width inside an open end
            x + Rational::from(toward - x) / 1_000_000u32
        }
    };
    let plo = inner(&lo, &hi, lo_in);
    let phi = inner(&hi, &lo, hi_in);
    let at_lo = holds_with(claim, name, &plo, links, check, opts, deadline);
    let at_hi = holds_with(claim, name, &phi, links, check, opts, deadline);
    let (good, bad, cx, sup, ex) = match (at_lo, at_hi) {
        (Some(Ok(ex)), Some(Err(cx))) => (plo, phi, cx, true, ex),
        (Some(Err(cx)), Some(Ok(ex))) => (phi, plo, cx, false, ex),
        (Some(Ok(_)), Some(Ok(_))) => {
            return (
                None,
                Some(format!(
                    "threshold: the relation holds at both ends of `{name}`'s range; no threshold inside it"
                )),
            );
        }
        (Some(Err(_)), Some(Err(_))) => {
            return (
                None,
                Some(format!(
                    "threshold: the relation fails at both ends of `{name}`'s range"
                )),
            );
        }
        _ => {
            return (
                None,
                Some(format!(
                    "threshold: the relation could not be decided at an end of `{name}`'s range"
                )),
            );
        }
    };
    let (good, bad, witness, good_ex, note) = bisect(
        claim, name, good, bad, cx, ex, integer, links, check, opts, deadline,
    );
    let holds = if good_ex {
        "holds"
    } else {
        "has no counterexample at the sampled points"
    };
    let (l, h) = if good < bad {
        (good.clone(), bad.clone())
    } else {
        (bad.clone(), good.clone())
    };
    let meaning = if sup {
        format!(
            "the relation {holds} with {name} = {good} and fails with {name} = {bad}: the supremum of {name} for which it holds lies in [{l}, {h}] (if it holds on an interval)"
        )
    } else {
        format!(
            "the relation {holds} with {name} = {good} and fails with {name} = {bad}: the infimum of {name} for which it holds lies in [{l}, {h}] (if it holds on an interval)"
        )
    };
    (
        Some(Bracket {
            param: name.to_string(),
            lo: l,
            hi: h,
            witness: witness.point,
            meaning,
        }),
        note,
    )
}

/// `best_constant = "K"`: the optimal `K` for which the relation holds on the whole domain,
/// bracketed by bisection on `K` (monotone in `K` for `lhs <= K*rhs`-type claims).
fn best_constant(
    claim: &Claim,
    k: &str,
    links: &[Expr],
    check: &Check,
    opts: &Options,
    deadline: Instant,
) -> Outcome {
    let base = |verdict, reason: Option<String>, bracket: Option<Bracket>| Outcome {
        id: check.id.clone(),
        source: claim.source.clone(),
        relation: format!("{} {} {}", links[check.a], check.rel, links[check.b]),
        file: claim.file.clone(),
        verdict,
        coverage: Coverage::default(),
        counterexample: None,
        failures: 0,
        reason,
        threshold: None,
        best_constant: bracket,
        kernel: None,
        certificate: None,
        symbolic: false,
    };
    if let Some(o) = best_constant_affine(claim, k, links, check, opts, deadline) {
        return o;
    }
    // find a K that holds and one that fails by exponential probing from 1 both ways
    let mut probes: Vec<Rational> = Vec::new();
    for e in 0..=40u32 {
        let p = Rational::from(Integer::from(1) << (e * 2));
        probes.push(p.clone());
        if e > 0 {
            probes.push(p.clone().recip());
            probes.push(-p);
        }
    }
    probes.push(Rational::new());
    probes.push(Rational::from(-1));
    let mut good: Option<(Rational, bool)> = None;
    let mut bad: Option<(Rational, Counterexample)> = None;
    for p in &probes {
        if Instant::now() > deadline {
            break;
        }
        match holds_with(claim, k, p, links, check, opts, deadline) {
            Some(Ok(ex)) if good.is_none() => good = Some((p.clone(), ex)),
            Some(Err(cx)) if bad.is_none() => bad = Some((p.clone(), cx)),
            _ => {}
        }
        if good.is_some() && bad.is_some() {
            break;
        }
    }
    let (Some(g), Some((b, cx))) = (good, bad) else {
        return base(
            Verdict::Undecided,
            Some(format!(
                "best_constant: no value of `{k}` between -2^80 and 2^80 was found both holding and failing"
            )),
            None,
        );
    };
    let (g, gex) = g;
    let (g, b, w, gex, note) = bisect(claim, k, g, b, cx, gex, false, links, check, opts, deadline);
    let holds = if gex {
        "holds on the whole domain"
    } else {
        "has no counterexample at the sampled points"
    };
    let (l, h) = if g < b {
        (g.clone(), b.clone())
    } else {
        (b.clone(), g.clone())
    };
    let meaning = format!(
        "the relation {holds} with {k} = {g} and fails with {k} = {b} (at the witness): the best {k} lies in [{l}, {h}]"
    );
    // the verdict of the claim with its best constant: certified at the safe end
    let c = with_fixed(claim, k, &g);
    let res = sweep(&c, links, std::slice::from_ref(check), opts, deadline);
    let mut o = outcomes(&c, links, std::slice::from_ref(check), &res).remove(0);
    o.best_constant = Some(Bracket {
        param: k.to_string(),
        lo: l,
        hi: h,
        witness: w.point.into_iter().filter(|(n, _)| n != k).collect(),
        meaning,
    });
    o.relation = base(Verdict::Undecided, None, None).relation;
    let msg = format!("verdict with {k} = {g}, the safe end of its bracket");
    append_reason(&mut o, msg);
    if let Some(n) = note {
        append_reason(&mut o, n);
    }
    o
}

/// Exact lower and upper ends.
type Bounds = (Rational, Rational);

/// The best constant in one sweep when the margin is affine in `K`, `g = P K + Q` (g >= 0
/// iff the relation holds), the domain is enumerable, and `P` keeps one sign: the best `K`
/// is the extreme of `-Q/P` over the points, bracketed by the extremes of its rigorous
/// enclosures. `None` sends the search to bisection.
fn best_constant_affine(
    claim: &Claim,
    k: &str,
    links: &[Expr],
    check: &Check,
    opts: &Options,
    deadline: Instant,
) -> Option<Outcome> {
    if claim
        .params
        .iter()
        .any(|p| matches!(p.domain, DomainSpec::Real { .. }))
    {
        return None;
    }
    let (a, b) = (&links[check.a], &links[check.b]);
    let g = match check.rel {
        Rel::Le | Rel::Lt => Expr::bin(BinOp::Sub, b.clone(), a.clone()),
        Rel::Ge | Rel::Gt => Expr::bin(BinOp::Sub, a.clone(), b.clone()),
        Rel::Eq => return None,
    };
    let (p, q) = exact::affine_split(&g, k)?;
    let pq = [p, Expr::Neg(Box::new(q))];
    let mut budget = opts.budget.clone();
    budget.deadline = Some(deadline);
    // per point: sign of P and an enclosure of -Q/P
    let mut sign: Option<Ordering> = None;
    // running bracket [lo, hi] of the extreme of -Q/P, exact rationals
    let mut best: Option<(Bounds, Vec<(String, Rational)>)> = None;
    let mut failed = false;
    let prec = 192;
    let mut visit = |point: &[(String, Rational)]| -> bool {
        let pe = PointEval::new(claim, &pq, point, &budget, opts);
        if pe.guard_failure().is_some() {
            failed = true;
            return false;
        }
        let ex = pe.exact_links(&[true, true]);
        let iv = pe.interval_links(&[true, true], prec, &pe.folded(&[true, true]));
        let encl = |i: usize| enclosure_of(&ex[i], &iv[i], prec);
        let (Ok(pv), Ok(nq)) = (encl(0), encl(1)) else {
            failed = true;
            return false;
        };
        let s = if pv.lo > 0 {
            Ordering::Greater
        } else if pv.hi < 0 {
            Ordering::Less
        } else {
            failed = true;
            return false;
        };
        if sign.is_some_and(|s0| s0 != s) {
            failed = true;
            return false;
        }
        sign = Some(s);
        // -Q/P exactly when both are exact, else its rigorous enclosure
        let r = match (&ex[0], &ex[1]) {
            (Some(LinkVal::Exact(pe)), Some(LinkVal::Exact(qe))) if *pe != 0 => {
                let v = Rational::from(qe / pe);
                (v.clone(), v)
            }
            _ => match (Arith { prec })
                .div(&nq, &pv)
                .map(|iv| iv.to_rational_bounds())
            {
                Ok((Some(l), Some(h))) => (l, h),
                _ => {
                    failed = true;
                    return false;
                }
            },
        };
        // P > 0: K >= -Q/P, best K is the max; P < 0: K <= -Q/P, best K is the min
        let up = s == Ordering::Greater;
        match &mut best {
            None => best = Some((r, point.to_vec())),
            Some((old, w)) => {
                if (up && r.1 > old.1) || (!up && r.0 < old.0) {
                    *w = point.to_vec();
                }
                let lo = if up {
                    r.0.clone().max(old.0.clone())
                } else {
                    r.0.clone().min(old.0.clone())
                };
                let hi = if up {
                    r.1.clone().max(old.1.clone())
                } else {
                    r.1.clone().min(old.1.clone())
                };
                *old = (lo, hi);
            }
        }
        true
    };
    let (_points, exhaustive, stopped) = enumerate_points(claim, opts, deadline, &mut visit);
    if failed || stopped.is_some() || !exhaustive {
        return None;
    }
    let ((lo, hi), witness) = best?;
    // brackets from enclosures carry ~190-bit ends: round them outward to 20 digits
    let (lo, hi) = if lo == hi {
        (lo, hi)
    } else {
        round_out(&lo, &hi, 20)
    };
    let safe = if sign == Some(Ordering::Greater) {
        hi.clone()
    } else {
        lo.clone()
    };
    let c = with_fixed(claim, k, &safe);
    let res = sweep(&c, links, std::slice::from_ref(check), opts, deadline);
    let mut o = outcomes(&c, links, std::slice::from_ref(check), &res).remove(0);
    o.relation = format!("{} {} {}", links[check.a], check.rel, links[check.b]);
    let direction = if sign == Some(Ordering::Greater) {
        "smallest"
    } else {
        "largest"
    };
    o.best_constant = Some(Bracket {
        param: k.to_string(),
        lo: lo.clone(),
        hi: hi.clone(),
        witness,
        meaning: format!(
            "the {direction} {k} for which the relation holds on the whole domain lies in [{lo}, {hi}]; it is attained at the witness"
        ),
    });
    append_reason(
        &mut o,
        format!("verdict with {k} = {safe}, the safe end of its bracket"),
    );
    Some(o)
}

/// `[lo, hi]` widened to decimals with `digits` significant digits (still a bracket).
fn round_out(lo: &Rational, hi: &Rational, digits: u32) -> (Rational, Rational) {
    let parse = |s: &str| -> Option<Rational> {
        exact::eval_closed(&crate::expr::parse_expr(s).ok()?, &Budget::default()).ok()
    };
    let l = parse(&exact::decimal_enclosure(lo, digits).0);
    let h = parse(&exact::decimal_enclosure(hi, digits).1);
    match (l, h) {
        (Some(l), Some(h)) if l <= *lo && h >= *hi => (l, h),
        _ => (lo.clone(), hi.clone()),
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

    fn q(s: &str) -> Rational {
        s.parse().unwrap()
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
        let o = run("params = [\"n in 1..=10\"]\nholds = \"2^n <= n^2\"");
        assert_eq!(o[0].verdict, Verdict::Refuted);
        let cx = o[0].counterexample.as_ref().unwrap();
        assert_eq!(cx.point[0].1, 1);
        assert_eq!(cx.lhs, Side::Exact(Rational::from(2)));
        // fails at n = 1 and n = 5..=10 (2^n > n^2), holds at 2, 3 (8 <= 9), 4
        assert_eq!(o[0].failures, 7);
    }

    #[test]
    fn undefined_points_refute_and_irrational_points_are_decided_by_intervals() {
        let o = run("params = [\"n in 0..=3\"]\nholds = \"1/n <= 1\"");
        assert_eq!(o[0].verdict, Verdict::Refuted);
        assert!(matches!(
            o[0].counterexample.as_ref().unwrap().lhs,
            Side::Undefined(_)
        ));
        let o = run("params = [\"n in 1..=30\"]\nholds = \"n^(1/2) <= n\"");
        assert_eq!(o[0].verdict, Verdict::Certified, "{:?}", o[0].reason);
        let o = run("params = [\"n in 1..=30\"]\nholds = \"ln(n) <= n - 1\"");
        assert_eq!(o[0].verdict, Verdict::Certified, "{:?}", o[0].reason);
        let o = run("params = [\"n in 1..=30\"]\nholds = \"exp(n) <= 3^n\"");
        assert_eq!(o[0].verdict, Verdict::Certified, "{:?}", o[0].reason);
        let o = run("params = [\"n in 1..=30\"]\nholds = \"3^n <= exp(n)*1.1\"");
        assert_eq!(o[0].verdict, Verdict::Refuted);
        // 3 > 1.1 e = 2.990...
        assert_eq!(o[0].counterexample.as_ref().unwrap().point[0].1, 1);
    }

    #[test]
    fn touching_radicals_are_decided_exactly() {
        // 2 * 2^(1/2) = 8^(1/2): equal, intervals cannot tell, exponent clearing can
        let o = run("params = [\"n = 2\"]\nholds = \"n*n^(1/2) <= 8^(1/2)\"");
        assert_eq!(o[0].verdict, Verdict::Certified, "{:?}", o[0].reason);
        let o = run("params = [\"n = 2\"]\nholds = \"n*n^(1/2) < 8^(1/2)\"");
        assert_eq!(o[0].verdict, Verdict::Refuted);
        // touching transcendental values are undecided, never refuted
        let o = run("params = [\"n = 2\"]\nholds = \"exp(ln(n)) < n\"");
        assert_eq!(o[0].verdict, Verdict::Undecided, "{:?}", o[0].reason);
        let o = run("params = [\"n = 2\"]\nholds = \"exp(ln(n)) <= n\"");
        assert_eq!(o[0].verdict, Verdict::Undecided);
    }

    #[test]
    fn real_boxes_are_proven_or_refuted() {
        let o = run("params = [\"a in (0, 1]\"]\nholds = \"exp(a) >= 1 + a\"");
        // equality at a = 0 (excluded): intervals near 0 cannot separate, so boxes stay open
        assert_ne!(o[0].verdict, Verdict::Refuted);
        let o = run("params = [\"a in [1/10, 1]\"]\nholds = \"exp(a) >= 1 + a\"");
        assert_eq!(o[0].verdict, Verdict::Certified, "{:?}", o[0].reason);
        assert!(o[0].coverage.boxes >= 1);
        let o = run("params = [\"a in [0, 2]\"]\nholds = \"a^2 <= 2\"");
        assert_eq!(o[0].verdict, Verdict::Refuted);
        // simplest rational in the failing region (sqrt 2, 2]: 3/2? no: 2 is simpler
        let cx = o[0].counterexample.as_ref().unwrap();
        assert_eq!(cx.point[0].1, q("2"));
        let o = run("params = [\"a in [0, 3/2)\"]\nholds = \"a^2 <= 2\"");
        let cx = o[0].counterexample.as_ref().unwrap();
        // failing set (sqrt 2, 3/2): simplest rational 10/7 (denominator 7)
        assert_eq!(cx.point[0].1, q("10/7"));
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

    #[test]
    fn simplest_rationals() {
        assert_eq!(simplest_in(&q("1/3"), true, &q("1/2"), true), q("1/2"));
        assert_eq!(simplest_in(&q("1/3"), true, &q("1/2"), false), q("1/3"));
        assert_eq!(simplest_in(&q("1/3"), false, &q("1/2"), false), q("2/5"));
        assert_eq!(simplest_in(&q("0"), false, &q("1/10"), true), q("1/10"));
        assert_eq!(simplest_in(&q("3/10"), true, &q("7/10"), true), q("1/2"));
        assert_eq!(simplest_in(&q("-7/10"), true, &q("-3/10"), true), q("-1/2"));
        assert_eq!(simplest_in(&q("-1"), true, &q("5"), true), q("0"));
        assert_eq!(simplest_in(&q("2"), false, &q("3"), false), q("5/2"));
        assert_eq!(
            simplest_in(&q("314/100"), true, &q("315/100"), true),
            q("22/7")
        );
    }

    #[test]
    fn threshold_and_best_constant() {
        // (1 + 1/n)^n <= 2 + a*n ... simpler: a*n <= 1 for n in 1..=4 holds iff a <= 1/4
        let o = run(
            "params = [\"a in [0, 1]\", \"n in 1..=4\"]\nholds = \"a*n <= 1\"\nthreshold = \"a\"",
        );
        assert_eq!(o[0].verdict, Verdict::Refuted);
        // integers are enumerated first: the smallest n at which some a fails is n = 2
        let cx = o[0].counterexample.as_ref().unwrap();
        assert_eq!(cx.point[0], ("n".to_string(), q("2")));
        let t = o[0].threshold.as_ref().expect("threshold");
        assert!(t.lo <= q("1/4") && q("1/4") <= t.hi, "{t:?}");
        assert!(rel_small(&t.lo, &t.hi, &q("1/1000000000")));
        // best K with n <= K*ln(n+1) over n in 1..=20: the max of n/ln(n+1) is at n = 20
        let o =
            run("params = [\"n in 1..=20\"]\nholds = \"n <= K*ln(n+1)\"\nbest_constant = \"K\"");
        let b = o[0].best_constant.as_ref().expect("best constant");
        // 20/ln 21 = 6.5691...
        assert!(b.lo < q("65692/10000") && q("65691/10000") < b.hi, "{b:?}");
        assert_eq!(b.witness, vec![("n".to_string(), q("20"))]);
        assert_eq!(o[0].verdict, Verdict::Certified, "{:?}", o[0].reason);
    }
}
