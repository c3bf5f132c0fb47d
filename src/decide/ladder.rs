//! The decision of one relation at one exact point, by a ladder of methods: exact
//! evaluation, then interval enclosures at rising precision, then exact comparison of
//! monomials ([`monomial`](super::monomial)). The claim's guards are checked first.

use super::monomial::{Values, compare_monomials, monomial};
use super::{Check, Options, Reason, Side};
use crate::claims::Claim;
use crate::engine::exact::{self, Budget, Env, ExactError};
use crate::engine::real::{self, Arith, Interval, RealEnv, RealError};
use crate::expr::{Expr, Rel};
use rug::{Float, Rational};
use std::cmp::Ordering;

/// The outcome of one relation at one exact point.
#[derive(Clone, Debug)]
pub(super) enum PointVerdict {
    Holds,
    Fails(Side, Side),
    Unknown(Reason),
}

/// Whether a point satisfies a list of relations on the parameters (a claim's `where`
/// constraints, or a construction's guards).
#[derive(Clone, Debug)]
pub(super) enum Membership {
    Inside,
    /// this relation fails
    Outside(String),
    /// this relation could not be decided, for this reason
    Unknown(String, Reason),
}

/// Whether an exact evaluation stopped at the size limit of its budget.
fn too_large(e: &ExactError) -> bool {
    matches!(e, ExactError::Budget(exact::BudgetError::Size(_)))
}

/// Most bits of an intermediate rational in the ladder's quick first pass.
const QUICK_BITS: u64 = 1 << 14;

/// A link's value at an exact point.
#[derive(Clone, Debug)]
pub(super) enum LinkVal {
    Exact(Rational),
    Undefined(String),
    /// not rational (or beyond the exact budget's steps or time): needs intervals
    Inexact(String),
    /// an intermediate rational beyond the exact budget's size: needs intervals (or a larger
    /// budget)
    TooLarge(String),
}

/// Evaluates links of a claim at one exact point: exactly where possible, otherwise by
/// intervals at rising precision.
pub(super) struct PointEval<'a> {
    pub(super) lets: &'a [crate::claims::Def],
    pub(super) guards: &'a [(String, crate::expr::Relation)],
    pub(super) links: &'a [Expr],
    pub(super) point: &'a [(String, Rational)],
    pub(super) budget: &'a Budget,
    pub(super) opts: &'a Options,
}

/// The exact value of `e` under `env` (domain bounds, parameter values): the sweep and the
/// searches reach the exact engine only through here and [`constant`].
pub(super) fn exact_value(
    e: &Expr,
    env: &mut Env,
    budget: &Budget,
) -> Result<Rational, ExactError> {
    exact::eval(e, env, budget)
}

/// The exact value of a closed expression (no free names).
pub(super) fn constant(e: &Expr, budget: &Budget) -> Result<Rational, ExactError> {
    exact::eval_closed(e, budget)
}

/// An exact environment with the point's values bound.
pub(super) fn exact_env(point: &[(String, Rational)]) -> Env {
    let mut env = Env::new();
    for (n, v) in point {
        env.push(n, v.clone());
    }
    env
}

/// An interval environment with the point's values bound at `prec` bits.
pub(super) fn real_env(point: &[(String, Rational)], prec: u32) -> RealEnv {
    let mut env = RealEnv::new();
    for (n, v) in point {
        env.push_exact(n, v, prec);
    }
    env
}

/// Evaluates the definitions `lets` in order in `env` (where the point is bound) with
/// `eval`, binding each value with `bind`: the one place where "bind a point, evaluate its
/// `let`s, pass failures on" is written. A definition that fails, or mentions one that
/// failed, stays unbound and is returned with the error, so that whatever uses it fails the
/// same way; with `stop_at_first` the first failure ends the evaluation.
pub(super) fn bind_lets<'l, En, V, E: Clone>(
    env: &mut En,
    lets: impl IntoIterator<Item = (&'l str, &'l Expr)>,
    stop_at_first: bool,
    mut eval: impl FnMut(&mut En, &str, &Expr) -> Result<V, E>,
    mut bind: impl FnMut(&mut En, &str, V),
) -> Vec<(String, E)> {
    let mut failed: Vec<(String, E)> = Vec::new();
    for (name, expr) in lets {
        if let Some((_, e)) = failed.iter().find(|(n, _)| expr.mentions(n)) {
            let e = e.clone();
            failed.push((name.to_string(), e));
            continue;
        }
        match eval(env, name, expr) {
            Ok(v) => bind(env, name, v),
            Err(e) => {
                failed.push((name.to_string(), e));
                if stop_at_first {
                    break;
                }
            }
        }
    }
    failed
}

/// The exact engine at a point, as the monomial comparison needs it.
struct ExactValues<'a> {
    env: Env,
    budget: &'a Budget,
}

