//! The symbolic bound engine: normal forms, ratios, crossovers with their constants,
//! dominance and equality of bound expressions.
//!
//! - [`range`]: sound ranges (signs) of expressions under parameter assumptions;
//! - [`mono`]: the monomial normal form (coefficient × bases^rational-function exponents,
//!   non-monomial factors kept whole), built structurally;
//! - [`egraph`]: equality saturation with egg (exact constant folding, guarded rules) for
//!   what the normal form does not cover and for equality proofs with explanations.
//!
//! Every result is checked numerically by the rigorous real engine at seeded random points
//! of the assumptions' domain before it is reported; a failed check turns the answer into
//! `unknown` with the point, never a wrong answer.

pub mod egraph;
pub mod mono;
pub mod range;

use crate::engine::exact::Budget;
use crate::engine::real;
use crate::expr::{BinOp, Expr, Rel, parse_expr};
use mono::{Base, Mono, RatFn};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use range::Assumptions;
use rug::Rational;
use serde_json::{Value, json};
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// The seed of the named generator (`ChaCha8`) that picks the numerical check points.
pub const CHECK_SEED: u64 = 0x5e_ed_5b;

/// Points at which every result is checked.
pub const CHECK_POINTS: usize = 24;

/// The answer of one operation (the Contract's JSON shape; absent fields are omitted).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Answer {
    /// the inputs as given
    pub input: Vec<String>,
    /// the normal form / ratio / simplified expression
    pub result: Option<String>,
    /// the solved condition (crossover)
    pub condition: Option<String>,
    /// the constant K of the solved condition, in closed form
    pub constant: Option<String>,
    /// the asymptotic statement (crossover, dominance)
    pub asymptotic: Option<String>,
    /// factors dropped from the exact statement to reach the asymptotic one
    pub dropped: Vec<String>,
    /// `proved`, `refuted`, `unknown` or `unsupported`
    pub status: String,
    /// why (unknown, unsupported), or the explanation of a proof
    pub reason: Option<String>,
    /// what the numerical check found
    pub check: Option<String>,
    /// a point where two expressions differ (equal: refuted)
    pub point: Option<Vec<(String, Rational)>>,
}

impl Answer {
    fn new(input: &[&Expr]) -> Answer {
        Answer {
            input: input.iter().map(|e| e.to_string()).collect(),
            status: "unknown".into(),
            ..Answer::default()
        }
    }

    fn unsupported(mut self, why: impl Into<String>) -> Answer {
        self.status = "unsupported".into();
        self.reason = Some(why.into());
        self
    }

    /// The JSON object of the Contract (`input`, `result`, `condition`, `constant`,
    /// `asymptotic`, `dropped`, `status`, `reason`, plus `check` and `point`).
    pub fn json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("input".into(), json!(self.input));
        let mut opt = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                m.insert(k.into(), json!(v));
            }
        };
        opt("result", &self.result);
        opt("condition", &self.condition);
        opt("constant", &self.constant);
        opt("asymptotic", &self.asymptotic);
        if !self.dropped.is_empty() || self.asymptotic.is_some() {
            m.insert("dropped".into(), json!(self.dropped));
        }
        m.insert("status".into(), json!(self.status));
        m.insert("reason".into(), json!(self.reason));
        if let Some(c) = &self.check {
            m.insert("check".into(), json!(c));
        }
        if let Some(p) = &self.point {
            let o: serde_json::Map<String, Value> = p
                .iter()
                .map(|(k, v)| (k.clone(), json!(v.to_string())))
                .collect();
            m.insert("point".into(), Value::Object(o));
        }
        Value::Object(m)
    }

    /// Human-readable lines.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let mut line = |k: &str, v: &str| s.push_str(&format!("{k:<11} {v}\n"));
        line("status", &self.status);
        for (k, v) in [
            ("result", &self.result),
            ("condition", &self.condition),
            ("constant", &self.constant),
            ("asymptotic", &self.asymptotic),
        ] {
            if let Some(v) = v {
                line(k, v);
            }
        }
        if !self.dropped.is_empty() {
            line("dropped", &self.dropped.join(", "));
        }
        if let Some(p) = &self.point {
            let pt: Vec<String> = p.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            line("point", &pt.join(", "));
        }
        if let Some(c) = &self.check {
            line("check", c);
        }
        if let Some(r) = &self.reason {
            line("reason", r);
        }
        s
    }
}

fn free(es: &[&Expr]) -> Vec<String> {
    let mut v: BTreeSet<String> = BTreeSet::new();
    for e in es {
        v.extend(e.free_vars());
    }
    v.into_iter().collect()
}

