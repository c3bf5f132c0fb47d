//! Branch and bound over the real parameters of a claim at one integer point: boxes proven by
//! interval evaluation (and by monotonicity and mean-value forms from interval derivatives),
//! candidate points tested at each box's simplest rational, and counterexamples minimised.

use super::ladder::{
    LinkVal, PointEval, PointVerdict, bind_lets, decide_intervals, exact_env, exact_value, real_env,
};
use super::sweep::RealDim;
use super::{BudgetKind, Check, Counterexample, Options, Reason};
use crate::claims::Claim;
use crate::engine::exact::Budget;
use crate::engine::real::{self, Arith, Interval, RealEnv};
use crate::expr::{BinOp, Expr, Rel};
use crate::verdict::BoxSide;
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
}

/// Taylor forms tried in a row without success before branch and bound stops trying them.
const TAYLOR_TRIES: u32 = 12;

/// The margin `g` (relation holds iff `g >= 0`, or `> 0` when strict) and its symbolic
/// derivatives `g', …, g^(TAYLOR_ORDER)` in the box's one real variable.
pub(super) struct Taylor {
    var: String,
    strict: bool,
    /// `derivs[j]` is the j-th derivative; `derivs[0]` the margin
    derivs: Vec<Expr>,
}

/// Highest order of the Taylor forms at a box's ends.
const TAYLOR_ORDER: u32 = 4;

/// Largest derivative (expression nodes) a Taylor form evaluates.
const TAYLOR_MAX_NODES: usize = 20_000;

pub(super) struct BoxResult {
    pub(super) proven: u64,
    pub(super) points: u64,
    pub(super) counterexample: Option<Counterexample>,
    pub(super) open: Option<Reason>,
}

/// What interval evaluation says about a whole box.
pub(super) enum BoxVerdict {
    Proven,
    AllFail,
    Unknown,
}