impl Values for ExactValues<'_> {
    fn exact(&mut self, e: &Expr) -> Option<Rational> {
        exact::eval(e, &mut self.env, self.budget).ok()
    }

    fn exp_atom(&mut self, arg: &Expr) -> Option<String> {
        // exp(x) > 0 where x has a value: an atom keyed by its argument with every exact
        // part folded. The argument must be shown defined here, or a zero factor beside
        // the atom would hide an undefined value.
        let mut renv = RealEnv::new();
        for (n, v) in self.env.bindings() {
            renv.push_exact(n, v, 256);
        }
        real::eval(arg, &mut renv, Arith { prec: 256 }, self.budget).ok()?;
        Some(format!(
            "exp({})",
            exact::fold_constants(arg, &mut self.env, &[])
        ))
    }

    fn pow(&self, base: &Rational, exp: &Rational) -> Option<Rational> {
        exact::pow(base, exp, self.budget).ok()
    }
}

pub(super) fn undefined_msg(e: &ExactError) -> Option<String> {
    match e {
        ExactError::Undefined(m) | ExactError::NotInteger(m) => Some(m.clone()),
        _ => None,
    }
}

impl<'a> PointEval<'a> {
    pub(super) fn new(
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
    pub(super) fn exact_links(&self, needed: &[bool]) -> Vec<Option<LinkVal>> {
        let mut env = exact_env(self.point);
        let let_err = bind_lets(
            &mut env,
            self.lets.iter().map(|d| (d.name.as_str(), &d.expr)),
            false,
            |env, name, e| {
                exact::eval(e, env, self.budget).map_err(|e| match undefined_msg(&e) {
                    Some(m) => LinkVal::Undefined(format!("in `{name}`: {m}")),
                    None if too_large(&e) => LinkVal::TooLarge(format!("`{name}`: {e}")),
                    None => LinkVal::Inexact(format!("`{name}`: {e}")),
                })
            },
            |env, name, v| env.push(name, v),
        );
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
                        None if too_large(&err) => LinkVal::TooLarge(err.to_string()),
                        None => LinkVal::Inexact(err.to_string()),
                    },
                })
            })
            .collect()
    }

    /// The definitions and the links with every rational part replaced by its exact value
    /// at this point ([`exact::fold_exact`]), for interval evaluation.
    pub(super) fn folded(&self, needed: &[bool]) -> (Vec<(String, Expr)>, Vec<Expr>) {
        let mut env = exact_env(self.point);
        let mut lets = Vec::with_capacity(self.lets.len());
        let _: Vec<(String, std::convert::Infallible)> = bind_lets(
            &mut env,
            self.lets.iter().map(|d| (d.name.as_str(), &d.expr)),
            false,
            |env, _, e| Ok(exact::fold_exact(e, env, self.budget)),
            |env, name, f| {
                if let Expr::Num(v) = &f {
                    env.push(name, v.clone());
                }
                lets.push((name.to_string(), f));
            },
        );
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
    pub(super) fn interval_links(
        &self,
        needed: &[bool],
        prec: u32,
        folded: &(Vec<(String, Expr)>, Vec<Expr>),
    ) -> Vec<Option<Result<Interval, RealError>>> {
        let mut env = real_env(self.point, prec);
        let ar = Arith { prec };
        let let_err = bind_lets(
            &mut env,
            folded.0.iter().map(|(n, e)| (n.as_str(), e)),
            false,
            |env, _, e| real::eval(e, env, ar, self.budget),
            |env, name, iv| env.push(name, iv),
        );
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
    pub(super) fn decide_checks(&self, checks: &[Check]) -> Vec<PointVerdict> {
        if let Some(why) = self.guard_failure() {
            return checks
                .iter()
                .map(|_| PointVerdict::Unknown(why.clone()))
                .collect();
        }
        self.decide_unguarded(checks)
    }

    /// Why the derived quantities do not apply at this point, if they do not.
    pub(super) fn guard_failure(&self) -> Option<Reason> {
        match self.relations_hold(self.guards) {
            Membership::Inside => None,
            Membership::Outside(condition) => Some(Reason::GuardFails { condition }),
            Membership::Unknown(condition, why) => Some(Reason::GuardUnchecked {
                condition,
                why: Box::new(why),
            }),
        }
    }

    /// Whether the point satisfies every `where` constraint of the claim whose names it
    /// binds (constraints on parameters not yet bound are left for later).
    pub(super) fn membership(&self, constraints: &[(String, crate::expr::Relation)]) -> Membership {
        let bound = |r: &crate::expr::Relation| {
            let fv = |e: &Expr| {
                e.free_vars()
                    .into_iter()
                    .all(|v| self.point.iter().any(|(n, _)| *n == v))
            };
            fv(&r.lhs) && fv(&r.rhs)
        };
        let now: Vec<(String, crate::expr::Relation)> = constraints
            .iter()
            .filter(|(_, r)| bound(r))
            .cloned()
            .collect();
        self.relations_hold(&now)
    }

    /// Decides relations on the parameters alone (no definitions) at this point, stopping at
    /// the first that fails or cannot be decided.
    fn relations_hold(&self, relations: &[(String, crate::expr::Relation)]) -> Membership {
        for (text, r) in relations {
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
                PointVerdict::Fails(..) => return Membership::Outside(text.clone()),
                PointVerdict::Unknown(w) => return Membership::Unknown(text.clone(), w),
            }
        }
        Membership::Inside
    }

    pub(super) fn decide_unguarded(&self, checks: &[Check]) -> Vec<PointVerdict> {
        match self.quick_holds(checks) {
            Ok(v) => v,
            Err(ex) if !ex.is_empty() => self.ladder(checks, Some(ex)),
            Err(_) => self.ladder(checks, None),
        }
    }

    /// A first pass with a small exact budget ([`QUICK_BITS`]): a rational part too large
    /// for it (`(1 + 1/T)^T` at T = 10^4 has 133,000 bits) is left to intervals at the
    /// starting precision. When that shows every check holding, the point is decided (each
    /// step is as rigorous as the full ladder's); anything else (a failure, whose sides are
    /// reported exactly, or an open check) goes through the full ladder: `Err` with the
    /// exact values when the small budget changed nothing (the ladder reuses them), else
    /// `Err` with nothing.
    fn quick_holds(&self, checks: &[Check]) -> Result<Vec<PointVerdict>, Vec<Option<LinkVal>>> {
        let small = Budget {
            max_bits: self.budget.max_bits.min(QUICK_BITS),
            ..self.budget.clone()
        };
        let pe = PointEval {
            budget: &small,
            ..*self
        };
        let mut needed = vec![false; self.links.len()];
        for c in checks {
            needed[c.a] = true;
            needed[c.b] = true;
        }
        let ex = pe.exact_links(&needed);
        if !ex.iter().any(|v| matches!(v, Some(LinkVal::TooLarge(_)))) {
            // the small budget changed nothing: these are the ladder's exact values
            return Err(ex);
        }
        let mut pending = vec![false; self.links.len()];
        for c in checks {
            match (&ex[c.a], &ex[c.b]) {
                (Some(LinkVal::Exact(x)), Some(LinkVal::Exact(y))) => {
                    if !c.rel.holds(x.cmp(y)) {
                        return Err(Vec::new());
                    }
                }
                (Some(LinkVal::Undefined(_)), _) | (_, Some(LinkVal::Undefined(_))) => {
                    return Err(Vec::new());
                }
                _ => {
                    pending[c.a] = true;
                    pending[c.b] = true;
                }
            }
        }
        if pending.iter().any(|p| *p) {
            let prec = self.opts.prec.0;
            let folded = pe.folded(&pending);
            let iv = pe.interval_links(&pending, prec, &folded);
            for c in checks {
                if !pending[c.a] && !pending[c.b] {
                    continue;
                }
                let (Ok(a), Ok(b)) = (
                    enclosure_of(&ex[c.a], &iv[c.a], prec),
                    enclosure_of(&ex[c.b], &iv[c.b], prec),
                ) else {
                    return Err(Vec::new());
                };
                if decide_intervals(c.rel, &a, &b) != Some(true) {
                    return Err(Vec::new());
                }
            }
        }
        Ok(checks.iter().map(|_| PointVerdict::Holds).collect())
    }

    /// The full ladder: exact values, intervals at rising precision, exact comparison.
    fn ladder(&self, checks: &[Check], ex: Option<Vec<Option<LinkVal>>>) -> Vec<PointVerdict> {
        let mut needed = vec![false; self.links.len()];
        for c in checks {
            needed[c.a] = true;
            needed[c.b] = true;
        }
        let ex = ex.unwrap_or_else(|| self.exact_links(&needed));
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
                        LinkVal::Inexact(m) | LinkVal::TooLarge(m) => {
                            Side::Undefined(format!("not evaluated: {m}"))
                        }
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
                        Some(PointVerdict::Unknown(Reason::EngineBudget(m.clone())))
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
            .map(|(k, c)| match out[k].take() {
                Some(v) => v,
                None => self.last_rung(c, &ex, &last, prec),
            })
            .collect()
    }

    /// The last rung for a check that intervals left open: exact comparison of monomials,
    /// else undecided with the enclosures at the largest precision.
    fn last_rung(
        &self,
        c: &Check,
        ex: &[Option<LinkVal>],
        last: &[Option<Result<Interval, RealError>>],
        prec: u32,
    ) -> PointVerdict {
        let (la, lb) = (&self.links[c.a], &self.links[c.b]);
        let env = self.exact_lets_env();
        if let Some(ord) = self
            .monomial_cmp(la, lb, env.clone())
            .or_else(|| self.algebraic_cmp(la, lb, &env))
        {
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
            (Ok(x), Ok(y)) => Reason::NotSeparated {
                lhs: (approx_f(x.lo()), approx_f(x.hi())),
                rhs: (approx_f(y.lo()), approx_f(y.hi())),
                prec,
            },
            (Err(e), _) | (_, Err(e)) => Reason::EvalFailed {
                error: e.to_string(),
                prec,
            },
        })
    }

    /// For links `[P, -Q]` (the margin `P K + Q` of a best-constant search): the sign of `P`
    /// here and the exact value, or a rigorous enclosure, of the root `-Q/P`. `None` when a
    /// guard fails, a link has no enclosure, or the sign of `P` is not decided.
    pub(super) fn sign_and_root(&self, prec: u32) -> Option<(Ordering, (Rational, Rational))> {
        if self.guard_failure().is_some() {
            return None;
        }
        let ex = self.exact_links(&[true, true]);
        let iv = self.interval_links(&[true, true], prec, &self.folded(&[true, true]));
        let encl = |i: usize| enclosure_of(&ex[i], &iv[i], prec);
        let (Ok(pv), Ok(nq)) = (encl(0), encl(1)) else {
            return None;
        };
        let s = if *pv.lo() > 0 {
            Ordering::Greater
        } else if *pv.hi() < 0 {
            Ordering::Less
        } else {
            return None;
        };
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
                _ => return None,
            },
        };
        Some((s, r))
    }

    /// The exact order of two sides whose values are algebraic numbers times exponentials
    /// of rationals (exact algebra, `exp(c ln u) = u^c` included), when it is decided.
    pub(super) fn algebraic_cmp(&self, a: &Expr, b: &Expr, env: &Env) -> Option<Ordering> {
        exact::alg::compare(a, b, env, self.budget)
    }

    /// The point with the definitions that have exact values bound (the others left
    /// unbound): what the exact rungs after the intervals evaluate in.
    fn exact_lets_env(&self) -> Env {
        let mut env = exact_env(self.point);
        bind_lets(
            &mut env,
            self.lets.iter().map(|d| (d.name.as_str(), &d.expr)),
            false,
            |env, _, e| exact::eval(e, env, self.budget).map_err(|_| ()),
            |env, name, v| env.push(name, v),
        );
        env
    }

    /// For sides that are products of rationals and rational powers of positive rationals,
    /// the exact order: `x <=> y` iff `(x/y)^q <=> 1` with q the common denominator.
    pub(super) fn monomial_cmp(&self, a: &Expr, b: &Expr, env: Env) -> Option<Ordering> {
        // definitions must be inlined to be seen as monomials; only exact ones qualify
        let mut values = ExactValues {
            env,
            budget: self.budget,
        };
        let ma = monomial(a, &mut values)?;
        let mb = monomial(b, &mut values)?;
        compare_monomials(&ma, &mb, &values)
    }
}