/// Seeded random points of the assumptions' domain for the names `vars`.
fn sample_points(vars: &[String], assume: &Assumptions, n: usize) -> Vec<Vec<(String, Rational)>> {
    let mut rng = ChaCha8Rng::seed_from_u64(CHECK_SEED);
    let mut out = Vec::new();
    for _ in 0..n {
        let mut p = Vec::new();
        for x in vars {
            let r = assume.of(x);
            let integer = assume.integers.contains(x);
            let lo = r.lo.as_ref().map(|(v, _)| v.clone());
            let hi = r.hi.as_ref().map(|(v, _)| v.clone());
            let u = Rational::from((rng.gen_range(1..1000u32), 1000u32));
            let v = match (lo, hi) {
                (Some(l), Some(h)) => Rational::from(&h - &l) * u + l,
                // unbounded above: log-spaced over six decades from the lower end
                (Some(l), None) => {
                    let k = rng.gen_range(0..6u32);
                    l + u * Rational::from(rug::ops::Pow::pow(rug::Integer::from(10u32), k))
                        + Rational::from((1, 7))
                }
                (None, Some(h)) => h - u * 10u32 - Rational::from((1, 7)),
                (None, None) => (u - Rational::from((1, 2))) * 20u32,
            };
            let v = if integer {
                let z = rug::Integer::from(v.ceil_ref());
                let top =
                    r.hi.as_ref()
                        .map(|(h, _)| rug::Integer::from(h.floor_ref()));
                Rational::from(match top {
                    Some(t) if z > t => t,
                    _ => z,
                })
            } else {
                v
            };
            p.push((x.clone(), v));
        }
        out.push(p);
    }
    out
}

fn enclose(e: &Expr, p: &[(String, Rational)]) -> Option<real::Interval> {
    let budget = Budget {
        max_steps: 100_000,
        max_bits: 1 << 20,
        deadline: None,
    };
    real::eval_at(e, p, 256, &budget).ok()
}

/// Checks at seeded random points that `a` and `b` agree (their enclosures overlap).
/// `Err` names a point where they provably differ.
fn check_same(a: &Expr, b: &Expr, assume: &Assumptions) -> Result<String, Vec<(String, Rational)>> {
    let vars = free(&[a, b]);
    let mut tested = 0;
    for p in sample_points(&vars, assume, CHECK_POINTS) {
        let (Some(x), Some(y)) = (enclose(a, &p), enclose(b, &p)) else {
            continue;
        };
        tested += 1;
        if matches!(x.certain_cmp(&y), Some(Ordering::Less | Ordering::Greater)) {
            return Err(p);
        }
    }
    Ok(format!(
        "input and result agree at {tested} of {CHECK_POINTS} seeded random points (rigorous enclosures at 256 bits)"
    ))
}

fn failed_check(mut a: Answer, p: Vec<(String, Rational)>) -> Answer {
    a.status = "unknown".into();
    a.reason = Some("the numerical check failed: input and result differ at the point (a bug; the result is withheld)".into());
    a.result = None;
    a.point = Some(p);
    a
}

/// The sign of `e` under the assumptions: the range analysis first, then the decision engine
/// (branch and bound over the assumptions' box, which must be bounded) for `e > 0` and
/// `e < 0`. `Some(Equal)` only for the zero rational function; `None` when undetermined.
pub fn sign(e: &Expr, assume: &Assumptions) -> Option<Ordering> {
    let rf = RatFn::from_expr(e);
    if rf.as_ref().is_some_and(|r| r.is_zero()) {
        return Some(Ordering::Equal);
    }
    // a rational function is read with common monomials factored out of both polynomials
    let r = match &rf {
        Some(f) => assume
            .range(&Expr::bin(
                BinOp::Div,
                f.num.factored_expr(),
                f.den.factored_expr(),
            ))
            .meet(&assume.range(e)),
        None => assume.range(e),
    };
    if r.is_pos() {
        return Some(Ordering::Greater);
    }
    if r.is_neg() {
        return Some(Ordering::Less);
    }
    let mut claim = crate::claims::ClaimBuilder::new("sign").source("symbolic");
    for x in e.free_vars() {
        let r = assume.of(&x);
        let (Some((lo, ls)), Some((hi, hs))) = (r.lo, r.hi) else {
            return None;
        };
        claim = claim.param(if assume.integers.contains(&x) {
            format!("{x} in {lo}..={hi}")
        } else {
            format!(
                "{x} in {}{lo}, {hi}{}",
                if ls { "(" } else { "[" },
                if hs { ")" } else { "]" }
            )
        });
    }
    let opts = crate::decide::Options {
        time_per_claim: std::time::Duration::from_secs(2),
        ..crate::decide::Options::default()
    };
    for (rel, ord) in [(">", Ordering::Greater), ("<", Ordering::Less)] {
        let Ok(c) = claim.clone().holds(format!("{e} {rel} 0")).build() else {
            return None;
        };
        let out = crate::decide::decide(&c, &opts);
        if out
            .first()
            .is_some_and(|o| o.verdict == crate::decide::Verdict::Certified)
        {
            return Some(ord);
        }
    }
    None
}

