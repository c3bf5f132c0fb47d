//! Branch and bound over the real parameters of a claim at one integer point: boxes proven by
//! interval evaluation (and by monotonicity and mean-value forms from interval derivatives),
//! candidate points tested at each box's simplest rational, and counterexamples minimised.

use super::ladder::{
    LinkVal, Membership, PointEval, PointVerdict, bind_lets, decide_intervals, exact_env,
    exact_value, real_env,
};
use super::sweep::RealDim;
use super::{BudgetKind, Check, Counterexample, Options, Reason};
use crate::claims::Claim;
use crate::engine::exact::Budget;
use crate::engine::real::{
    self, Arith, F64Env, F64Expr, F64Interval, Interval, RealEnv, eval_compiled,
};
use crate::expr::poly::{Poly, ratfn_of};
use crate::expr::{BinOp, Expr, Rel};
use crate::verdict::{BoxSide, ProofMethod};
use rug::Rational;
use std::time::Instant;

/// Candidate points that must all be undecidable, with no box proven, before branch and
/// bound gives up on a relation as a likely identity.
pub(super) const IDENTITY_PROBES: u64 = 24;

/// Largest precision (bits) for candidate points tested inside real boxes.
pub(super) const BOX_POINT_MAX_PREC: u32 = 512;

pub(super) struct BranchAndBound<'a> {
    pub(super) max_boxes: u64,
    pub(super) claim: &'a Claim,
    pub(super) links: &'a [Expr],
    pub(super) check: &'a Check,
    pub(super) fixed: &'a [(String, Rational)],
    pub(super) budget: &'a Budget,
    pub(super) opts: &'a Options,
    pub(super) deadline: Instant,
    /// the margin and its derivatives in the one real variable, made once when needed
    pub(super) taylor: std::cell::OnceCell<Option<Taylor>>,
    /// Taylor forms tried without success: after `TAYLOR_TRIES` in a row (sides that are
    /// identical, or touch in a way no form separates) they are not tried again here
    pub(super) taylor_misses: std::cell::Cell<u32>,
    /// the margin as a quotient of polynomials, made once when needed
    pub(super) poly: std::cell::OnceCell<Option<(Poly, Poly)>>,
    /// points (box coordinates) where the sides were found exactly equal: the centres of the
    /// convexity proofs
    pub(super) touch_points: std::cell::RefCell<Vec<Vec<Rational>>>,
    /// the claim compiled for the `f64` rung (`None`: the rung is off, or a constant of the
    /// claim has no finite `f64` enclosure)
    pub(super) f64: Option<&'a F64Claim>,
}

/// A claim's expressions compiled once for the `f64` rung of box evaluation: the links of
/// its relations, its definitions, guards, `where` constraints and real parameters' bounds (an entry that does not
/// compile is `None`, and the rung then leaves the boxes that need it to MPFR).
pub(super) struct F64Claim {
    links: Vec<Option<F64Expr>>,
    lets: Option<Vec<(String, F64Expr)>>,
    guards: Option<Vec<(F64Expr, Rel, F64Expr)>>,
    constraints: Vec<Option<(F64Expr, Rel, F64Expr)>>,
    /// the bounds of each real parameter, by name (used where they depend on earlier real
    /// parameters)
    bounds: Vec<(String, Option<(F64Expr, F64Expr)>)>,
}

impl F64Claim {
    pub(super) fn new(claim: &Claim, links: &[Expr]) -> F64Claim {
        let rel = |r: &crate::expr::Relation| {
            Some((F64Expr::compile(&r.lhs)?, r.rel, F64Expr::compile(&r.rhs)?))
        };
        F64Claim {
            links: links.iter().map(F64Expr::compile).collect(),
            lets: claim
                .lets
                .iter()
                .map(|d| Some((d.name.clone(), F64Expr::compile(&d.expr)?)))
                .collect(),
            guards: claim.guards.iter().map(|(_, r)| rel(r)).collect(),
            constraints: claim.constraints.iter().map(|(_, r)| rel(r)).collect(),
            bounds: claim
                .params
                .iter()
                .filter_map(|p| match &p.domain {
                    crate::expr::DomainSpec::Real { lo, hi, .. } => Some((
                        p.name.clone(),
                        F64Expr::compile(lo).zip(F64Expr::compile(hi)),
                    )),
                    _ => None,
                })
                .collect(),
        }
    }

    /// Whether, on the environment's intervals, the guards hold and `check` holds (with
    /// `strictly`, with the sides strictly apart in its direction, so not equal anywhere),
    /// by `f64` enclosures. Binds the definitions in `env`.
    fn holds_f64(&self, env: &mut F64Env, check: &Check, strictly: bool) -> bool {
        let proves = |env: &mut F64Env, x: &F64Expr, rel: Rel, y: &F64Expr| match (
            eval_compiled(x, env),
            eval_compiled(y, env),
        ) {
            (Some(a), Some(b)) => a.proves(rel, b),
            _ => false,
        };
        let (Some(guards), Some(lets)) = (&self.guards, &self.lets) else {
            return false;
        };
        if !guards.iter().all(|(x, rel, y)| proves(env, x, *rel, y)) {
            return false;
        }
        for (name, e) in lets {
            let Some(v) = eval_compiled(e, env) else {
                return false;
            };
            env.push(name, v);
        }
        let rel = match check.rel {
            Rel::Le | Rel::Lt if strictly => Rel::Lt,
            Rel::Ge | Rel::Gt if strictly => Rel::Gt,
            Rel::Eq if strictly => return false,
            r => r,
        };
        match (&self.links[check.a], &self.links[check.b]) {
            (Some(a), Some(b)) => proves(env, a, rel, b),
            _ => false,
        }
    }
}

/// Taylor forms tried in a row without success before branch and bound stops trying them.
const TAYLOR_TRIES: u32 = 12;

/// The margin `g` (relation holds iff `g >= 0`, or `> 0` when strict) and its symbolic
/// derivatives `g', …, g^(TAYLOR_ORDER)` in the box's one real variable.
pub(super) struct Taylor {
    var: String,
    strict: bool,
    /// the margin
    margin: Expr,
    /// the margin as the minimum of pieces (`c - max(a, b)` is `min(c - a, c - b)`; one
    /// piece, the margin itself, when it has no such form): per piece, `derivs[j]` is its
    /// j-th derivative. The margin is >= 0 exactly where every piece is, and each piece
    /// may have derivatives where the margin, with its `max`, has none.
    pieces: Vec<Vec<Expr>>,
}

/// `g` as the minimum of pieces: `min(a, b)` is its arguments, `c - max(a, b)` is
/// `c - a, c - b`, `min(a, b) - c` is `a - c, b - c`, recursively; anything else is one
/// piece.
fn min_pieces(g: &Expr) -> Vec<Expr> {
    match g {
        Expr::Call(crate::expr::Func::Min, args) => args.iter().flat_map(min_pieces).collect(),
        Expr::Bin(BinOp::Sub, c, m) if matches!(&**m, Expr::Call(crate::expr::Func::Max, _)) => {
            let Expr::Call(_, args) = &**m else {
                unreachable!("matched")
            };
            args.iter()
                .flat_map(|a| min_pieces(&Expr::bin(BinOp::Sub, (**c).clone(), a.clone())))
                .collect()
        }
        Expr::Bin(BinOp::Sub, m, c) if matches!(&**m, Expr::Call(crate::expr::Func::Min, _)) => {
            let Expr::Call(_, args) = &**m else {
                unreachable!("matched")
            };
            args.iter()
                .flat_map(|a| min_pieces(&Expr::bin(BinOp::Sub, a.clone(), (**c).clone())))
                .collect()
        }
        _ => vec![g.clone()],
    }
}

/// Highest order of the Taylor forms at a box's ends.
const TAYLOR_ORDER: u32 = 4;

/// Largest derivative (expression nodes) a Taylor form evaluates.
const TAYLOR_MAX_NODES: usize = 20_000;

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct BoxResult {
    pub(super) proven: u64,
    pub(super) points: u64,
    pub(super) counterexample: Option<Counterexample>,
    pub(super) open: Option<Reason>,
    /// proven boxes per method
    pub(super) methods: std::collections::BTreeMap<ProofMethod, u64>,
}

/// What interval evaluation says about a whole box.
pub(super) enum BoxVerdict {
    Proven(ProofMethod),
    AllFail,
    Unknown,
    /// no point of the box is in the domain
    Empty,
    /// undecided, and the box crosses the boundary of the domain
    Crosses,
}

