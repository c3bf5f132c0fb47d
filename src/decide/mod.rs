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
//!
//! A split run's parts are made and merged here too: a shard sweeps every N-th point
//! ([`sweep_part`], [`merge_parts`]) or decides the real boxes over every N-th integer
//! point, which the merge's replay of one run's sweep takes where the state allows
//! ([`box_part`], [`merge_boxes`]).
//!
//! The module owns the plan (which relations a claim decides) and the outcomes; its private
//! parts: `sweep` enumerates and samples domains, `ladder` decides one exact point (exact,
//! then intervals, then `monomial` comparison), `bnb` covers real boxes and minimises
//! counterexamples, and `search` runs the threshold and best-constant searches. Only
//! `ladder` and `bnb` call the evaluation engines.

mod algebra;
mod bnb;
mod ladder;
mod monomial;
mod search;
mod sweep;

use crate::verdict::fmt_point;
pub use crate::verdict::{
    Bracket, BudgetKind, Counterexample, Coverage, DomainError, Outcome, Reason, Side, Unrelaxed,
    Verdict,
};
pub use bnb::simplest_in;
pub use sweep::PointVisitor;

use crate::claims::{Body, Claim};
use crate::engine::exact::Budget;
use crate::expr::{Expr, Rel};
use rug::Rational;
use search::{best_constant, threshold};
use std::time::{Duration, Instant};
use sweep::{SweepResult, sweep};

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
    /// a prover of identities at one integer point, for boxes branch and bound and real
    /// algebra leave open (the pipeline passes the symbolic engine's, which this layer may
    /// not call itself)
    pub identity_at: Option<IdentityAt>,
    /// whether regions branch and bound leaves open go to the real-algebra decision
    /// procedure (z3) when the problem is one of real algebra
    pub real_algebra: bool,
    /// whether boxes are tried first with `f64` enclosures (outward rounded) before MPFR;
    /// off, every box goes to MPFR (tests compare the two)
    pub f64_rung: bool,
    /// decide only this shard's points of a point sweep ([`sweep_part`]) or this shard's
    /// boxes ([`box_part`]); `None`: all
    pub shard: Option<Shard>,
}

/// One of `count` runs that split a domain: it decides the points whose enumeration index
/// is `index` modulo `count` (`index` from 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// which run, from 0
    pub index: u64,
    /// how many runs
    pub count: u64,
}

/// Whether `lhs` and `rhs` of a claim (its definitions not yet inlined) are equal at every
/// point of the real parameters' region at the integer point given, both sides defined
/// there; the evidence in words.
pub type IdentityAt = fn(&Claim, &Expr, &Expr, &[(String, Rational)]) -> Option<String>;

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
            identity_at: None,
            real_algebra: true,
            f64_rung: true,
            shard: None,
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

/// Visits the values of the claim's integer, fixed and set parameters in enumeration order
/// (real parameters unbound; `where` constraints that need a real one are not checked, so
/// the points cover the domain), until `visit` returns false or a budget of `opts` ends.
/// Returns the number of points visited and whether that was all of them.
pub fn each_fixed_point(
    claim: &Claim,
    opts: &Options,
    visit: &mut sweep::PointVisitor<'_>,
) -> (u64, bool) {
    let deadline = Instant::now() + opts.time_per_claim;
    let (points, exhaustive, stopped) = sweep::enumerate_fixed_points(claim, opts, deadline, visit);
    (points, exhaustive && stopped.is_none())
}

/// Decides every relation of `claim` (one outcome for `holds`; the conclusion then each
/// step for a chain), and runs its searches. A `[[symbolic]]` table has no relation for this
/// engine (no outcome): [`crate::pipeline::decide_claim`] routes it to the symbolic engine.
pub fn decide(claim: &Claim, opts: &Options) -> Vec<Outcome> {
    decide_with(claim, opts, None)
}

