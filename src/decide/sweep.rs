//! The sweep over a claim's domain: integer, fixed and set parameters enumerated in
//! lexicographic order (or sampled, log-spaced plus seeded random points), each point handed
//! to the [`ladder`](super::ladder), or its real box to [`bnb`](super::bnb); the tallies per
//! relation. Under a shard it decides only the shard's points (or their boxes, returning
//! the answers), and it replays a sweep with the shards' answers ([`sweep_with`]).

use super::algebra::{self, Answer};
use super::bnb::{BOX_POINT_MAX_PREC, BoxResult, BranchAndBound, F64Claim, simplest_in, to_point};
use super::ladder::{Membership, PointEval, PointVerdict, exact_value};
use super::{Check, Counterexample, DomainError, Options, Reason, fmt_point};
use crate::claims::{Claim, Param};
use crate::engine::exact::{Budget, Env, ExactError};
use crate::expr::{DomainSpec, Expr, Rel};
use crate::verdict::ProofMethod;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rug::ops::Pow;
use rug::{Float, Integer, Rational};
use std::time::Instant;

/// What the sweep found for one relation.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Tally {
    pub(super) failures: u64,
    pub(super) counterexample: Option<Counterexample>,
    pub(super) undecided: Option<Reason>,
    pub(super) undecided_count: u64,
    pub(super) boxes: u64,
    /// proven boxes per method
    pub(super) methods: std::collections::BTreeMap<crate::verdict::ProofMethod, u64>,
    /// an equality over real parameters, checked at sample points only
    pub(super) sampled: bool,
    /// what else the reader must know (a sample cut short by the time budget)
    pub(super) notes: Vec<Reason>,
    /// the prover that closed a region branch and bound left open: it goes first at the
    /// next integer points
    pub(super) first: Option<crate::verdict::ProofMethod>,
    /// the enumeration index of the point of `counterexample` (a shard's part is merged by
    /// taking the earliest)
    #[serde(default)]
    pub(super) counterexample_at: Option<u64>,
    /// the enumeration index of the point of `undecided`, likewise
    #[serde(default)]
    pub(super) undecided_at: Option<u64>,
}

/// What a sweep found, for every relation of the claim.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct SweepResult {
    pub(super) tallies: Vec<Tally>,
    pub(super) points: u64,
    pub(super) exhaustive: bool,
    pub(super) stopped: Option<Reason>,
}

/// A real parameter's interval at the current integer point: one dimension of the boxes of
/// branch and bound. A parameter whose bounds use earlier real parameters
/// (`alpha in (0, 1/beta]`) is a box dimension through its fraction of the way from its
/// lower to its upper bound, `u = (alpha - lo)/(hi - lo)` in `[0, 1]`, so that the region
/// between the two bounds is exactly a box (`dep` holds the bounds; `name` is then the
/// internal name of `u`, which no claim can use).
#[derive(Clone, Debug)]
pub(super) struct RealDim {
    /// the box coordinate's name (the parameter's, or its fraction's)
    pub(super) name: String,
    /// the parameter
    pub(super) param: String,
    /// the bounds, when they use earlier real parameters
    pub(super) dep: Option<(Expr, Expr)>,
    pub(super) lo: Rational,
    pub(super) lo_closed: bool,
    pub(super) hi: Rational,
    pub(super) hi_closed: bool,
}

