//! Equality saturation with egg over the expression language: exact rational constants
//! (folded with big rationals, never f64) and a range analysis fed by the parameter
//! assumptions. Every conditional rule asks the analysis: `x/x = 1` only where `x` is proved
//! nonzero, `x^a x^b = x^(a+b)`, `(x^a)^b = x^(ab)` and `(xy)^a = x^a y^a` only where the
//! bases are proved positive. A rule that can drop a subterm (`0 * x = 0`, `x - x = 0`,
//! `x^0 = 1`, `x/x = 1`) fires only where the analysis proves that subterm defined on the
//! whole domain of the assumptions, so undefinedness is never rewritten away. Each run has
//! node, iteration and time limits and reports which one stopped it.

use super::range::{Assumptions, Range};
use crate::expr::{BinOp, Expr, Func};
use egg::{
    Analysis, AstSize, DidMerge, EGraph, Extractor, Id, RecExpr, Rewrite, Runner, StopReason,
    Subst, Symbol, rewrite as rw,
};
use rug::Rational;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// An exact rational constant as an egg leaf.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Q(pub Rational);

impl FromStr for Q {
    type Err = String;
    fn from_str(s: &str) -> Result<Q, String> {
        // only numerals: a leading sign or digit (so that operator tokens are not numbers)
        if !s.starts_with(|c: char| c.is_ascii_digit() || c == '-') || s == "-" {
            return Err("not a number".into());
        }
        s.parse::<Rational>().map(Q).map_err(|e| e.to_string())
    }
}

