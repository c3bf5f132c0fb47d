//! The layer between the engines and the front ends: it routes each claim to the engine
//! that decides it (the decision engine, or the symbolic engine for `[[symbolic]]` tables),
//! has the independent kernel re-check every verdict, filters by `--only`, and draws
//! progress bars. `cli` and `audit` both sit on it; it imports neither.

use crate::certify::kernel;
use crate::claims::{self, Claim};
use crate::decide::{self, Options, Outcome, Reason, Verdict};
use crate::expr::{BinOp, DomainSpec, Expr, Rel, Relation};

/// Why a run of the pipeline stopped.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// An id given to select outcomes names no claim or step (bad input).
    #[error("--only {0}: no claim or step with this id")]
    UnknownId(String),
    /// The kernel failed (not a disagreement, which is reported in the outcome).
    #[error("{0}")]
    Kernel(String),
}

/// Decides one claim with the engine that fits it: the symbolic engine for a
/// `[[symbolic]]` table, the decision engine otherwise. A `holds` relation `=`, `<=` or `>=`
/// that the sweep left sampled or undecided is then tried as an identity
/// ([`identity_on_domain`]).
pub fn decide_claim(claim: &Claim, opts: &Options) -> Vec<Outcome> {
    match &claim.body {
        claims::Body::Symbolic(spec) => vec![crate::symbolic::decide_claim(claim, spec)],
        claims::Body::Holds(_) | claims::Body::Chain { .. } => {
            let mut outs = decide::decide(claim, &claim_options(opts));
            settle_identities(claim, &mut outs);
            outs
        }
    }
}

/// The options a claim is decided under: the caller's with the identity prover at points,
/// and no shard (one run's decision).
fn claim_options(opts: &Options) -> Options {
    Options {
        identity_at: Some(identity_at_point),
        shard: None,
        ..opts.clone()
    }
}

/// A relation (a `holds`, a chain's conclusion or one of its steps) left open whose sides
/// are equal on the whole domain is certified by that identity ([`identity_on_domain`]).
fn settle_identities(claim: &Claim, outs: &mut [Outcome]) {
    let relations = decide::relations(claim);
    for o in outs {
        let Some((_, lhs, rel, rhs)) = relations.iter().find(|(id, ..)| *id == o.id) else {
            continue;
        };
        let open = matches!(o.verdict, Verdict::NoCounterexample | Verdict::Undecided);
        let non_strict = matches!(rel, Rel::Eq | Rel::Le | Rel::Ge);
        let r = Relation {
            lhs: lhs.clone(),
            rel: *rel,
            rhs: rhs.clone(),
        };
        if open
            && non_strict
            && o.failures == 0
            && claim.best_constant.is_none()
            && let Some(why) = identity_on_domain(claim, &r)
        {
            o.verdict = Verdict::Certified;
            o.coverage.exhaustive = true;
            o.reasons = vec![Reason::Symbolic(why)];
            o.symbolic = true;
        }
    }
}