pub(super) struct Sweep<'a> {
    pub(super) claim: &'a Claim,
    pub(super) links: &'a [Expr],
    pub(super) checks: &'a [Check],
    pub(super) tallies: Vec<Tally>,
    pub(super) budget: Budget,
    pub(super) opts: &'a Options,
    pub(super) deadline: Instant,
    pub(super) env: Env,
    pub(super) point: Vec<(String, Rational)>,
    pub(super) points: u64,
    pub(super) exhaustive: bool,
    pub(super) stopped: Option<Reason>,
    /// indices of the enumerated (integer, set, fixed) parameters, in declaration order
    pub(super) nonreal: Vec<usize>,
    /// indices of the real-interval parameters, in declaration order
    pub(super) reals: Vec<usize>,
    /// when set, each enumerated point is handed to this visitor instead of being decided
    /// (it returns false to stop the sweep)
    pub(super) visitor: Option<&'a mut PointVisitor<'a>>,
    /// a constraint whose membership is undecidable at a point (it needs an unbound real
    /// parameter) lets the point through
    pub(super) superset: bool,
    /// enumerated points not yet decided, with their enumeration index (see
    /// [`Sweep::flush`])
    pub(super) batch: Vec<(u64, Vec<(String, Rational)>)>,
    /// points of the enumeration met so far (decided or not): the index of the next one
    pub(super) enumerated: u64,
    /// the claim compiled for the `f64` rung of branch and bound (claims with real
    /// parameters, the rung on)
    pub(super) f64: Option<F64Claim>,
    /// integer points (with their real boxes) not yet decided, with their enumeration
    /// index (see [`Sweep::flush`])
    pub(super) box_batch: Vec<(u64, BoxJob)>,
    /// shards' answers for the boxes of integer points (see [`sweep_with`])
    pub(super) answers: Option<&'a BoxAnswers>,
    /// this shard's answers (a sweep under [`Options::shard`] with real parameters)
    pub(super) found: BoxAnswers,
    /// per relation, whether this shard refuted it at one of its points (its later points
    /// need no answer for it: the merged sweep stops there or earlier)
    pub(super) shard_failed: Vec<bool>,
    /// the size of the next batch of `box_batch`: 1, 2, 4, … up to [`BOX_BATCH`], so that
    /// what the first points find (a refutation, an open box, a prover that works) shapes
    /// the work on the next ones early, as in a sequential sweep
    pub(super) box_batch_size: usize,
}

/// What real algebra did with a region branch and bound left open.
enum Closed {
    /// proven on the whole region (`r` says so)
    Proven,
    /// a counterexample, confirmed exactly (in `r`)
    Refuted,
    /// no answer, and what the reader must know
    Open(Option<Reason>),
}

/// The decision procedure for real algebra on the whole region at this integer point.
fn real_algebra(
    problem: &algebra::Problem,
    deadline: Instant,
    bb: &BranchAndBound,
    dims: &[RealDim],
    r: &mut BoxResult,
) -> Closed {
    match problem.solve(deadline) {
        Answer::Holds => {
            // the whole region is proven at once: the boxes branch and bound proved before
            // it stopped are not what the verdict rests on
            r.open = None;
            r.proven = 1;
            r.methods = [(ProofMethod::RealAlgebra, 1)].into();
            Closed::Proven
        }
        Answer::Fails(point) => {
            r.points += 1;
            match bb.counterexample_at(dims, &point) {
                Some(cx) => {
                    r.counterexample = Some(cx);
                    Closed::Refuted
                }
                None => Closed::Open(Some(Reason::Algebra(format!(
                    "the solver's failing point {} is not confirmed by exact evaluation",
                    fmt_point(&point)
                )))),
            }
        }
        Answer::Unknown(why) => Closed::Open(Some(Reason::Algebra(why))),
    }
}

/// Points decided together, in parallel: a fixed number, so that how a grid is cut never
/// depends on the number of threads.
const BATCH: usize = 256;

pub(super) fn sweep(
    claim: &Claim,
    links: &[Expr],
    checks: &[Check],
    opts: &Options,
    deadline: Instant,
) -> SweepResult {
    sweep_with(claim, links, checks, opts, deadline, None).0
}