impl fmt::Display for Q {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The language of the e-graph; its variants are the operators of `expr` (egg's macro takes
/// no doc comments on variants).
mod lang {
    #![allow(missing_docs)]
    use super::Q;
    use egg::{Id, Symbol, define_language};

    define_language! {
        /// The symbolic engine's language (a mirror of `expr` without binders).
        pub enum Sym {
            "+" = Add([Id; 2]),
            "-" = Sub([Id; 2]),
            "*" = Mul([Id; 2]),
            "/" = Div([Id; 2]),
            "^" = Pow([Id; 2]),
            "neg" = Neg(Id),
            "exp" = Exp(Id),
            "ln" = Ln(Id),
            "sqrt" = Sqrt(Id),
            Num(Q),
            Var(Symbol),
        }
    }
}
pub use lang::Sym;

/// What the analysis knows about an e-class: its exact value, if constant, and a sound range.
#[derive(Clone, Debug, PartialEq)]
pub struct Data {
    /// the exact value when the class is a constant
    pub value: Option<Rational>,
    /// a range that holds for every value of the class under the assumptions
    pub range: Range,
    /// proved to have a value at every point of the assumptions (no division by a value that
    /// may be 0, no logarithm or root of a value that may be out of its domain)
    pub defined: bool,
}

/// The analysis: constant folding over exact rationals and ranges under `assume`.
#[derive(Default)]
pub struct Facts {
    /// the parameter assumptions
    pub assume: Assumptions,
}

fn fold(op: &Sym, v: &dyn Fn(Id) -> Option<Rational>) -> Option<Rational> {
    let budget = crate::engine::exact::Budget {
        max_steps: 10_000,
        max_bits: 4096,
        deadline: None,
    };
    Some(match op {
        Sym::Num(q) => q.0.clone(),
        Sym::Add([a, b]) => v(*a)? + v(*b)?,
        Sym::Sub([a, b]) => v(*a)? - v(*b)?,
        Sym::Mul([a, b]) => v(*a)? * v(*b)?,
        Sym::Div([a, b]) => {
            let d = v(*b)?;
            if d == 0 {
                return None;
            }
            v(*a)? / d
        }
        Sym::Pow([a, b]) => crate::engine::exact::pow(&v(*a)?, &v(*b)?, &budget).ok()?,
        Sym::Neg(a) => -v(*a)?,
        _ => return None,
    })
}

impl Analysis<Sym> for Facts {
    type Data = Data;

    fn make(egraph: &mut EGraph<Sym, Self>, enode: &Sym) -> Data {
        let v = |i: Id| egraph[i].data.value.clone();
        let value = fold(enode, &v);
        let r = |i: &Id| egraph[*i].data.range.clone();
        let range = match &value {
            Some(q) => Range::point(q),
            None => match enode {
                Sym::Var(s) => egraph.analysis.assume.of(s.as_str()),
                Sym::Add([a, b]) => r(a).add(&r(b)),
                Sym::Sub([a, b]) => r(a).add(&r(b).neg()),
                Sym::Mul([a, b]) => r(a).mul(&r(b)),
                Sym::Div([a, b]) => r(a).div(&r(b)),
                Sym::Neg(a) => r(a).neg(),
                Sym::Pow([a, _]) if r(a).is_pos() => Range::positive(),
                Sym::Exp(_) => Range::positive(),
                Sym::Sqrt(a) if r(a).is_pos() => Range::positive(),
                _ => Range::all(),
            },
        };
        let d = |i: &Id| egraph[*i].data.defined;
        let constant = |i: &Id| egraph[*i].data.value.clone();
        let defined = value.is_some()
            || match enode {
                Sym::Num(_) | Sym::Var(_) => true,
                Sym::Add([a, b]) | Sym::Sub([a, b]) | Sym::Mul([a, b]) => d(a) && d(b),
                Sym::Div([a, b]) => d(a) && d(b) && r(b).is_nonzero(),
                Sym::Neg(a) | Sym::Exp(a) => d(a),
                Sym::Ln(a) => d(a) && r(a).is_pos(),
                Sym::Sqrt(a) => d(a) && r(a).is_nonneg(),
                Sym::Pow([a, b]) => {
                    d(a) && d(b)
                        && (r(a).is_pos()
                            || constant(b).is_some_and(|k| {
                                (k.is_integer() && (k >= 0 || r(a).is_nonzero()))
                                    || (k > 0 && r(a).is_nonneg())
                            }))
                }
            };
        Data {
            value,
            range,
            defined,
        }
    }

    fn merge(&mut self, a: &mut Data, b: Data) -> DidMerge {
        let before = a.clone();
        if a.value.is_none() {
            a.value = b.value.clone();
        }
        a.range = a.range.meet(&b.range);
        // every rule keeps the domain, so equal classes are defined at the same points
        a.defined |= b.defined;
        DidMerge(
            *a != before,
            a.value != b.value || a.range != b.range || a.defined != b.defined,
        )
    }

    fn modify(egraph: &mut EGraph<Sym, Self>, id: Id) {
        if let Some(q) = egraph[id].data.value.clone() {
            let c = egraph.add(Sym::Num(Q(q)));
            egraph.union_trusted(id, c, "constant folding");
        }
    }
}

type Cond = fn(&Range) -> bool;

fn holds(var: &'static str, test: Cond) -> impl Fn(&mut EGraph<Sym, Facts>, Id, &Subst) -> bool {
    let v = var.parse().expect("pattern variable");
    move |eg, _, s| test(&eg[s[v]].data.range)
}

/// The subterm bound to `var` is defined everywhere (it may be dropped by the rule).
fn defined(var: &'static str) -> impl Fn(&mut EGraph<Sym, Facts>, Id, &Subst) -> bool {
    let v = var.parse().expect("pattern variable");
    move |eg, _, s| eg[s[v]].data.defined
}

/// The rules, each sound under the analysis' guards.
pub fn rules() -> Vec<Rewrite<Sym, Facts>> {
    let pos: Cond = Range::is_pos;
    let nonzero: Cond = Range::is_nonzero;
    vec![
        rw!("comm-add"; "(+ ?a ?b)" => "(+ ?b ?a)"),
        rw!("comm-mul"; "(* ?a ?b)" => "(* ?b ?a)"),
        rw!("assoc-add"; "(+ ?a (+ ?b ?c))" => "(+ (+ ?a ?b) ?c)"),
        rw!("assoc-mul"; "(* ?a (* ?b ?c))" => "(* (* ?a ?b) ?c)"),
        rw!("sub-canon"; "(- ?a ?b)" => "(+ ?a (* -1 ?b))"),
        rw!("canon-sub"; "(+ ?a (* -1 ?b))" => "(- ?a ?b)"),
        rw!("neg-canon"; "(neg ?a)" => "(* -1 ?a)"),
        rw!("div-canon"; "(/ ?a ?b)" => "(* ?a (^ ?b -1))" if holds("?b", nonzero)),
        rw!("canon-div"; "(* ?a (^ ?b -1))" => "(/ ?a ?b)" if holds("?b", nonzero)),
        rw!("zero-add"; "(+ ?a 0)" => "?a"),
        rw!("zero-mul"; "(* ?a 0)" => "0" if defined("?a")),
        rw!("one-mul"; "(* ?a 1)" => "?a"),
        rw!("cancel-sub"; "(- ?a ?a)" => "0" if defined("?a")),
        rw!("cancel-div"; "(/ ?a ?a)" => "1" if holds("?a", nonzero) if defined("?a")),
        rw!("distribute"; "(* ?a (+ ?b ?c))" => "(+ (* ?a ?b) (* ?a ?c))"),
        rw!("factor"; "(+ (* ?a ?b) (* ?a ?c))" => "(* ?a (+ ?b ?c))"),
        rw!("square"; "(* ?x ?x)" => "(^ ?x 2)"),
        rw!("unsquare"; "(^ ?x 2)" => "(* ?x ?x)"),
        rw!("double"; "(+ ?a ?a)" => "(* 2 ?a)"),
        rw!("pow-mul"; "(* (^ ?x ?a) (^ ?x ?b))" => "(^ ?x (+ ?a ?b))" if holds("?x", pos)),
        rw!("pow-mul-1"; "(* ?x (^ ?x ?a))" => "(^ ?x (+ ?a 1))" if holds("?x", pos)),
        rw!("pow-div"; "(/ (^ ?x ?a) (^ ?x ?b))" => "(^ ?x (- ?a ?b))" if holds("?x", pos)),
        rw!("pow-pow"; "(^ (^ ?x ?a) ?b)" => "(^ ?x (* ?a ?b))" if holds("?x", pos)),
        rw!("pow-of-mul"; "(^ (* ?x ?y) ?a)" => "(* (^ ?x ?a) (^ ?y ?a))"
            if holds("?x", pos) if holds("?y", pos)),
        rw!("pow-of-div"; "(^ (/ ?x ?y) ?a)" => "(/ (^ ?x ?a) (^ ?y ?a))"
            if holds("?x", pos) if holds("?y", pos)),
        rw!("pow0"; "(^ ?x 0)" => "1" if defined("?x")),
        rw!("pow1"; "(^ ?x 1)" => "?x"),
        rw!("exp-add"; "(* (exp ?a) (exp ?b))" => "(exp (+ ?a ?b))"),
        rw!("exp0"; "(exp 0)" => "1"),
        rw!("ln-exp"; "(ln (exp ?a))" => "?a"),
        rw!("exp-ln"; "(exp (ln ?a))" => "?a" if holds("?a", pos)),
        rw!("sqrt-pow"; "(sqrt ?a)" => "(^ ?a 1/2)" if holds("?a", pos)),
        // powers as exponentials of logarithms, and logarithms of products and powers: each
        // only where the logarithms have values
        rw!("exp-mul-ln"; "(exp (* ?a (ln ?b)))" => "(^ ?b ?a)" if holds("?b", pos)),
        rw!("ln-mul"; "(ln (* ?a ?b))" => "(+ (ln ?a) (ln ?b))"
            if holds("?a", pos) if holds("?b", pos)),
        rw!("ln-pow"; "(ln (^ ?a ?b))" => "(* ?b (ln ?a))" if holds("?a", pos)),
    ]
}

/// Limits of one run.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// e-nodes
    pub nodes: usize,
    /// iterations
    pub iters: usize,
    /// wall-clock time
    pub time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            nodes: 20_000,
            iters: 12,
            time: Duration::from_millis(500),
        }
    }
}