/// Whether the two sides of `r` are equal at every point of the claim's domain, with the
/// evidence: both sides (definitions inlined) have values on the whole domain, and the
/// symbolic engine proves them equal under the parameters' ranges (its guarded rewrite
/// rules, checked at seeded points). Each parameter ranges over the hull of its domain
/// (bounds that use earlier parameters enclosed over their hulls, a set by its least and
/// largest values). That the sides have values is shown by interval evaluation over the
/// domain box, or, where that fails (a sum whose bounds are parameters), at each value of the
/// integer, fixed and set parameters with the real ones over their ranges. Relations that use
/// definitions in a claim with construction guards are left alone (`None`).
pub fn identity_on_domain(claim: &Claim, r: &Relation) -> Option<String> {
    use crate::symbolic::range::Assumptions;
    // a construction's guards say where its derived quantities mean what they say: a
    // relation that uses a definition is left alone; one on the parameters alone is not
    // concerned by them
    let used: Vec<&str> = claim
        .lets
        .iter()
        .filter(|d| r.lhs.mentions(&d.name) || r.rhs.mentions(&d.name))
        .map(|d| d.name.as_str())
        .collect();
    // under a construction's guards the definitions stay opaque: the sides must be equal
    // whatever real values the definitions take (no sign assumed), and the guards must hold
    // at every point, like the sweep asks
    let opaque = !claim.guards.is_empty() && !used.is_empty();
    let (lhs, rhs) = (claim.inline_lets(&r.lhs)?, claim.inline_lets(&r.rhs)?);
    let hull = Hull::new();
    let mut assume = Assumptions::default();
    if opaque {
        for name in &used {
            assume
                .ranges
                .insert(name.to_string(), crate::symbolic::range::Range::all());
        }
    }
    let mut env = crate::engine::real::RealEnv::new();
    for p in &claim.params {
        // each parameter over the hull of its domain: bounds that use earlier parameters
        // are enclosed over their hulls (a proof on a superset of the domain is a proof)
        let (lo, hi) = hull.of(&p.domain, &mut env)?;
        if lo > hi {
            return None;
        }
        let spec = if lo == hi {
            format!("{} = {lo}", p.name)
        } else if matches!(p.domain, DomainSpec::IntRange { .. }) {
            format!("{} in {lo}..={hi}", p.name)
        } else {
            format!("{} in [{lo}, {hi}]", p.name)
        };
        assume.add(&spec).ok()?;
        env.push(&p.name, hull.interval(&lo, &hi));
    }
    // a parameter fixed to an expression (`t0 = c*t1`) is that expression: substituted,
    // later parameters first, so that the relations between parameters are not lost in
    // their hulls
    let fixed = |e: &Expr| {
        claim
            .params
            .iter()
            .rev()
            .fold(e.clone(), |e, p| match &p.domain {
                DomainSpec::Fixed(v) => e.substitute(&p.name, v),
                _ => e,
            })
    };
    let ans = if opaque {
        crate::symbolic::equal(&fixed(&r.lhs), &fixed(&r.rhs), &assume)
    } else {
        crate::symbolic::equal(&fixed(&lhs), &fixed(&rhs), &assume)
    };
    if ans.status != "proved" {
        return None;
    }
    let guards: Vec<(Expr, Rel, Expr)> = if opaque {
        let inline = |e: &Expr| claim.inline_lets(e);
        claim
            .guards
            .iter()
            .map(|(_, g)| Some((inline(&g.lhs)?, g.rel, inline(&g.rhs)?)))
            .collect::<Option<_>>()?
    } else {
        Vec::new()
    };
    let how = if guards.is_empty() && hull.defined(&[&lhs, &rhs], &mut env) {
        "interval evaluation over the domain box".to_string()
    } else {
        // at each value of the integer parameters, the real ones over their hulls there
        let mut defined = true;
        let opts = Options {
            time_per_claim: std::time::Duration::from_secs(10),
            ..Options::default()
        };
        let (points, all) = decide::each_fixed_point(claim, &opts, &mut |point| {
            let mut env = match hull.at(claim, point) {
                Err(()) => {
                    defined = false;
                    return false;
                }
                // empty at this point: nothing to check
                Ok(None) => return true,
                Ok(Some((env, _))) => env,
            };
            defined = hull.defined(&[&lhs, &rhs], &mut env)
                && guards
                    .iter()
                    .all(|(a, rel, b)| hull.holds(a, *rel, b, &mut env));
            defined
        });
        if !(defined && all) {
            return None;
        }
        format!(
            "interval evaluation at each of the {points} values of the integer parameters, the real ones over their ranges{}",
            if guards.is_empty() {
                ""
            } else {
                ", where the construction's guards hold too"
            }
        )
    };
    Some(format!(
        "the sides are equal on the whole domain: both have values on all of it ({how}), and the symbolic engine proves them equal{} ({})",
        if opaque {
            format!(
                " whatever the values of {}",
                used.iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            String::new()
        },
        ans.reason.unwrap_or_default().replace('\n', " ")
    ))
}

/// [`decide::IdentityAt`] through the symbolic engine: at an integer point, with the
/// definitions inlined, the point's values substituted and sums and products whose bounds
/// are then constants written out (at most [`MAX_UNROLLED`] terms each), the sides are proven
/// equal with the real parameters over their ranges there (hulls of dependent bounds;
/// `where` constraints not used, a superset), and shown to have values on all of it by
/// interval evaluation. Claims with construction guards are left alone.
pub fn identity_at_point(
    claim: &Claim,
    lhs: &Expr,
    rhs: &Expr,
    point: &[(String, rug::Rational)],
) -> Option<String> {
    use crate::symbolic::range::Assumptions;
    if !claim.guards.is_empty() {
        return None;
    }
    let (lhs, rhs) = (claim.inline_lets(lhs)?, claim.inline_lets(rhs)?);
    let hull = Hull::new();
    let Ok(Some((mut env, ranges))) = hull.at(claim, point) else {
        return None;
    };
    let mut assume = Assumptions::default();
    for (name, lo, hi) in &ranges {
        assume.add(&format!("{name} in [{lo}, {hi}]")).ok()?;
    }
    if !hull.defined(&[&lhs, &rhs], &mut env) {
        return None;
    }
    let at = |e: &Expr| {
        point.iter().fold(e.clone(), |e, (n, v)| {
            e.substitute(n, &Expr::Num(v.clone()))
        })
    };
    let (l, r) = (at(&lhs), at(&rhs));
    // as written first (sums compared termwise), then written out
    let mut ans = crate::symbolic::equal(&l, &r, &assume);
    if ans.status != "proved" {
        let (l, r) = (unroll(&l, &hull.budget)?, unroll(&r, &hull.budget)?);
        ans = crate::symbolic::equal(&l, &r, &assume);
    }
    (ans.status == "proved").then(|| ans.reason.unwrap_or_default().replace('\n', " "))
}

/// Most terms `unroll` writes out per sum or product.
pub const MAX_UNROLLED: i64 = 64;

/// `e` with every sum and product whose bounds are constants written out term by term
/// (an empty sum is 0, an empty product 1); `None` for a recurrence, for bounds that are not
/// constants, or for more than [`MAX_UNROLLED`] terms.
fn unroll(e: &Expr, budget: &crate::engine::exact::Budget) -> Option<Expr> {
    use crate::expr::BigOp;
    match e {
        Expr::Rec { .. } => None,
        Expr::Big {
            op,
            var,
            lo,
            hi,
            body,
        } => {
            let end = |b: &Expr| -> Option<i64> {
                let v = crate::engine::exact::eval_closed(b, budget).ok()?;
                v.is_integer().then(|| v.numer().to_i64()).flatten()
            };
            let (lo, hi) = (end(lo)?, end(hi)?);
            if hi.checked_sub(lo)? >= MAX_UNROLLED {
                return None;
            }
            let (unit, bin) = match op {
                BigOp::Sum => (0, BinOp::Add),
                BigOp::Prod => (1, BinOp::Mul),
            };
            let mut acc: Option<Expr> = None;
            for i in lo..=hi {
                let term = unroll(&body.substitute(var, &Expr::num(i)), budget)?;
                acc = Some(match acc {
                    None => term,
                    Some(a) => Expr::bin(bin, a, term),
                });
            }
            Some(acc.unwrap_or_else(|| Expr::num(unit)))
        }
        _ => {
            let mut ok = true;
            let out = e.map_outer(|c| {
                unroll(c, budget).unwrap_or_else(|| {
                    ok = false;
                    c.clone()
                })
            });
            ok.then_some(out)
        }
    }
}

/// An environment at a point, with the hulls (name, lo, hi) of the parameters left free.
type AtPoint = (
    crate::engine::real::RealEnv,
    Vec<(String, rug::Rational, rug::Rational)>,
);

/// Interval hulls of parameter domains, and definedness over them, for
/// [`identity_on_domain`] and [`identity_at_point`].
struct Hull {
    budget: crate::engine::exact::Budget,
    ar: crate::engine::real::Arith,
}

impl Hull {
    fn new() -> Hull {
        Hull {
            budget: crate::engine::exact::Budget::with_time(std::time::Duration::from_secs(5)),
            ar: crate::engine::real::Arith { prec: 128 },
        }
    }

    /// Rational bounds of an enclosure of `e`.
    fn bounds(
        &self,
        e: &Expr,
        env: &mut crate::engine::real::RealEnv,
    ) -> Option<(rug::Rational, rug::Rational)> {
        let iv = crate::engine::real::eval(e, env, self.ar, &self.budget).ok()?;
        match iv.to_rational_bounds() {
            (Some(l), Some(h)) => Some((l, h)),
            _ => None,
        }
    }

    /// The hull of a domain under the bindings of `env`.
    fn of(
        &self,
        d: &DomainSpec,
        env: &mut crate::engine::real::RealEnv,
    ) -> Option<(rug::Rational, rug::Rational)> {
        Some(match d {
            DomainSpec::Fixed(e) => self.bounds(e, env)?,
            DomainSpec::IntRange { lo, hi, .. } => {
                let (l, _) = self.bounds(lo, env)?;
                let (_, h) = self.bounds(hi, env)?;
                (l.ceil(), h.floor())
            }
            DomainSpec::Real { lo, hi, .. } => {
                let (l, _) = self.bounds(lo, env)?;
                let (_, h) = self.bounds(hi, env)?;
                (l, h)
            }
            DomainSpec::Set(v) => {
                let mut ends = v.iter().map(|e| self.bounds(e, env));
                let first = ends.next()??;
                ends.try_fold(first, |(l, h), b| {
                    let (bl, bh) = b?;
                    Some((l.min(bl), h.max(bh)))
                })?
            }
        })
    }

    /// The environment at `point` (its values bound, every other parameter over the hull of
    /// its domain there, in declaration order), with the hulls of those others: `Err(())`
    /// where a hull has no enclosure, `Ok(None)` where one is empty.
    fn at(&self, claim: &Claim, point: &[(String, rug::Rational)]) -> Result<Option<AtPoint>, ()> {
        let mut env = crate::engine::real::RealEnv::new();
        let mut ranges = Vec::new();
        for p in &claim.params {
            let iv = match point.iter().find(|(n, _)| *n == p.name) {
                Some((_, v)) => self.interval(v, v),
                None => {
                    let (lo, hi) = self.of(&p.domain, &mut env).ok_or(())?;
                    if lo > hi {
                        return Ok(None);
                    }
                    let iv = self.interval(&lo, &hi);
                    ranges.push((p.name.clone(), lo, hi));
                    iv
                }
            };
            env.push(&p.name, iv);
        }
        Ok(Some((env, ranges)))
    }

    fn interval(&self, lo: &rug::Rational, hi: &rug::Rational) -> crate::engine::real::Interval {
        crate::engine::real::Interval::from_bounds(lo, hi, self.ar.prec)
    }

    /// Whether `a rel b` certainly holds under `env` (enclosures that decide it).
    fn holds(&self, a: &Expr, rel: Rel, b: &Expr, env: &mut crate::engine::real::RealEnv) -> bool {
        let ev = |e: &Expr, env: &mut crate::engine::real::RealEnv| {
            crate::engine::real::eval(e, env, self.ar, &self.budget).ok()
        };
        match (ev(a, env), ev(b, env)) {
            (Some(x), Some(y)) => x.certain_cmp(&y).is_some_and(|o| rel.holds(o)),
            _ => false,
        }
    }

    /// Whether every expression has an enclosure under `env` (then no point of it is
    /// undefined).
    fn defined(&self, es: &[&Expr], env: &mut crate::engine::real::RealEnv) -> bool {
        es.iter()
            .all(|e| crate::engine::real::eval(e, env, self.ar, &self.budget).is_ok())
    }
}

/// Decides the claims, keeping only the outcomes `only` names (a claim id selects the
/// claim and all its steps; `<id>.step<k>` selects one step), and has the kernel re-check
/// each kept outcome (its `kernel` field). Claims are decided in parallel (each with its
/// own budget) and the outcomes come back in the order of `claims`.
pub fn decide_claims(
    claims: &[Claim],
    only: &[String],
    opts: &Options,
) -> Result<Vec<Outcome>, PipelineError> {
    decide_claims_with(claims, only, opts, &|_, _| {})
}

/// The outcome ids [`decide_claims`] will report for `claims` under `only`, with their
/// sources, in order (what a table printed row by row needs to know in advance).
pub fn planned_ids(claims: &[Claim], only: &[String]) -> Vec<(String, String)> {
    let wanted =
        |id: &str, claim: &str| only.is_empty() || only.iter().any(|o| o == id || o == claim);
    let mut out = Vec::new();
    for c in claims {
        let ids: Vec<String> = match &c.body {
            claims::Body::Symbolic(_) => vec![c.id.clone()],
            _ => crate::decide::relations(c)
                .into_iter()
                .map(|r| r.0)
                .collect(),
        };
        for id in ids.into_iter().filter(|id| wanted(id, &c.id)) {
            out.push((id, c.source.clone()));
        }
    }
    out
}

/// [`decide_claims`], calling `done(k, outcomes)` as soon as claim `k` is decided (from
/// the worker thread that decided it, in any order): for output that appears as it comes.
pub fn decide_claims_with(
    claims: &[Claim],
    only: &[String],
    opts: &Options,
    done: &(dyn Fn(usize, &[Outcome]) + Sync),
) -> Result<Vec<Outcome>, PipelineError> {
    check_only(claims, only)?;
    // claims are independent: decided in parallel, collected in the order given
    use rayon::prelude::*;
    let per_claim: Vec<Result<Vec<Outcome>, PipelineError>> = claims
        .par_iter()
        .enumerate()
        .map(|(k, c)| {
            if !selected(c, only) {
                done(k, &[]);
                return Ok(Vec::new());
            }
            let kept = kept_and_rechecked(c, only, decide_claim(c, opts))?;
            done(k, &kept);
            Ok(kept)
        })
        .collect();
    let mut out = Vec::new();
    for r in per_claim {
        out.extend(r?);
    }
    Ok(out)
}

/// Every id of `only` names a claim or one of its chain steps.
fn check_only(claims: &[Claim], only: &[String]) -> Result<(), PipelineError> {
    for o in only {
        let known = claims.iter().any(|c| {
            c.id == *o
                || o.strip_prefix(&format!("{}.step", c.id))
                    .is_some_and(|k| k.parse::<usize>().is_ok_and(|k| k >= 1 && k <= steps(c)))
        });
        if !known {
            return Err(PipelineError::UnknownId(o.clone()));
        }
    }
    Ok(())
}

/// Whether `only` selects the claim or one of its steps.
fn selected(c: &Claim, only: &[String]) -> bool {
    only.is_empty()
        || only
            .iter()
            .any(|o| o == &c.id || o.starts_with(&format!("{}.step", c.id)))
}

/// The outcomes `only` keeps, each re-checked by the kernel.
fn kept_and_rechecked(
    c: &Claim,
    only: &[String],
    outs: Vec<Outcome>,
) -> Result<Vec<Outcome>, PipelineError> {
    let wanted = |id: &str| only.is_empty() || only.iter().any(|o| o == id || *o == c.id);
    let mut kept = Vec::new();
    for mut o in outs.into_iter().filter(|o| wanted(&o.id)) {
        o.kernel = Some(recheck(c, &o)?);
        kept.push(o);
    }
    Ok(kept)
}

/// What one shard of a split run (`check --shard`) holds about one claim.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(tag = "part", rename_all = "snake_case")]
pub enum ShardPart {
    /// the claim's domain is split point by point ([`decide::splits_by_points`]): this
    /// shard's tallies
    Points {
        /// the tallies of this shard's points
        sweep: decide::SweepPart,
    },
    /// the claim has real parameters and is split by its integer points
    /// ([`decide::splits_by_boxes`]): this shard's answers over their boxes
    Boxes {
        /// the provers' answers at this shard's points
        boxes: decide::BoxPart,
    },
    /// this shard decided the whole claim: its outcomes, kernel re-checks included (none
    /// when `only` leaves the claim out)
    Whole {
        /// the claim's outcomes
        outcomes: Vec<Outcome>,
    },
    /// another shard decides the whole claim
    Elsewhere {
        /// that shard (from 1, as `--shard I/N` numbers them)
        shard: u64,
    },
}

/// The shard that decides claim `k` whole, of `count`.
fn owner(k: usize, count: u64) -> u64 {
    k as u64 % count
}

/// One shard of a split run: per claim of `claims`, its part ([`ShardPart`]); `done(k)`
/// is called as claim `k` finishes. Claims whose domain splits by points are swept over
/// every `count`-th point (the real boxes over them too, for claims with real
/// parameters); each other claim is decided whole by shard `k mod count`.
pub fn decide_shard(
    claims: &[Claim],
    only: &[String],
    opts: &Options,
    shard: decide::Shard,
    done: &(dyn Fn(usize) + Sync),
) -> Result<Vec<ShardPart>, PipelineError> {
    check_only(claims, only)?;
    use rayon::prelude::*;
    claims
        .par_iter()
        .enumerate()
        .map(|(k, c)| {
            // the shard's points only in a split sweep; a claim decided whole sees them all
            let split = Options {
                shard: Some(shard),
                ..claim_options(opts)
            };
            let part = if !selected(c, only) {
                ShardPart::Whole {
                    outcomes: Vec::new(),
                }
            } else if let Some(sweep) = decide::sweep_part(c, &split) {
                ShardPart::Points { sweep }
            } else if let Some(boxes) = decide::box_part(c, &split) {
                ShardPart::Boxes { boxes }
            } else if owner(k, shard.count) == shard.index {
                ShardPart::Whole {
                    outcomes: kept_and_rechecked(c, only, decide_claim(c, opts))?,
                }
            } else {
                ShardPart::Elsewhere {
                    shard: owner(k, shard.count) + 1,
                }
            };
            done(k);
            Ok(part)
        })
        .collect()
}

/// Why shards do not merge.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// The shards do not fit together (bad input).
    #[error("{0}")]
    Mismatch(String),
    /// The pipeline failed.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
}