/// `simplify EXPR`: the monomial normal form when the expression is in the class, else the
/// smallest form equality saturation finds.
pub fn simplify(e: &Expr, assume: &Assumptions) -> Answer {
    let ans = Answer::new(&[e]);
    let (out, how) = match Mono::of(e, assume) {
        Ok(m) => (m.to_expr(), "monomial normal form".to_string()),
        Err(mono::Unsupported(why)) => match egraph::simplify(e, assume, egraph::Limits::default())
        {
            Ok((r, stop)) => (
                r,
                format!("not a monomial ({why}); equality saturation, stopped by {stop}"),
            ),
            Err(e) => return ans.unsupported(e),
        },
    };
    finish_equal(ans, e, out, how, assume)
}

fn finish_equal(mut ans: Answer, e: &Expr, out: Expr, how: String, assume: &Assumptions) -> Answer {
    match check_same(e, &out, assume) {
        Ok(c) => {
            ans.status = "proved".into();
            ans.result = Some(out.to_string());
            ans.reason = Some(how);
            ans.check = Some(c);
            ans
        }
        Err(p) => failed_check(ans, p),
    }
}

/// The normal form of A/B (the error says which side is outside the class).
fn ratio_form(a: &Expr, b: &Expr, assume: &Assumptions) -> Result<Mono, mono::Unsupported> {
    Mono::of(a, assume)?.div(&Mono::of(b, assume)?)
}

/// `ratio A B`: the normal form of A/B.
pub fn ratio(a: &Expr, b: &Expr, assume: &Assumptions) -> Answer {
    let ans = Answer::new(&[a, b]);
    let r = match ratio_form(a, b, assume) {
        Ok(r) => r,
        Err(e) => return ans.unsupported(e.0),
    };
    let q = Expr::bin(BinOp::Div, a.clone(), b.clone());
    finish_equal(
        ans,
        &q,
        r.to_expr(),
        "ratio of the monomial normal forms".into(),
        assume,
    )
}

/// The default growing variables: the solve-for one and the usual size names present.
fn growth_vars(es: &[&Expr], extra: &[String]) -> Vec<String> {
    let names = free(es);
    let mut v: Vec<String> = extra.to_vec();
    for n in ["n", "m", "N", "T", "t", "k"] {
        if names.iter().any(|x| x == n) && !v.iter().any(|x| x == n) {
            v.push(n.to_string());
        }
    }
    v
}

/// Splits a normal form into the growing variables' part and the rest (what an asymptotic
/// statement drops), folding opaque factors in by their degree in the growing variables.
fn split(m: &Mono, grow: &[String]) -> Result<(Mono, Mono, Vec<String>), String> {
    let mut keep = Mono {
        coef: Rational::from(1),
        factors: Vec::new(),
    };
    let mut rest = Mono {
        coef: m.coef.clone(),
        factors: Vec::new(),
    };
    let mut dropped = Vec::new();
    if m.coef != 1 {
        dropped.push(mono::num(&m.coef).to_string());
    }
    for (b, e) in &m.factors {
        // a factor whose exponent grows (exp(a*T), 2^n, L^n) is never a constant to drop
        if !matches!(b, Base::Var(x) if grow.contains(x))
            && let Some(x) = grow.iter().find(|x| e.mentions(x))
        {
            let f = Mono::constant_one().times(b.clone(), e.clone()).to_expr();
            return Err(format!(
                "the factor `{f}` has an exponent that grows with `{x}`: its order is not a power"
            ));
        }
        let single = Mono {
            coef: Rational::from(1),
            factors: vec![(b.clone(), e.clone())],
        };
        match b {
            Base::Var(x) if grow.contains(x) => keep = keep.mul(&single),
            Base::Opaque(s) => {
                let pe = parse_expr(s).map_err(|e| e.message)?;
                let uses_growth = pe.free_vars().iter().any(|x| grow.contains(x));
                if uses_growth {
                    // a rational function of the growing variables behaves like their
                    // degree powers; anything else has no determined order here
                    let Some(rf) = RatFn::from_expr(&pe) else {
                        return Err(format!(
                            "the factor `{s}` depends on a growing variable and is not a rational function"
                        ));
                    };
                    let mut order = Mono::constant_one();
                    for x in grow {
                        let d = rf.degree(x);
                        if d != 0 {
                            let pw = e.mul(&RatFn::constant(Rational::from(d)));
                            order = order.times(Base::Var(x.clone()), pw);
                        }
                    }
                    keep = keep.mul(&order);
                    // what is dropped is the factor over its order (tends to a constant)
                    let left = single.div(&order).map_err(|e| e.0)?;
                    rest = rest.mul(&left);
                    dropped.push(left.to_expr().to_string());
                    continue;
                }
                rest = rest.mul(&single);
                dropped.push(single.to_expr().to_string());
            }
            _ => {
                rest = rest.mul(&single);
                dropped.push(single.to_expr().to_string());
            }
        }
    }
    Ok((keep, rest, dropped))
}