/// Converts an expression to egg's form; binders, `abs`, `min`, `max`, `floor` and `ceil`
/// are outside the language.
pub fn to_rec(e: &Expr) -> Result<RecExpr<Sym>, String> {
    fn go(e: &Expr, r: &mut RecExpr<Sym>) -> Result<Id, String> {
        Ok(match e {
            Expr::Num(q) => r.add(Sym::Num(Q(q.clone()))),
            Expr::Var(x) => r.add(Sym::Var(Symbol::from(x.as_str()))),
            Expr::Neg(a) => {
                let a = go(a, r)?;
                r.add(Sym::Neg(a))
            }
            Expr::Bin(op, a, b) => {
                let (a, b) = (go(a, r)?, go(b, r)?);
                r.add(match op {
                    BinOp::Add => Sym::Add([a, b]),
                    BinOp::Sub => Sym::Sub([a, b]),
                    BinOp::Mul => Sym::Mul([a, b]),
                    BinOp::Div => Sym::Div([a, b]),
                    BinOp::Pow => Sym::Pow([a, b]),
                })
            }
            Expr::Call(f @ (Func::Exp | Func::Ln | Func::Sqrt), args) => {
                let a = go(&args[0], r)?;
                r.add(match f {
                    Func::Exp => Sym::Exp(a),
                    Func::Ln => Sym::Ln(a),
                    _ => Sym::Sqrt(a),
                })
            }
            Expr::Call(f, _) => {
                return Err(format!("`{}` is outside the symbolic language", f.name()));
            }
            Expr::Big { .. } | Expr::Rec { .. } => {
                return Err(
                    "sums, products and recurrences are outside the symbolic language".into(),
                );
            }
        })
    }
    let mut r = RecExpr::default();
    go(e, &mut r)?;
    Ok(r)
}

