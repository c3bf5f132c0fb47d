//! Relations that use quantities of a construction given by its loss: the Coq side restates
//! the construction (`Twin.v`'s `TwinSpec`: the loss as an `L` term, the data as terms over
//! the claim's environment) and the calls (`(kind, times)`), and the theorems are stated
//! with `ClaimExt` / `RefutedExt`, whose quantities are those of the twin process by
//! definition (the law with one entry per index sequence), computed in the proof by the
//! merged law (`lawM_sound`). Each call becomes a variable after the claim's own: the
//! environment of a point is the claim's values, then the calls' values.
//!
//! A loss with irrational values (`exp`, `ln`, `sqrt`) is restated for `TwinR.v` instead
//! (`TwinSpecR`, the loss as an `LR` term): the process in the reals, computed by Coq on
//! boxes of Coq Interval's floats (`ClaimExtR` / `RefutedExtR`), for the quantities of
//! [`REAL_KINDS`]. Before it writes such a theorem stabcert checks, with its own
//! enclosures widened by [`REAL_SLACK_BITS`], that Coq's interval evaluation can separate
//! the sides, and estimates Coq's work ([`Ext::coq_cost`]).

use super::super::term::{coq_q, reify};
use crate::claims::Claim;
use crate::engine::exact::{self, Budget, Env};
use crate::expr::opaque::{self, Definition};
use crate::expr::{BinOp, Expr, Func};
use rug::Rational;
use std::fmt::Write;

/// The quantities Coq restates, with their kind numbers in `Twin.v`'s `form` (the `_t1`
/// copies are the same functions). A norm ‖w − w'‖ is restated where it is rational in every
/// state of the law (always in one weight); elsewhere the quantity has no value in Coq. The
/// reached-region statistics (7 to 9, and 12: the largest slope between two reached
/// iterates, one weight) are maxima over every state of the laws before T, which merging
/// does not change (`maxL_support`, `slope_max_support`); the largest gradient norm where
/// its square is a square. The conditionals on the state at t0 (10, 11) restrict the law at
/// t0 and run it on (`runW_same`: merging keeps every expectation and the states).
const KINDS: &[(&str, u32)] = &[
    ("div_T", 0),
    ("sqdiv_T", 1),
    ("div_t0", 2),
    ("div_t1", 2),
    ("p_zero_t0", 3),
    ("p_zero_t1", 3),
    ("div_t0_given_nonzero_t0", 4),
    ("div_t1_given_nonzero_t1", 4),
    ("p_first_s", 5),
    ("div_T_given_first_s", 6),
    ("grad_max_T", 7),
    ("loss_min_T", 8),
    ("loss_max_T", 9),
    ("div_T_given_zero_t0", 10),
    ("div_T_given_zero_t1", 10),
    ("div_T_given_nonzero_t0", 11),
    ("div_T_given_nonzero_t1", 11),
    ("slope_max_T", 12),
];

/// The kinds `TwinR.v` restates for losses with irrational values.
const REAL_KINDS: &[u32] = &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

/// Coq Interval's precision for the box law of a loss with irrational values (bits).
pub(super) const REAL_PREC: u32 = 64;

/// The relative width stabcert adds to its own enclosures of a quantity before it checks
/// that Coq's 64-bit box law separates the sides: 2^-48 (the box law's enclosures of the
/// logistic example at T = 8 are about 2^-57 wide, relative).
pub(super) const REAL_SLACK_BITS: u32 = 48;

/// The most work a box-law theorem may ask of Coq, in state updates of the laws it
/// computes (a state of a reached-region statistic counts once per example and run):
/// about 6.5 ms each for the logistic loss at 64 bits, so about 65 s of coqc.
pub(super) const REAL_MAX_UPDATES: u64 = 10_000;