/// The outcomes of one unsplit run from the parts of every shard (`parts[s][k]`: shard
/// `s`'s part of claim `k`, shards in order; `opts` the shards' options without the
/// shard): whole claims are taken from their shard, split ones merged
/// ([`decide::merge_parts`], [`decide::merge_boxes`]), then tried as identities and
/// re-checked by the kernel as [`decide_claims`] does.
pub fn merge_shards(
    claims: &[Claim],
    only: &[String],
    parts: &[Vec<ShardPart>],
    opts: &Options,
) -> Result<Vec<Outcome>, MergeError> {
    check_only(claims, only)?;
    let count = parts.len() as u64;
    if let Some(p) = parts.iter().find(|p| p.len() != claims.len()) {
        return Err(MergeError::Mismatch(format!(
            "a shard has parts of {} claims; the claim files have {}",
            p.len(),
            claims.len()
        )));
    }
    use rayon::prelude::*;
    let per_claim: Vec<Result<Vec<Outcome>, MergeError>> = claims
        .par_iter()
        .enumerate()
        .map(|(k, c)| {
            if !selected(c, only) {
                return Ok(Vec::new());
            }
            let mine: Vec<&ShardPart> = parts.iter().map(|p| &p[k]).collect();
            // every shard's part of one kind, or none
            fn every<'p, T>(
                mine: &[&'p ShardPart],
                pick: impl Fn(&'p ShardPart) -> Option<&'p T>,
            ) -> Option<Vec<&'p T>> {
                mine.iter().map(|p| pick(p)).collect()
            }
            let merged = if let Some(points) = every(&mine, |p| match p {
                ShardPart::Points { sweep } => Some(sweep),
                _ => None,
            }) {
                Some(decide::merge_parts(c, &points).map_err(MergeError::Mismatch)?)
            } else {
                every(&mine, |p| match p {
                    ShardPart::Boxes { boxes } => Some(boxes),
                    _ => None,
                })
                .map(|boxes| decide::merge_boxes(c, &claim_options(opts), &boxes))
            };
            if let Some(mut outs) = merged {
                settle_identities(c, &mut outs);
                return Ok(kept_and_rechecked(c, only, outs)?);
            }
            let own = owner(k, count) as usize;
            match mine.get(own) {
                Some(ShardPart::Whole { outcomes }) => Ok(outcomes.clone()),
                _ => Err(MergeError::Mismatch(format!(
                    "claim `{}`: shard {} of {count} should hold its outcomes and does not (were the shards run on the same files and options?)",
                    c.id,
                    own + 1
                ))),
            }
        })
        .collect();
    let mut out = Vec::new();
    for r in per_claim {
        out.extend(r?);
    }
    Ok(out)
}