/// `crossover A B --solve-for T`: the exact condition `A <= B` solved for `T` as
/// `T^e <= K * (other factors)`, `K` in closed form, and the asymptotic statement.
pub fn crossover(a: &Expr, b: &Expr, t: &str, grow: &[String], assume: &Assumptions) -> Answer {
    let mut ans = Answer::new(&[a, b]);
    if !assume.range(b).is_pos() {
        return ans.unsupported(format!(
            "`{b}` is not provably positive, so A <= B cannot be divided by it"
        ));
    }
    let r = match ratio_form(a, b, assume) {
        Ok(r) => r,
        Err(e) => return ans.unsupported(e.0),
    };
    let tb = Base::Var(t.to_string());
    let e = r.exponent(&tb);
    if e.is_zero() {
        return ans.unsupported(format!(
            "A/B does not depend on `{t}` through a power of it"
        ));
    }
    let flip = match sign(&e.to_expr(), assume) {
        Some(Ordering::Greater) => false,
        Some(Ordering::Less) => true,
        _ => {
            ans.reason = Some(format!(
                "the sign of the exponent {e} of `{t}` is not determined by the assumptions"
            ));
            return ans;
        }
    };
    // A <= B  <=>  r <= 1  <=>  T^e * rest <= 1  <=>  T^e <= 1/rest (rest > 0)
    let rest = Mono {
        coef: r.coef.clone(),
        factors: r
            .factors
            .iter()
            .filter(|(b, _)| *b != tb)
            .cloned()
            .collect(),
    };
    let rhs = match Mono::constant_one().div(&rest) {
        Ok(x) => x,
        Err(e) => return ans.unsupported(e.0),
    };
    let (lhs_e, rhs_m, rel) = if flip {
        (
            e.neg(),
            match Mono::constant_one().div(&rhs) {
                Ok(x) => x,
                Err(er) => return ans.unsupported(er.0),
            },
            Rel::Ge,
        )
    } else {
        (e.clone(), rhs.clone(), Rel::Le)
    };
    let tpow = Mono::constant_one().times(Base::Var(t.to_string()), lhs_e.clone());
    let grow = growth_vars(&[a, b], &[&[t.to_string()], grow].concat());
    let (keep, konst, dropped) = match split(&rhs_m, &grow) {
        Ok(x) => x,
        Err(why) => return ans.unsupported(why),
    };
    let cond = format!("{} {} {}", tpow.to_expr(), rel.symbol(), rhs_m.to_expr());
    ans.condition = Some(cond.clone());
    ans.constant = Some(konst.to_expr().to_string());
    ans.asymptotic = Some(format!(
        "{} {} {}",
        tpow.to_expr(),
        rel.symbol(),
        keep.to_expr()
    ));
    ans.dropped = dropped;
    // check: the condition has the truth value of A <= B at random points
    let cond_rel = crate::expr::parse_relation(&cond).expect("printed relation parses");
    let vars = free(&[a, b]);
    let mut agree = 0;
    for p in sample_points(&vars, assume, CHECK_POINTS) {
        let truth = |l: &Expr, r: &Expr, rel: Rel| -> Option<bool> {
            let (x, y) = (enclose(l, &p)?, enclose(r, &p)?);
            x.certain_cmp(&y).map(|o| rel.holds(o))
        };
        let (Some(t1), Some(t2)) = (
            truth(a, b, Rel::Le),
            truth(&cond_rel.lhs, &cond_rel.rhs, cond_rel.rel),
        ) else {
            continue;
        };
        if t1 != t2 {
            ans.condition = None;
            ans.status = "unknown".into();
            ans.reason = Some("the numerical check failed: the solved condition and A <= B disagree at the point (a bug; the result is withheld)".into());
            ans.point = Some(p);
            return ans;
        }
        agree += 1;
    }
    ans.status = "proved".into();
    ans.reason = Some(format!(
        "A/B = {} is a monomial in `{t}` with exponent {e} ({}); B > 0",
        r.to_expr(),
        if flip {
            "negative: the inequality turns"
        } else {
            "positive"
        }
    ));
    ans.check = Some(format!(
        "the condition and A <= B have the same truth value at {agree} of {CHECK_POINTS} seeded random points"
    ));
    ans.result = Some(r.to_expr().to_string());
    ans
}