/// [`sweep`] that takes the answers of shards ([`BoxAnswers`]) where they are what it would
/// compute, and, under [`Options::shard`] for a claim with real parameters, decides only its
/// own integer points' boxes, each as the first point of a sweep would be decided, and
/// returns those answers (the tallies are then not the claim's).
pub(super) fn sweep_with(
    claim: &Claim,
    links: &[Expr],
    checks: &[Check],
    opts: &Options,
    deadline: Instant,
    answers: Option<&BoxAnswers>,
) -> (SweepResult, BoxAnswers) {
    let is_real = |p: &Param| matches!(p.domain, DomainSpec::Real { .. });
    let (reals, nonreal): (Vec<usize>, Vec<usize>) =
        (0..claim.params.len()).partition(|&i| is_real(&claim.params[i]));
    let mut sw = Sweep::new(claim, links, checks, opts, deadline, nonreal, reals);
    sw.answers = answers;
    let real_names: Vec<&str> = sw
        .reals
        .iter()
        .map(|&i| claim.params[i].name.as_str())
        .collect();
    for p in &claim.params {
        // a real parameter's bounds may use earlier real parameters (see `RealDim`)
        let bounds: Vec<&Expr> = match &p.domain {
            DomainSpec::Fixed(e) => vec![e],
            DomainSpec::Set(v) => v.iter().collect(),
            DomainSpec::IntRange { lo, hi, .. } => vec![lo, hi],
            DomainSpec::Real { .. } => Vec::new(),
        };
        if let Some(r) = real_names
            .iter()
            .find(|r| bounds.iter().any(|b| b.mentions(r)))
        {
            sw.stopped = Some(Reason::RealDependentDomain {
                param: p.name.clone(),
                real: r.to_string(),
            });
        }
    }
    if sw.stopped.is_none() {
        sw.run(0);
    }
    sw.flush();
    let found = std::mem::take(&mut sw.found);
    (
        SweepResult {
            tallies: sw.tallies,
            points: sw.points,
            exhaustive: sw.exhaustive,
            stopped: sw.stopped,
        },
        found,
    )
}

/// A callback over enumerated points (false stops the sweep).
pub type PointVisitor<'v> = dyn FnMut(&[(String, Rational)]) -> bool + 'v;

/// Enumerates the points of a claim without real parameters, handing each to `visit`.
/// Returns (points, exhaustive, why it stopped early).
pub(super) fn enumerate_points(
    claim: &Claim,
    opts: &Options,
    deadline: Instant,
    visit: &mut PointVisitor<'_>,
) -> (u64, bool, Option<Reason>) {
    let nonreal: Vec<usize> = (0..claim.params.len()).collect();
    let mut sw = Sweep::new(claim, &[], &[], opts, deadline, nonreal, Vec::new());
    sw.visitor = Some(visit);
    sw.run(0);
    (sw.points, sw.exhaustive, sw.stopped)
}

/// Enumerates the values of a claim's integer, fixed and set parameters, its real ones left
/// unbound, handing each point to `visit`. A `where` constraint that needs a real parameter
/// is not checked, so the points cover the domain's (a superset). Returns (points,
/// exhaustive, why it stopped early).
pub(super) fn enumerate_fixed_points(
    claim: &Claim,
    opts: &Options,
    deadline: Instant,
    visit: &mut PointVisitor<'_>,
) -> (u64, bool, Option<Reason>) {
    let nonreal: Vec<usize> = (0..claim.params.len())
        .filter(|&i| !matches!(claim.params[i].domain, DomainSpec::Real { .. }))
        .collect();
    let mut sw = Sweep::new(claim, &[], &[], opts, deadline, nonreal, Vec::new());
    sw.visitor = Some(visit);
    sw.superset = true;
    sw.run(0);
    (sw.points, sw.exhaustive, sw.stopped)
}

impl<'a> Sweep<'a> {
    /// A sweep at its start: no point visited, the per-claim deadline in the budget.
    pub(super) fn new(
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
        let f64 = (opts.f64_rung && !reals.is_empty()).then(|| F64Claim::new(claim, links));
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
            superset: false,
            batch: Vec::new(),
            enumerated: 0,
            f64,
            box_batch: Vec::new(),
            box_batch_size: 1,
            answers: None,
            found: BoxAnswers::new(),
            shard_failed: vec![false; checks.len()],
        }
    }
}