pub(super) fn approx_f(f: &Float) -> String {
    match f.to_rational() {
        Some(q) => exact::approx(&q, 8),
        None => f.to_string(),
    }
}

/// The enclosure of a link: its exact value when it has one, else its interval.
pub(super) fn enclosure_of(
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

pub(super) fn side_iv(iv: &Interval) -> Side {
    match iv.to_rational_bounds() {
        (Some(l), Some(h)) if l == h => Side::Exact(l),
        (Some(l), Some(h)) => Side::Enclosure(l, h),
        _ => Side::Undefined("unbounded enclosure".into()),
    }
}

pub(super) fn side_of(r: &Result<Interval, RealError>) -> Side {
    match r {
        Ok(iv) => side_iv(iv),
        Err(e) => Side::Undefined(e.to_string()),
    }
}

/// `Some(true)` when `x rel y` holds for every pair of values of the enclosures,
/// `Some(false)` when it fails for every pair, `None` otherwise.
pub(super) fn decide_intervals(rel: Rel, x: &Interval, y: &Interval) -> Option<bool> {
    let le_all = x.hi() <= y.lo(); // every x <= every y
    let lt_all = x.hi() < y.lo();
    let ge_all = x.lo() >= y.hi();
    let gt_all = x.lo() > y.hi();
    // (holds for every pair, fails for every pair)
    let (yes, no) = match rel {
        Rel::Le => (le_all, gt_all),
        Rel::Lt => (lt_all, ge_all),
        Rel::Ge => (ge_all, lt_all),
        Rel::Gt => (gt_all, le_all),
        Rel::Eq => (
            x.is_point() && y.is_point() && x.lo() == y.lo(),
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