/// A path such as `T = n^2`: the variable and its exponent in the other one.
pub fn parse_path(s: &str) -> Result<(String, String, RatFn), String> {
    let rel = crate::expr::parse_relation(s).map_err(|e| format!("--path {s}: {}", e.message))?;
    let Expr::Var(x) = &rel.lhs else {
        return Err(format!("--path {s}: expected `VAR = OTHER^k`"));
    };
    let (y, k) = match &rel.rhs {
        Expr::Var(y) => (y.clone(), RatFn::constant(Rational::from(1))),
        Expr::Bin(BinOp::Pow, b, k) => match (&**b, RatFn::from_expr(k)) {
            (Expr::Var(y), Some(k)) => (y.clone(), k),
            _ => return Err(format!("--path {s}: expected `VAR = OTHER^k`")),
        },
        _ => return Err(format!("--path {s}: expected `VAR = OTHER^k`")),
    };
    Ok((x.clone(), y, k))
}

/// `dominance A B --as n,T [--path T = n^k]`: which bound is asymptotically larger as the
/// variables grow, and by which exponent gap.
pub fn dominance(
    a: &Expr,
    b: &Expr,
    vars: &[String],
    path: Option<&(String, String, RatFn)>,
    assume: &Assumptions,
) -> Answer {
    let mut ans = Answer::new(&[a, b]);
    let r = match ratio_form(a, b, assume) {
        Ok(r) => r,
        Err(e) => return ans.unsupported(e.0),
    };
    let q = Expr::bin(BinOp::Div, a.clone(), b.clone());
    match check_same(&q, &r.to_expr(), assume) {
        Ok(c) => ans.check = Some(c),
        Err(p) => return failed_check(ans, p),
    }
    let (keep, _, dropped) = match split(&r, vars) {
        Ok(x) => x,
        Err(why) => return ans.unsupported(why),
    };
    let mut exps: Vec<(String, RatFn)> = vars
        .iter()
        .map(|v| (v.clone(), keep.exponent(&Base::Var(v.clone()))))
        .collect();
    if let Some((x, y, k)) = path {
        let ex = exps.iter().find(|(v, _)| v == x).map(|(_, e)| e.clone());
        if let Some(ex) = ex {
            exps.retain(|(v, _)| v != x);
            match exps.iter_mut().find(|(v, _)| v == y) {
                Some((_, ey)) => *ey = ey.add(&ex.mul(k)),
                None => exps.push((y.clone(), ex.mul(k))),
            }
        }
    }
    let order: Vec<String> = exps
        .iter()
        .filter(|(_, e)| !e.is_zero())
        .map(|(v, e)| Expr::bin(BinOp::Pow, Expr::Var(v.clone()), e.to_expr()).to_string())
        .collect();
    let signs: Vec<(bool, bool)> = exps
        .iter()
        .map(|(_, e)| match sign(&e.to_expr(), assume) {
            Some(Ordering::Equal) => (true, true),
            Some(Ordering::Greater) => (true, false),
            Some(Ordering::Less) => (false, true),
            None => (false, false),
        })
        .collect();
    let all_nonneg = signs.iter().all(|s| s.0);
    let all_nonpos = signs.iter().all(|s| s.1);
    let zero = exps.iter().all(|(_, e)| e.is_zero());
    ans.result = Some(r.to_expr().to_string());
    ans.dropped = dropped;
    let growth = if order.is_empty() {
        "1".to_string()
    } else {
        order.join("*")
    };
    // the order of A/B as the variables grow (an expression)
    ans.asymptotic = Some(growth.clone());
    ans.status = "proved".into();
    ans.reason = Some(if zero {
        "same order: A/B tends to the dropped constant factors".into()
    } else if all_nonneg {
        format!("A is asymptotically larger, by the factor {growth}")
    } else if all_nonpos {
        format!("B is asymptotically larger: A/B = {growth} tends to 0")
    } else {
        ans.status = "unknown".into();
        format!(
            "the exponents have different signs ({growth}): the answer depends on how the variables grow together; give --path"
        )
    });
    ans
}

/// A side written as `factor * sum(var, lo, hi, body)`, or `prod(var, lo, hi, body)` alone
/// (`factor` 1): the form [`equal_termwise`] compares.
struct BigForm {
    factor: Expr,
    op: crate::expr::BigOp,
    var: String,
    lo: Expr,
    hi: Expr,
    body: Expr,
}

fn has_big(e: &Expr) -> bool {
    matches!(e, Expr::Big { .. } | Expr::Rec { .. }) || e.children().into_iter().any(has_big)
}