/// The independent kernel's re-check of an outcome, as the `kernel` field reports it.
pub fn recheck(claim: &Claim, o: &Outcome) -> Result<String, PipelineError> {
    match kernel::recheck(claim, o) {
        Ok(kernel::Recheck::Agreed(t)) => Ok(format!("agreed: {t}")),
        Ok(kernel::Recheck::Skipped(t)) => Ok(format!("not re-checked: {t}")),
        Err(e) => Err(PipelineError::Kernel(e.to_string())),
    }
}

/// The number of chain steps of a claim (0 for other bodies).
fn steps(c: &Claim) -> usize {
    match &c.body {
        claims::Body::Holds(_) => 0,
        claims::Body::Chain { rels, .. } => rels.len(),
        claims::Body::Symbolic(_) => 0,
    }
}

/// A progress bar on standard error when it is a terminal and `CI` is unset; `None` in
/// pipes, files and CI.
pub fn progress_bar(len: u64, what: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len);
    let style = indicatif::ProgressStyle::with_template(
        "{elapsed_precise} [{bar:40}] {pos}/{len} {msg} (eta {eta})",
    )
    .ok()?;
    bar.set_style(style);
    bar.set_message(what.to_string());
    Some(bar)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::ClaimBuilder;

    fn outcome(params: &[&str], holds: &str) -> Outcome {
        let mut b = ClaimBuilder::new("c");
        for p in params {
            b = b.param(*p);
        }
        let c = b.holds(holds).build().unwrap();
        decide_claim(&c, &Options::default()).remove(0)
    }

    fn verdict(params: &[&str], holds: &str) -> (Verdict, Option<String>) {
        let o = outcome(params, holds);
        (o.verdict, o.reason())
    }

    #[test]
    fn identities_are_certified_on_the_whole_domain() {
        for (params, holds) in [
            (&["n in 1..=50", "a in [0, 2]"][..], "exp(a*ln(n)) = n^a"),
            (
                &["x in [1, 5]", "y in [1/2, 3]"][..],
                "ln(x*y) = ln(x) + ln(y)",
            ),
        ] {
            let (v, r) = verdict(params, holds);
            assert_eq!(v, Verdict::Certified, "{holds}: {r:?}");
            assert!(r.unwrap().contains("symbolic engine proves them equal"));
        }
        // written as an inequality over real parameters only, the box is closed by the
        // identity prover of branch and bound's open regions, at the one (empty) integer point
        let o = outcome(&["x in [1/2, 4]", "q in [1/3, 3]"], "ln(x^q) <= q*ln(x)");
        assert_eq!(o.verdict, Verdict::Certified, "{:?}", o.reason());
        assert_eq!(
            o.coverage
                .methods
                .get(&crate::verdict::ProofMethod::Identity),
            Some(&1)
        );
    }

    #[test]
    fn identical_sides_with_an_undefined_point_are_not_certified() {
        // equal where defined, but undefined at x = 2/7, which the sampled grid misses
        let (v, r) = verdict(&["x in [0, 1]"], "1/(x - 2/7) = 1/(x - 2/7)");
        assert_ne!(v, Verdict::Certified, "{r:?}");
        // ln of a value that may be negative is not rewritten
        let (v, r) = verdict(
            &["x in [-1, 5]", "y in [1/2, 3]"],
            "ln(x*y) = ln(x) + ln(y)",
        );
        assert_ne!(v, Verdict::Certified, "{r:?}");
    }
}
