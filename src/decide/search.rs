//! The searches of a claim: `threshold` (the bracket of a parameter where the relation
//! starts to fail) and `best_constant` (the bracket of the optimal constant), by bisection
//! over sweeps, or in one sweep when the margin is affine in the constant.

use super::bnb::simplest_in;
use super::ladder::{PointEval, constant};
use super::sweep::{enumerate_points, sweep};
use super::{
    Bracket, Check, Counterexample, Coverage, Options, Outcome, Reason, Verdict, append_reason,
    outcomes,
};
use crate::claims::{Claim, Param};
use crate::engine::exact::{self, Budget};
use crate::expr::{DomainSpec, Expr};
use rug::{Integer, Rational};
use std::cmp::Ordering;
use std::time::Instant;

/// A copy of `claim` with parameter `name` fixed to `v` (or, for `best_constant`, the free
/// constant bound as a new fixed parameter).
pub(super) fn with_fixed(claim: &Claim, name: &str, v: &Rational) -> Claim {
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
pub(super) fn holds_with(
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

pub(super) fn rel_small(lo: &Rational, hi: &Rational, tol: &Rational) -> bool {
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
pub(super) fn bisect(
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
) -> (Rational, Rational, Counterexample, bool, Option<Reason>) {
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
                Some(Reason::SearchTime),
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
        let r = holds_with(claim, name, &mid, links, check, opts, deadline);
        if !absorb(
            r,
            &mid,
            &mut good,
            &mut good_exhaustive,
            &mut bad,
            &mut witness,
        ) {
            return (
                good,
                bad,
                witness,
                good_exhaustive,
                Some(Reason::SearchStuck {
                    param: name.to_string(),
                    value: mid,
                }),
            );
        }
    }
    if !integer {
        // land on the simplest rational of the bracket: where the searched value is attained
        // at a simple number (a touching point, a face), the bracket's end becomes that
        // number, decided there, instead of a dyadic neighbour
        let (l, h) = if good < bad {
            (&good, &bad)
        } else {
            (&bad, &good)
        };
        let q = simplest_in(l, true, h, true);
        if q != good && q != bad && Instant::now() < deadline {
            let r = holds_with(claim, name, &q, links, check, opts, deadline);
            absorb(
                r,
                &q,
                &mut good,
                &mut good_exhaustive,
                &mut bad,
                &mut witness,
            );
        }
    }
    (good, bad, witness, good_exhaustive, None)
}

/// Moves the bracket's end that the verdict at `v` belongs to onto `v` (the good end when
/// the relation holds there, the bad one with its witness when it fails); false when the
/// verdict is undecided.
fn absorb(
    r: Option<Result<bool, Counterexample>>,
    v: &Rational,
    good: &mut Rational,
    good_exhaustive: &mut bool,
    bad: &mut Rational,
    witness: &mut Counterexample,
) -> bool {
    match r {
        Some(Ok(ex)) => {
            *good = v.clone();
            *good_exhaustive = ex;
        }
        Some(Err(cx)) => {
            *bad = v.clone();
            *witness = cx;
        }
        None => return false,
    }
    true
}

/// The searched parameter's range with constant ends: `(lo, lo included, hi, hi included,
/// integer)`; an integer range is given by its first and last integer.
fn search_range(
    claim: &Claim,
    name: &str,
    b: &Budget,
) -> Result<(Rational, bool, Rational, bool, bool), Reason> {
    let p = claim
        .params
        .iter()
        .find(|p| p.name == name)
        .expect("validated");
    let ends = |lo: &Expr, hi: &Expr| -> Option<(Rational, Rational)> {
        if !lo.free_vars().is_empty() || !hi.free_vars().is_empty() {
            return None;
        }
        Some((constant(lo, b).ok()?, constant(hi, b).ok()?))
    };
    match &p.domain {
        DomainSpec::Real {
            lo,
            lo_closed,
            hi,
            hi_closed,
        } => match ends(lo, hi) {
            Some((l, h)) => Ok((l, *lo_closed, h, *hi_closed, false)),
            None => Err(Reason::ThresholdNeedsConstantEnds(name.to_string())),
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
                Ok((l.ceil(), true, h, true, true))
            }
            None => Err(Reason::ThresholdNeedsConstantEnds(name.to_string())),
        },
        _ => Err(Reason::ThresholdNeedsRange(name.to_string())),
    }
}

/// `threshold = "p"`: the supremum (or infimum) of `p` for which the relation holds on the
/// rest of the domain, as a bracket `[lo, hi]`: the relation holds at the safe end and is
/// refuted (with the witness) at the other.
pub(super) fn threshold(
    claim: &Claim,
    name: &str,
    links: &[Expr],
    check: &Check,
    opts: &Options,
    deadline: Instant,
) -> (Option<Bracket>, Option<Reason>) {
    let (lo, lo_in, hi, hi_in, integer) = match search_range(claim, name, &opts.budget) {
        Ok(r) => r,
        Err(why) => return (None, Some(why)),
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
                Some(Reason::ThresholdHoldsAtBothEnds(name.to_string())),
            );
        }
        (Some(Err(_)), Some(Err(_))) => {
            return (
                None,
                Some(Reason::ThresholdFailsAtBothEnds(name.to_string())),
            );
        }
        _ => {
            return (None, Some(Reason::ThresholdUndecidedEnd(name.to_string())));
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
            safe: good.clone(),
            safe_exhaustive: good_ex,
        }),
        note,
    )
}