/// `e` as a constant factor (free of sums) times a sum, or as a product alone.
fn big_form(e: &Expr) -> Option<BigForm> {
    use crate::expr::BigOp;
    let scaled = |inner: &Expr, f: &dyn Fn(Expr) -> Expr| -> Option<BigForm> {
        let mut form = big_form(inner)?;
        if form.op != BigOp::Sum {
            return None;
        }
        form.factor = f(form.factor);
        Some(form)
    };
    match e {
        Expr::Big {
            op,
            var,
            lo,
            hi,
            body,
        } => Some(BigForm {
            factor: Expr::num(1),
            op: *op,
            var: var.clone(),
            lo: (**lo).clone(),
            hi: (**hi).clone(),
            body: (**body).clone(),
        }),
        Expr::Neg(x) => scaled(x, &|f| Expr::Neg(Box::new(f))),
        Expr::Bin(BinOp::Mul, x, y) if !has_big(x) => {
            scaled(y, &|f| Expr::bin(BinOp::Mul, (**x).clone(), f))
        }
        Expr::Bin(BinOp::Mul, x, y) if !has_big(y) => {
            scaled(x, &|f| Expr::bin(BinOp::Mul, f, (**y).clone()))
        }
        Expr::Bin(BinOp::Div, x, y) if !has_big(y) => {
            scaled(x, &|f| Expr::bin(BinOp::Div, f, (**y).clone()))
        }
        _ => None,
    }
}

/// Two sums over the same range, `A * sum(t, lo, hi, f)` and `B * sum(t, lo, hi, g)`, are
/// equal when their terms `A*f(t)` and `B*g(t)` are equal for every integer `t` between the
/// bounds (two products `prod f` and `prod g` when `f(t) = g(t)`): the term identity is
/// proved with the index ranging over the hull of its bounds, an integer. `None` when the
/// sides are not of that form or the terms are not proved equal.
fn equal_termwise(a: &Expr, b: &Expr, assume: &Assumptions) -> Option<Answer> {
    let (fa, fb) = (big_form(a)?, big_form(b)?);
    if fa.op != fb.op || fa.lo != fb.lo || fa.hi != fb.hi {
        return None;
    }
    // a fresh index, free in neither side and not assumed anything about
    let taken = free(&[a, b]);
    let t = (0..)
        .map(|k| format!("{}_{k}", fa.var))
        .find(|c| !taken.contains(c) && !assume.ranges.contains_key(c))
        .expect("unbounded");
    let index = Expr::Var(t.clone());
    let term = |f: &BigForm| {
        Expr::bin(
            BinOp::Mul,
            f.factor.clone(),
            f.body.substitute(&f.var, &index),
        )
    };
    let mut inner = assume.clone();
    let (lo, hi) = (assume.range(&fa.lo).lo, assume.range(&fa.hi).hi);
    inner.ranges.insert(t.clone(), range::Range { lo, hi });
    inner.integers.push(t.clone());
    let terms = equal(&term(&fa), &term(&fb), &inner);
    if terms.status != "proved" {
        return None;
    }
    let mut ans = Answer::new(&[a, b]);
    match check_same(a, b, assume) {
        Ok(c) => {
            ans.status = "proved".into();
            ans.reason = Some(format!(
                "termwise: both are {}s over {t} from {} to {}, and their terms are equal for every integer {t} there ({})",
                match fa.op {
                    crate::expr::BigOp::Sum => "sum",
                    crate::expr::BigOp::Prod => "product",
                },
                fa.lo,
                fa.hi,
                terms.reason.unwrap_or_default()
            ));
            ans.check = Some(c);
            Some(ans)
        }
        Err(p) => Some(failed_check(ans, p)),
    }
}

/// `equal A B`: proved (normal forms or rewriting, with the explanation), refuted (a point
/// where the rigorous engine separates them), or unknown.
pub fn equal(a: &Expr, b: &Expr, assume: &Assumptions) -> Answer {
    let mut ans = Answer::new(&[a, b]);
    if let (Ok(x), Ok(y)) = (Mono::of(a, assume), Mono::of(b, assume))
        && x == y
    {
        {
            let how = format!("both have the monomial normal form {}", x.to_expr());
            return match check_same(a, b, assume) {
                Ok(c) => {
                    ans.status = "proved".into();
                    ans.result = Some(x.to_expr().to_string());
                    ans.reason = Some(how);
                    ans.check = Some(c);
                    ans
                }
                Err(p) => failed_check(ans, p),
            };
        }
    }
    if let Some(termwise) = equal_termwise(a, b, assume) {
        return termwise;
    }
    let mut stop = None;
    match egraph::prove_equal(a, b, assume, egraph::Limits::default()) {
        Ok((Some(expl), _)) => {
            return match check_same(a, b, assume) {
                Ok(c) => {
                    ans.status = "proved".into();
                    ans.reason = Some(format!("equality saturation; explanation:\n{expl}"));
                    ans.check = Some(c);
                    ans
                }
                Err(p) => failed_check(ans, p),
            };
        }
        Ok((None, s)) => stop = Some(s),
        Err(e) => {
            ans.reason = Some(e);
        }
    }
    // look for a point where they differ
    let vars = free(&[a, b]);
    for p in sample_points(&vars, assume, CHECK_POINTS) {
        let (Some(x), Some(y)) = (enclose(a, &p), enclose(b, &p)) else {
            continue;
        };
        if matches!(x.certain_cmp(&y), Some(Ordering::Less | Ordering::Greater)) {
            ans.status = "refuted".into();
            let (l, h) = (
                crate::engine::exact::approx(&x.to_rational_bounds().0.unwrap_or_default(), 8),
                crate::engine::exact::approx(&y.to_rational_bounds().0.unwrap_or_default(), 8),
            );
            ans.reason = Some(format!(
                "they differ at the point: A ≈ {l}, B ≈ {h} (rigorous enclosures)"
            ));
            ans.point = Some(p);
            return ans;
        }
    }
    ans.reason = Some(format!(
        "no proof (saturation {}) and no separating point among {CHECK_POINTS} seeded random points",
        stop.unwrap_or_else(|| "not run".into())
    ));
    ans
}