/// Converts back to an expression (rationals as `p/q` divisions of integers).
pub fn from_rec(r: &RecExpr<Sym>) -> Expr {
    fn go(r: &RecExpr<Sym>, id: Id) -> Expr {
        let b = |i: &Id| Box::new(go(r, *i));
        match &r[id] {
            Sym::Num(q) => super::mono::num(&q.0),
            Sym::Var(s) => Expr::Var(s.as_str().to_string()),
            Sym::Neg(a) => Expr::Neg(b(a)),
            Sym::Add([x, y]) => Expr::Bin(BinOp::Add, b(x), b(y)),
            Sym::Sub([x, y]) => Expr::Bin(BinOp::Sub, b(x), b(y)),
            Sym::Mul([x, y]) => Expr::Bin(BinOp::Mul, b(x), b(y)),
            Sym::Div([x, y]) => Expr::Bin(BinOp::Div, b(x), b(y)),
            Sym::Pow([x, y]) => Expr::Bin(BinOp::Pow, b(x), b(y)),
            Sym::Exp(a) => Expr::Call(Func::Exp, vec![go(r, *a)]),
            Sym::Ln(a) => Expr::Call(Func::Ln, vec![go(r, *a)]),
            Sym::Sqrt(a) => Expr::Call(Func::Sqrt, vec![go(r, *a)]),
        }
    }
    let root = Id::from(r.as_ref().len() - 1);
    go(r, root)
}

fn stop_text(s: &Option<StopReason>) -> String {
    match s {
        Some(StopReason::Saturated) => "saturated".into(),
        Some(StopReason::IterationLimit(n)) => format!("iteration limit ({n})"),
        Some(StopReason::NodeLimit(n)) => format!("node limit ({n})"),
        Some(StopReason::TimeLimit(t)) => format!("time limit ({t:.3} s)"),
        Some(StopReason::Other(o)) => o.clone(),
        None => "not run".into(),
    }
}