/// The calls of one relation and their restatement.
pub(super) struct Ext {
    /// the calls, in the order of their variables (`q0` first after the claim's values)
    calls: Vec<Expr>,
    /// the names the calls' variables take in the scope, outermost first
    pub(super) names: Vec<String>,
    /// `Definition spec : TwinSpec := …` and `Definition calls := …`
    pub(super) coq: String,
    /// restated for `TwinR.v` (`TwinSpecR`, `ClaimExtR`): a loss with irrational values,
    /// or a rational one whose quantities are irrational somewhere (a norm in several
    /// weights)
    pub(super) real: bool,
    /// for a rational loss, its `TwinR.v` restatement (when every call has one)
    alt: Option<String>,
    /// the construction (for the cost estimate of the box law)
    def: Definition,
    /// the calls' kinds, in the order of `calls`
    kinds: Vec<u32>,
}

fn has_call(e: &Expr) -> bool {
    matches!(e, Expr::Call(Func::Opaque(_), _)) || e.children().into_iter().any(has_call)
}

/// Every opaque call in `e`, appended to `out` once each; a call inside the body of a
/// sum, a product or a recurrence (where it may depend on the bound names) is refused.
fn collect(e: &Expr, out: &mut Vec<Expr>) -> Result<(), String> {
    if let Expr::Call(Func::Opaque(_), _) = e {
        if !out.contains(e) {
            out.push(e.clone());
        }
        return Ok(());
    }
    let bound = match e {
        Expr::Big { body, .. } => Some(body),
        Expr::Rec { step, .. } => Some(step),
        _ => None,
    };
    if bound.is_some_and(|b| has_call(b)) {
        return Err("a quantity inside a sum, product or recurrence".into());
    }
    let outer: Vec<&Expr> = match e {
        Expr::Big { lo, hi, .. } => vec![lo, hi],
        Expr::Rec {
            start, end, init, ..
        } => vec![start, end, init],
        _ => e.children(),
    };
    for c in outer {
        collect(c, out)?;
    }
    Ok(())
}

/// `e` with each call of `calls` replaced by the variable `names[k]` of the same position
/// (outside binders' bodies, where [`collect`] allows none).
fn replace(e: &Expr, calls: &[Expr], names: &[String]) -> Expr {
    match calls.iter().position(|c| c == e) {
        Some(k) => Expr::Var(names[k].clone()),
        None => e.map_outer(|c| replace(c, calls, names)),
    }
}

/// Whether the loss has irrational values (it uses `exp`, `ln` or `sqrt`).
fn irrational(e: &Expr) -> bool {
    matches!(e, Expr::Call(Func::Exp | Func::Ln | Func::Sqrt, _))
        || e.children().into_iter().any(irrational)
}