impl Mono {
    /// The constant 1.
    pub fn constant_one() -> Mono {
        Mono {
            coef: Rational::from(1),
            factors: Vec::new(),
        }
    }

    /// `self * b^e`.
    pub fn times(self, b: Base, e: RatFn) -> Mono {
        self.mul(&Mono {
            coef: Rational::from(1),
            factors: vec![(b, e)],
        })
    }
}

/// Decides a `[[symbolic]]` claim: `order` (A/B has the claimed order as the growing
/// variables grow) or `regime` (A <= B exactly when the claimed relation holds).
pub fn decide_claim(
    claim: &crate::claims::Claim,
    spec: &crate::claims::SymbolicSpec,
) -> crate::decide::Outcome {
    use crate::claims::SymbolicOp;
    use crate::verdict::{Coverage, Outcome, Reason, Verdict};
    let mut o = Outcome {
        id: claim.id.clone(),
        source: claim.source.clone(),
        relation: match spec.op {
            SymbolicOp::Order => format!("({})/({}) of order {}", spec.a, spec.b, spec.claimed),
            SymbolicOp::Regime => format!("{} <= {} exactly when {}", spec.a, spec.b, spec.claimed),
        },
        file: claim.file.clone(),
        verdict: Verdict::Undecided,
        coverage: Coverage {
            points: 0,
            boxes: 0,
            exhaustive: true,
            methods: Default::default(),
        },
        counterexample: None,
        failures: 0,
        reasons: Vec::new(),
        threshold: None,
        best_constant: None,
        kernel: None,
        certificate: None,
        symbolic: true,
    };
    let mut assume = Assumptions::default();
    for s in &spec.assume {
        if let Err(e) = assume.add(s) {
            o.reasons = vec![Reason::Symbolic(e)];
            return o;
        }
    }
    let (verdict, reason) = match spec.op {
        SymbolicOp::Order => decide_order(spec, &assume),
        SymbolicOp::Regime => decide_regime(spec, &assume, &mut o.coverage.points),
    };
    o.verdict = verdict;
    o.reasons = vec![Reason::Symbolic(reason)];
    o
}

fn decide_order(
    spec: &crate::claims::SymbolicSpec,
    assume: &Assumptions,
) -> (crate::decide::Verdict, String) {
    use crate::decide::Verdict;
    let r = ratio_form(&spec.a, &spec.b, assume);
    let claimed = parse_expr(&spec.claimed).expect("validated");
    let (r, c) = match (r, Mono::of(&claimed, assume)) {
        (Ok(r), Ok(c)) => (r, c),
        (Err(e), _) | (_, Err(e)) => return (Verdict::Undecided, format!("unsupported: {}", e.0)),
    };
    let q = Expr::bin(BinOp::Div, spec.a.clone(), spec.b.clone());
    if let Err(p) = check_same(&q, &r.to_expr(), assume) {
        return (
            Verdict::Undecided,
            format!("the numerical check of A/B failed at {p:?}"),
        );
    }
    let (keep, _, dropped) = match split(&r, &spec.grow) {
        Ok(x) => x,
        Err(why) => return (Verdict::Undecided, format!("unsupported: {why}")),
    };
    let (keep_c, _, _) = match split(&c, &spec.grow) {
        Ok(x) => x,
        Err(why) => return (Verdict::Undecided, format!("unsupported: {why}")),
    };
    let order = keep.to_expr();
    let text = format!(
        "A/B = {} is of order {order} as {} grow (dropped: {})",
        r.to_expr(),
        spec.grow.join(", "),
        dropped.join(", ")
    );
    if keep == keep_c {
        (Verdict::Certified, format!("{text}, as claimed"))
    } else {
        (
            Verdict::Refuted,
            format!("{text}, not {}", keep_c.to_expr()),
        )
    }
}