impl BranchAndBound<'_> {
    pub(super) fn box_eval(
        &self,
        dims: &[RealDim],
        boxv: &[(Rational, Rational)],
        prec: u32,
    ) -> BoxVerdict {
        if self.opts.f64_rung
            && let Some(v) = self.box_eval_f64(dims, boxv)
        {
            return v;
        }
        let Some(mut env) = self.env_for(dims, boxv, prec) else {
            return BoxVerdict::Unknown;
        };
        let ar = Arith { prec };
        // the part of the box inside the domain: none (nothing to prove), all, or a part
        // (then the relation is proven on the whole box or not at all, and failing on the
        // whole box says nothing)
        let crosses = match self.inside(dims, boxv, &mut env, ar) {
            Some(true) => false,
            Some(false) => return BoxVerdict::Empty,
            None => true,
        };
        // the construction's guards must hold on the whole box
        for (_, r) in &self.claim.guards {
            let l = real::eval(&r.lhs, &mut env, ar, self.budget);
            let h = real::eval(&r.rhs, &mut env, ar, self.budget);
            match (l, h) {
                (Ok(x), Ok(y)) if decide_intervals(r.rel, &x, &y) == Some(true) => {}
                _ => return BoxVerdict::Unknown,
            }
        }
        let failed = bind_lets(
            &mut env,
            self.claim.lets.iter().map(|d| (d.name.as_str(), &d.expr)),
            true,
            |env, _, e| real::eval(e, env, ar, self.budget),
            |env, name, iv| env.push(name, iv),
        );
        if !failed.is_empty() {
            return BoxVerdict::Unknown;
        }
        let a = real::eval(&self.links[self.check.a], &mut env, ar, self.budget);
        let b = real::eval(&self.links[self.check.b], &mut env, ar, self.budget);
        match (a, b) {
            (Ok(x), Ok(y)) => match decide_intervals(self.check.rel, &x, &y) {
                Some(true) => return BoxVerdict::Proven(ProofMethod::Enclosure),
                Some(false) if !crosses => return BoxVerdict::AllFail,
                _ => {}
            },
            // a side without an enclosure: a pole at an excluded end of the domain is
            // handled by monotonicity on the tail next to it
            _ if !crosses && self.open_end_tail(dims, boxv, prec) => {
                return BoxVerdict::Proven(ProofMethod::PoleTail);
            }
            _ => return BoxVerdict::Unknown,
        }
        match self.refined(dims, boxv, prec) {
            BoxVerdict::AllFail | BoxVerdict::Unknown if crosses => {
                if self.lagrange(dims, boxv, prec) {
                    BoxVerdict::Proven(ProofMethod::Multiplier)
                } else {
                    BoxVerdict::Crosses
                }
            }
            v => v,
        }
    }

    /// The `f64` first rung on a box: `Empty` where a constraint or a dependent parameter's
    /// bounds show no point of the box is in the domain, `Proven` where the guards, the
    /// definitions and the relation are shown on the whole box with `f64` enclosures;
    /// `None` (MPFR decides) otherwise. It never refutes.
    fn box_eval_f64(&self, dims: &[RealDim], boxv: &[(Rational, Rational)]) -> Option<BoxVerdict> {
        let fc = self.f64?;
        let mut env = F64Env::new();
        for (n, v) in self.fixed {
            env.push(n, F64Interval::from_rational(v)?);
        }
        for (d, (lo, hi)) in dims.iter().zip(boxv) {
            let u = F64Interval::from_bounds(lo, hi)?;
            env.push(&d.name, u);
            if d.dep.is_some() {
                let (_, b) = fc.bounds.iter().find(|(n, _)| *n == d.param)?;
                let (le, he) = b.as_ref()?;
                let l = eval_compiled(le, &mut env)?;
                let h = eval_compiled(he, &mut env)?;
                let w = h.minus(l)?;
                // as in `inside`: inverted bounds, or an excluded end reached by a point box
                let open = (*lo == 0 && !d.lo_closed) || (*hi == 1 && !d.hi_closed);
                if w.hi < 0.0 || (open && w.hi <= 0.0 && lo == hi) {
                    return Some(BoxVerdict::Empty);
                }
                env.push(&d.param, l.plus(u.times(w)?)?);
            }
        }
        for (x, rel, y) in fc.constraints.iter().flatten() {
            if let (Some(x), Some(y)) = (eval_compiled(x, &mut env), eval_compiled(y, &mut env))
                && x.disproves(*rel, y)
            {
                return Some(BoxVerdict::Empty);
            }
        }
        fc.holds_f64(&mut env, self.check, false)
            .then_some(BoxVerdict::Proven(ProofMethod::Enclosure))
    }

    /// Whether the box lies inside the domain (`Some(true)`), outside it (`Some(false)`: a
    /// `where` constraint fails on all of it, or a dependent parameter's bounds are inverted
    /// everywhere on it), or across its boundary (`None`), by interval evaluation of the
    /// constraints and of `hi - lo` for each dependent parameter.
    fn inside(
        &self,
        dims: &[RealDim],
        boxv: &[(Rational, Rational)],
        env: &mut RealEnv,
        ar: Arith,
    ) -> Option<bool> {
        let mut all = true;
        for (d, (ulo, uhi)) in dims.iter().zip(boxv) {
            let Some((lo, hi)) = &d.dep else { continue };
            let (Ok(l), Ok(h)) = (
                real::eval(lo, env, ar, self.budget),
                real::eval(hi, env, ar, self.budget),
            ) else {
                all = false;
                continue;
            };
            let w = ar.sub(&h, &l);
            // an end that is excluded must not be reached: with both ends excluded (or a
            // point box at an excluded end) the width must be positive
            let open = (*ulo == 0 && !d.lo_closed) || (*uhi == 1 && !d.hi_closed);
            if *w.hi() < 0 || (open && *w.hi() <= 0 && ulo == uhi) {
                return Some(false);
            }
            if *w.lo() < 0 || (open && *w.lo() <= 0) {
                all = false;
            }
        }
        for (_, r) in &self.claim.constraints {
            let l = real::eval(&r.lhs, env, ar, self.budget);
            let h = real::eval(&r.rhs, env, ar, self.budget);
            match (l, h) {
                (Ok(x), Ok(y)) => match decide_intervals(r.rel, &x, &y) {
                    Some(true) => {}
                    Some(false) => return Some(false),
                    None => all = false,
                },
                _ => all = false,
            }
        }
        all.then_some(true)
    }

    /// `g` with `relation holds <=> g >= 0` (or `> 0` when strict), definitions inlined and
    /// dependent parameters written in their box coordinates (so that `g` is a function of
    /// the box's coordinates); `None` for equalities.
    pub(super) fn margin(&self, dims: &[RealDim]) -> Option<(Expr, bool)> {
        let (a, b) = (&self.links[self.check.a], &self.links[self.check.b]);
        let (g, strict) = self.check.rel.margin(a, b)?;
        // a margin too large to inline is simply not used (plain evaluation still is)
        let g = self.claim.inline_lets(&g)?;
        Some((in_box_coordinates(g, dims)?, strict))
    }
}

/// `e` (in the parameters) written in the box's coordinates: each dependent parameter
/// replaced by `lo + u (hi - lo)` over its fraction `u`.
fn in_box_coordinates(mut g: Expr, dims: &[RealDim]) -> Option<Expr> {
    {
        for d in dims.iter().rev() {
            if let Some((lo, hi)) = &d.dep {
                // lo + u (hi - lo)
                let v = Expr::bin(
                    BinOp::Add,
                    lo.clone(),
                    Expr::bin(
                        BinOp::Mul,
                        Expr::Var(d.name.clone()),
                        Expr::bin(BinOp::Sub, hi.clone(), lo.clone()),
                    ),
                );
                g = g.substitute_checked(&d.param, &v).ok()?;
            }
        }
        Some(g)
    }
}