/// The loss as `Twin.v`'s `L` term, or (`real`) as `TwinR.v`'s `LR` term, whose
/// constructors are the same with `R` for `L`, and `RExp`, `RLn`, `RSqrt`.
fn loss_term(
    e: &Expr,
    weights: &[String],
    fields: &[String],
    real: bool,
) -> Result<String, String> {
    let t = |x: &Expr| loss_term(x, weights, fields, real);
    let c = if real { "R" } else { "L" };
    let s = match e {
        Expr::Num(v) => format!("({c}C {})", coq_q(v)),
        Expr::Var(n) => {
            if let Some(k) = weights.iter().position(|w| w == n) {
                format!("({c}W {k})")
            } else if let Some(k) = fields.iter().position(|f| f == n) {
                format!("({c}F {k})")
            } else {
                return Err(format!("`{n}` in the loss is neither a weight nor a field"));
            }
        }
        Expr::Neg(a) => format!("({c}Neg {})", t(a)?),
        Expr::Bin(BinOp::Pow, a, b) => {
            let k = match &**b {
                Expr::Num(k) if k.is_integer() => k.clone(),
                Expr::Neg(k) if matches!(&**k, Expr::Num(k) if k.is_integer()) => {
                    let Expr::Num(k) = &**k else { unreachable!() };
                    Rational::from(-k)
                }
                _ => return Err("a power whose exponent is not an integer".into()),
            };
            format!("({c}Pow {} ({})%Z)", t(a)?, k)
        }
        Expr::Bin(op, a, b) => {
            let op = match op {
                BinOp::Add => "Add",
                BinOp::Sub => "Sub",
                BinOp::Mul => "Mul",
                BinOp::Div => "Div",
                BinOp::Pow => unreachable!("above"),
            };
            format!("({c}{op} {} {})", t(a)?, t(b)?)
        }
        Expr::Call(f, args) => {
            let xs = args.iter().map(t).collect::<Result<Vec<_>, _>>()?;
            match f {
                Func::Abs => format!("({c}Abs {})", xs[0]),
                Func::Floor | Func::Ceil if real => {
                    return Err(format!(
                        "`{}` in a loss with irrational values (TwinR.v has no floor or ceiling)",
                        f.name()
                    ));
                }
                Func::Floor => format!("({c}Floor {})", xs[0]),
                Func::Ceil => format!("({c}Ceil {})", xs[0]),
                Func::Exp if real => format!("({c}Exp {})", xs[0]),
                Func::Ln if real => format!("({c}Ln {})", xs[0]),
                Func::Sqrt if real => format!("({c}Sqrt {})", xs[0]),
                // the first argument attaining the value: min(a, min(b, c))
                Func::Min | Func::Max => {
                    let c = format!("{c}{}", if *f == Func::Min { "Min" } else { "Max" });
                    let mut it = xs.into_iter().rev();
                    let last = it.next().ok_or("min/max without arguments")?;
                    it.fold(last, |acc, x| format!("({c} {x} {acc})"))
                }
                _ => {
                    return Err(format!(
                        "`{}` in the loss (the Coq restatements handle exp, ln, sqrt, abs, min, max, integer powers and, in rational losses, floor and ceil)",
                        f.name()
                    ));
                }
            }
        }
        _ => return Err("a sum, product or recurrence in the loss".into()),
    };
    Ok(s)
}

/// The construction a definition belongs to: the definition without its quantity's name
/// and time count (two calls of one relation must share it).
fn construction(d: &Definition) -> Definition {
    let mut d = d.clone();
    let Definition::Twin {
        quantity, times, ..
    } = &mut d;
    quantity.clear();
    *times = 0;
    d
}