impl Sweep<'_> {
    pub(super) fn run(&mut self, i: usize) {
        if self.stopped.is_some() {
            return;
        }
        if i == self.nonreal.len() {
            // the `where` constraints on the enumerated parameters: a point outside the domain
            // is skipped; one whose membership is undecidable is undecided for every relation
            if !self.claim.constraints.is_empty() {
                let pe =
                    PointEval::new(self.claim, self.links, &self.point, &self.budget, self.opts);
                match pe.membership(&self.claim.constraints) {
                    Membership::Inside => {}
                    Membership::Outside(_) => return,
                    Membership::Unknown(..) if self.superset => {}
                    Membership::Unknown(condition, why) => {
                        let why = Reason::ConstraintUnchecked {
                            condition,
                            why: Box::new(why),
                        };
                        if self.visitor.is_some() {
                            self.stopped = Some(why);
                        } else if let Some(at) = self.owned() {
                            // the points before it are recorded first
                            self.flush();
                            for t in &mut self.tallies {
                                record_at(t, at, &self.point, PointVerdict::Unknown(why.clone()));
                            }
                        }
                        return;
                    }
                }
            }
            if let Some(v) = self.visitor.as_mut() {
                self.points += 1;
                if self.points > self.opts.max_points || Instant::now() > self.deadline {
                    self.stopped = Some(Reason::EnumerationBudget);
                } else if !v(&self.point) {
                    self.stopped = Some(Reason::StoppedByVisitor);
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
            Err(error) => {
                self.stopped = Some(Reason::Domain {
                    param: p.name.clone(),
                    at: self.point.clone(),
                    error,
                });
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

    pub(super) fn exact(&mut self, e: &Expr) -> Result<Rational, ExactError> {
        exact_value(e, &mut self.env, &self.budget)
    }

    /// The values of one parameter under the current bindings, in ascending order.
    pub(super) fn values(
        &mut self,
        d: &DomainSpec,
        name: &str,
    ) -> Result<Vec<Rational>, DomainError> {
        let ev = |s: &mut Self, e: &Expr| s.exact(e).map_err(|e| DomainError::Eval(e.to_string()));
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
                            return Err(DomainError::TooManyValues {
                                count,
                                max_points: self.opts.max_points,
                            });
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
            DomainSpec::Real { .. } => Err(DomainError::RealInterval),
        }
    }

    /// `n` points of `[lo, hi]`: about half log-spaced offsets from `lo` (both ends
    /// included), the rest uniform from a ChaCha8 stream seeded by the run seed, the claim,
    /// the parameter and the values of the earlier parameters (so the sample does not depend
    /// on evaluation order or thread count).
    pub(super) fn sample(&self, lo: &Integer, hi: &Integer, n: u64, name: &str) -> Vec<Rational> {
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

    pub(super) fn count_point(&mut self) -> bool {
        self.points += 1;
        if self.points > self.opts.max_points {
            self.points -= 1;
            self.stopped = Some(Reason::PointBudget {
                max_points: self.opts.max_points,
            });
            return false;
        }
        if self.points.is_multiple_of(64) && Instant::now() > self.deadline {
            self.stopped = Some(Reason::TimeBudget {
                limit: self.opts.time_per_claim,
                points: self.points,
            });
            return false;
        }
        true
    }

    /// The enumeration index of the current point, when this run decides it: every point
    /// without [`Options::shard`], every `count`-th from `index` with it. Every shard
    /// enumerates (and counts against the point budget) the whole domain, so that indices,
    /// budgets and coverage are those of one run.
    fn owned(&mut self) -> Option<u64> {
        let at = self.enumerated;
        self.enumerated += 1;
        match self.opts.shard {
            Some(sh) if at % sh.count != sh.index => None,
            _ => Some(at),
        }
    }

    /// Decides every relation at the current point (all parameters bound to rationals): the
    /// point joins a batch, decided in parallel once full ([`Self::flush`]).
    pub(super) fn point_decide(&mut self) {
        if !self.count_point() {
            return;
        }
        let Some(at) = self.owned() else {
            return;
        };
        self.batch.push((at, self.point.clone()));
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }

    /// Decides the batched points in parallel and records the verdicts in enumeration
    /// order, so that the tallies (first counterexample, counts) are those of a sequential
    /// sweep, whatever the number of threads.
    pub(super) fn flush(&mut self) {
        use rayon::prelude::*;
        self.flush_boxes();
        let batch = std::mem::take(&mut self.batch);
        let (claim, links, checks, budget, opts) =
            (self.claim, self.links, self.checks, &self.budget, self.opts);
        let results: Vec<Vec<PointVerdict>> = batch
            .par_iter()
            .map(|(_, point)| {
                PointEval::new(claim, links, point, budget, opts).decide_checks(checks)
            })
            .collect();
        for ((at, point), rs) in batch.iter().zip(results) {
            for (k, r) in rs.into_iter().enumerate() {
                record_at(&mut self.tallies[k], *at, point, r);
            }
        }
    }

    /// Branch and bound over the real parameters at the current integer point.
    pub(super) fn boxes_decide(&mut self) {
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
            let on_reals = self.reals.iter().any(|&j| {
                let r = &self.claim.params[j].name;
                lo.mentions(r) || hi.mentions(r)
            });
            if on_reals {
                dims.push(RealDim {
                    name: format!("{}#fraction", p.name),
                    param: p.name.clone(),
                    dep: Some((lo.clone(), hi.clone())),
                    lo: Rational::new(),
                    lo_closed: *lo_closed,
                    hi: Rational::from(1),
                    hi_closed: *hi_closed,
                });
                continue;
            }
            let (l, h) = match (self.exact(lo), self.exact(hi)) {
                (Ok(l), Ok(h)) => (l, h),
                (Err(e), _) | (_, Err(e)) => {
                    self.stopped = Some(Reason::RealEnds {
                        param: p.name.clone(),
                        at: self.point.clone(),
                        error: e.to_string(),
                    });
                    return;
                }
            };
            if l > h || (l == h && !(*lo_closed && *hi_closed)) {
                return; // empty at this point: nothing to decide
            }
            dims.push(RealDim {
                name: p.name.clone(),
                param: p.name.clone(),
                dep: None,
                lo: l,
                lo_closed: *lo_closed,
                hi: h,
                hi_closed: *hi_closed,
            });
        }
        // relations over boxes are decided in parallel batches of integer points; an
        // equality is sampled point by point, so its claim stays sequential
        if self.checks.iter().all(|c| c.rel != Rel::Eq) {
            let at = self.enumerated;
            self.enumerated += 1;
            if let Some(sh) = self.opts.shard
                && at % sh.count != sh.index
            {
                return; // another shard's point
            }
            self.box_batch.push((at, (self.point.clone(), dims)));
            if self.box_batch.len() >= self.box_batch_size {
                self.flush();
                self.box_batch_size = (self.box_batch_size * 2).min(BOX_BATCH);
            }
            return;
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
            let snap = Snap::of(&self.tallies[k]);
            let found = self.ctx().boxes_at(&self.point, &dims, k, snap);
            self.record_boxes(k, found);
        }
    }

    /// What the provers need, shared by the threads of a batch.
    fn ctx(&self) -> BoxCtx<'_> {
        BoxCtx {
            claim: self.claim,
            links: self.links,
            checks: self.checks,
            budget: &self.budget,
            opts: self.opts,
            deadline: self.deadline,
            f64: self.f64.as_ref(),
        }
    }

    /// Decides the batched integer points' boxes in parallel, each with the tallies as they
    /// were when the batch began, and records the results in enumeration order (a relation
    /// refuted at an earlier point of the batch ignores the later ones, as a sequential
    /// sweep would never have decided them). The cut into batches is fixed, so the tallies
    /// do not depend on the number of threads.
    ///
    /// A result is recorded only if no earlier job of the batch failed; a skipped job is
    /// always after a failing one, so skipping changes nothing that is recorded.
    fn flush_boxes(&mut self) {
        use rayon::prelude::*;
        let jobs = std::mem::take(&mut self.box_batch);
        if jobs.is_empty() {
            return;
        }
        // a shard decides each of its points as the first of a sweep (see `sweep_with`)
        let shard = self.opts.shard.is_some();
        let snaps: Vec<Snap> = if shard {
            self.shard_failed.iter().map(|&f| Snap::fresh(f)).collect()
        } else {
            self.tallies.iter().map(Snap::of).collect()
        };
        let ctx = self.ctx();
        let answers = self.answers;
        // the earliest job of the batch where each relation failed so far: later jobs skip
        // it (their results would be ignored anyway, whichever thread got there first)
        let failed_at: Vec<std::sync::atomic::AtomicUsize> = (0..ctx.checks.len())
            .map(|_| std::sync::atomic::AtomicUsize::new(usize::MAX))
            .collect();
        let results: Vec<Vec<Option<Found>>> = jobs
            .par_iter()
            .enumerate()
            .map(|(j, (at, (point, dims)))| {
                (0..ctx.checks.len())
                    .map(|k| {
                        use std::sync::atomic::Ordering::Relaxed;
                        if snaps[k].failures > 0 || failed_at[k].load(Relaxed) < j {
                            return None;
                        }
                        // a shard's answer is what this sweep computes where the relation's
                        // state is still that of a sweep's first point
                        let given = answers
                            .and_then(|a| a.get(at))
                            .and_then(|v| v.get(k))
                            .and_then(Option::as_ref)
                            .filter(|_| snaps[k].is_fresh());
                        let found = match given {
                            Some(f) => f.clone(),
                            None => ctx.boxes_at(point, dims, k, snaps[k]),
                        };
                        if found.r.counterexample.is_some() {
                            failed_at[k].fetch_min(j, Relaxed);
                        }
                        Some(found)
                    })
                    .collect()
            })
            .collect();
        if shard {
            if Instant::now() > self.deadline {
                // answers cut by the time budget are not what one run computes: the merge
                // decides these points itself
                self.stopped = Some(Reason::TimeBudget {
                    limit: self.opts.time_per_claim,
                    points: self.points,
                });
                return;
            }
            for ((at, _), rs) in jobs.iter().zip(results) {
                for (k, r) in rs.iter().enumerate() {
                    if r.as_ref().is_some_and(|f| f.r.counterexample.is_some()) {
                        self.shard_failed[k] = true;
                    }
                }
                self.found.insert(*at, rs);
            }
            return;
        }
        for rs in results {
            for (k, r) in rs.into_iter().enumerate() {
                if let Some(r) = r
                    && self.tallies[k].failures == 0
                {
                    self.record_boxes(k, r);
                }
            }
        }
    }

    /// Adds what the provers found for relation `k` at one integer point to its tally.
    fn record_boxes(&mut self, k: usize, found: Found) {
        let Found { r, note, first } = found;
        if let Some(n) = note {
            self.note(k, n);
        }
        if first.is_some() {
            self.tallies[k].first = first;
        }
        self.points += r.points;
        let t = &mut self.tallies[k];
        t.boxes += r.proven;
        for (m, k) in r.methods {
            *t.methods.entry(m).or_default() += k;
        }
        if let Some(cx) = r.counterexample {
            t.failures += 1;
            t.counterexample = Some(cx);
        } else if let Some(u) = r.open {
            t.undecided_count += 1;
            t.undecided.get_or_insert(u);
        }
    }
}

/// Integer points whose boxes are decided together, in parallel: a fixed number, so that
/// how a grid is cut never depends on the number of threads (fewer than [`BATCH`]: each
/// point is a branch and bound, and the points after a refutation are wasted work).
const BOX_BATCH: usize = 32;

/// An integer point and the real box over it.
pub(super) type BoxJob = (Vec<(String, Rational)>, Vec<RealDim>);

/// What shards found at the integer points of a claim with real parameters: per
/// enumeration index, per relation, the provers' result (`None` where the shard needed
/// none: the relation was refuted at an earlier point of that shard).
pub(super) type BoxAnswers = std::collections::BTreeMap<u64, Vec<Option<Found>>>;

/// A relation's tally as the provers at a point need it.
#[derive(Clone, Copy)]
struct Snap {
    failures: u64,
    /// the relation already has an open box somewhere
    undecided: bool,
    first: Option<ProofMethod>,
}

impl Snap {
    /// The state of a relation at the first point of a sweep (or refuted, `failed`).
    fn fresh(failed: bool) -> Snap {
        Snap {
            failures: u64::from(failed),
            undecided: false,
            first: None,
        }
    }

    /// Whether the provers at a point see what they see at a sweep's first point.
    fn is_fresh(&self) -> bool {
        self.failures == 0 && !self.undecided && self.first.is_none()
    }

    fn of(t: &Tally) -> Snap {
        Snap {
            failures: t.failures,
            undecided: t.undecided.is_some(),
            first: t.first,
        }
    }
}

/// What the provers found for one relation at one integer point.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Found {
    r: BoxResult,
    /// what the reader must know
    note: Option<Reason>,
    /// the prover that closed the region branch and bound left open (it goes first next)
    first: Option<ProofMethod>,
}

/// The claim, its relations and budgets: what deciding the boxes at an integer point needs,
/// shared by the threads of a batch.
struct BoxCtx<'a> {
    claim: &'a Claim,
    links: &'a [Expr],
    checks: &'a [Check],
    budget: &'a Budget,
    opts: &'a Options,
    deadline: Instant,
    f64: Option<&'a F64Claim>,
}