impl BranchAndBound<'_> {
    pub(super) fn box_eval(
        &self,
        dims: &[RealDim],
        boxv: &[(Rational, Rational)],
        prec: u32,
    ) -> BoxVerdict {
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
    pub(super) fn margin(&self) -> Option<(Expr, bool)> {
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

    pub(super) fn env_for(
        &self,
        dims: &[RealDim],
        boxv: &[(Rational, Rational)],
        prec: u32,
    ) -> RealEnv {
        let mut env = real_env(self.fixed, prec);
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
    pub(super) fn refined(
        &self,
        dims: &[RealDim],
        boxv: &[(Rational, Rational)],
        prec: u32,
    ) -> BoxVerdict {
        let Some((g, strict)) = self.margin() else {
            return BoxVerdict::Unknown;
        };
        let ar = Arith { prec };
        let ok = |iv: &Interval| if strict { *iv.lo() > 0 } else { *iv.lo() >= 0 };
        let bad = |iv: &Interval| if strict { *iv.hi() <= 0 } else { *iv.hi() < 0 };
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
        if self.taylor_misses.get() < TAYLOR_TRIES {
            match self.taylor_at_an_end(dims, boxv, ar) {
                Some(true) => {
                    self.taylor_misses.set(0);
                    return BoxVerdict::Proven;
                }
                Some(false) => self.taylor_misses.set(self.taylor_misses.get() + 1),
                None => {}
            }
        }
        BoxVerdict::Unknown
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
            let (g, strict) = self.margin()?;
            let mut derivs = vec![g];
            for _ in 0..TAYLOR_ORDER {
                let next = crate::expr::derivative(derivs.last().expect("nonempty"), &d.name)?;
                if next.node_count() > TAYLOR_MAX_NODES {
                    break;
                }
                derivs.push(next);
            }
            Some(Taylor {
                var: d.name.clone(),
                strict,
                derivs,
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
        let mut env = self.env_for(dims, boxv, ar.prec);
        // the derivatives over the whole box, evaluated as far as a form needs them: each
        // must have a value there
        let mut over_box: Vec<Interval> = Vec::new();
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
            if !matches!(exact_value(&t.derivs[0], &mut xenv, self.budget), Ok(v) if v == 0) {
                continue;
            }
            tried = true;
            let mut renv = real_env(&at_z, ar.prec);
            let offset =
                Interval::from_bounds(&Rational::from(lo - z), &Rational::from(hi - z), ar.prec);
            // Σ_{j<k} c_j t^j / j!, built up as k grows
            let mut poly = Interval::from_rational(&Rational::new(), ar.prec);
            let mut factorial = Rational::from(1);
            for k in 1..t.derivs.len() {
                while over_box.len() <= k {
                    match real::eval(&t.derivs[over_box.len()], &mut env, ar, self.budget) {
                        Ok(iv) => over_box.push(iv),
                        Err(_) => return Some(false),
                    }
                }
                let j = k - 1;
                factorial *= Rational::from(j.max(1) as u32);
                let c = match exact_value(&t.derivs[j], &mut xenv, self.budget) {
                    Ok(v) => Interval::from_rational(&v, ar.prec),
                    Err(_) => match real::eval(&t.derivs[j], &mut renv, ar, self.budget) {
                        Ok(iv) => iv,
                        Err(_) => break,
                    },
                };
                let Ok(tj) = ar.powi(&offset, &rug::Integer::from(j)) else {
                    break;
                };
                let jf = Interval::from_rational(&factorial, ar.prec);
                let Ok(term) = ar.div(&ar.mul(&c, &tj), &jf) else {
                    break;
                };
                poly = ar.add(&poly, &term);
                // the remainder of order k
                let kf = Interval::from_rational(&(&factorial * Rational::from(k as u32)), ar.prec);
                let Ok(tk) = ar.powi(&offset, &rug::Integer::from(k)) else {
                    break;
                };
                let Ok(rem) = ar.div(&ar.mul(&over_box[k], &tk), &kf) else {
                    break;
                };
                let total = ar.add(&poly, &rem);
                let ok = if t.strict {
                    *total.lo() > 0
                } else {
                    *total.lo() >= 0
                };
                if ok {
                    return Some(true);
                }
            }
        }
        tried.then_some(false)
    }

    /// The mean-value enclosure of `g` over the box (or its value, for a point box).
    pub(super) fn mean_value(
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
        Some(acc.intersect(&dual.v))
    }

    pub(super) fn point_eval(
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
            let mut pt: Vec<Rational> = bx.iter().map(|(a, _)| a.clone()).collect();
            pt[k] = end.clone();
            let mut point = self.fixed.to_vec();
            point.extend(dims.iter().map(|d| d.name.clone()).zip(pt));
            let pe = PointEval::new(self.claim, self.links, &point, self.budget, self.opts);
            let mut needed = vec![false; self.links.len()];
            needed[self.check.a] = true;
            needed[self.check.b] = true;
            let v = pe.exact_links(&needed);
            if [self.check.a, self.check.b]
                .iter()
                .any(|&i| matches!(v[i], Some(LinkVal::Undefined(_))))
            {
                return Some((d.name.clone(), end));
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
            match self.box_eval(dims, &bx, 64) {
                BoxVerdict::Proven => {
                    res.proven += 1;
                    continue;
                }
                BoxVerdict::AllFail | BoxVerdict::Unknown => {}
            }
            res.points += 1;
            let pt = candidate(dims, &bx);
            let (point, v) = self.point_eval(dims, &pt);
            let why = match v {
                PointVerdict::Fails(lhs, rhs) => {
                    let cx = self.minimise(dims, Counterexample { point, lhs, rhs });
                    res.counterexample = Some(cx);
                    return res;
                }
                // the sides are equal at the candidate: split there, so that the touching
                // point becomes an end of the boxes around it (where Taylor forms prove)
                PointVerdict::Holds if self.touches(&point) => {
                    // equal at many different points suggests an identity; the same point
                    // again (the end of nested boxes) does not
                    let new_point = !equal_at.contains(&pt);
                    if new_point {
                        equal_at.push(pt.clone());
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
                    None => Reason::BoxUndecidable {
                        at: self.fixed.to_vec(),
                        open: box_sides(dims, &bx),
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
    /// to fail too.
    pub(super) fn minimise(&self, dims: &[RealDim], mut cx: Counterexample) -> Counterexample {
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

pub(super) fn dom_width(d: &RealDim) -> Rational {
    let w = Rational::from(&d.hi - &d.lo);
    if w == 0 { Rational::from(1) } else { w }
}

/// A box as the reasons name it.
fn box_sides(dims: &[RealDim], bx: &[(Rational, Rational)]) -> Vec<BoxSide> {
    dims.iter()
        .zip(bx)
        .map(|(d, (lo, hi))| BoxSide {
            name: d.name.clone(),
            lo: lo.clone(),
            hi: hi.clone(),
        })
        .collect()
}

/// The candidate point of a box: its simplest rational (respecting the domain's open ends).
fn candidate(dims: &[RealDim], bx: &[(Rational, Rational)]) -> Vec<Rational> {
    dims.iter()
        .zip(bx)
        .map(|(d, (lo, hi))| {
            simplest_in(
                lo,
                lo != &d.lo || d.lo_closed,
                hi,
                hi != &d.hi || d.hi_closed,
            )
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
    let k = (0..dims.len())
        .max_by(|&i, &j| {
            let wi = Rational::from(&bx[i].1 - &bx[i].0) / dom_width(&dims[i]);
            let wj = Rational::from(&bx[j].1 - &bx[j].0) / dom_width(&dims[j]);
            wi.cmp(&wj).then(j.cmp(&i))
        })
        .expect("at least one dimension");
    let mid = match at {
        Some(p) if bx[k].0 < p[k] && p[k] < bx[k].1 => p[k].clone(),
        _ => Rational::from(&bx[k].0 + &bx[k].1) / 2u32,
    };
    let mut lo_half = bx.clone();
    lo_half[k].1 = mid.clone();
    let mut hi_half = bx;
    hi_half[k].0 = mid;
    (lo_half, hi_half)
}

/// A box: per real dimension, its lower and upper end.
type RealBox = Vec<(Rational, Rational)>;

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