/// The calls of the relation `l rel r` (and of the claim's definitions), restated; with the
/// claim's definitions and sides rewritten so that each call is a variable. `None` when
/// the relation has no call.
#[allow(clippy::type_complexity)]
pub(super) fn prepare(
    claim: &Claim,
    l: &Expr,
    r: &Expr,
    names: &[String],
) -> Result<Option<(Ext, Claim, Expr, Expr)>, String> {
    let mut calls = Vec::new();
    collect(l, &mut calls)?;
    collect(r, &mut calls)?;
    for d in &claim.lets {
        collect(&d.expr, &mut calls)?;
    }
    if calls.is_empty() {
        return Ok(None);
    }
    let mut def: Option<Definition> = None;
    let mut rows = Vec::new();
    let mut kinds = Vec::new();
    // whether every call has a TwinR.v restatement
    let mut real_ok = true;
    for c in &calls {
        let Expr::Call(Func::Opaque(id), args) = c else {
            unreachable!("collected calls")
        };
        let d = opaque::get(*id).definition().ok_or_else(|| {
            format!(
                "`{}` is computed outside the expression language (no Coq counterpart)",
                opaque::name(*id)
            )
        })?;
        let Definition::Twin {
            quantity, times, ..
        } = &d;
        let Some((_, kind)) = KINDS.iter().find(|(n, _)| n == quantity) else {
            return Err(format!(
                "`{}` has no Coq restatement yet (Coq restates {})",
                opaque::name(*id),
                KINDS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ));
        };
        let Definition::Twin { loss, .. } = &d;
        if !REAL_KINDS.contains(kind) {
            real_ok = false;
        }
        if irrational(loss) && !REAL_KINDS.contains(kind) {
            return Err(format!(
                "`{}` has no Coq restatement for losses with irrational values yet (TwinR.v restates {})",
                opaque::name(*id),
                KINDS
                    .iter()
                    .filter(|(_, k)| REAL_KINDS.contains(k))
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        kinds.push(*kind);
        match &def {
            Some(prev) if construction(prev) != construction(&d) => {
                return Err("quantities of two constructions in one relation".into());
            }
            Some(_) => {}
            None => def = Some(d.clone()),
        }
        let mut scope = names.to_vec();
        let ts = args[..*times]
            .iter()
            .map(|a| reify(a, &mut scope).map(|t| t.coq()))
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(format!("({kind}%nat, [{}])", ts.join("; ")));
    }
    let construction_def = def.clone().expect("at least one call");
    let Some(Definition::Twin {
        loss,
        weights,
        fields,
        s,
        s_twin,
        step,
        first_step,
        start,
        reshuffle,
        ..
    }) = def
    else {
        unreachable!("at least one call")
    };
    let data = |e: &Expr| -> Result<String, String> {
        let mut scope = names.to_vec();
        reify(e, &mut scope).map(|t| t.coq())
    };
    let list = |xs: &[Expr]| -> Result<String, String> {
        Ok(format!(
            "[{}]",
            xs.iter()
                .map(data)
                .collect::<Result<Vec<_>, _>>()?
                .join("; ")
        ))
    };
    let rows_of = |v: &[Vec<Expr>]| -> Result<String, String> {
        Ok(format!(
            "[{}]",
            v.iter()
                .map(|z| list(z))
                .collect::<Result<Vec<_>, _>>()?
                .join(";\n    ")
        ))
    };
    let step_term = {
        let mut scope = names.to_vec();
        scope.push("t".into());
        reify(&step, &mut scope)?.coq()
    };
    // the spec for Twin.v (exact rationals) and for TwinR.v (the reals, boxes), where each
    // applies: a rational loss starts with Twin.v and may switch ([`Ext::switch_to_real`])
    let spec = |real: bool| -> Result<String, String> {
        // TwinR.v's record has the same fields, prefixed with `r`
        let (ty, f) = if real {
            ("TwinSpecR", "rs")
        } else {
            ("TwinSpec", "s")
        };
        let mut coq = String::new();
        let _ = writeln!(
            coq,
            "(** the construction, restated: its loss, S and S' (terms over the claim's values), the step (in t, then those), the first step, the start *)\nDefinition spec : {ty} := {{|\n  {f}loss := {};\n  {f}dim := {};\n  {f}S := {};\n  {f}S' := {};\n  {f}step := {step_term};\n  {f}first := {};\n  {f}start := {};\n  {f}reshuffle := {} |}}.",
            loss_term(&loss, &weights, &fields, real)?,
            weights.len(),
            rows_of(&s)?,
            rows_of(&s_twin)?,
            data(&first_step)?,
            list(&start)?,
            if reshuffle { "true" } else { "false" }
        );
        let _ = writeln!(
            coq,
            "(** the quantities the relation uses (kind, times): variables {} .. {} after the claim's values *)\nDefinition calls : list (nat * list E) := [{}].\n",
            0,
            calls.len() - 1,
            rows.join("; ")
        );
        Ok(coq)
    };
    let real = irrational(&loss);
    let coq = spec(real)?;
    let alt = if real || !real_ok {
        None
    } else {
        spec(true).ok()
    };
    let qnames: Vec<String> = (0..calls.len()).map(|k| format!("__twin_q{k}")).collect();
    let mut claim2 = claim.clone();
    for d in &mut claim2.lets {
        d.expr = replace(&d.expr, &calls, &qnames);
    }
    let (l2, r2) = (replace(l, &calls, &qnames), replace(r, &calls, &qnames));
    // in the scope the last call is outermost: the environment is the claim's values,
    // then q0, q1, …
    let scope_names: Vec<String> = qnames.iter().rev().cloned().collect();
    Ok(Some((
        Ext {
            calls,
            names: scope_names,
            coq,
            real,
            alt,
            def: construction_def,
            kinds,
        },
        claim2,
        l2,
        r2,
    )))
}

/// An exact value of a data expression at a point.
fn exact_at(e: &Expr, names: &[String], vals: &[Rational]) -> Result<Rational, String> {
    let budget = Budget::default();
    let mut env = Env::new();
    for (n, v) in names.iter().zip(vals) {
        env.push(n, v.clone());
    }
    exact::eval(e, &mut env, &budget).map_err(|e| e.to_string())
}

/// The steps from the first one to the time a call's law is taken at (`p_first_s`: the law
/// after step s), at least 0.
fn steps_of(
    args: &[Expr],
    kind: u32,
    first: &Rational,
    names: &[String],
    vals: &[Rational],
) -> Result<u64, String> {
    let t = exact_at(&args[0], names, vals)?;
    let t = if kind == 5 { t + 1u32 } else { t };
    Ok((t - first).to_f64().clamp(0.0, 1e6) as u64)
}

impl Ext {
    /// Switches a rational loss's restatement to `TwinR.v` (where a quantity has no exact
    /// value: Coq then encloses it like stabcert); false when there is none.
    pub(super) fn switch_to_real(&mut self) -> bool {
        match self.alt.take() {
            Some(c) => {
                self.coq = c;
                self.real = true;
                true
            }
            None => false,
        }
    }

    /// The calls' enclosures at a point, each widened by 2^-[`REAL_SLACK_BITS`] of its
    /// magnitude, in scope order (the last call first): what Coq's box law
    /// at [`REAL_PREC`] bits is expected to enclose within.
    pub(super) fn enclosures(
        &self,
        names: &[String],
        vals: &[Rational],
    ) -> Result<Vec<(Rational, Rational)>, String> {
        let mut out = Vec::with_capacity(self.calls.len());
        for c in self.calls.iter().rev() {
            let Expr::Call(Func::Opaque(id), args) = c else {
                unreachable!("collected calls")
            };
            let argv = args
                .iter()
                .map(|a| exact_at(a, names, vals))
                .collect::<Result<Vec<_>, _>>()?;
            let (lo, hi) = opaque::get(*id)
                .enclose(&argv, 256)
                .map_err(|e| e.to_string())?;
            // relative only: a value stabcert knows exactly to be 0 (no step taken yet)
            // is exactly 0 in Coq's box law too
            let big = lo.clone().abs().max(hi.clone().abs());
            let slack = big >> REAL_SLACK_BITS;
            out.push((lo - &slack, hi + slack));
        }
        Ok(out)
    }

    /// The points that share the construction's laws in Coq (`Twin.v`'s `build`): one
    /// representative point per instance (the same S, S', start, first step and steps over
    /// the horizon), with the most steps any of its points needs for a quantity computed
    /// from the law at one time or the laws before it (kinds 0 to 9). Empty when no call
    /// is of those kinds. A point whose instance is not listed is computed on its own.
    pub(super) fn shared(
        &self,
        names: &[String],
        pts: &[Vec<Rational>],
    ) -> Result<Vec<(Vec<Rational>, u64)>, String> {
        let Definition::Twin {
            s,
            s_twin,
            start,
            first_step,
            step,
            ..
        } = &self.def;
        let mut per: Vec<(Vec<Rational>, Rational, u64)> = Vec::new();
        let mut horizon: u64 = 0;
        for p in pts {
            let first = exact_at(first_step, names, p)?;
            let mut data: Vec<Rational> = Vec::new();
            for rows in [s, s_twin] {
                for r in rows {
                    data.push(Rational::from(r.len()));
                    for e in r {
                        data.push(exact_at(e, names, p)?);
                    }
                }
            }
            for e in start {
                data.push(exact_at(e, names, p)?);
            }
            data.push(first.clone());
            let mut m: u64 = 0;
            for (c, kind) in self.calls.iter().zip(&self.kinds) {
                if *kind > 9 {
                    continue;
                }
                let Expr::Call(Func::Opaque(_), args) = c else {
                    unreachable!("collected calls")
                };
                m = m.max(steps_of(args, *kind, &first, names, p)?);
            }
            horizon = horizon.max(m);
            per.push((data, first, m));
        }
        if horizon == 0 {
            return Ok(Vec::new());
        }
        // the steps over the horizon distinguish instances too
        let mut groups: Vec<(Vec<Rational>, usize, u64)> = Vec::new();
        let mut with_t: Vec<String> = names.to_vec();
        with_t.push("t".into());
        for (i, (data, first, m)) in per.into_iter().enumerate() {
            let mut key = data;
            for j in 0..horizon {
                let mut vals = pts[i].clone();
                vals.push(Rational::from(&first + j));
                key.push(exact_at(step, &with_t, &vals)?);
            }
            match groups.iter_mut().find(|g| g.0 == key) {
                Some(g) => g.2 = g.2.max(m),
                None => groups.push((key, i, m)),
            }
        }
        Ok(groups
            .into_iter()
            .map(|(_, i, m)| (pts[i].clone(), m))
            .collect())
    }

    /// An estimate of the state updates Coq's laws take at a point: per call, the lumped
    /// law up to its time (with replacement, examples with the same data in S and S'
    /// branch once; by reshuffling, every example does) and, for a reached-region
    /// statistic, the unlumped laws before T once per example of S and S' and per run.
    pub(super) fn coq_cost(&self, names: &[String], vals: &[Rational]) -> Result<u64, String> {
        let Definition::Twin {
            s,
            s_twin,
            first_step,
            reshuffle,
            ..
        } = &self.def;
        let rows = |v: &[Vec<Expr>]| -> Result<Vec<Vec<Rational>>, String> {
            v.iter()
                .map(|r| r.iter().map(|e| exact_at(e, names, vals)).collect())
                .collect()
        };
        let (a, b) = (rows(s)?, rows(s_twin)?);
        let n = a.len() as u64;
        let mut pairs: Vec<(&Vec<Rational>, &Vec<Rational>)> = Vec::new();
        for p in a.iter().zip(&b) {
            if !pairs.contains(&p) {
                pairs.push(p);
            }
        }
        let branch = if *reshuffle { n } else { pairs.len() as u64 };
        let first = exact_at(first_step, names, vals)?;
        let geometric = |base: u64, steps: u64| -> u64 {
            let mut total: u64 = 0;
            let mut level: u64 = 1;
            for _ in 0..=steps {
                total = total.saturating_add(level);
                level = level.saturating_mul(base.max(1));
            }
            total
        };
        let mut cost: u64 = 0;
        for (c, kind) in self.calls.iter().zip(&self.kinds) {
            let Expr::Call(Func::Opaque(_), args) = c else {
                unreachable!("collected calls")
            };
            let steps = steps_of(args, *kind, &first, names, vals)?.min(64);
            cost = cost.saturating_add(if (7..=9).contains(kind) {
                geometric(n, steps.saturating_sub(1)).saturating_mul(4 * n)
            } else {
                geometric(branch, steps)
            });
        }
        Ok(cost)
    }

    /// The calls' values at a point (`vals` in the order of `names`, the claim's names),
    /// in scope order (the last call first): exact values or why there are none.
    pub(super) fn values(
        &self,
        names: &[String],
        vals: &[Rational],
    ) -> Result<Vec<Rational>, String> {
        self.calls
            .iter()
            .rev()
            .map(|c| exact_at(c, names, vals))
            .collect()
    }
}