/// [`decide`], the sweep taking shards' answers where they are what it computes
/// ([`merge_boxes`]).
fn decide_with(claim: &Claim, opts: &Options, answers: Option<&sweep::BoxAnswers>) -> Vec<Outcome> {
    let (links, checks) = plan(claim);
    let deadline = Instant::now() + opts.time_per_claim;
    if let Some(k) = &claim.best_constant {
        return vec![best_constant(claim, k, &links, &checks[0], opts, deadline)];
    }
    let (res, _) = sweep::sweep_with(claim, &links, &checks, opts, deadline, answers);
    let mut outs = outcomes(claim, &links, &checks, &res);
    if claim.threshold.is_none() {
        relax_sampled(claim, &mut outs, opts, deadline);
    } else {
        say_sampled(claim, &mut outs, Unrelaxed::Search);
    }
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

/// A shard's part of a claim's point sweep: the tallies of the points it decided, with the
/// enumeration index of each first counterexample and open point, and the sweep's point
/// count, exhaustiveness and stop (every shard enumerates the whole domain, so these are
/// the whole run's). Serialised into `check --shard` documents; [`merge_parts`] combines
/// them.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SweepPart(SweepResult);

/// Whether a claim's domain is split point by point across shards: a `holds` or chain
/// whose parameters are all enumerated exactly (integer ranges without `sample`, sets,
/// fixed values), with no search. Claims with real parameters are split by the integer
/// points under their boxes ([`splits_by_boxes`]); others (sampled ranges, searches,
/// symbolic tables) are decided whole by one shard: their relaxations and searches carry
/// state from point to point.
pub fn splits_by_points(claim: &Claim) -> bool {
    use crate::expr::DomainSpec;
    matches!(claim.body, Body::Holds(_) | Body::Chain { .. })
        && claim.threshold.is_none()
        && claim.best_constant.is_none()
        && claim.params.iter().all(|p| match &p.domain {
            DomainSpec::Real { .. } => false,
            d => !d.is_sampled(),
        })
}

/// Whether a claim with real parameters is split across shards by its integer points
/// (each shard decides the real boxes over its points; [`box_part`], [`merge_boxes`]): a
/// `holds` or chain with a real parameter, its other parameters enumerated exactly, no
/// search, and no equality (an equality over a box is sampled point by point, in order).
pub fn splits_by_boxes(claim: &Claim) -> bool {
    use crate::expr::DomainSpec;
    matches!(claim.body, Body::Holds(_) | Body::Chain { .. })
        && claim.threshold.is_none()
        && claim.best_constant.is_none()
        && claim
            .params
            .iter()
            .any(|p| matches!(p.domain, DomainSpec::Real { .. }))
        && claim.params.iter().all(|p| !p.domain.is_sampled())
        && plan(claim).1.iter().all(|c| c.rel != Rel::Eq)
}

/// A shard's answers for a claim with real parameters ([`splits_by_boxes`]): per
/// enumeration index of its integer points, per relation, what the provers found over the
/// point's real box, decided as the first point of a sweep would be. Serialised into
/// `check --shard` documents; [`merge_boxes`] replays the sweep with them.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct BoxPart(Vec<(u64, Vec<Option<sweep::Found>>)>);

/// The answers of `claim`'s boxes over the integer points of `opts.shard`
/// ([`splits_by_boxes`] claims only; `None` for others).
pub fn box_part(claim: &Claim, opts: &Options) -> Option<BoxPart> {
    if !splits_by_boxes(claim) || opts.shard.is_none() {
        return None;
    }
    let (links, checks) = plan(claim);
    let deadline = Instant::now() + opts.time_per_claim;
    let (_, found) = sweep::sweep_with(claim, &links, &checks, opts, deadline, None);
    Some(BoxPart(found.into_iter().collect()))
}

/// The outcomes of a [`splits_by_boxes`] claim from its shards' answers: one run's sweep
/// (`opts` without a shard), which takes a shard's answer wherever the relation's state is
/// the one the shard assumed (no counterexample, no open box and no preferred prover yet:
/// the provers at a point then compute exactly that answer) and decides the other points
/// itself (after a first open box, with the smaller budget one run uses). So the outcomes
/// are [`decide`]'s, whatever the shards left out.
pub fn merge_boxes(claim: &Claim, opts: &Options, parts: &[&BoxPart]) -> Vec<Outcome> {
    let mut answers = sweep::BoxAnswers::new();
    for part in parts {
        for (at, found) in &part.0 {
            answers.insert(*at, found.clone());
        }
    }
    decide_with(claim, opts, Some(&answers))
}

/// The sweep of `claim` over the points of `opts.shard` ([`splits_by_points`] claims only;
/// `None` for others).
pub fn sweep_part(claim: &Claim, opts: &Options) -> Option<SweepPart> {
    if !splits_by_points(claim) {
        return None;
    }
    let (links, checks) = plan(claim);
    let deadline = Instant::now() + opts.time_per_claim;
    Some(SweepPart(sweep(claim, &links, &checks, opts, deadline)))
}

/// The outcomes of `claim` from the parts of all its shards, in shard order: what one run
/// of [`decide`] gives when no budget ends a shard early (counts add up, the counterexample
/// and first open point are those of the smallest enumeration index; the point count and
/// stop are the whole run's in every part). An error names what does not fit together.
pub fn merge_parts(claim: &Claim, parts: &[&SweepPart]) -> Result<Vec<Outcome>, String> {
    let (links, checks) = plan(claim);
    let Some(&first) = parts.first() else {
        return Err(format!("{}: no shard has a part of this claim", claim.id));
    };
    let mut res = SweepResult {
        tallies: vec![Default::default(); checks.len()],
        points: first.0.points,
        exhaustive: true,
        stopped: None,
    };
    for part in parts {
        let p = &part.0;
        if p.tallies.len() != checks.len() {
            return Err(format!(
                "{}: a part has {} relations, the claim {}",
                claim.id,
                p.tallies.len(),
                checks.len()
            ));
        }
        res.points = res.points.max(p.points);
        res.exhaustive &= p.exhaustive;
        if res.stopped.is_none() {
            res.stopped.clone_from(&p.stopped);
        }
        for (t, u) in res.tallies.iter_mut().zip(&p.tallies) {
            t.failures += u.failures;
            if u.counterexample.is_some()
                && (t.counterexample.is_none() || u.counterexample_at < t.counterexample_at)
            {
                t.counterexample.clone_from(&u.counterexample);
                t.counterexample_at = u.counterexample_at;
            }
            t.undecided_count += u.undecided_count;
            if u.undecided.is_some() && (t.undecided.is_none() || u.undecided_at < t.undecided_at) {
                t.undecided.clone_from(&u.undecided);
                t.undecided_at = u.undecided_at;
            }
            t.boxes += u.boxes;
            for (m, k) in &u.methods {
                *t.methods.entry(*m).or_default() += k;
            }
            t.sampled |= u.sampled;
            for n in &u.notes {
                if !t.notes.contains(n) {
                    t.notes.push(n.clone());
                }
            }
        }
    }
    Ok(outcomes(claim, &links, &checks, &res))
}

/// A relation that holds at the sampled points of a `sample N` integer range is decided once
/// more with every sampled range relaxed to the real interval between its ends: what holds
/// for every real value there holds for every integer, so a `certified` relaxation certifies
/// the relation (a failure at a non-integer point says nothing, and is ignored). Expressions
/// that need the parameter to be an integer (a sum's bound) get no enclosure, so their
/// relaxation is never certified.
fn relax_sampled(claim: &Claim, outs: &mut [Outcome], opts: &Options, deadline: Instant) {
    use crate::expr::DomainSpec;
    let mut relaxed = claim.clone();
    let mut names = Vec::new();
    for p in &mut relaxed.params {
        if let DomainSpec::IntRange {
            lo,
            hi,
            inclusive,
            sample: Some(_),
        } = &p.domain
        {
            p.domain = DomainSpec::Real {
                lo: lo.clone(),
                lo_closed: true,
                hi: hi.clone(),
                hi_closed: *inclusive,
            };
            names.push(p.name.clone());
        }
    }
    let open = |o: &Outcome| o.verdict == Verdict::NoCounterexample && o.failures == 0;
    if names.is_empty() || !outs.iter().any(open) {
        return;
    }
    let why = relax(claim, relaxed, &names, outs, opts, deadline);
    if let Some(why) = why {
        say_sampled(claim, outs, why);
    }
}

/// The outcomes still `no-counterexample` after a sweep over sampled ranges get a reason
/// that says so, and why the ranges' relaxation did not certify them.
fn say_sampled(claim: &Claim, outs: &mut [Outcome], why: Unrelaxed) {
    let params: Vec<String> = claim
        .params
        .iter()
        .filter(|p| p.domain.is_sampled())
        .map(|p| p.name.clone())
        .collect();
    if params.is_empty() {
        return;
    }
    for o in outs {
        if o.verdict == Verdict::NoCounterexample && o.failures == 0 {
            o.reasons.push(Reason::SampledOnly {
                params: params.clone(),
                why: why.clone(),
            });
        }
    }
}

/// Decides `relaxed` (the claim with its sampled ranges `names` as real intervals) and
/// certifies the open outcomes whose relaxation is certified; what kept the others open.
fn relax(
    claim: &Claim,
    relaxed: Claim,
    names: &[String],
    outs: &mut [Outcome],
    opts: &Options,
    deadline: Instant,
) -> Option<Unrelaxed> {
    let open = |o: &Outcome| o.verdict == Verdict::NoCounterexample && o.failures == 0;
    // a relaxed parameter in a sum's bounds or a recurrence's length (after the `let`s) has
    // no real meaning: not worth the time
    let rels = relations(claim);
    let integral = rels.iter().any(|(id, a, _, b)| {
        outs.iter().any(|o| o.id == *id && open(o))
            && [a, b]
                .iter()
                .any(|e| claim.inline_lets(e).is_none_or(|e| counts_with(&e, names)))
    });
    if integral {
        return Some(Unrelaxed::Integral);
    }
    let left = deadline.saturating_duration_since(Instant::now());
    if left < Duration::from_millis(100) {
        return Some(Unrelaxed::NoTime);
    }
    let opts = Options {
        time_per_claim: left,
        ..opts.clone()
    };
    for (o, r) in outs.iter_mut().zip(decide(&relaxed, &opts)) {
        if open(o) && r.id == o.id && r.verdict == Verdict::Certified {
            o.verdict = Verdict::Certified;
            o.coverage = r.coverage;
            o.reasons = r.reasons;
            o.reasons.push(Reason::Relaxed {
                params: names.to_vec(),
            });
        }
    }
    Some(Unrelaxed::NotProven)
}

/// Whether one of `names` is in a bound of a sum or product or in the start or end of a
/// recurrence inside `e` (where only integers have a meaning).
fn counts_with(e: &Expr, names: &[String]) -> bool {
    let bounds: Vec<&Expr> = match e {
        Expr::Big { lo, hi, .. } => vec![lo, hi],
        Expr::Rec { start, end, .. } => vec![start, end],
        _ => Vec::new(),
    };
    bounds.iter().any(|b| names.iter().any(|n| b.mentions(n)))
        || e.children().into_iter().any(|c| counts_with(c, names))
}

fn append_reason(o: &mut Outcome, note: Reason) {
    o.reasons.push(note);
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
            let mut reasons: Vec<Reason> = Vec::new();
            if let Some(u) = &t.undecided {
                reasons.push(if t.undecided_count > 1 {
                    Reason::AndMore {
                        first: Box::new(u.clone()),
                        more: t.undecided_count - 1,
                    }
                } else {
                    u.clone()
                });
            }
            reasons.extend(res.stopped.iter().cloned());
            reasons.extend(t.notes.iter().cloned());
            if verdict == Verdict::NoCounterexample && t.sampled {
                reasons.push(Reason::EqualitySampled {
                    params: claim
                        .params
                        .iter()
                        .filter(|p| matches!(p.domain, crate::expr::DomainSpec::Real { .. }))
                        .map(|p| p.name.clone())
                        .collect(),
                });
            }
            if verdict == Verdict::Undecided && reasons.is_empty() {
                reasons.push(Reason::NoPoints);
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
                    methods: t.methods.clone(),
                },
                counterexample: t.counterexample.clone(),
                failures: t.failures,
                reasons,
                threshold: None,
                best_constant: None,
                kernel: None,
                certificate: None,
                symbolic: false,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::search::rel_small;
    use super::*;
    use crate::claims::ClaimBuilder;

    fn run(claim: ClaimBuilder) -> Vec<Outcome> {
        decide(&claim.build().unwrap(), &Options::default())
    }

    fn q(s: &str) -> Rational {
        s.parse().unwrap()
    }

    #[test]
    fn certifies_a_true_finite_claim() {
        let o = run(ClaimBuilder::new("c")
            .param("n in 1..=50")
            .param("r in 1..=n")
            .holds("(n-r)/n <= (1-1/n)^r"));
        assert_eq!(o[0].verdict, Verdict::Certified, "{:?}", o[0].reason());
        assert_eq!(o[0].coverage.points, 50 * 51 / 2);
        assert!(o[0].coverage.exhaustive);
    }

    #[test]
    fn refutes_with_the_lexicographically_smallest_point() {
        let o = run(ClaimBuilder::new("c")
            .param("n in 1..=10")
            .holds("2^n <= n^2"));
        assert_eq!(o[0].verdict, Verdict::Refuted);
        let cx = o[0].counterexample.as_ref().unwrap();
        assert_eq!(cx.point[0].1, 1);
        assert_eq!(cx.lhs, Side::Exact(Rational::from(2)));
        // fails at n = 1 and n = 5..=10 (2^n > n^2), holds at 2, 3 (8 <= 9), 4
        assert_eq!(o[0].failures, 7);
    }

    #[test]
    fn undefined_points_refute_and_irrational_points_are_decided_by_intervals() {
        let o = run(ClaimBuilder::new("c").param("n in 0..=3").holds("1/n <= 1"));
        assert_eq!(o[0].verdict, Verdict::Refuted);
        assert!(matches!(
            o[0].counterexample.as_ref().unwrap().lhs,
            Side::Undefined(_)
        ));
        let o = run(ClaimBuilder::new("c")
            .param("n in 1..=30")
            .holds("n^(1/2) <= n"));
        assert_eq!(o[0].verdict, Verdict::Certified, "{:?}", o[0].reason());
        let o = run(ClaimBuilder::new("c")
            .param("n in 1..=30")
            .holds("ln(n) <= n - 1"));
        assert_eq!(o[0].verdict, Verdict::Certified, "{:?}", o[0].reason());
        let o = run(ClaimBuilder::new("c")
            .param("n in 1..=30")
            .holds("exp(n) <= 3^n"));
        assert_eq!(o[0].verdict, Verdict::Certified, "{:?}", o[0].reason());
        let o = run(ClaimBuilder::new("c")
            .param("n in 1..=30")
            .holds("3^n <= exp(n)*1.1"));
        assert_eq!(o[0].verdict, Verdict::Refuted);
        // 3 > 1.1 e = 2.990...
        assert_eq!(o[0].counterexample.as_ref().unwrap().point[0].1, 1);
    }

    #[test]
    fn touching_radicals_are_decided_exactly() {
        // 2 * 2^(1/2) = 8^(1/2): equal, intervals cannot tell, exponent clearing can
        let o = run(ClaimBuilder::new("c")
            .param("n = 2")
            .holds("n*n^(1/2) <= 8^(1/2)"));
        assert_eq!(o[0].verdict, Verdict::Certified, "{:?}", o[0].reason());
        let o = run(ClaimBuilder::new("c")
            .param("n = 2")
            .holds("n*n^(1/2) < 8^(1/2)"));
        assert_eq!(o[0].verdict, Verdict::Refuted);
        // exp(c ln u) = u^c exactly: equal sides are decided, and `<` is false
        let o = run(ClaimBuilder::new("c")
            .param("n = 2")
            .holds("exp(ln(n)) < n"));
        assert_eq!(o[0].verdict, Verdict::Refuted, "{:?}", o[0].reason());
        let cx = o[0].counterexample.as_ref().unwrap();
        assert_eq!(
            (&cx.lhs, &cx.rhs),
            (&Side::Exact(q("2")), &Side::Exact(q("2")))
        );
        let o = run(ClaimBuilder::new("c")
            .param("n = 2")
            .holds("exp(ln(n)/2) <= n^(1/2)"));
        assert_eq!(o[0].verdict, Verdict::Certified, "{:?}", o[0].reason());
        // touching transcendental values that exact algebra cannot represent (logarithms)
        // are undecided, never refuted
        let o = run(ClaimBuilder::new("c")
            .param("n = 2")
            .holds("ln(n) + ln(3) < ln(3*n)"));
        assert_eq!(o[0].verdict, Verdict::Undecided, "{:?}", o[0].reason());
        let o = run(ClaimBuilder::new("c")
            .param("n = 2")
            .holds("ln(n) + ln(3) <= ln(3*n)"));
        assert_eq!(o[0].verdict, Verdict::Undecided);
    }

    #[test]
    fn real_boxes_are_proven_or_refuted() {
        let o = run(ClaimBuilder::new("c")
            .param("a in (0, 1]")
            .holds("exp(a) >= 1 + a"));
        // equality at a = 0 (excluded): intervals near 0 cannot separate, so boxes stay open
        assert_ne!(o[0].verdict, Verdict::Refuted);
        let o = run(ClaimBuilder::new("c")
            .param("a in [1/10, 1]")
            .holds("exp(a) >= 1 + a"));
        assert_eq!(o[0].verdict, Verdict::Certified, "{:?}", o[0].reason());
        assert!(o[0].coverage.boxes >= 1);
        let o = run(ClaimBuilder::new("c")
            .param("a in [0, 2]")
            .holds("a^2 <= 2"));
        assert_eq!(o[0].verdict, Verdict::Refuted);
        // simplest rational in the failing region (sqrt 2, 2]: 3/2? no: 2 is simpler
        let cx = o[0].counterexample.as_ref().unwrap();
        assert_eq!(cx.point[0].1, q("2"));
        let o = run(ClaimBuilder::new("c")
            .param("a in [0, 3/2)")
            .holds("a^2 <= 2"));
        let cx = o[0].counterexample.as_ref().unwrap();
        // failing set (sqrt 2, 3/2): simplest rational 10/7 (denominator 7)
        assert_eq!(cx.point[0].1, q("10/7"));
    }

    #[test]
    fn touching_sides_are_proven_and_poles_are_named() {
        // equal at 0 with equal first derivatives: the Taylor form at 0 proves it
        let o = run(ClaimBuilder::new("c")
            .param("x in [0, 10]")
            .holds("x/(1 + x) <= ln(1 + x)"));
        assert_eq!(o[0].verdict, Verdict::Certified, "{:?}", o[0].reason());
        // ln(1 + x) has no value at the excluded end -1: on the tail next to it the margin
        // x - ln(1 + x) decreases towards 0 (its derivative x/(1 + x) is a rational function
        // of one sign there), and the Taylor form proves the rest from the touching point 0
        let o = run(ClaimBuilder::new("c")
            .param("x in (-1, 4]")
            .holds("ln(1 + x) <= x"));
        assert_eq!(o[0].verdict, Verdict::Certified, "{:?}", o[0].reason());
        // poles at excluded ends where a rational factor vanishes to higher order
        for (p, h) in [
            ("x in (0, 2]", "1/x + x >= 2"),
            ("x in [-3, 1)", "1/(1 - x) >= 1 + x"),
        ] {
            let o = run(ClaimBuilder::new("c").param(p).holds(h));
            assert_eq!(o[0].verdict, Verdict::Certified, "{h}: {:?}", o[0].reason());
        }
        // a tightened version is refuted next to the touching point, not near the pole
        let o = run(ClaimBuilder::new("c")
            .param("x in (-1, 4]")
            .holds("ln(1 + x) <= (1 - 1e-9)*x"));
        assert_eq!(o[0].verdict, Verdict::Refuted);
        // where the margin's derivative is not a rational function (exp) the tail is not
        // proven: the reason names the pole at the excluded end, not "touching"
        let o = run(ClaimBuilder::new("c")
            .param("x in (-1, 4]")
            .holds("ln(1 + x) <= exp(x)"));
        assert_eq!(o[0].verdict, Verdict::Undecided);
        assert!(
            matches!(&o[0].reasons[0], Reason::UndefinedAtExcludedEnd { param, end, .. }
                if param == "x" && *end == -1),
            "{:?}",
            o[0].reasons
        );
    }

    #[test]
    fn a_sampled_equality_cut_short_by_time_says_so() {
        let c = ClaimBuilder::new("c")
            .param("a in [0, 1]")
            .holds("exp(a*ln(2)) = 2^a")
            .build()
            .unwrap();
        let opts = Options {
            time_per_claim: Duration::from_nanos(1),
            ..Options::default()
        };
        let o = decide(&c, &opts).remove(0);
        assert_eq!(o.verdict, Verdict::NoCounterexample, "{:?}", o.reason());
        assert!(
            matches!(&o.reasons[..], [Reason::SampleCut { tested: 1, planned, .. }, Reason::EqualitySampled { params }] if *planned > 1 && params == &["a"]),
            "{:?}",
            o.reasons
        );
        assert!(o.reason().unwrap().contains("ran out after 1 of the"));
        // with time for all of it, no such note; the reason says why it is only sampled
        let o = decide(&c, &Options::default()).remove(0);
        assert!(
            matches!(&o.reasons[..], [Reason::EqualitySampled { .. }]),
            "{:?}",
            o.reasons
        );
        assert!(
            o.reason()
                .unwrap()
                .contains("an equality over the real parameter `a`: tested at sample points")
        );
    }

    #[test]
    fn chains_give_conclusion_and_steps() {
        let o = run(ClaimBuilder::new("c")
            .param("n in 1..=5")
            .chain(["n", "<=", "n^2/3", "<=", "n^2"]));
        assert_eq!(o.len(), 3);
        assert_eq!(o[0].id, "c");
        assert_eq!(o[0].verdict, Verdict::Certified);
        assert_eq!(o[1].id, "c.step1");
        assert_eq!(o[1].verdict, Verdict::Refuted);
        assert_eq!(o[2].id, "c.step2");
        assert_eq!(o[2].verdict, Verdict::Certified);
    }

    #[test]
    fn a_grid_decided_in_parallel_gives_the_sequential_tallies() {
        // a grid of 40,000 points in batches across threads: the same counts, the same
        // first (minimal) counterexample and the same first undecided point on one thread and
        // on four
        let c = ClaimBuilder::new("c")
            .param("n in 1..=200")
            .param("m in 1..=200")
            .holds("n*m - 3*n <= 35000 + sqrt(m)/10^6")
            .build()
            .unwrap();
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            format!("{:?}", pool.install(|| decide(&c, &Options::default())))
        };
        let one = on(1);
        assert!(one.contains("Refuted"), "{one}");
        assert_eq!(one, on(4));
    }

    #[test]
    fn integer_points_with_real_boxes_decided_in_parallel_give_the_same_outcomes() {
        // 120 integer points, each a branch and bound over x, in batches across threads:
        // the same outcomes (counts of boxes and points, the minimal counterexample at
        // n = 96, the first n where the maximum n^2/4 of n*x - x^2 (at x = n/2) exceeds 2300:
        // 96^2/4 = 2304, 95^2/4 = 2256.25) on one thread and on four; and a true relation
        // over the same grid, certified alike
        let refuted = ClaimBuilder::new("c")
            .param("n in 1..=120")
            .param("x in [0, n]")
            .holds("n*x - x^2 <= 2300 + exp(-x)/10^9")
            .build()
            .unwrap();
        let certified = ClaimBuilder::new("c")
            .param("n in 1..=120")
            .param("x in [0, n]")
            .holds("n*x - x^2 <= n^2/4 + 1 - exp(-x)/2")
            .build()
            .unwrap();
        for (c, verdict) in [(&refuted, "Refuted"), (&certified, "Certified")] {
            let on = |threads: usize| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                format!("{:?}", pool.install(|| decide(c, &Options::default())))
            };
            let one = on(1);
            assert!(one.contains(verdict), "{one}");
            assert_eq!(one, on(4));
        }
        let o = decide(&refuted, &Options::default()).remove(0);
        let cx = o.counterexample.expect("refuted");
        assert_eq!(cx.point[0], ("n".to_string(), Rational::from(96)));
    }

    #[test]
    fn sampling_is_seeded_and_not_exhaustive() {
        // true at integers only, so that the relaxation to real n does not certify it
        let body = ClaimBuilder::new("c")
            .param("n in 1..=10^15 sample 40")
            .holds("floor(n) >= n");
        let a = run(body.clone());
        let b = run(body);
        assert_eq!(a[0].verdict, Verdict::NoCounterexample);
        assert!(!a[0].coverage.exhaustive);
        assert!(a[0].coverage.points >= 30 && a[0].coverage.points <= 40);
        assert_eq!(a[0].coverage, b[0].coverage);
        let c = run(ClaimBuilder::new("c")
            .param("n in 1..=10 sample 40")
            .holds("n >= 1"));
        assert_eq!(c[0].verdict, Verdict::Certified);
    }

    #[test]
    fn dependent_empty_ranges_and_budgets() {
        let o = run(ClaimBuilder::new("c")
            .param("n in 1..=3")
            .param("r in n+1..=3")
            .holds("r > n"));
        assert_eq!(o[0].verdict, Verdict::Certified);
        assert_eq!(o[0].coverage.points, 3);
        let o = run(ClaimBuilder::new("c")
            .param("n in 1..=10^9")
            .holds("n >= 1"));
        assert_eq!(o[0].verdict, Verdict::Undecided);
        assert!(o[0].reason().unwrap().contains("point budget"));
        // the reason is typed: callers tell a budget from a guard without reading text
        assert!(matches!(
            &o[0].reasons[..],
            [Reason::Domain {
                error: DomainError::TooManyValues {
                    max_points: 2_000_000,
                    ..
                },
                ..
            }]
        ));
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
        let o = run(ClaimBuilder::new("c")
            .param("a in [0, 1]")
            .param("n in 1..=4")
            .holds("a*n <= 1")
            .threshold("a"));
        assert_eq!(o[0].verdict, Verdict::Refuted);
        // integers are enumerated first: the smallest n at which some a fails is n = 2
        let cx = o[0].counterexample.as_ref().unwrap();
        assert_eq!(cx.point[0], ("n".to_string(), q("2")));
        let t = o[0].threshold.as_ref().expect("threshold");
        assert!(t.lo <= q("1/4") && q("1/4") <= t.hi, "{t:?}");
        assert!(rel_small(&t.lo, &t.hi, &q("1/1000000000")));
        // best K with n <= K*ln(n+1) over n in 1..=20: the max of n/ln(n+1) is at n = 20
        let o = run(ClaimBuilder::new("c")
            .param("n in 1..=20")
            .holds("n <= K*ln(n+1)")
            .best_constant("K"));
        let b = o[0].best_constant.as_ref().expect("best constant");
        // 20/ln 21 = 6.5691...
        assert!(b.lo < q("65692/10000") && q("65691/10000") < b.hi, "{b:?}");
        assert_eq!(b.witness, vec![("n".to_string(), q("20"))]);
        assert_eq!(o[0].verdict, Verdict::Certified, "{:?}", o[0].reason());
    }
}