impl BranchAndBound<'_> {
    /// A proof on a box that crosses the boundary of a `where` constraint `c >= 0` (`c` the
    /// difference of its sides): with a multiplier `lambda >= 0`, `g - lambda c >= 0` on the
    /// whole box gives `g >= lambda c >= 0` on the part inside the domain (Lagrangian
    /// relaxation). `lambda` is estimated from the gradients of `g` and `c` at the box's
    /// centre (`grad g . grad c / |grad c|^2`, rounded to a simple rational), and 1 and 0 are
    /// tried too; the combination's terms are collected when it is a polynomial. This proves
    /// relations that touch the constraint's boundary, like `x + y <= 1` where `x + y <= 1`.
    fn lagrange(&self, dims: &[RealDim], boxv: &[(Rational, Rational)], prec: u32) -> bool {
        let Some((g, strict)) = self.margin(dims) else {
            return false;
        };
        let ar = Arith { prec };
        // the margin, and its polynomial form with a monomial factor of constant sign on the
        // box dropped (`x*(x - y)` where `y <= x` is `x - y`, a multiple of the constraint)
        let mut margins = vec![g.clone()];
        if let Some((f, true)) = self.box_polynomial(dims, boxv, prec, strict) {
            margins.push(f.to_expr());
        }
        let vars: Vec<String> = dims
            .iter()
            .zip(boxv)
            .filter(|(_, (lo, hi))| lo != hi)
            .map(|(d, _)| d.name.clone())
            .collect();
        let center = centre(boxv);
        for (_, r) in &self.claim.constraints {
            let Some((c, c_strict)) = r.rel.margin(&r.lhs, &r.rhs) else {
                continue;
            };
            let Some(c) = in_box_coordinates(c, dims) else {
                continue;
            };
            for g in &margins {
                let mut lambdas = vec![Rational::from(1)];
                if !vars.is_empty()
                    && let Some(mut env) = self.env_for(dims, &center, prec)
                {
                    // the gradients at the centre: variables bound as intervals of width 0
                    for (d, (v, _)) in dims.iter().zip(&center) {
                        if vars.contains(&d.name) {
                            env.push(&d.name, Interval::from_rational(v, prec));
                        }
                    }
                    if let (Ok(dg), Ok(dc)) = (
                        real::eval_dual(g, &mut env, &vars, ar, self.budget),
                        real::eval_dual(&c, &mut env, &vars, ar, self.budget),
                    ) {
                        let mid = |iv: &Interval| (iv.lo().to_f64() + iv.hi().to_f64()) / 2.0;
                        let dot: f64 = dg.d.iter().zip(&dc.d).map(|(a, b)| mid(a) * mid(b)).sum();
                        let nn: f64 = dc.d.iter().map(|b| mid(b) * mid(b)).sum();
                        let l = dot / nn;
                        if l.is_finite() && l > 0.0 {
                            let lo = Rational::from_f64(l * (1.0 - 1e-9)).unwrap_or_default();
                            let hi = Rational::from_f64(l * (1.0 + 1e-9)).unwrap_or_default();
                            let q = simplest_in(&lo, true, &hi, true);
                            if q > 0 && q != 1 {
                                lambdas.insert(0, q);
                            }
                        }
                    }
                }
                for lambda in lambdas {
                    if self.relaxation_holds(dims, boxv, prec, g, (&c, c_strict), lambda, strict) {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Whether `g - lambda c >= 0` (or `> 0`) on the whole box, by its enclosure, or on the
    /// face where monotonicity puts its minimum by the mean-value form; its terms collected
    /// where it is a polynomial (so that `g - c` is 0 when they agree).
    #[allow(clippy::too_many_arguments)]
    fn relaxation_holds(
        &self,
        dims: &[RealDim],
        boxv: &[(Rational, Rational)],
        prec: u32,
        g: &Expr,
        (c, c_strict): (&Expr, bool),
        lambda: Rational,
        strict: bool,
    ) -> bool {
        let ar = Arith { prec };
        // `g >= lambda c` with `lambda > 0` and `c > 0` on the domain gives `g > 0`: a strict
        // relation under a strict constraint needs only `g - lambda c >= 0`
        let need_strict = strict && !c_strict;
        let ok = |iv: &Interval| {
            if need_strict {
                *iv.lo() > 0
            } else {
                *iv.lo() >= 0
            }
        };
        let h = Expr::bin(
            BinOp::Sub,
            g.clone(),
            Expr::bin(BinOp::Mul, Expr::Num(lambda), c.clone()),
        );
        let h = match ratfn_of(&h, self.fixed) {
            Some((n, d)) if d.as_constant() == Some(Rational::from(1)) => n.to_expr(),
            _ => h,
        };
        let Some(mut env) = self.env_for(dims, boxv, prec) else {
            return false;
        };
        if let Ok(v) = real::eval(&h, &mut env, ar, self.budget)
            && ok(&v)
        {
            return true;
        }
        // `minimising_face` proves with the relation's own strictness: at least as demanding
        let form = |_: &[(Rational, Rational)]| h.clone();
        match self.minimising_face(dims, boxv, prec, &form, strict) {
            Some(None) => true,
            Some(Some(face)) => self.mean_value(&h, dims, &face, ar).is_some_and(|l| ok(&l)),
            None => false,
        }
    }

    /// The box's coordinates bound as intervals (exact values where a side has width 0),
    /// and each dependent parameter bound to `lo + u (hi - lo)` over its fraction `u`
    /// (`None` where its bounds have no enclosure on the box).
    pub(super) fn env_for(
        &self,
        dims: &[RealDim],
        boxv: &[(Rational, Rational)],
        prec: u32,
    ) -> Option<RealEnv> {
        let mut env = real_env(self.fixed, prec);
        let ar = Arith { prec };
        for (d, (lo, hi)) in dims.iter().zip(boxv) {
            let u = if lo == hi {
                Interval::from_rational(lo, prec)
            } else {
                Interval::from_bounds(lo, hi, prec)
            };
            if lo == hi {
                env.push_exact(&d.name, lo, prec);
            } else {
                env.push(&d.name, u.clone());
            }
            if let Some((le, he)) = &d.dep {
                let l = real::eval(le, &mut env, ar, self.budget).ok()?;
                let h = real::eval(he, &mut env, ar, self.budget).ok()?;
                let v = ar.add(&l, &ar.mul(&u, &ar.sub(&h, &l)));
                env.push(&d.param, v);
            }
        }
        Some(env)
    }

    /// Second-order tests on a box that plain interval evaluation could not decide: the
    /// margin `g` is monotone in every variable whose partial derivative has a constant sign
    /// on the box, so its minimum lies on the face where those variables sit at their
    /// minimising ends; on that face the mean-value form `g(c) + Σ g_i'(X)(X_i - c_i)` bounds
    /// it. Both rest on interval derivatives (`real::eval_dual`), so they are as rigorous as
    /// plain evaluation and far tighter near points where the two sides touch.
    pub(super) fn refined(
        &self,
        dims: &[RealDim],
        boxv: &[(Rational, Rational)],
        prec: u32,
    ) -> BoxVerdict {
        let Some((g, strict)) = self.margin(dims) else {
            return BoxVerdict::Unknown;
        };
        let ar = Arith { prec };
        // a rational margin `n/d` with `d` of one sign on the box: decide the sign of `n`
        // (times that of `d`), its terms collected again on every face
        let ok = |iv: &Interval| if strict { *iv.lo() > 0 } else { *iv.lo() >= 0 };
        let bad = |iv: &Interval| if strict { *iv.hi() <= 0 } else { *iv.hi() < 0 };
        // one polynomial `f` for the whole box, so that the face where monotonicity puts its
        // minimum and the bound there are about the same `f`
        let fpoly: Option<Poly> = self
            .box_polynomial(dims, boxv, prec, strict)
            .map(|(f, _)| f);
        // `f` on a face: the face's fixed coordinates substituted and the terms collected
        let on_face = |face: &[(Rational, Rational)]| -> Expr {
            let mut p = fpoly.clone().expect("a polynomial form");
            for (d, (lo, hi)) in dims.iter().zip(face) {
                if lo == hi {
                    p = p.substitute(&d.name, lo);
                }
            }
            p.to_expr()
        };
        // lower bound of the margin on the minimising face, with the collected polynomial
        // (where there is one: exact on faces) and with the margin as written (whose nesting
        // often encloses better inside a face): the first form's face is kept for what follows
        let mut kept: Option<(RealBox, Option<Interval>)> = None;
        let forms: &[bool] = if fpoly.is_some() {
            &[true, false]
        } else {
            &[false]
        };
        for &use_poly in forms {
            let form = |f: &[(Rational, Rational)]| {
                if use_poly { on_face(f) } else { g.clone() }
            };
            let Some(face) = self.minimising_face(dims, boxv, prec, &form, strict) else {
                return BoxVerdict::Unknown;
            };
            let method = if use_poly {
                ProofMethod::PolynomialFace
            } else {
                ProofMethod::MonotoneFace
            };
            let Some(face) = face else {
                return BoxVerdict::Proven(method);
            };
            let lower = self.mean_value(&form(&face), dims, &face, ar);
            if let Some(l) = &lower
                && ok(l)
            {
                return BoxVerdict::Proven(method);
            }
            kept.get_or_insert((face, lower));
        }
        let (face, lower) = kept.expect("at least one form");
        // failing on the whole box: shown by the margin as written (the polynomial form may
        // have dropped a factor that vanishes)
        if fpoly.is_none() && face.as_slice() == boxv {
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
        // convexity of the same function on the same face
        let (face_fn, face_poly) = match &fpoly {
            Some(p) => (on_face(&face), Some(p)),
            None => (g.clone(), None),
        };
        if self.convex_at_touch_point(dims, &face, &face_fn, face_poly, strict, ar) {
            return BoxVerdict::Proven(ProofMethod::Convexity);
        }
        if self.taylor_misses.get() < TAYLOR_TRIES {
            match self.taylor_at_an_end(dims, boxv, ar) {
                Some(true) => {
                    self.taylor_misses.set(0);
                    return BoxVerdict::Proven(ProofMethod::Taylor);
                }
                Some(false) => self.taylor_misses.set(self.taylor_misses.get() + 1),
                None => {}
            }
        }
        BoxVerdict::Unknown
    }

    /// The face of the box where the margin `form` is smallest as far as monotonicity shows
    /// (each variable whose partial derivative has a constant sign on the current face is
    /// fixed at its minimising end; two rounds): `Some(None)` when the enclosure of the
    /// margin on a face already proves the relation; `None` when it has no enclosure.
    fn minimising_face(
        &self,
        dims: &[RealDim],
        boxv: &[(Rational, Rational)],
        prec: u32,
        form: &FaceForm<'_>,
        strict: bool,
    ) -> Option<Option<Vec<(Rational, Rational)>>> {
        let ar = Arith { prec };
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
            let mut env = self.env_for(dims, &face, prec)?;
            let dual = real::eval_dual(&form(&face), &mut env, &vars, ar, self.budget).ok()?;
            if (strict && *dual.v.lo() > 0) || (!strict && *dual.v.lo() >= 0) {
                return Some(None);
            }
            let mut moved = false;
            for (name, dv) in vars.iter().zip(&dual.d) {
                let k = dims
                    .iter()
                    .position(|d| &d.name == name)
                    .expect("a box dimension");
                if *dv.lo() >= 0 {
                    face[k].1 = face[k].0.clone();
                    moved = true;
                } else if *dv.hi() <= 0 {
                    face[k].0 = face[k].1.clone();
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        Some(Some(face))
    }

    /// A touching proof on a face of several dimensions: at a point `z` of the face where
    /// the sides are exactly equal (found by the candidates), with `g(z) >= 0` and every
    /// partial derivative `g_i(z)` exactly 0 where `z_i` is inside the face's side (and of the
    /// sign that makes `g` grow into the face where `z_i` is an end), `g` is convex on the
    /// face when its Hessian, enclosed over the face, is positive semidefinite (diagonally
    /// dominant, or its leading principal minors positive); then
    /// `g(x) >= g(z) + grad g(z) . (x - z) >= g(z) >= 0` on the whole face. Sound where the
    /// Hessian's entries have values on the whole face (then `g` is twice continuously
    /// differentiable there). This proves `x*y*z <= 1/27` on the simplex around its centre,
    /// where no first-order form separates the sides.
    fn convex_at_touch_point(
        &self,
        dims: &[RealDim],
        face: &[(Rational, Rational)],
        g: &Expr,
        poly: Option<&Poly>,
        strict: bool,
        ar: Arith,
    ) -> bool {
        if strict {
            return false;
        }
        let free: Vec<usize> = (0..dims.len())
            .filter(|&k| face[k].0 != face[k].1)
            .collect();
        if free.is_empty() || free.len() > 4 {
            return false;
        }
        let zs: Vec<Vec<Rational>> = self
            .touch_points
            .borrow()
            .iter()
            .filter(|z| z.iter().zip(face).all(|(v, (lo, hi))| lo <= v && v <= hi))
            .cloned()
            .collect();
        if zs.is_empty() {
            return false;
        }
        // derivatives: of the polynomial when there is one (terms collected), else symbolic
        let d1 = |e: &Expr, p: Option<&Poly>, k: usize| -> Option<(Expr, Option<Poly>)> {
            let x = &dims[k].name;
            match p {
                Some(p) => {
                    let dp = p.derivative(x);
                    Some((dp.to_expr(), Some(dp)))
                }
                None => {
                    let de = crate::expr::derivative(e, x)?;
                    (de.node_count() <= TAYLOR_MAX_NODES).then_some((de, None))
                }
            }
        };
        let mut grad = Vec::new();
        for &k in &free {
            let Some(d) = d1(g, poly, k) else {
                return false;
            };
            grad.push(d);
        }
        let mut hess: Vec<Vec<Expr>> = Vec::new();
        for (i, (gi, pi)) in grad.iter().enumerate() {
            let mut row = Vec::new();
            for &k in &free[..=i] {
                let Some((h, _)) = d1(gi, pi.as_ref(), k) else {
                    return false;
                };
                row.push(h);
            }
            hess.push(row);
        }
        let Some(mut env) = self.env_for(dims, face, ar.prec) else {
            return false;
        };
        let mut h =
            vec![vec![Interval::from_rational(&Rational::new(), ar.prec); free.len()]; free.len()];
        for i in 0..free.len() {
            for j in 0..=i {
                let Ok(v) = real::eval(&hess[i][j], &mut env, ar, self.budget) else {
                    return false;
                };
                h[i][j] = v.clone();
                h[j][i] = v;
            }
        }
        if !positive_semidefinite(&h, ar) {
            return false;
        }
        'points: for z in zs {
            let mut at: Vec<(String, Rational)> = self.fixed.to_vec();
            for (d, v) in dims.iter().zip(&z) {
                at.push((d.name.clone(), v.clone()));
            }
            let mut xenv = exact_env(&at);
            if !matches!(exact_value(g, &mut xenv, self.budget), Ok(v) if v >= 0) {
                continue;
            }
            for (i, &k) in free.iter().enumerate() {
                let Ok(gi) = exact_value(&grad[i].0, &mut xenv, self.budget) else {
                    continue 'points;
                };
                let (lo, hi) = &face[k];
                let fine = if z[k] == *lo && z[k] != *hi {
                    gi >= 0
                } else if z[k] == *hi {
                    gi <= 0
                } else {
                    gi == 0
                };
                if !fine {
                    continue 'points;
                }
            }
            return true;
        }
        false
    }

    /// A proof on a box of one real variable next to an excluded end `e` of its domain where
    /// the sides have no enclosure (a pole, a logarithm of 0): on the tail `T` between `e`
    /// and the box's other end `c`, the margin `g` is monotone towards `c` (its derivative,
    /// a rational function, has the sign that makes `g(x) >= g(c)` on `T`) and defined (every
    /// argument of `ln`, `sqrt`, a division or a fractional power is a rational function of
    /// strict sign on `T`), so `g(c)`, decided exactly at the point `c`, bounds it. The
    /// signs on the half-open `T` are read off the closed hull, or, for a polynomial that is
    /// exactly 0 at `e`, from the strict sign of its derivative. This proves
    /// `ln(1 + x) <= x` on `(-1, 0]`.
    fn open_end_tail(&self, dims: &[RealDim], boxv: &[(Rational, Rational)], prec: u32) -> bool {
        if !self.claim.guards.is_empty() || !self.claim.constraints.is_empty() {
            return false;
        }
        let mut free = (0..dims.len()).filter(|&k| boxv[k].0 != boxv[k].1);
        let (Some(k), None) = (free.next(), free.next()) else {
            return false;
        };
        let d = &dims[k];
        let (lo, hi) = &boxv[k];
        let (end, other, lower) = if *lo == d.lo && !d.lo_closed {
            (lo, hi, true)
        } else if *hi == d.hi && !d.hi_closed {
            (hi, lo, false)
        } else {
            return false;
        };
        // (a dependent parameter's tail is along its fraction: the margin is a function of
        // the box coordinates, and so are the conditions below)
        let Some((g, _)) = self.margin(dims) else {
            return false;
        };
        let mut vals = self.fixed.to_vec();
        for (j, dj) in dims.iter().enumerate() {
            if j != k {
                vals.push((dj.name.clone(), boxv[j].0.clone()));
            }
        }
        let tail = Tail {
            var: &d.name,
            end,
            other,
            lower,
            vals: &vals,
            prec,
            budget: self.budget,
        };
        let Some(g1) = crate::expr::derivative(&g, &d.name) else {
            return false;
        };
        // monotone towards the closed end: g' <= 0 on T at a lower end, >= 0 at an upper one
        match tail.sign(&g1) {
            Some((s, _)) if (s < 0) == lower || s == 0 => {}
            _ => return false,
        }
        let mut conds = Vec::new();
        if !partial_arguments(&g, &mut conds) || !partial_arguments(&g1, &mut conds) {
            return false;
        }
        for (a, positive) in conds {
            match tail.sign(&a) {
                Some((s, true)) if s > 0 || (s < 0 && !positive) => {}
                _ => return false,
            }
        }
        // the point at the other end, in the claim's parameters (a dependent parameter among
        // the fixed coordinates is placed at its fraction of the way between its bounds)
        let mut at: Vec<(Rational, Rational)> = boxv.to_vec();
        at[k] = (other.clone(), other.clone());
        let Ok((_, point)) = to_point(self.fixed, dims, &at, self.budget, true) else {
            return false;
        };
        matches!(self.decide_at(&point), PointVerdict::Holds)
    }

    /// The margin's polynomial form on this box, where the margin is a quotient `n/d` with
    /// `d` of one sign on the box: `n` times that sign, with a monomial factor of constant
    /// sign on the box dropped (where the monomial is 0 the margin is 0, which a non-strict
    /// relation allows; a strict one keeps the factor unless it is nonzero on the box):
    /// `x*u + u^2` is `u*(x + u)`. The flag says whether a factor was dropped.
    fn box_polynomial(
        &self,
        dims: &[RealDim],
        boxv: &[(Rational, Rational)],
        prec: u32,
        strict: bool,
    ) -> Option<(Poly, bool)> {
        let (n, d) = self.poly_margin(dims)?;
        let mut env = self.env_for(dims, boxv, prec)?;
        let dv = real::eval(&d.to_expr(), &mut env, Arith { prec }, self.budget).ok()?;
        let n = if *dv.lo() > 0 {
            n.clone()
        } else if *dv.hi() < 0 {
            n.scale(&Rational::from(-1))
        } else {
            return None;
        };
        let (m, rest) = n.split_monomial();
        Some(match monomial_sign(&m, dims, boxv, strict) {
            Some(1) if !m.is_empty() => (rest, true),
            Some(-1) => (rest.scale(&Rational::from(-1)), true),
            _ => (n, false),
        })
    }

    /// The margin as a quotient of polynomials in the box's coordinates (the fixed integer
    /// point's values substituted), when it is one.
    fn poly_margin(&self, dims: &[RealDim]) -> Option<&(Poly, Poly)> {
        self.poly
            .get_or_init(|| {
                let (g, _) = self.margin(dims)?;
                ratfn_of(&g, self.fixed)
            })
            .as_ref()
    }

    /// The margin's derivatives in the box's one real variable (`None` when the box has
    /// several real variables, the relation is an equality, or a derivative has no formula).
    fn taylor(&self, dims: &[RealDim], boxv: &[(Rational, Rational)]) -> Option<&Taylor> {
        let mut moving = dims.iter().zip(boxv).filter(|(_, (lo, hi))| lo != hi);
        let (d, _) = moving.next()?;
        if moving.next().is_some() {
            return None;
        }
        let t = self.taylor.get_or_init(|| {
            let (g, strict) = self.margin(dims)?;
            let mut pieces = Vec::new();
            for piece in min_pieces(&g) {
                let mut derivs = vec![piece];
                for _ in 0..TAYLOR_ORDER {
                    let next = crate::expr::derivative(derivs.last().expect("nonempty"), &d.name)?;
                    if next.node_count() > TAYLOR_MAX_NODES {
                        break;
                    }
                    derivs.push(next);
                }
                pieces.push(derivs);
            }
            Some(Taylor {
                var: d.name.clone(),
                strict,
                margin: g,
                pieces,
            })
        });
        t.as_ref().filter(|t| t.var == d.name)
    }

    /// A touching proof on a box with one real variable. At an end `z` of the box where the
    /// sides are exactly equal, Taylor's theorem
    /// `g(x) = Σ_{j<k} g^(j)(z) (x-z)^j / j! + g^(k)(ξ) (x-z)^k / k!` (`ξ` between `z` and
    /// `x`) is enclosed over the box for k = 1, 2, …: the values at `z` exact where they are
    /// rational (so vanishing first derivatives leave the sign of the highest one), the
    /// remainder by interval evaluation of `g^(k)` over the box. Sound where `g, g', …, g^(k)`
    /// all have values on the whole box (each is evaluated over it): then `g` is k times
    /// continuously differentiable there. This proves `x/(1+x) <= ln(1+x)` next to 0, which
    /// no enclosure of `g` or `g'` alone separates.
    ///
    /// `Some(true)`: proven; `Some(false)`: an end touches but no form proves; `None`: no end
    /// touches (or the margin has no derivatives), nothing was tried.
    fn taylor_at_an_end(
        &self,
        dims: &[RealDim],
        boxv: &[(Rational, Rational)],
        ar: Arith,
    ) -> Option<bool> {
        let t = self.taylor(dims, boxv)?;
        let mut tried = false;
        let k_var = dims
            .iter()
            .position(|d| d.name == t.var)
            .expect("a box dimension");
        let (lo, hi) = &boxv[k_var];
        let mut env = self.env_for(dims, boxv, ar.prec)?;
        // per piece, its derivatives over the whole box, evaluated as far as a form needs
        // them: each must have a value there
        let mut over_box: Vec<Vec<Interval>> = vec![Vec::new(); t.pieces.len()];
        for z in [lo, hi] {
            let mut at_z: Vec<(String, Rational)> = self.fixed.to_vec();
            for (d, (a, _)) in dims.iter().zip(boxv) {
                at_z.push((
                    d.name.clone(),
                    if d.name == t.var {
                        z.clone()
                    } else {
                        a.clone()
                    },
                ));
            }
            let mut xenv = exact_env(&at_z);
            // only where the sides touch: the margin is exactly 0 at this end
            if !matches!(exact_value(&t.margin, &mut xenv, self.budget), Ok(v) if v == 0) {
                continue;
            }
            tried = true;
            let mut renv = real_env(&at_z, ar.prec);
            let offset =
                Interval::from_bounds(&Rational::from(lo - z), &Rational::from(hi - z), ar.prec);
            // every piece must be proven (those positive at z by the same forms: their
            // value at z is the first term)
            let mut all = true;
            for (derivs, over) in t.pieces.iter().zip(over_box.iter_mut()) {
                match self.taylor_piece(
                    derivs, t.strict, over, &mut env, &mut xenv, &mut renv, &offset, ar,
                ) {
                    Some(true) => {}
                    Some(false) => {
                        all = false;
                        break;
                    }
                    None => return Some(false),
                }
            }
            if all {
                return Some(true);
            }
        }
        tried.then_some(false)
    }

    /// The Taylor forms of one piece at an end `z` (its values there from `xenv` or
    /// `renv`, its derivatives over the box from `env`, cached in `over_box`; `offset` the
    /// box minus z): `Some(true)` when a form proves the piece >= 0 (or > 0) on the box,
    /// `Some(false)` when none does, `None` when a derivative has no value on the box.
    #[allow(clippy::too_many_arguments)]
    fn taylor_piece(
        &self,
        derivs: &[Expr],
        strict: bool,
        over_box: &mut Vec<Interval>,
        env: &mut crate::engine::real::RealEnv,
        xenv: &mut crate::engine::exact::Env,
        renv: &mut crate::engine::real::RealEnv,
        offset: &Interval,
        ar: Arith,
    ) -> Option<bool> {
        // Σ_{j<k} c_j t^j / j!, built up as k grows
        let mut poly = Interval::from_rational(&Rational::new(), ar.prec);
        let mut factorial = Rational::from(1);
        for k in 1..derivs.len() {
            while over_box.len() <= k {
                match real::eval(&derivs[over_box.len()], env, ar, self.budget) {
                    Ok(iv) => over_box.push(iv),
                    Err(_) => return None,
                }
            }
            let j = k - 1;
            factorial *= Rational::from(j.max(1) as u32);
            let c = match exact_value(&derivs[j], xenv, self.budget) {
                Ok(v) => Interval::from_rational(&v, ar.prec),
                Err(_) => match real::eval(&derivs[j], renv, ar, self.budget) {
                    Ok(iv) => iv,
                    Err(_) => break,
                },
            };
            let Ok(tj) = ar.powi(offset, &rug::Integer::from(j)) else {
                break;
            };
            let jf = Interval::from_rational(&factorial, ar.prec);
            let Ok(term) = ar.div(&ar.mul(&c, &tj), &jf) else {
                break;
            };
            poly = ar.add(&poly, &term);
            // the remainder of order k
            let kf = Interval::from_rational(&(&factorial * Rational::from(k as u32)), ar.prec);
            let Ok(tk) = ar.powi(offset, &rug::Integer::from(k)) else {
                break;
            };
            let Ok(rem) = ar.div(&ar.mul(&over_box[k], &tk), &kf) else {
                break;
            };
            let total = ar.add(&poly, &rem);
            let ok = if strict {
                *total.lo() > 0
            } else {
                *total.lo() >= 0
            };
            if ok {
                return Some(true);
            }
        }
        Some(false)
    }

    /// The mean-value enclosure of `g` over the box (or its value, for a point box).
    pub(super) fn mean_value(
        &self,
        g: &Expr,
        dims: &[RealDim],
        boxv: &[(Rational, Rational)],
        ar: Arith,
    ) -> Option<Interval> {
        let center = centre(boxv);
        let mut cenv = self.env_for(dims, &center, ar.prec)?;
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
        let mut env = self.env_for(dims, boxv, ar.prec)?;
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
        Some(acc.intersect(&dual.v))
    }

    /// Whether `f64` enclosures at the exact point show the guards hold and the sides
    /// strictly separated in the relation's direction (so it holds there and the sides are
    /// not equal); `false` when they do not show it.
    fn separated_f64(&self, point: &[(String, Rational)]) -> bool {
        let Some(fc) = self.f64 else {
            return false;
        };
        let mut env = F64Env::new();
        for (n, v) in point {
            let Some(iv) = F64Interval::from_rational(v) else {
                return false;
            };
            env.push(n, iv);
        }
        fc.holds_f64(&mut env, self.check, true)
    }

    /// The verdict of the relation at an exact point of the domain.
    pub(super) fn decide_at(&self, point: &[(String, Rational)]) -> PointVerdict {
        // candidate points inside boxes: a failure shows at moderate precision; the full
        // precision ladder is kept for the points of integer domains
        let mut opts = self.opts.clone();
        opts.prec.1 = opts.prec.1.min(BOX_POINT_MAX_PREC);
        let pe = PointEval::new(self.claim, self.links, point, self.budget, &opts);
        pe.decide_checks(std::slice::from_ref(self.check)).remove(0)
    }

    /// A counterexample at `point` (the claim's real parameters, from another prover), if
    /// the point is in the domain and the relation fails there exactly or rigorously;
    /// minimised like the failures branch and bound finds.
    pub(super) fn counterexample_at(
        &self,
        dims: &[RealDim],
        reals: &[(String, Rational)],
    ) -> Option<Counterexample> {
        let mut point = self.fixed.to_vec();
        point.extend(reals.iter().cloned());
        let pe = PointEval::new(self.claim, self.links, &point, self.budget, self.opts);
        if !matches!(pe.membership(&self.claim.constraints), Membership::Inside) {
            return None;
        }
        let PointVerdict::Fails(lhs, rhs) = self.decide_at(&point) else {
            return None;
        };
        // the point in box coordinates (a dependent parameter by its fraction)
        let mut boxpt = Vec::with_capacity(dims.len());
        for (d, (_, v)) in dims.iter().zip(reals) {
            let (l, h) = match &d.dep {
                None => (d.lo.clone(), d.hi.clone()),
                Some((le, he)) => {
                    let mut env = exact_env(&point);
                    let l = exact_value(le, &mut env, self.budget).ok()?;
                    (l, exact_value(he, &mut env, self.budget).ok()?)
                }
            };
            let inside =
                (l < *v || (l == *v && d.lo_closed)) && (*v < h || (h == *v && d.hi_closed));
            if !inside {
                return None;
            }
            boxpt.push(match &d.dep {
                None => v.clone(),
                Some(_) if h > l => Rational::from(v - &l) / Rational::from(&h - &l),
                Some(_) => Rational::new(),
            });
        }
        let cx = Counterexample { point, lhs, rhs };
        Some(self.minimise(dims, boxpt, cx))
    }

    /// The box's candidate point: per dimension the simplest rational of its side (for a
    /// dependent parameter, the simplest value between its bounds on the side), if it lies
    /// in the domain.
    fn candidate(&self, dims: &[RealDim], bx: &[(Rational, Rational)]) -> Candidate {
        self.candidate_in(dims, bx, false)
    }

    /// [`Self::candidate`], or with `in_fractions` the point at the simplest fraction of each
    /// dependent parameter's range ([`to_point`]).
    fn candidate_in(
        &self,
        dims: &[RealDim],
        bx: &[(Rational, Rational)],
        in_fractions: bool,
    ) -> Candidate {
        match to_point(self.fixed, dims, bx, self.budget, in_fractions) {
            Ok((boxpt, point)) => {
                let pe = PointEval::new(self.claim, self.links, &point, self.budget, self.opts);
                match pe.membership(&self.claim.constraints) {
                    Membership::Inside => Candidate::At(boxpt, point),
                    Membership::Outside(_) => Candidate::Outside,
                    Membership::Unknown(condition, why) => {
                        Candidate::Unknown(Reason::ConstraintUnchecked {
                            condition,
                            why: Box::new(why),
                        })
                    }
                }
            }
            Err(None) => Candidate::Outside,
            Err(Some(why)) => Candidate::Unknown(why),
        }
    }

    /// An excluded end of a real parameter's domain that the box touches and where a side
    /// has no value (a pole, a logarithm of 0): boxes next to it never get an enclosure,
    /// which is a different story from sides that touch.
    fn undefined_excluded_end(
        &self,
        dims: &[RealDim],
        bx: &[(Rational, Rational)],
    ) -> Option<(String, Rational)> {
        for (k, (d, (lo, hi))) in dims.iter().zip(bx).enumerate() {
            let end = if *lo == d.lo && !d.lo_closed {
                d.lo.clone()
            } else if *hi == d.hi && !d.hi_closed {
                d.hi.clone()
            } else {
                continue;
            };
            let mut pt: Vec<(Rational, Rational)> =
                bx.iter().map(|(a, _)| (a.clone(), a.clone())).collect();
            pt[k] = (end.clone(), end.clone());
            let Ok((_, point)) = to_point(self.fixed, dims, &pt, self.budget, false) else {
                continue;
            };
            let pe = PointEval::new(self.claim, self.links, &point, self.budget, self.opts);
            let mut needed = vec![false; self.links.len()];
            needed[self.check.a] = true;
            needed[self.check.b] = true;
            let v = pe.exact_links(&needed);
            if [self.check.a, self.check.b]
                .iter()
                .any(|&i| matches!(v[i], Some(LinkVal::Undefined(_))))
            {
                return Some((d.param.clone(), end));
            }
        }
        None
    }

    /// Whether both sides have the same exact value at the point.
    fn touches(&self, point: &[(String, Rational)]) -> bool {
        let pe = PointEval::new(self.claim, self.links, point, self.budget, self.opts);
        let mut needed = vec![false; self.links.len()];
        needed[self.check.a] = true;
        needed[self.check.b] = true;
        let v = pe.exact_links(&needed);
        matches!(
            (&v[self.check.a], &v[self.check.b]),
            (Some(LinkVal::Exact(x)), Some(LinkVal::Exact(y))) if x == y
        )
    }

    pub(super) fn run(&self, dims: &[RealDim]) -> BoxResult {
        let mut res = BoxResult {
            proven: 0,
            points: 0,
            counterexample: None,
            open: None,
            methods: std::collections::BTreeMap::new(),
        };
        let root: Vec<(Rational, Rational)> =
            dims.iter().map(|d| (d.lo.clone(), d.hi.clone())).collect();
        let root_box = root.clone();
        let mut unknown_points = 0u64;
        let mut touching: Option<Vec<Rational>> = None;
        let mut equal_at: Vec<Vec<Rational>> = Vec::new();
        let mut stack = vec![(root, 0u32)];
        let mut examined = 0u64;
        let max_depth = 60;
        while let Some((bx, depth)) = stack.pop() {
            examined += 1;
            if examined > self.max_boxes || Instant::now() > self.deadline {
                res.open.get_or_insert_with(|| Reason::BoxOpen {
                    budget: if examined > self.max_boxes {
                        BudgetKind::Boxes
                    } else {
                        BudgetKind::Time
                    },
                    at: self.fixed.to_vec(),
                    open: box_sides(dims, &bx),
                });
                break;
            }
            // a box touching an open end is proven only on its closed hull, which is fine:
            // proving the relation on a superset of the box proves it on the box
            let crosses = match self.box_eval(dims, &bx, 64) {
                BoxVerdict::Proven(m) => {
                    res.proven += 1;
                    *res.methods.entry(m).or_default() += 1;
                    continue;
                }
                BoxVerdict::Empty => {
                    res.proven += 1;
                    *res.methods.entry(ProofMethod::Outside).or_default() += 1;
                    continue;
                }
                BoxVerdict::Crosses => true,
                BoxVerdict::AllFail | BoxVerdict::Unknown => false,
            };
            // a candidate where f64 enclosures separate the sides strictly holds, and the
            // sides do not touch there: no exact evaluation needed
            let mut separated = false;
            let (pt, point, v) = match self.candidate(dims, &bx) {
                Candidate::At(pt, point) => {
                    res.points += 1;
                    separated = self.opts.f64_rung && self.separated_f64(&point);
                    let mut v = if separated {
                        (pt, point.clone(), PointVerdict::Holds)
                    } else {
                        (pt, point.clone(), self.decide_at(&point))
                    };
                    // where a dependent parameter's bound is attained on the box, the point
                    // at the simplest fraction reaches that face (where the sides often touch
                    // and a tightened relation fails first)
                    if matches!(v.2, PointVerdict::Holds)
                        && dims.iter().zip(&bx).any(|(d, (lo, hi))| {
                            d.dep.is_some()
                                && ((*lo == 0 && d.lo_closed) || (*hi == 1 && d.hi_closed))
                        })
                        && let Candidate::At(pt2, point2) = self.candidate_in(dims, &bx, true)
                        && point2 != point
                    {
                        res.points += 1;
                        if !(self.opts.f64_rung && self.separated_f64(&point2)) {
                            let v2 = self.decide_at(&point2);
                            if matches!(v2, PointVerdict::Fails(..)) {
                                v = (pt2, point2, v2);
                                separated = false;
                            }
                        }
                    }
                    v
                }
                // no candidate: split on
                Candidate::Outside => (Vec::new(), Vec::new(), PointVerdict::Holds),
                Candidate::Unknown(why) => {
                    res.points += 1;
                    (Vec::new(), Vec::new(), PointVerdict::Unknown(why))
                }
            };
            let why = match v {
                PointVerdict::Fails(lhs, rhs) => {
                    let cx = self.minimise(dims, pt, Counterexample { point, lhs, rhs });
                    res.counterexample = Some(cx);
                    return res;
                }
                // the sides are equal at the candidate: split there, so that the touching
                // point becomes an end of the boxes around it (where Taylor forms prove)
                PointVerdict::Holds if !separated && !point.is_empty() && self.touches(&point) => {
                    // equal at many different points suggests an identity; the same point
                    // again (the end of nested boxes) does not
                    let new_point = !equal_at.contains(&pt);
                    if new_point {
                        equal_at.push(pt.clone());
                        self.touch_points.borrow_mut().push(pt.clone());
                    }
                    touching = Some(pt);
                    new_point.then_some(Reason::SidesEqual)
                }
                PointVerdict::Holds => None,
                PointVerdict::Unknown(why) => Some(why),
            };
            if let Some(why) = why {
                unknown_points += 1;
                // sides that no tested point separates (equal, or not separated), and no box
                // proven: most likely an identity, which intervals can never decide; stop
                // spending the budget
                if unknown_points >= IDENTITY_PROBES
                    && res.proven == 0
                    && unknown_points == res.points
                {
                    res.open.get_or_insert_with(|| Reason::LikelyIdentity {
                        at: self.fixed.to_vec(),
                        probes: unknown_points,
                        root: box_sides(dims, &root_box),
                        why: Box::new(why),
                    });
                    break;
                }
            }
            if depth >= max_depth || bx.iter().all(|(lo, hi)| lo == hi) {
                let reason = match self.undefined_excluded_end(dims, &bx) {
                    Some((param, end)) => Reason::UndefinedAtExcludedEnd {
                        at: self.fixed.to_vec(),
                        param,
                        end,
                        open: box_sides(dims, &bx),
                    },
                    None if crosses => Reason::ConstraintFace {
                        at: self.fixed.to_vec(),
                        open: box_sides(dims, &bx),
                    },
                    None => Reason::BoxUndecidable {
                        at: self.fixed.to_vec(),
                        open: box_sides(dims, &bx),
                        touching: self
                            .touch_points
                            .borrow()
                            .iter()
                            .any(|z| z.iter().zip(&bx).all(|(v, (lo, hi))| lo <= v && v <= hi)),
                    },
                };
                res.open.get_or_insert(reason);
                continue;
            }
            let (lo_half, hi_half) = split(dims, bx, touching.take().as_deref());
            // depth first, lower half first: small values are examined (and refuted) first
            stack.push((hi_half, depth + 1));
            stack.push((lo_half, depth + 1));
        }
        res
    }

    /// The simplest rational (smallest denominator) in the largest interval around the
    /// failing point, per real parameter in order, on which intervals prove the failure:
    /// each end is pushed outward greedily by halving steps while the added piece is proven
    /// to fail too. `boxpt` is the failing point in box coordinates.
    pub(super) fn minimise(
        &self,
        dims: &[RealDim],
        boxpt: Vec<Rational>,
        mut cx: Counterexample,
    ) -> Counterexample {
        let mut cur = boxpt;
        for k in 0..dims.len() {
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
                let mut bx: Vec<(Rational, Rational)> =
                    cur.iter().map(|v| (v.clone(), v.clone())).collect();
                bx[k] = (l, r);
                if let Candidate::At(pt, point) = self.candidate(dims, &bx)
                    && let PointVerdict::Fails(lhs, rhs) = self.decide_at(&point)
                {
                    cx = Counterexample { point, lhs, rhs };
                    cur = pt;
                }
            }
        }
        cx
    }
}

/// A box's candidate point.
enum Candidate {
    /// in box coordinates, and as the claim's point
    At(Vec<Rational>, Vec<(String, Rational)>),
    /// the simplest point is outside the domain (a constraint fails, a dependent
    /// parameter's bounds are inverted there)
    Outside,
    /// whether it is in the domain could not be decided
    Unknown(Reason),
}

/// The point of the claim that a box side per dimension selects: per dimension in order the
/// simplest rational of the side (respecting the domain's open ends), for a dependent
/// parameter the simplest value between `lo + u_lo (hi - lo)` and `lo + u_hi (hi - lo)` with
/// its bounds evaluated exactly at the earlier coordinates. Returns the point in box
/// coordinates and as the claim's parameters (`in_fractions`: the simplest fraction of the
/// way between the bounds instead, which reaches the faces where a bound is attained);
/// `Err(None)` where the bounds are inverted (no
/// point of the domain), `Err(Some(why))` where they have no exact value.
pub(super) fn to_point(
    fixed: &[(String, Rational)],
    dims: &[RealDim],
    ranges: &[(Rational, Rational)],
    budget: &Budget,
    in_fractions: bool,
) -> Result<(Vec<Rational>, Point), Option<Reason>> {
    let mut point = fixed.to_vec();
    let mut boxpt = Vec::with_capacity(dims.len());
    for (d, (lo, hi)) in dims.iter().zip(ranges) {
        let lo_in = lo != &d.lo || d.lo_closed;
        let hi_in = hi != &d.hi || d.hi_closed;
        let Some((le, he)) = &d.dep else {
            let v = simplest_in(lo, lo_in, hi, hi_in);
            boxpt.push(v.clone());
            point.push((d.param.clone(), v));
            continue;
        };
        let mut env = exact_env(&point);
        let (l, h) = match (
            exact_value(le, &mut env, budget),
            exact_value(he, &mut env, budget),
        ) {
            (Ok(l), Ok(h)) => (l, h),
            (Err(e), _) | (_, Err(e)) => {
                return Err(Some(Reason::RealEnds {
                    param: d.param.clone(),
                    at: point,
                    error: e.to_string(),
                }));
            }
        };
        let w = Rational::from(&h - &l);
        let a = Rational::from(&w * lo) + &l;
        let b = Rational::from(&w * hi) + &l;
        if w < 0 || (a == b && !(lo_in && hi_in)) {
            return Err(None);
        }
        let v = if in_fractions {
            Rational::from(&w * &simplest_in(lo, lo_in, hi, hi_in)) + &l
        } else {
            simplest_in(&a, lo_in, &b, hi_in)
        };
        boxpt.push(if w > 0 {
            Rational::from(&v - &l) / &w
        } else {
            lo.clone()
        });
        point.push((d.param.clone(), v));
    }
    Ok((boxpt, point))
}

pub(super) fn dom_width(d: &RealDim) -> Rational {
    let w = Rational::from(&d.hi - &d.lo);
    if w == 0 { Rational::from(1) } else { w }
}

/// The tail `T` of a box between an excluded end `end` of its one real variable and its
/// other end `other`, for reading the signs of rational functions there.
struct Tail<'a> {
    var: &'a str,
    end: &'a Rational,
    other: &'a Rational,
    /// `end` is the lower end
    lower: bool,
    /// the values of the other names
    vals: &'a [(String, Rational)],
    prec: u32,
    budget: &'a Budget,
}

impl Tail<'_> {
    /// The sign of `f` on `T` (1, -1, or 0 for the zero function) and whether it is strict;
    /// `None` when `f` is not a rational function or its sign is not read off.
    fn sign(&self, f: &Expr) -> Option<(i32, bool)> {
        let (n, d) = ratfn_of(f, self.vals)?;
        if n.terms() == 0 {
            return Some((0, false));
        }
        let (sn, strict_n) = self.poly_sign(&n)?;
        let (sd, strict_d) = self.poly_sign(&d)?;
        strict_d.then_some((sn * sd, strict_n))
    }

    /// The sign of a polynomial in `var` on `T`: from its enclosure over the closed hull,
    /// or, where it is exactly 0 at `end`, from the strict sign of its derivative.
    fn poly_sign(&self, p: &Poly) -> Option<(i32, bool)> {
        if let Some(c) = p.as_constant() {
            return (c != 0).then_some((if c > 0 { 1 } else { -1 }, true));
        }
        if p.vars().iter().any(|v| v != self.var) {
            return None;
        }
        let ar = Arith { prec: self.prec };
        let (a, b) = if self.lower {
            (self.end, self.other)
        } else {
            (self.other, self.end)
        };
        let mut env = RealEnv::new();
        env.push(self.var, Interval::from_bounds(a, b, self.prec));
        let iv = real::eval(&p.to_expr(), &mut env, ar, self.budget).ok()?;
        if *iv.lo() > 0 {
            return Some((1, true));
        }
        if *iv.hi() < 0 {
            return Some((-1, true));
        }
        // p(end) = p'(end) = ... = p^(m-1)(end) = 0 and p^(m) of strict sign s on the hull:
        // p(x) = p^(m)(xi) (x - end)^m / m!, of sign s at a lower end, s (-1)^m at an upper one
        let mut q = p.clone();
        for m in 1..=8u32 {
            if q.substitute(self.var, self.end).terms() != 0 {
                break;
            }
            q = q.derivative(self.var);
            let iv = real::eval(&q.to_expr(), &mut env, ar, self.budget).ok()?;
            let s = if *iv.lo() > 0 {
                1
            } else if *iv.hi() < 0 {
                -1
            } else {
                continue;
            };
            return Some((if self.lower || m % 2 == 0 { s } else { -s }, true));
        }
        if *iv.lo() >= 0 {
            return Some((1, false));
        }
        if *iv.hi() <= 0 {
            return Some((-1, false));
        }
        None
    }
}

/// The arguments of the partial operations of `e`, with whether each must be positive
/// (`ln`, `sqrt`, a fractional or symbolic power's base) or only nonzero (a divisor, the
/// base of a negative integer power); false where `e` has a sum, product or recurrence, or
/// a function without derivative.
fn partial_arguments(e: &Expr, out: &mut Vec<(Expr, bool)>) -> bool {
    match e {
        Expr::Num(_) | Expr::Var(_) => true,
        Expr::Neg(a) => partial_arguments(a, out),
        Expr::Bin(op, a, b) => {
            match op {
                BinOp::Div => out.push(((**b).clone(), false)),
                BinOp::Pow => match &**b {
                    Expr::Num(k) if k.is_integer() && *k >= 0 => {}
                    Expr::Num(k) if k.is_integer() => out.push(((**a).clone(), false)),
                    Expr::Neg(k) if matches!(&**k, Expr::Num(k) if k.is_integer()) => {
                        out.push(((**a).clone(), false))
                    }
                    _ => out.push(((**a).clone(), true)),
                },
                _ => {}
            }
            partial_arguments(a, out) && partial_arguments(b, out)
        }
        Expr::Call(f, args) => {
            match f {
                crate::expr::Func::Ln | crate::expr::Func::Sqrt => {
                    out.push((args[0].clone(), true))
                }
                crate::expr::Func::Exp => {}
                _ => return false,
            }
            args.iter().all(|a| partial_arguments(a, out))
        }
        Expr::Big { .. } | Expr::Rec { .. } => false,
    }
}

/// Whether every symmetric matrix with entries in the intervals `h` is positive
/// semidefinite: each row diagonally dominant (`h_ii >= sum |h_ij|`), or every leading
/// principal minor (enclosed by interval arithmetic over the entries) positive (Sylvester).
fn positive_semidefinite(h: &[Vec<Interval>], ar: Arith) -> bool {
    let n = h.len();
    let dominant = (0..n).all(|i| {
        let mut off = Interval::from_rational(&Rational::new(), ar.prec);
        for (j, hij) in h[i].iter().enumerate() {
            if j != i {
                off = ar.add(&off, &ar.abs(hij));
            }
        }
        *h[i][i].lo() >= *off.hi()
    });
    dominant
        || (1..=n).all(|k| {
            *det(
                &h[..k].iter().map(|r| r[..k].to_vec()).collect::<Vec<_>>(),
                ar,
            )
            .lo()
                > 0
        })
}

/// The determinant of an interval matrix by cofactor expansion (n <= 4).
fn det(m: &[Vec<Interval>], ar: Arith) -> Interval {
    let n = m.len();
    if n == 1 {
        return m[0][0].clone();
    }
    let mut acc = Interval::from_rational(&Rational::new(), ar.prec);
    for j in 0..n {
        let minor: Vec<Vec<Interval>> = m[1..]
            .iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .filter(|(c, _)| *c != j)
                    .map(|(_, v)| v.clone())
                    .collect()
            })
            .collect();
        let t = ar.mul(&m[0][j], &det(&minor, ar));
        acc = if j % 2 == 0 {
            ar.add(&acc, &t)
        } else {
            ar.sub(&acc, &t)
        };
    }
    acc
}

/// The sign (1 or -1) of the monomial `m` of box coordinates on the face: nonnegative or
/// nonpositive everywhere (positive or negative everywhere when `strict`); `None` when a
/// variable with an odd power changes sign there. A constant 1 has sign 1.
fn monomial_sign(
    m: &crate::expr::poly::Monomial,
    dims: &[RealDim],
    face: &[(Rational, Rational)],
    strict: bool,
) -> Option<i32> {
    let mut sign = 1;
    for (x, e) in m {
        let k = dims.iter().position(|d| &d.name == x)?;
        let (lo, hi) = &face[k];
        if strict && *lo <= 0 && *hi >= 0 {
            return None;
        }
        if e % 2 == 0 {
            continue;
        }
        if *lo >= 0 {
        } else if *hi <= 0 {
            sign = -sign;
        } else {
            return None;
        }
    }
    Some(sign)
}

/// A box as the reasons name it.
fn box_sides(dims: &[RealDim], bx: &[(Rational, Rational)]) -> Vec<BoxSide> {
    dims.iter()
        .zip(bx)
        .map(|(d, (lo, hi))| BoxSide {
            name: match &d.dep {
                Some((l, h)) => format!("{}'s fraction of [{l}, {h}]", d.param),
                None => d.name.clone(),
            },
            lo: lo.clone(),
            hi: hi.clone(),
        })
        .collect()
}

/// The two halves of a box split across its widest dimension (relative to the dimension's
/// domain; the first such dimension on ties): at `at`'s coordinate when it lies strictly
/// inside (a point where the sides touch), else at the midpoint.
fn split(
    dims: &[RealDim],
    bx: Vec<(Rational, Rational)>,
    at: Option<&[Rational]>,
) -> (RealBox, RealBox) {
    let geometric = |i: usize| geometric_side(&dims[i], &bx[i]);
    let k = if (0..dims.len()).any(|i| geometric(i).is_some()) {
        // a side that spans orders of magnitude counts by its share of the domain's
        // logarithmic width (a heuristic: which side to split never affects soundness)
        let share = |i: usize| {
            geometric(i).unwrap_or_else(|| {
                (Rational::from(&bx[i].1 - &bx[i].0) / dom_width(&dims[i])).to_f64()
            })
        };
        (0..dims.len())
            .max_by(|&i, &j| share(i).total_cmp(&share(j)).then(j.cmp(&i)))
            .expect("at least one dimension")
    } else {
        (0..dims.len())
            .max_by(|&i, &j| {
                let wi = Rational::from(&bx[i].1 - &bx[i].0) / dom_width(&dims[i]);
                let wj = Rational::from(&bx[j].1 - &bx[j].0) / dom_width(&dims[j]);
                wi.cmp(&wj).then(j.cmp(&i))
            })
            .expect("at least one dimension")
    };
    let mid = match at {
        Some(p) if bx[k].0 < p[k] && p[k] < bx[k].1 => p[k].clone(),
        // near the geometric mean, as a simple rational
        _ if geometric(k).is_some() => {
            let (l, h) = (bx[k].0.to_f64(), bx[k].1.to_f64());
            let g = (l * h).sqrt();
            match (Rational::from_f64(g / 1.1), Rational::from_f64(g * 1.1)) {
                (Some(a), Some(b)) if bx[k].0 < a && b < bx[k].1 => simplest_in(&a, true, &b, true),
                _ => Rational::from(&bx[k].0 + &bx[k].1) / 2u32,
            }
        }
        _ => Rational::from(&bx[k].0 + &bx[k].1) / 2u32,
    };
    let mut lo_half = bx.clone();
    lo_half[k].1 = mid.clone();
    let mut hi_half = bx;
    hi_half[k].0 = mid;
    (lo_half, hi_half)
}

/// For a box side of a positive domain that spans more than a factor 4 (a step count up to
/// 10^8, say), its share of the domain's logarithmic width: such a side is split near its
/// geometric mean, since the sides of a relation in `T^a` or `ln T` change by factors, not
/// by differences. `None` for any other side.
fn geometric_side(d: &RealDim, side: &(Rational, Rational)) -> Option<f64> {
    let (dl, dh) = (d.lo.to_f64(), d.hi.to_f64());
    let (l, h) = (side.0.to_f64(), side.1.to_f64());
    (d.dep.is_none() && dl > 0.0 && l > 0.0 && h / l > 4.0 && dh.is_finite())
        .then(|| (h / l).ln() / (dh / dl).ln())
}

/// A box: per real dimension, its lower and upper end.
type RealBox = Vec<(Rational, Rational)>;

/// The box's centre, as a box of width 0.
fn centre(boxv: &[(Rational, Rational)]) -> RealBox {
    boxv.iter()
        .map(|(lo, hi)| {
            let c = Rational::from(lo + hi) / 2u32;
            (c.clone(), c)
        })
        .collect()
}

/// A point of the claim: its parameters and their values.
type Point = Vec<(String, Rational)>;

/// The margin on a face of a box (the face's fixed coordinates substituted, or not).
type FaceForm<'f> = dyn Fn(&[(Rational, Rational)]) -> Expr + 'f;

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
pub(super) fn simplest_pos(
    lo: &Rational,
    lo_in: bool,
    hi: Option<&Rational>,
    hi_in: bool,
) -> Rational {
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