impl BoxCtx<'_> {
    /// Branch and bound for relation `k` over the real box `dims` at the integer `point`,
    /// and the other provers where it leaves a region open.
    fn boxes_at(
        &self,
        point: &[(String, Rational)],
        dims: &[RealDim],
        k: usize,
        snap: Snap,
    ) -> Found {
        // once a relation has an open box its verdict is at best `undecided`; later
        // integer points then get a small box budget, enough to find a counterexample
        // (which would still refute it) without re-exhausting the full budget each time
        let max_boxes = if snap.undecided {
            (self.opts.max_boxes / 32).max(16)
        } else {
            self.opts.max_boxes
        };
        // a problem of real algebra gets a smaller first budget: where branch and bound
        // needs more boxes, the decision procedure is faster; branch and bound gets its
        // full budget back when the procedure gives no answer
        let c = &self.checks[k];
        let problem = if self.opts.real_algebra {
            algebra::problem(self.claim, &self.links[c.a], c.rel, &self.links[c.b], point)
        } else {
            None
        };
        let first_budget = (self.opts.max_boxes / 8).max(16);
        let algebraic = problem.is_some() && max_boxes > first_budget;
        let mut bb = BranchAndBound {
            claim: self.claim,
            links: self.links,
            check: c,
            fixed: point,
            budget: self.budget,
            opts: self.opts,
            deadline: self.deadline,
            max_boxes: if algebraic { first_budget } else { max_boxes },
            taylor: std::cell::OnceCell::new(),
            taylor_misses: std::cell::Cell::new(0),
            poly: std::cell::OnceCell::new(),
            touch_points: std::cell::RefCell::new(Vec::new()),
            f64: self.f64,
        };
        // where another prover closed what branch and bound left open at an earlier
        // integer point, it goes first (branch and bound would likely fail again)
        let mut r = BoxResult::default();
        let mut note: Option<Reason> = None;
        let mut first = None;
        let mut done = false;
        if let Some(m) = snap.first {
            let (by, _) =
                self.other_provers(&bb, dims, problem.as_ref(), &mut r, k, point, Some(m));
            done = by.is_some() || r.counterexample.is_some();
        }
        if !done {
            let points = r.points;
            r = bb.run(dims);
            r.points += points;
            if r.counterexample.is_none() && r.open.is_some() {
                let (by, n) =
                    self.other_provers(&bb, dims, problem.as_ref(), &mut r, k, point, None);
                note = n;
                if by.is_some() {
                    first = by;
                } else if algebraic && r.counterexample.is_none() {
                    bb.max_boxes = max_boxes;
                    let points = r.points;
                    r = bb.run(dims);
                    r.points += points;
                }
            }
        }
        Found { r, note, first }
    }

    /// The provers that take over a region branch and bound left open (`only`: just that
    /// one): real algebra, then the identity prover of the options. Returns the method that
    /// closed it, if one did (then `r` is proven, or holds its counterexample), and what the
    /// reader must know otherwise.
    #[allow(clippy::too_many_arguments)]
    fn other_provers(
        &self,
        bb: &BranchAndBound,
        dims: &[RealDim],
        problem: Option<&algebra::Problem>,
        r: &mut BoxResult,
        k: usize,
        point: &[(String, Rational)],
        only: Option<ProofMethod>,
    ) -> (Option<ProofMethod>, Option<Reason>) {
        let wanted = |m: ProofMethod| only.is_none_or(|o| o == m);
        let mut note = None;
        if wanted(ProofMethod::RealAlgebra)
            && let Some(problem) = problem
        {
            match real_algebra(problem, self.deadline, bb, dims, r) {
                Closed::Proven => return (Some(ProofMethod::RealAlgebra), None),
                Closed::Refuted => return (None, None),
                Closed::Open(n) => note = n,
            }
        }
        // sides that are the same function at this integer point (an empty sum, a factor
        // that cancels): no enclosure separates them, the symbolic engine can
        if wanted(ProofMethod::Identity)
            && let Some(prove) = self.opts.identity_at
        {
            let c = &self.checks[k];
            if prove(self.claim, &self.links[c.a], &self.links[c.b], point).is_some() {
                r.open = None;
                r.proven = 1;
                r.methods = [(ProofMethod::Identity, 1)].into();
                return (Some(ProofMethod::Identity), None);
            }
        }
        (None, note)
    }
}