/// `best_constant = "K"`: the optimal `K` for which the relation holds on the whole domain,
/// bracketed by bisection on `K` (monotone in `K` for `lhs <= K*rhs`-type claims).
pub(super) fn best_constant(
    claim: &Claim,
    k: &str,
    links: &[Expr],
    check: &Check,
    opts: &Options,
    deadline: Instant,
) -> Outcome {
    let base = |verdict, reason: Option<Reason>, bracket: Option<Bracket>| Outcome {
        id: check.id.clone(),
        source: claim.source.clone(),
        relation: format!("{} {} {}", links[check.a], check.rel, links[check.b]),
        file: claim.file.clone(),
        verdict,
        coverage: Coverage::default(),
        counterexample: None,
        failures: 0,
        reasons: reason.into_iter().collect(),
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
            Some(Reason::BestConstantNotBracketed(k.to_string())),
            None,
        );
    };
    let (g, gex) = g;
    let (g, b, w, gex, note) = bisect(claim, k, g, b, cx, gex, false, links, check, opts, deadline);
    // attained: at the witness the sides are exactly equal with K = g, and the margin is
    // affine in K with a slope that makes every K beyond g fail there: the best K is g
    let attained = note.is_none() && attained_at(claim, k, &g, &b, &w, links, check, opts);
    let b = if attained { g.clone() } else { b };
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
    let meaning = if attained {
        format!(
            "the relation {holds} with {k} = {g}, and at the witness its sides are equal with {k} = {g} and it fails for every other {k} on the far side: the best {k} is {g}"
        )
    } else {
        format!(
            "the relation {holds} with {k} = {g} and fails with {k} = {b} (at the witness): the best {k} lies in [{l}, {h}]"
        )
    };
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
        safe: g.clone(),
        safe_exhaustive: gex,
    });
    o.relation = base(Verdict::Undecided, None, None).relation;
    append_reason(
        &mut o,
        Reason::SafeEnd {
            constant: k.to_string(),
            value: g.clone(),
        },
    );
    if let Some(n) = note {
        append_reason(&mut o, n);
    }
    o
}

/// Whether the best constant `k` is exactly `good`: at the witness point `w` (where the
/// relation fails with `k = bad`), the relation's sides are exactly equal with `k = good`,
/// and its margin is `P k + Q` with `P(w)` exact and of the sign that makes the margin
/// negative for every `k` beyond `good` (towards `bad`).
#[allow(clippy::too_many_arguments)]
fn attained_at(
    claim: &Claim,
    k: &str,
    good: &Rational,
    bad: &Rational,
    w: &Counterexample,
    links: &[Expr],
    check: &Check,
    opts: &Options,
) -> bool {
    let Some((g, _)) = check.rel.margin(&links[check.a], &links[check.b]) else {
        return false;
    };
    let Some(g) = claim.inline_lets(&g) else {
        return false;
    };
    let Some((p, _)) = exact::affine_split(&g, k) else {
        return false;
    };
    let mut point: Vec<(String, Rational)> =
        w.point.iter().filter(|(n, _)| n != k).cloned().collect();
    point.push((k.to_string(), good.clone()));
    let mut env = super::ladder::exact_env(&point);
    let Ok(slope) = super::ladder::exact_value(&p, &mut env, &opts.budget) else {
        return false;
    };
    let Ok(margin) = super::ladder::exact_value(&g, &mut env, &opts.budget) else {
        return false;
    };
    let toward = Rational::from(bad - good);
    margin == 0 && slope != 0 && (slope > 0) != (toward > 0)
}

/// Exact lower and upper ends.
pub(super) type Bounds = (Rational, Rational);

/// The best constant in one sweep when the margin is affine in `K`, `g = P K + Q` (g >= 0
/// iff the relation holds), the domain is enumerable, and `P` keeps one sign: the best `K`
/// is the extreme of `-Q/P` over the points, bracketed by the extremes of its rigorous
/// enclosures. `None` sends the search to bisection.
pub(super) fn best_constant_affine(
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
    let (g, _) = check.rel.margin(&links[check.a], &links[check.b])?;
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
        let Some((s, r)) = pe.sign_and_root(prec) else {
            failed = true;
            return false;
        };
        if sign.is_some_and(|s0| s0 != s) {
            failed = true;
            return false;
        }
        sign = Some(s);
        widen_extreme(&mut best, r, point, s == Ordering::Greater);
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
        safe: safe.clone(),
        safe_exhaustive: res.exhaustive,
    });
    append_reason(
        &mut o,
        Reason::SafeEnd {
            constant: k.to_string(),
            value: safe.clone(),
        },
    );
    Some(o)
}

/// Folds one point's root `-Q/P` (exact, or an enclosure `r`) into the running bracket of
/// its extreme: with `P > 0` (`up`) the relation needs `K >= -Q/P` and the best `K` is the
/// largest root; with `P < 0` it needs `K <= -Q/P` and the best `K` is the smallest. The
/// witness is the point whose root leads.
fn widen_extreme(
    best: &mut Option<(Bounds, Vec<(String, Rational)>)>,
    r: Bounds,
    point: &[(String, Rational)],
    up: bool,
) {
    match best {
        None => *best = Some((r, point.to_vec())),
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
}

/// `[lo, hi]` widened to decimals with `digits` significant digits (still a bracket).
pub(super) fn round_out(lo: &Rational, hi: &Rational, digits: u32) -> (Rational, Rational) {
    let parse = |s: &str| -> Option<Rational> {
        constant(&crate::expr::parse_expr(s).ok()?, &Budget::default()).ok()
    };
    let l = parse(&exact::decimal_enclosure(lo, digits).0);
    let h = parse(&exact::decimal_enclosure(hi, digits).1);
    match (l, h) {
        (Some(l), Some(h)) if l <= *lo && h >= *hi => (l, h),
        _ => (lo.clone(), hi.clone()),
    }
}