fn decide_regime(
    spec: &crate::claims::SymbolicSpec,
    assume: &Assumptions,
    points: &mut u64,
) -> (crate::decide::Verdict, String) {
    use crate::decide::Verdict;
    let t = spec.solve_for.clone().expect("validated");
    let ans = crossover(&spec.a, &spec.b, &t, &spec.grow, assume);
    if ans.status != "proved" {
        return (
            Verdict::Undecided,
            format!("{}: {}", ans.status, ans.reason.unwrap_or_default()),
        );
    }
    let claimed = crate::expr::parse_relation(&spec.claimed).expect("validated");
    // both statements as `T <= X`: ours T^e <= K*G, claimed T^e2 <= H
    let ours =
        crate::expr::parse_relation(ans.asymptotic.as_deref().unwrap_or("")).expect("printed");
    let exact =
        crate::expr::parse_relation(ans.condition.as_deref().unwrap_or("")).expect("printed");
    let tb = Base::Var(t.clone());
    let solved = |rel: &crate::expr::Relation| -> Option<(Mono, Rel)> {
        let l = Mono::of(&rel.lhs, assume).ok()?;
        let r = Mono::of(&rel.rhs, assume).ok()?;
        let e = l.exponent(&tb);
        if l.factors.len() != 1 || l.coef != 1 || e.is_zero() {
            return None;
        }
        let inv = RatFn::constant(Rational::from(1)).div(&e)?;
        let flip = match sign(&e.to_expr(), assume)? {
            Ordering::Greater => false,
            Ordering::Less => true,
            Ordering::Equal => return None,
        };
        let rel2 = match (rel.rel, flip) {
            (r, false) => r,
            (Rel::Le, true) => Rel::Ge,
            (Rel::Lt, true) => Rel::Gt,
            (Rel::Ge, true) => Rel::Le,
            (Rel::Gt, true) => Rel::Lt,
            (Rel::Eq, true) => Rel::Eq,
        };
        Some((r.pow(&inv).ok()?, rel2))
    };
    let (Some((x_ours, rel_ours)), Some((x_claim, rel_claim)), Some((x_exact, _))) =
        (solved(&ours), solved(&claimed), solved(&exact))
    else {
        return (
            Verdict::Undecided,
            format!(
                "the claimed regime `{}` is not of the form {t}^e <= X",
                spec.claimed
            ),
        );
    };
    let same_dir = matches!(
        (rel_ours, rel_claim),
        (Rel::Le | Rel::Lt, Rel::Le | Rel::Lt) | (Rel::Ge | Rel::Gt, Rel::Ge | Rel::Gt)
    );
    // the claimed regime is the exact condition itself (constants included): exactly right,
    // whatever the asymptotic statement drops
    if same_dir && x_exact == x_claim {
        return (
            Verdict::Certified,
            format!(
                "A <= B exactly when {t} {} {}, as claimed",
                rel_claim.symbol(),
                x_claim.to_expr()
            ),
        );
    }
    if !(same_dir && x_ours == x_claim) {
        return (
            Verdict::Refuted,
            format!(
                "A <= B holds asymptotically when {t} {} {}, not when {t} {} {} (exact: {})",
                rel_ours.symbol(),
                x_ours.to_expr(),
                rel_claim.symbol(),
                x_claim.to_expr(),
                ans.condition.unwrap_or_default()
            ),
        );
    }
    // the exact crossover is the claimed one times F = X_exact / X_claimed
    let f = match x_exact.div(&x_claim) {
        Ok(f) => f,
        Err(e) => return (Verdict::Undecided, e.0),
    };
    if f.coef == 1 && f.factors.is_empty() {
        return (
            Verdict::Certified,
            format!(
                "A <= B exactly when {t} {} {}, as claimed",
                rel_claim.symbol(),
                x_claim.to_expr()
            ),
        );
    }
    let fe = f.to_expr();
    let mut figures = Vec::new();
    let mut differs = false;
    for p in &spec.evaluate {
        *points += 1;
        let Some(iv) = enclose(&fe, p) else { continue };
        let (lo, hi) = iv.to_rational_bounds();
        let (Some(lo), Some(hi)) = (lo, hi) else {
            continue;
        };
        if lo > 1 || hi < 1 {
            differs = true;
        }
        let at: Vec<String> = p.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        figures.push(format!(
            "F = {} at {}",
            crate::engine::exact::approx(&lo, 6),
            at.join(", ")
        ));
    }
    let text = format!(
        "asymptotically {t} {} {} as claimed, but exactly A <= B when {t} {} F*{} with F = {fe}{}",
        rel_claim.symbol(),
        x_claim.to_expr(),
        rel_claim.symbol(),
        x_claim.to_expr(),
        if figures.is_empty() {
            String::new()
        } else {
            format!("; {}", figures.join("; "))
        }
    );
    if differs {
        (Verdict::Refuted, format!("\"exactly when\" fails: {text}"))
    } else {
        (
            Verdict::Undecided,
            format!("no evaluation point separates F from 1: {text}"),
        )
    }
}