/// The smallest equivalent expression found, and what stopped the run.
pub fn simplify(e: &Expr, assume: &Assumptions, lim: Limits) -> Result<(Expr, String), String> {
    let r = to_rec(e)?;
    let runner = Runner::<Sym, Facts>::new(Facts {
        assume: assume.clone(),
    })
    .with_node_limit(lim.nodes)
    .with_iter_limit(lim.iters)
    .with_time_limit(lim.time)
    .with_expr(&r)
    .run(&rules());
    let ex = Extractor::new(&runner.egraph, AstSize);
    let (_, best) = ex.find_best(runner.roots[0]);
    Ok((from_rec(&best), stop_text(&runner.stop_reason)))
}

/// Whether saturation puts `a` and `b` in one e-class: `Some(explanation)` when it does.
pub fn prove_equal(
    a: &Expr,
    b: &Expr,
    assume: &Assumptions,
    lim: Limits,
) -> Result<(Option<String>, String), String> {
    let (ra, rb) = (to_rec(a)?, to_rec(b)?);
    let mut runner = Runner::<Sym, Facts>::new(Facts {
        assume: assume.clone(),
    })
    .with_explanations_enabled()
    .with_node_limit(lim.nodes)
    .with_iter_limit(lim.iters)
    .with_time_limit(lim.time)
    .with_expr(&ra)
    .with_expr(&rb)
    .with_hook(|r| {
        if r.egraph.find(r.roots[0]) == r.egraph.find(r.roots[1]) {
            Err("proved equal".into())
        } else {
            Ok(())
        }
    })
    .run(&rules());
    let stop = stop_text(&runner.stop_reason);
    if runner.egraph.find(runner.roots[0]) == runner.egraph.find(runner.roots[1]) {
        let mut ex = runner.explain_equivalence(&ra, &rb);
        let steps = ex.get_flat_strings();
        let text: Vec<String> = steps.into_iter().take(40).collect();
        Ok((Some(text.join("\n")), stop))
    } else {
        Ok((None, stop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse_expr;

    fn assume() -> Assumptions {
        let mut a = Assumptions::default();
        a.add("a in (0, 1)").unwrap();
        a.add("x in (-1, 1)").unwrap();
        a
    }

    #[test]
    fn guarded_rules_fire_only_where_sound() {
        let a = assume();
        let e = |s: &str| parse_expr(s).unwrap();
        // T > 0 by default: T/T = 1
        let (r, _) = simplify(&e("T/T"), &a, Limits::default()).unwrap();
        assert_eq!(r.to_string(), "1");
        // x may be 0: x/x is not 1
        let (r, _) = simplify(&e("x/x"), &a, Limits::default()).unwrap();
        assert_ne!(r.to_string(), "1");
        // a - 1/2 may be 0 or negative: no power merging
        let (p, _) = prove_equal(
            &e("(a - 1/2)^a*(a - 1/2)^a"),
            &e("(a - 1/2)^(2*a)"),
            &a,
            Limits::default(),
        )
        .unwrap();
        assert!(p.is_none());
        let (p, _) = prove_equal(&e("T^a*T^a"), &e("T^(2*a)"), &a, Limits::default()).unwrap();
        assert!(p.is_some());
        // exact constant folding
        let (r, _) = simplify(&e("1/3 + 1/6 + 4^(1/2)"), &a, Limits::default()).unwrap();
        assert_eq!(r.to_string(), "5/2");
    }

    #[test]
    fn every_run_reports_what_stopped_it() {
        let a = assume();
        let big = parse_expr("(a + b + c + d + f)*(a + b + c + d + f)*(g + h + i + j)").unwrap();
        let (_, stop) = simplify(
            &big,
            &a,
            Limits {
                nodes: 200,
                iters: 50,
                time: Duration::from_secs(5),
            },
        )
        .unwrap();
        assert!(stop.starts_with("node limit"), "{stop}");
    }
}