impl Sweep<'_> {
    /// A note for the reader of relation `k`, once.
    fn note(&mut self, k: usize, n: Reason) {
        if !self.tallies[k].notes.contains(&n) {
            self.tallies[k].notes.push(n);
        }
    }

    /// An equality over real parameters at the simplest rationals of a 2^4-grid of the box
    /// (per dimension, up to 64 points in all).
    pub(super) fn sample_equality(&mut self, k: usize, dims: &[RealDim]) {
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
        let planned: u64 = grids.iter().map(|g| g.len() as u64).product();
        let mut tested = 0u64;
        loop {
            let at: Vec<(Rational, Rational)> = grids
                .iter()
                .zip(&idx)
                .map(|(g, i)| (g[*i].clone(), g[*i].clone()))
                .collect();
            // a dependent parameter's grid is over its fraction of the way between its
            // bounds; points outside the constrained domain are not tested
            let mut opts = self.opts.clone();
            opts.prec.1 = opts.prec.1.min(BOX_POINT_MAX_PREC);
            let v = match to_point(&self.point, dims, &at, &self.budget, true) {
                Ok((_, point)) => {
                    let pe = PointEval::new(self.claim, self.links, &point, &self.budget, &opts);
                    match pe.membership(&self.claim.constraints) {
                        Membership::Inside => Some((
                            pe.decide_checks(std::slice::from_ref(&self.checks[k]))
                                .remove(0),
                            point,
                        )),
                        Membership::Outside(_) => None,
                        Membership::Unknown(condition, why) => Some((
                            PointVerdict::Unknown(Reason::ConstraintUnchecked {
                                condition,
                                why: Box::new(why),
                            }),
                            point,
                        )),
                    }
                }
                Err(None) => None,
                Err(Some(why)) => Some((PointVerdict::Unknown(why), self.point.clone())),
            };
            let Some((v, point)) = v else {
                if !advance(&mut idx, &grids) {
                    return;
                }
                continue;
            };
            self.points += 1;
            let failed = matches!(v, PointVerdict::Fails(..));
            record(&mut self.tallies[k], &point, v);
            tested += 1;
            if failed {
                return;
            }
            if Instant::now() > self.deadline {
                if tested < planned {
                    self.tallies[k].notes.push(Reason::SampleCut {
                        tested,
                        planned,
                        limit: self.opts.time_per_claim,
                    });
                }
                return;
            }
            if !advance(&mut idx, &grids) {
                return;
            }
        }
    }
}

/// The next grid point (odometer); false after the last.
fn advance(idx: &mut [usize], grids: &[Vec<Rational>]) -> bool {
    for j in 0..idx.len() {
        idx[j] += 1;
        if idx[j] < grids[j].len() {
            return true;
        }
        idx[j] = 0;
    }
    false
}

/// [`record`] at the point of enumeration index `at`, noting the index of a first
/// counterexample or open point.
fn record_at(t: &mut Tally, at: u64, point: &[(String, Rational)], r: PointVerdict) {
    let (had_cx, had_open) = (t.counterexample.is_some(), t.undecided.is_some());
    record(t, point, r);
    if !had_cx && t.counterexample.is_some() {
        t.counterexample_at = Some(at);
    }
    if !had_open && t.undecided.is_some() {
        t.undecided_at = Some(at);
    }
}

pub(super) fn record(t: &mut Tally, point: &[(String, Rational)], r: PointVerdict) {
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
                t.undecided = Some(Reason::AtPoint {
                    point: point.to_vec(),
                    why: Box::new(why),
                });
            }
        }
    }
}

pub(super) fn fnv(bytes: &[u8]) -> u64 {
    fnv_more(0xcbf2_9ce4_8422_2325, bytes)
}

pub(super) fn fnv_more(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
