//! Coq script generation: one deterministic `.v` file per decided relation, proving what
//! its verdict says with the lemmas of `Stabcert.v` (kept beside this file and written next
//! to the scripts).
//!
//! What each verdict becomes:
//! - `refuted`: `~ Claim r lhs rhs point` at the counterexample — by `vm_compute` over `Q`
//!   when both sides are rational there, else by folding the rational subterms (recurrence
//!   values appear in the script and are re-computed by Coq) and `interval` on the rest;
//! - `certified` on an enumerable grid: `Forall_grid dom (Claim r lhs rhs) env`, a reflective
//!   check over every point when Coq can afford it; otherwise (too much work, or irrational
//!   values) the relation at a documented, evenly spread subset of points;
//! - `certified` on a grid with irrational values (exp, ln, real powers): a reflective
//!   check by interval evaluation (`checkJ`) over every point when Coq can afford it;
//! - `certified` with one real parameter, the innermost: `Forall_grid dom (OnReal lo hi ..
//!   (Claim r lhs rhs)) env`, one reflective theorem (`check_real`: interval evaluation over
//!   the parameter's interval, bisected, at every integer point; [`realbox`](super::realbox)
//!   mirrors it); otherwise `forall x, lo < x <= hi -> Claim ...` proved by `interval` with
//!   bisection, at every (or a documented subset of the) integer points;
//! - `threshold`: the failing end at the witness point and the holding end over the domain;
//! - `best_constant`: both ends of the enclosure at the witness.
//!
//! Whatever cannot be expressed or would not be checked in reasonable time is reported as
//! "not certified: &lt;why&gt;", never replaced by a script that proves something else.

mod points;
mod twin;

use super::realbox::{JEval, JV};
use super::term::{self, BigQv, CoqNum, Term, TooLarge, Work, coq_q, coq_rel, reify, wrap_lets};
use crate::claims::Claim;
use crate::decide::{Bracket, Outcome, Side, Verdict, relations};
use crate::expr::{DomainSpec, Expr, Rel};
use points::*;
use rug::{Integer, Rational};
use std::collections::BTreeSet;
use std::fmt::Write;

/// The Coq library every script imports (`Require Import Stabcert`).
pub const LIBRARY: &str = include_str!("../../../proofs/coq/Stabcert.v");

/// The second library, for touching inequalities (monotonicity from the touching end, with
/// Coquelicot's derivatives); only scripts that need it import it.
pub const TOUCHING: &str = include_str!("../../../proofs/coq/Touching.v");

/// The third library, for constructions given by their loss: the twin-SGD process in exact
/// rationals, its law by definition (one entry per index sequence), the merged law that
/// certificates compute, and the theorem that every expectation is the same (`lawM_sound`).
pub const TWIN: &str = include_str!("../../../proofs/coq/Twin.v");

/// The fourth library, for constructions whose loss has irrational values: the twin-SGD
/// process in the reals, its law by definition, the box law (Coq Interval's floats, rounded
/// outward) that certificates compute, and the theorem that each box contains its real
/// state (`law_aligned`), so that the quantities are enclosed (`quant_sound`).
pub const TWIN_R: &str = include_str!("../../../proofs/coq/TwinR.v");

/// Work (in [`Work`] units) a script may ask of Coq's `vm_compute`; calibrated so that a
/// file stays within about 10 s of coqc on this machine (see BENCHMARKS.md).
pub const WORK_LIMIT: u64 = 80_000_000;

/// Work a whole-grid theorem may ask of `vm_compute` over `bigQ` ([`BigQv`]'s cost model,
/// and integer roots for enclosed powers); Coq runs 4–11 × 10^7 of these units a second
/// here on exact grids, so this is at most about 40 s of coqc for one such theorem; grids
/// of enclosed powers with large roots run slower (about a minute for `lemma6.iii`'s
/// 100th roots; see BENCHMARKS.md).
pub const GRID_WORK_LIMIT: u64 = 1_500_000_000;

/// Work an interval-evaluation theorem (`check_real`, `checkJ`) may ask of `vm_compute`,
/// in [`realbox`](super::realbox)'s units (see BENCHMARKS.md for the rate).
pub const REAL_WORK_LIMIT: u64 = 200_000_000;

/// What Coq runs in a second of `vm_compute`: units of [`GRID_WORK_LIMIT`] in `checkI`
/// (exact parts and integer roots) and of [`REAL_WORK_LIMIT`] in `checkJ`; rough rates
/// measured on the paper's grids (BENCHMARKS.md), used only to choose between two ways of
/// proving the same grid.
pub const BOUNDS_UNITS_PER_SECOND: f64 = 2e7;
/// See [`BOUNDS_UNITS_PER_SECOND`].
pub const REAL_UNITS_PER_SECOND: f64 = 5e6;

/// Below this many estimated seconds a grid of rational powers keeps `checkI` (exact
/// rational enclosures) without trying interval evaluation.
pub const CHEAP_GRID_SECONDS: f64 = 5.0;

/// Most halvings of a real parameter's interval at one integer point.
pub const REAL_DEPTH: u32 = 12;

/// Coq Interval precisions tried for interval-evaluation theorems, fewest bits first: at 30
/// bits the products of mantissas stay in one 63-bit machine word, which made the paper's
/// recurrences in a real parameter about 40% faster in Coq than at 64 (BENCHMARKS.md).
pub const REAL_PRECS: [u32; 4] = [30, 64, 128, 256];

/// Most points of a grid with irrational values proved one `interval` theorem each, all of
/// them (beyond, [`MAX_POINTS`] of them).
pub const MAX_ALL_POINTS: usize = 64;

/// Most points checked one by one (`interval` proofs) or listed in a subset.
pub const MAX_POINTS: usize = 8;

/// The certificate of one relation: a head (imports, the relation's two sides) and
/// theorem blocks, each proving one thing; a block coqc rejects can be dropped on its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Certificate {
    /// outcome id
    pub id: String,
    /// file name inside the output folder (`lemma3_ineq_step1.v`)
    pub file: String,
    /// header comment, imports, `lhs` and `rhs`
    pub head: String,
    /// the theorems with the lemmas they use
    pub blocks: Vec<Block>,
    /// what is not certified and why (the whole verdict, or a part of it)
    pub not_certified: Vec<String>,
    /// how much of the verdict the script's theorems state
    pub coverage: CoqCoverage,
    /// the verdict certified (`None` for certificates made by hand in tests)
    pub verdict: Option<crate::decide::Verdict>,
}

/// How much of a verdict the theorems of a script state: the whole relation on its whole
/// stated domain (a refutation: the relation failing at a point of the domain), part of it
/// (some points, or rational points of a real box), or nothing.
#[derive(Clone, Debug, PartialEq)]
pub enum CoqCoverage {
    /// the theorems are the verdict on the whole domain: what they state
    Whole(String),
    /// the theorems state part of it: which part
    Partial(String),
    /// no theorem states the verdict: why
    None(String),
}

impl CoqCoverage {
    /// `whole`, `partial` or `none`.
    pub fn kind(&self) -> &'static str {
        match self {
            CoqCoverage::Whole(_) => "whole",
            CoqCoverage::Partial(_) => "partial",
            CoqCoverage::None(_) => "none",
        }
    }

    /// What is stated, or why not.
    pub fn detail(&self) -> &str {
        match self {
            CoqCoverage::Whole(d) | CoqCoverage::Partial(d) | CoqCoverage::None(d) => d,
        }
    }

    /// `kind: detail`, for tables and the index.
    pub fn describe(&self) -> String {
        format!("{}: {}", self.kind(), self.detail())
    }
}

/// One theorem of a script with the definitions and lemmas it uses.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// the Coq text
    pub text: String,
    /// what it proves, in words (`refuted: the relation fails at n = 2`)
    pub proves: String,
    /// whether it states (part of) the verdict, rather than a search's end
    pub verdict: bool,
    /// the coverage left if coqc rejects this block, when the block alone makes the
    /// verdict whole (a theorem over a box containing the whole domain); `None`: the usual
    /// lowering (what the other verdict blocks state)
    pub fallback: Option<CoqCoverage>,
}

impl Certificate {
    /// The script, when there is something to prove.
    pub fn script(&self) -> Option<String> {
        if self.blocks.is_empty() {
            return None;
        }
        let mut s = self.head.clone();
        for b in &self.blocks {
            s.push_str(&b.text);
        }
        Some(s)
    }

    /// What the script proves, one line per theorem.
    pub fn proves(&self) -> Vec<String> {
        self.blocks.iter().map(|b| b.proves.clone()).collect()
    }

    /// The block that holds line `line` (1-based) of [`Certificate::script`], if any.
    pub fn block_at_line(&self, line: usize) -> Option<usize> {
        let mut start = self.head.lines().count() + 1;
        for (i, b) in self.blocks.iter().enumerate() {
            let n = b.text.lines().count();
            if line >= start && line < start + n {
                return Some(i);
            }
            start += n;
        }
        None
    }
}

/// The file name of an outcome id: every character that is not a letter or digit becomes
/// `_` (Coq module names), prefixed with `c_` when it does not start with a letter.
pub fn file_name(id: &str) -> String {
    let mut s: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        s.insert_str(0, "c_");
    }
    s.push_str(".v");
    s
}

/// Everything the theorems of one relation share.
struct Ctx<'a> {
    claim: &'a Claim,
    /// names in scope order: the free constant (if any), then the parameters
    names: Vec<String>,
    lhs: Term,
    rhs: Term,
    rel: Rel,
    blocks: Vec<Block>,
    not_certified: Vec<String>,
    used: Vec<String>,
    /// work of the point theorems so far (see [`Work`])
    spent: u64,
    /// whether the theorems being made state the verdict (not a search's end)
    in_verdict: bool,
    /// whether a theorem calls the touching tactics (the script then imports `Touching.v`)
    touching: bool,
    /// what the verdict's theorems state, when it is the whole verdict
    whole: Option<String>,
    /// what they state, when it is part of it
    partial: Option<String>,
    /// the quantities of a construction given by its loss the relation uses, restated
    ext: Option<twin::Ext>,
}

/// Builds the certificate of `outcome`, one of the outcomes of `claim`.
pub fn certificate(claim: &Claim, outcome: &Outcome) -> Certificate {
    let file = file_name(&outcome.id);
    let mut cert = Certificate {
        id: outcome.id.clone(),
        file: file.clone(),
        head: String::new(),
        blocks: Vec::new(),
        not_certified: Vec::new(),
        coverage: CoqCoverage::None(String::new()),
        verdict: Some(outcome.verdict),
    };
    let none = |cert: &mut Certificate| {
        cert.coverage = CoqCoverage::None(
            cert.not_certified
                .first()
                .cloned()
                .unwrap_or_else(|| "no theorem".into()),
        );
    };
    if outcome.symbolic {
        cert.not_certified.push(
            "not certified: a symbolic verdict (the Coq backend proves numeric relations)".into(),
        );
        none(&mut cert);
        return cert;
    }
    let Some((_, l, rel, r)) = relations(claim)
        .into_iter()
        .find(|(id, ..)| *id == outcome.id)
    else {
        cert.not_certified
            .push("not certified: the relation is not one of the claim's".into());
        none(&mut cert);
        return cert;
    };
    let mut names: Vec<String> = Vec::new();
    if let Some(k) = &claim.best_constant {
        names.push(k.clone());
    }
    names.extend(claim.params.iter().map(|p| p.name.clone()));
    let (ext, claim2, l, r) = match twin::prepare(claim, &l, &r, &names) {
        Ok(None) => (None, None, l, r),
        Ok(Some((ext, c2, l2, r2))) => (Some(ext), Some(c2), l2, r2),
        Err(e) => {
            cert.not_certified.push(format!(
                "not certified: the Coq backend cannot express it: {e}"
            ));
            none(&mut cert);
            return cert;
        }
    };
    let scope: Vec<String> = ext
        .iter()
        .flat_map(|x| x.names.iter().cloned())
        .chain(names.iter().cloned())
        .collect();
    let side_claim = claim2.as_ref().unwrap_or(claim);
    let (lhs, rhs) = match (side(side_claim, &scope, &l), side(side_claim, &scope, &r)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            cert.not_certified.push(format!(
                "not certified: the Coq backend cannot express it: {e}"
            ));
            none(&mut cert);
            return cert;
        }
    };
    let mut cx = Ctx {
        claim,
        names,
        lhs,
        rhs,
        rel,
        blocks: Vec::new(),
        not_certified: Vec::new(),
        used: Vec::new(),
        spent: 0,
        in_verdict: true,
        touching: false,
        whole: None,
        partial: None,
        ext,
    };
    let k_safe = claim.best_constant.as_ref().and_then(|_| {
        outcome
            .best_constant
            .as_ref()
            .map(|b| safe_end(b).0.clone())
    });
    match outcome.verdict {
        Verdict::Refuted => match &outcome.counterexample {
            Some(c) if matches!(c.lhs, Side::Undefined(_)) || matches!(c.rhs, Side::Undefined(_)) => {
                cx.not_certified.push(
                    "not certified: refuted because a side is undefined at the counterexample, which Coq's total functions cannot state"
                        .into(),
                )
            }
            Some(c) => {
                let mut vals: Vec<Rational> = k_safe.iter().cloned().collect();
                vals.extend(c.point.iter().map(|(_, v)| v.clone()));
                if cx.point("refuted", false, &vals, "the relation fails at the counterexample") {
                    cx.whole = Some(
                        "the relation fails at the counterexample (that the point lies in the domain is checked by the kernel, not stated in Coq)".into(),
                    );
                }
            }
            None => cx
                .not_certified
                .push("not certified: refuted without an exact counterexample".into()),
        },
        Verdict::Certified if !claim.constraints.is_empty() => cx.not_certified.push(
            "not certified: the domain has `where` constraints, which the Coq scripts do not state yet"
                .into(),
        ),
        Verdict::Certified => {
            let fixed: Vec<(String, Rational)> = match (&claim.best_constant, &k_safe) {
                (Some(k), Some(v)) => vec![(k.clone(), v.clone())],
                _ => Vec::new(),
            };
            cx.domain("certified", &fixed, "the relation holds");
        }
        Verdict::NoCounterexample => cx.not_certified.push(
            "not certified: the verdict rests on sampled points (no-counterexample), which is not a proof"
                .into(),
        ),
        Verdict::Undecided => cx
            .not_certified
            .push("not certified: the verdict is undecided".into()),
    }
    let coverage = match (cx.whole.take(), cx.partial.take()) {
        (Some(w), _) => CoqCoverage::Whole(w),
        (None, Some(p)) => CoqCoverage::Partial(p),
        (None, None) => CoqCoverage::None(
            cx.not_certified
                .first()
                .cloned()
                .unwrap_or_else(|| "no theorem states the verdict".into()),
        ),
    };
    cx.in_verdict = false;
    if let Some(b) = &outcome.threshold {
        cx.threshold(b);
    }
    if let (Some(k), Some(b)) = (&claim.best_constant, &outcome.best_constant) {
        cx.best_constant(k, b);
    }
    cert.head = cx.head(outcome);
    cert.blocks = std::mem::take(&mut cx.blocks);
    cert.not_certified = std::mem::take(&mut cx.not_certified);
    cert.coverage = coverage;
    cert
}

/// The safe end of a bracket (where the relation holds) and the other one.
fn safe_end(b: &Bracket) -> (&Rational, &Rational) {
    if b.safe == b.hi {
        (&b.hi, &b.lo)
    } else {
        (&b.lo, &b.hi)
    }
}

/// One side of the relation as a term: the lets it uses (transitively) wrap it.
fn side(claim: &Claim, names: &[String], e: &Expr) -> Result<Term, String> {
    let mut used: BTreeSet<String> = e.free_vars();
    let mut keep = vec![false; claim.lets.len()];
    for (i, d) in claim.lets.iter().enumerate().rev() {
        if used.contains(&d.name) {
            keep[i] = true;
            used.extend(d.expr.free_vars());
        }
    }
    let mut scope: Vec<String> = names.to_vec();
    let mut lets = Vec::new();
    for (i, d) in claim.lets.iter().enumerate() {
        if keep[i] {
            lets.push(reify(&d.expr, &mut scope)?);
            scope.push(d.name.clone());
        }
    }
    let body = reify(e, &mut scope)?;
    Ok(wrap_lets(lets, body))
}

/// A Coq list of rationals, innermost (last) value first.
fn q_list(vals: &[Rational]) -> String {
    let items: Vec<String> = vals.iter().rev().map(coq_q).collect();
    format!("[{}]%Q", items.join("; "))
}

fn relation_tactic(rel: Rel, holds: bool) -> Option<&'static str> {
    Some(match (rel, holds) {
        (Rel::Le, true) => "le_by",
        (Rel::Lt, true) => "lt_by",
        (Rel::Ge, true) => "ge_by",
        (Rel::Gt, true) => "gt_by",
        (Rel::Eq, true) => return None,
        (Rel::Le, false) => "not_le_by",
        (Rel::Lt, false) => "not_lt_by",
        (Rel::Ge, false) => "not_ge_by",
        (Rel::Gt, false) => "not_gt_by",
        (Rel::Eq, false) => "not_eq_by",
    })
}

/// Does `rel` hold between two rationals?
fn rel_holds(rel: Rel, a: &Rational, b: &Rational) -> bool {
    rel.holds(a.cmp(b))
}

impl Ctx<'_> {
    fn fresh(&mut self, base: &str) -> String {
        let n = self.used.iter().filter(|b| *b == base).count();
        self.used.push(base.to_string());
        if n == 0 {
            base.to_string()
        } else {
            format!("{base}_{}", n + 1)
        }
    }

    fn describe(&self, vals: &[Rational]) -> String {
        self.names
            .iter()
            .zip(vals)
            .map(|(n, v)| format!("{n} = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A theorem at one point: the relation holds (`holds`) or fails there. Returns false
    /// (and records why) when it cannot be proved in Coq.
    fn point(&mut self, base: &str, holds: bool, vals: &[Rational], what: &str) -> bool {
        if self.ext.is_some() {
            return self.point_ext(base, holds, vals, what);
        }
        let where_ = self.describe(vals);
        if self.spent > WORK_LIMIT {
            self.not_certified.push(format!(
                "not attempted at {where_}: the script's work budget (about 10 s of coqc) is spent"
            ));
            return false;
        }
        let name = self.fresh(base);
        let mut env: Vec<Rational> = vals.to_vec();
        let mut w = Work::new(WORK_LIMIT);
        let l = self.lhs.qeval(&mut env, &mut w);
        let r = self.rhs.qeval(&mut env, &mut w);
        // Coq runs evalQ once per side, and foldE re-evaluates at every level of the path
        self.spent += w.bits;
        let pt = format!("{name}_point");
        let stmt = if holds {
            format!("Claim {} lhs rhs (map Q2R {pt})", coq_rel(self.rel))
        } else {
            format!("~ Claim {} lhs rhs (map Q2R {pt})", coq_rel(self.rel))
        };
        let mut s = String::new();
        let _ = writeln!(s, "(** {what}: at {where_} (this one point) *)");
        let _ = writeln!(s, "Definition {pt} : list Q := {}.", q_list(vals));
        match (l, r) {
            (Err(e), _) | (_, Err(e)) => {
                self.not_certified
                    .push(format!("not certified at {where_}: {}", e.0));
                return false;
            }
            (Ok(Some(a)), Ok(Some(b))) => {
                if rel_holds(self.rel, &a, &b) != holds {
                    self.not_certified.push(format!(
                        "not certified at {where_}: the exact values disagree with the verdict (a bug)"
                    ));
                    return false;
                }
                let _ = writeln!(
                    s,
                    "Lemma {name}_lhs : evalQ {pt} lhs = Some {}.\nProof. vm_compute. reflexivity. Qed.",
                    coq_q(&a)
                );
                let _ = writeln!(
                    s,
                    "Lemma {name}_rhs : evalQ {pt} rhs = Some {}.\nProof. vm_compute. reflexivity. Qed.",
                    coq_q(&b)
                );
                let lemma = if holds {
                    "checkQ_sound"
                } else {
                    "refuteQ_sound"
                };
                let f = if holds { "checkQ" } else { "refuteQ" };
                let _ = writeln!(
                    s,
                    "Theorem {name} : {stmt}.\nProof. apply {lemma}. unfold {f}. rewrite {name}_lhs, {name}_rhs. vm_compute. reflexivity. Qed.\n"
                );
            }
            _ => {
                let Some(tac) = relation_tactic(self.rel, holds) else {
                    self.not_certified.push(format!(
                        "not certified at {where_}: an equality between values that are not both rational"
                    ));
                    return false;
                };
                let mut w = Work::new(WORK_LIMIT);
                let folded = (
                    self.lhs.simp(&mut env, &mut w),
                    self.rhs.simp(&mut env, &mut w),
                );
                self.spent += w.bits;
                let (fl, fr) = match folded {
                    (Ok(a), Ok(b)) => (a, b),
                    (Err(e), _) | (_, Err(e)) => {
                        self.not_certified
                            .push(format!("not certified at {where_}: {}", e.0));
                        return false;
                    }
                };
                if let Some(why) = fl
                    .interval_obstacle(vals.len())
                    .or(fr.interval_obstacle(vals.len()))
                {
                    self.not_certified
                        .push(format!("not certified at {where_}: {why}"));
                    return false;
                }
                let _ = writeln!(
                    s,
                    "Lemma {name}_lhs : simp {pt} lhs = {}.\nProof. vm_compute. reflexivity. Qed.",
                    fl.coq()
                );
                let _ = writeln!(
                    s,
                    "Lemma {name}_rhs : simp {pt} rhs = {}.\nProof. vm_compute. reflexivity. Qed.",
                    fr.coq()
                );
                // how far apart the sides are decides the precision (and whether to try)
                let mut fenv: Vec<rug::Float> =
                    vals.iter().map(|v| rug::Float::with_val(300, v)).collect();
                let prec = match (fl.approx(&mut fenv, 300), fr.approx(&mut fenv, 300)) {
                    (Some(a), Some(b)) => {
                        let gap = rug::Float::with_val(300, &a - &b).abs();
                        let mag = rug::Float::with_val(300, a.abs_ref())
                            .max(&rug::Float::with_val(300, b.abs_ref()))
                            .max(&rug::Float::with_val(300, 1));
                        let rel = gap / mag;
                        if rel.is_zero() || rel.get_exp().unwrap_or(0) < -250 {
                            self.not_certified.push(format!(
                                "not certified at {where_}: the two sides are equal or closer than 2^-250 there, which interval arithmetic cannot separate"
                            ));
                            return false;
                        }
                        u32::try_from(30 - i64::from(rel.get_exp().unwrap_or(0)))
                            .unwrap_or(30)
                            .max(30)
                    }
                    _ => 60,
                };
                let tactic = format!(
                    "first [interval with (i_prec {prec}) | interval with (i_prec {})]",
                    prec * 4
                );
                let pow = if fl.has_real_pow() || fr.has_real_pow() {
                    "\n  repeat (rewrite powR_pos by interval)."
                } else {
                    ""
                };
                let _ = writeln!(
                    s,
                    "Theorem {name} : {stmt}.\nProof.\n  unfold Claim, holdsR.\n  rewrite <- (simp_sound lhs), <- (simp_sound rhs), {name}_lhs, {name}_rhs.\n  cbn [evalR nth map {pt}]. rewrite ?Q2R_lit.{pow}\n  apply {tac}. {tactic}.\nQed.\n"
                );
            }
        }
        let verb = if holds { "holds" } else { "fails" };
        self.blocks.push(Block {
            text: s,
            proves: format!("{name}: the relation {verb} at {where_}"),
            verdict: self.in_verdict,
            fallback: None,
        });
        true
    }

    /// `point` for a relation with a construction's quantities: a refutation at an exact
    /// point, the quantities computed there by `Twin.v` (`RefutedExt`).
    fn point_ext(&mut self, base: &str, holds: bool, vals: &[Rational], what: &str) -> bool {
        if holds {
            // the relation at this one point: a grid of one point
            let doms: Vec<Dom> = vals
                .iter()
                .map(|v| Dom::Among(vec![Term::Cst(v.clone())]))
                .collect();
            let pts = vec![vals.iter().cloned().map(Some).collect()];
            let before = self.blocks.len();
            self.grid(base, &doms, &[], &pts, what);
            if self.blocks.len() == before {
                return false;
            }
            let where_ = self.describe(vals);
            if let Some(b) = self.blocks.last_mut() {
                let name = b.proves.split(':').next().unwrap_or(base).to_string();
                b.proves = format!("{name}: the relation holds at {where_}");
            }
            return true;
        }
        if self.ext.as_ref().is_some_and(|x| x.real) {
            return self.point_ext_real(base, vals, what);
        }
        let where_ = self.describe(vals);
        let ext = self.ext.as_ref().expect("called with quantities");
        let xs = match ext.values(&self.names, vals) {
            Ok(v) => v,
            Err(_)
                if self.blocks.is_empty()
                    && self.ext.as_mut().is_some_and(|x| x.switch_to_real()) =>
            {
                // irrational values (a norm in several weights): Coq's box law
                return self.point_ext_real(base, vals, what);
            }
            Err(e) => {
                self.not_certified.push(format!(
                    "not certified at {where_}: a quantity has no exact value there ({e})"
                ));
                return false;
            }
        };
        let mut env: Vec<Rational> = xs.iter().cloned().chain(vals.iter().cloned()).collect();
        let mut w = Work::new(WORK_LIMIT);
        let l = self.lhs.qeval(&mut env, &mut w);
        let r = self.rhs.qeval(&mut env, &mut w);
        self.spent += w.bits;
        match (l, r) {
            (Ok(Some(a)), Ok(Some(b))) if !rel_holds(self.rel, &a, &b) => {}
            _ => {
                self.not_certified.push(format!(
                    "not certified at {where_}: the sides are not both rational and failing there"
                ));
                return false;
            }
        }
        let shown: Vec<String> = xs.iter().rev().map(|v| v.to_string()).collect();
        self.refutation_block(
            base,
            vals,
            &format!(
                "{what}: at {where_} (this one point), where the construction's quantities are {}",
                shown.join(", ")
            ),
            "RefutedExt",
            "apply refuteExt_sound. vm_compute. reflexivity.",
        )
    }

    /// A refutation at one point with a construction's quantities: the point, and the
    /// theorem `{kind} rel lhs rhs spec calls point` proved by `proof`.
    fn refutation_block(
        &mut self,
        base: &str,
        vals: &[Rational],
        comment: &str,
        kind: &str,
        proof: &str,
    ) -> bool {
        let where_ = self.describe(vals);
        let name = self.fresh(base);
        let pt = format!("{name}_point");
        let mut text = String::new();
        let _ = writeln!(text, "(** {comment} *)");
        let _ = writeln!(text, "Definition {pt} : list Q := {}.", q_list(vals));
        let _ = writeln!(
            text,
            "Theorem {name} : {kind} {} lhs rhs spec calls {pt}.\nProof. {proof} Qed.\n",
            coq_rel(self.rel)
        );
        self.blocks.push(Block {
            text,
            proves: format!("{name}: the relation fails at {where_}"),
            verdict: self.in_verdict,
            fallback: None,
        });
        true
    }

    /// The calls' widened enclosures at a point followed by the point's values, as the
    /// environment of `checkJ` (Coq's `map Ex env ++ map Iv Xs`, in scope order), and the
    /// estimated state updates of Coq's box laws there; or why not.
    fn real_env(&self, vals: &[Rational]) -> Result<(Vec<JV>, u64), String> {
        let ext = self.ext.as_ref().expect("called with quantities");
        let encl = ext.enclosures(&self.names, vals)?;
        let cost = ext.coq_cost(&self.names, vals)?;
        let prec = twin::REAL_PREC;
        let env = encl
            .iter()
            .map(|(lo, hi)| JV::Iv(crate::engine::real::Interval::from_bounds(lo, hi, prec)))
            .chain(vals.iter().map(|v| JV::Ex(BigQv::lit(v))))
            .collect();
        Ok((env, cost))
    }

    /// Whether Coq's interval evaluation is expected to separate the sides (`negate`: the
    /// other way, a refutation) at a point with the quantities enclosed.
    fn real_separates(&self, env: &mut Vec<JV>, negate: bool) -> bool {
        let j = JEval::new(twin::REAL_PREC);
        let mut w = Work::new(REAL_WORK_LIMIT);
        let rels: Vec<Rel> = if !negate {
            vec![self.rel]
        } else {
            match self.rel {
                Rel::Le => vec![Rel::Gt],
                Rel::Lt => vec![Rel::Ge],
                Rel::Ge => vec![Rel::Lt],
                Rel::Gt => vec![Rel::Le],
                Rel::Eq => vec![Rel::Lt, Rel::Gt],
            }
        };
        rels.into_iter()
            .any(|r| matches!(j.check(r, &self.lhs, &self.rhs, env, &mut w), Ok(true)))
    }

    /// A loss with irrational values, on an integer grid: one reflective theorem whose
    /// quantities are those of the real process (`ClaimExtR`), computed by Coq on boxes.
    fn grid_real(
        &mut self,
        base: &str,
        doms: &[Dom],
        lead: &[Rational],
        pts: &[Vec<Rational>],
        what: &str,
    ) {
        let mut cost: u64 = 0;
        for p in pts {
            let (mut env, c) = match self.real_env(p) {
                Ok(x) => x,
                Err(e) => {
                    self.not_certified.push(format!(
                        "not certified: a quantity has no enclosure at {} ({e})",
                        self.describe(p)
                    ));
                    return;
                }
            };
            cost = cost.saturating_add(c);
            if cost > twin::REAL_MAX_UPDATES {
                self.not_certified.push(format!(
                    "not certified: Coq's box laws over the domain take more than {} state updates (about a minute of coqc); the law is recomputed at every point",
                    twin::REAL_MAX_UPDATES
                ));
                return;
            }
            if !self.real_separates(&mut env, false) {
                self.not_certified.push(format!(
                    "not certified: at {} the sides are closer than Coq's {}-bit box law is expected to separate",
                    self.describe(p),
                    twin::REAL_PREC
                ));
                return;
            }
        }
        let r = coq_rel(self.rel);
        let prec = twin::REAL_PREC;
        self.grid_theorem(
            (base, doms, lead, pts.len(), what),
            &format!(", the construction's quantities enclosed there by its box law (the real process on intervals of Coq Interval's {prec}-bit floats, TwinR.v), the sides by interval evaluation, checked by vm_compute"),
            &format!(
                "gridB_soundQ {{d}} (checkExtR (JF.PtoP {prec}) {r} lhs rhs spec calls) _ (checkExtR_sound (JF.PtoP {prec}) _ _ _ _ _)"
            ),
            &format!("; the quantities enclosed by the box law at {prec} bits"),
        );
    }

    /// A refutation at one point for a loss with irrational values (`RefutedExtR`).
    fn point_ext_real(&mut self, base: &str, vals: &[Rational], what: &str) -> bool {
        let where_ = self.describe(vals);
        let (mut env, cost) = match self.real_env(vals) {
            Ok(x) => x,
            Err(e) => {
                self.not_certified.push(format!(
                    "not certified at {where_}: a quantity has no enclosure there ({e})"
                ));
                return false;
            }
        };
        if cost > twin::REAL_MAX_UPDATES {
            self.not_certified.push(format!(
                "not certified at {where_}: Coq's box laws there take more than {} state updates",
                twin::REAL_MAX_UPDATES
            ));
            return false;
        }
        if !self.real_separates(&mut env, true) {
            self.not_certified.push(format!(
                "not certified at {where_}: the sides are closer than Coq's {}-bit box law is expected to separate",
                twin::REAL_PREC
            ));
            return false;
        }
        let prec = twin::REAL_PREC;
        self.refutation_block(
            base,
            vals,
            &format!(
                "{what}: at {where_} (this one point), the construction's quantities enclosed by its box law ({prec}-bit intervals, TwinR.v)"
            ),
            "RefutedExtR",
            &format!("apply (refuteExtR_sound (JF.PtoP {prec})). vm_compute. reflexivity."),
        )
    }

    /// Theorems that the relation holds on the domain (parameters in `fixed` pinned).
    /// Certified on the whole domain (with `fixed` parameters set): a reflective grid
    /// theorem, `interval` theorems over the real box at each integer point, or theorems
    /// at some of the points when that is all Coq can afford (the coverage says which).
    fn domain(&mut self, base: &str, fixed: &[(String, Rational)], what: &str) {
        let claim = self.claim;
        // the free constant, when there is one, is the first entry of the environment
        let mut lead: Vec<Rational> = Vec::new();
        if let Some(k) = &claim.best_constant {
            match fixed.iter().find(|(n, _)| n == k) {
                Some((_, v)) => lead.push(v.clone()),
                None => {
                    self.not_certified
                        .push(format!("not certified: no value for `{k}`"));
                    return;
                }
            }
        }
        let mut doms: Vec<Dom> = Vec::new();
        let mut scope: Vec<String> = claim.best_constant.iter().cloned().collect();
        for p in &claim.params {
            let d = if let Some((_, v)) = fixed.iter().find(|(n, _)| *n == p.name) {
                Ok(Dom::Among(vec![Term::Cst(v.clone())]))
            } else {
                dom_of(&p.domain, &mut scope)
            };
            match d {
                Ok(d) => doms.push(d),
                Err(e) => {
                    self.not_certified
                        .push(format!("not certified: parameter `{}`: {e}", p.name));
                    return;
                }
            }
            scope.push(p.name.clone());
        }
        let reals: Vec<usize> = doms
            .iter()
            .enumerate()
            .filter(|(_, d)| matches!(d, Dom::Real { .. }))
            .map(|(i, _)| i)
            .collect();
        // enumerate the integer points (real parameters left open)
        let mut points: Vec<Vec<Option<Rational>>> = Vec::new();
        let mut cur: Vec<Option<Rational>> = lead.iter().cloned().map(Some).collect();
        let mut work = Work::new(WORK_LIMIT);
        if let Err(e) = enumerate(&doms, 0, &mut cur, &mut points, &mut work) {
            self.not_certified.push(format!("not certified: {e}"));
            return;
        }
        if points.is_empty() {
            self.not_certified
                .push("not certified: the domain has no points".into());
            return;
        }
        if reals.is_empty() {
            self.grid(base, &doms, &lead, &points, what);
        } else if self.ext.is_some() {
            self.not_certified.push(
                "not certified: real parameters with a construction's quantities (they have values at exact points only)".into(),
            );
        } else {
            self.boxes(base, &doms, &points, what);
        }
    }

    /// Certified on an integer grid: reflective over all points when affordable.
    fn grid(
        &mut self,
        base: &str,
        doms: &[Dom],
        lead: &[Rational],
        points: &[Vec<Option<Rational>>],
        what: &str,
    ) {
        let pts: Vec<Vec<Rational>> = points
            .iter()
            .map(|p| {
                p.iter()
                    .map(|v| v.clone().expect("integer point"))
                    .collect()
            })
            .collect();
        if self.ext.as_ref().is_some_and(|x| x.real) {
            self.grid_real(base, doms, lead, &pts, what);
            return;
        }
        // does every point evaluate to rationals that satisfy the relation, within budget?
        // (charged as `evalB` computes, which is what the reflective theorem runs)
        let mut w = Work::new(GRID_WORK_LIMIT);
        let mut rational = true;
        let mut over = false;
        for p in &pts {
            let xs = match &self.ext {
                None => Vec::new(),
                Some(ext) => match ext.values(&self.names, p) {
                    Ok(v) => v,
                    Err(_)
                        if self.blocks.is_empty()
                            && self.ext.as_mut().is_some_and(|x| x.switch_to_real()) =>
                    {
                        // irrational values (a norm in several weights): Coq's box law
                        self.grid_real(base, doms, lead, &pts, what);
                        return;
                    }
                    Err(e) => {
                        self.not_certified.push(format!(
                            "not certified: a quantity has no exact value at {} ({e})",
                            self.describe(p)
                        ));
                        return;
                    }
                },
            };
            let mut env: Vec<BigQv> = xs.iter().chain(p.iter()).map(BigQv::lit).collect();
            match (
                self.lhs.beval(&mut env, &mut w),
                self.rhs.beval(&mut env, &mut w),
            ) {
                (Ok(Some(a)), Ok(Some(b))) => {
                    if !rel_holds(self.rel, &a, &b) {
                        self.not_certified.push(format!(
                            "not certified: the exact values at {} disagree with the verdict (a bug)",
                            self.describe(p)
                        ));
                        return;
                    }
                }
                (Err(_), _) | (_, Err(_)) => {
                    over = true;
                    break;
                }
                _ => {
                    rational = false;
                    break;
                }
            }
        }
        if rational && !over {
            let r = coq_rel(self.rel);
            let shared = match &self.ext {
                Some(ext) if pts.len() > 1 => ext.shared(&self.names, &pts).unwrap_or_default(),
                _ => Vec::new(),
            };
            let apply = if self.ext.is_some() && !shared.is_empty() {
                // the laws computed once per instance and shared by its points
                let hints: Vec<String> = shared
                    .iter()
                    .map(|(p, m)| format!("({}, {m}%nat)", q_list(p)))
                    .collect();
                format!(
                    "gridB_soundQ {{d}} (checkExtC {r} lhs rhs spec calls (build spec [{}])) _ (checkExtC_sound _ _ _ _ _ _)",
                    hints.join("; ")
                )
            } else if self.ext.is_some() {
                format!(
                    "gridB_soundQ {{d}} (checkExt {r} lhs rhs spec calls) _ (checkExt_sound _ _ _ _ _)"
                )
            } else {
                format!("gridB_soundQ {{d}} (checkB {r} lhs rhs) _ (checkB_sound _ _ _)")
            };
            let how = if self.ext.is_some() {
                ", the construction's quantities computed there by its merged law, checked by vm_compute"
            } else {
                ", checked by vm_compute over machine-word rationals"
            };
            self.grid_theorem((base, doms, lead, pts.len(), what), how, &apply, "");
            return;
        }
        if self.ext.is_some() {
            if !over
                && self.blocks.is_empty()
                && self.ext.as_mut().is_some_and(|x| x.switch_to_real())
            {
                // irrational values in the sides: Coq's box law and interval evaluation
                self.grid_real(base, doms, lead, &pts, what);
                return;
            }
            self.not_certified.push(format!(
                "not certified: {}",
                if over {
                    "the exact values at all points are more than Coq computes in about 10 s"
                } else {
                    "some values are irrational and the construction has no TwinR.v restatement (floor or ceil in the loss, or a quantity it does not restate)"
                }
            ));
            return;
        }
        // irrational values: one reflective theorem over enclosures (rational powers such
        // as T^(1/10) between rationals, or interval evaluation of exp, ln and the rest)
        if self.irrational_grid((base, doms, lead, &pts, what), over) {
            return;
        }
        let why = if over {
            "the exact values at all points are more than Coq computes in about 10 s"
        } else {
            "some values are irrational, and `interval` proofs are made one point at a time"
        };
        // irrational values: a theorem per point, for every point of a small grid
        let chosen = if !over && pts.len() <= MAX_ALL_POINTS {
            (0..pts.len()).collect()
        } else {
            spread(pts.len(), MAX_POINTS)
        };
        let mut done = Vec::new();
        for i in chosen {
            if self.point(base, true, &pts[i], what) {
                done.push(self.describe(&pts[i]));
            }
        }
        if self.in_verdict {
            if done.len() == pts.len() {
                self.whole = Some(format!(
                    "the relation at all {} points of the domain, one theorem each",
                    pts.len()
                ));
            } else if !done.is_empty() {
                self.partial = Some(format!(
                    "the relation at {} of the domain's {} points ({why})",
                    done.len(),
                    pts.len()
                ));
            }
        }
        if done.len() == pts.len() {
            return;
        }
        self.not_certified.push(format!(
            "certified by Coq at {} of the {} points only ({why}): {}",
            done.len(),
            pts.len(),
            done.join("; ")
        ));
    }

    /// Certified with real parameters: one reflective theorem over the whole domain when
    /// interval evaluation separates the sides ([`Ctx::real_grid`]); else one `interval`
    /// theorem per integer point.
    fn boxes(&mut self, base: &str, doms: &[Dom], points: &[Vec<Option<Rational>>], what: &str) {
        if self.real_grid(base, doms, points, what) {
            return;
        }
        let lead = usize::from(self.claim.best_constant.is_some());
        let chosen = spread(points.len(), MAX_POINTS);
        let mut done = Vec::new();
        let mut box_failures: Vec<String> = Vec::new();
        let mut box_why: Option<String> = None;
        let mut at_points: Vec<String> = Vec::new();
        let Some(tac) = relation_tactic(self.rel, true) else {
            self.not_certified.push(
                "not certified: an equality over real parameters (interval arithmetic cannot prove it)"
                    .into(),
            );
            return;
        };
        for i in chosen.iter().copied() {
            let p = &points[i];
            let name = self.fresh(base);
            // env entries: Q2R literals for known values, variables for real parameters
            let mut vars = Vec::new();
            let mut bounds: Vec<(Rational, Rational)> = Vec::new();
            let mut hyps = Vec::new();
            let mut env_items = Vec::new();
            let mut obstacle = None;
            for (k, v) in p.iter().enumerate() {
                let nm = &self.names[k];
                match v {
                    Some(q) => env_items.push(format!("Q2R {}", coq_q(q))),
                    None => {
                        let var = format!("{nm}_");
                        let Dom::Real {
                            lo,
                            lo_closed,
                            hi,
                            hi_closed,
                        } = &doms[k - lead]
                        else {
                            unreachable!("only real parameters are open")
                        };
                        let mut env: Vec<Rational> = p[..k]
                            .iter()
                            .map(|v| v.clone().unwrap_or_default())
                            .collect();
                        if p[..k].iter().any(Option::is_none)
                            && (mentions_open(lo, p, k) || mentions_open(hi, p, k))
                        {
                            obstacle = Some(format!(
                                "the bounds of `{nm}` depend on another real parameter"
                            ));
                            break;
                        }
                        let mut w = Work::new(WORK_LIMIT);
                        let (Ok(Some(l)), Ok(Some(h))) =
                            (lo.qeval(&mut env, &mut w), hi.qeval(&mut env, &mut w))
                        else {
                            obstacle = Some(format!("the bounds of `{nm}` are not rational"));
                            break;
                        };
                        bounds.push((l.clone(), h.clone()));
                        let lr = if *lo_closed { "<=" } else { "<" };
                        let hr = if *hi_closed { "<=" } else { "<" };
                        hyps.push(format!(
                            "Q2R {} {lr} {var} {hr} Q2R {}",
                            coq_q(&l),
                            coq_q(&h)
                        ));
                        vars.push(var.clone());
                        env_items.push(var);
                    }
                }
            }
            let where_: String = self
                .names
                .iter()
                .zip(p)
                .map(|(n, v)| match v {
                    Some(q) => format!("{n} = {q}"),
                    None => format!("{n} in its interval"),
                })
                .collect::<Vec<_>>()
                .join(", ");
            if obstacle.is_none() {
                obstacle = self
                    .lhs
                    .interval_obstacle(p.len())
                    .or(self.rhs.interval_obstacle(p.len()));
            }
            if let Some(why) = obstacle {
                // interval arithmetic cannot cover the box: prove the relation at rational
                // points of it instead (its closed ends, else its midpoint)
                for q in rational_points(doms, p, lead) {
                    let at = self.describe(&q);
                    if self.point(base, true, &q, what) {
                        at_points.push(at);
                    }
                }
                box_failures.push(where_);
                box_why.get_or_insert(why);
                continue;
            }
            env_items.reverse();
            let real_pow = self.lhs.has_real_pow() || self.rhs.has_real_pow();
            let pow = if real_pow {
                "\n    repeat (rewrite powR_pos by interval);"
            } else {
                ""
            };
            let bis: Vec<String> = vars.iter().map(|v| format!("i_bisect {v}")).collect();
            let first = &vars[0];
            let bis = bis.join(", ");
            let by_interval = format!(
                "unfold Claim, holdsR, lhs, rhs; cbn [evalR nth]; rewrite ?Q2R_lit in *;{pow}\n    apply {tac};\n    first [interval | interval with ({bis}) | interval with ({bis}, i_depth 20) | interval with ({bis}, i_taylor {first}, i_depth 20)]"
            );
            // one real parameter, the innermost, in a non-strict inequality without real
            // powers: if `interval` cannot separate the sides (they touch at an end of the
            // interval), monotonicity from the touching end (`Touching.v`)
            let touching = match (&bounds[..], p.split_last()) {
                ([(l, h)], Some((None, rest)))
                    if matches!(self.rel, Rel::Le | Rel::Ge)
                        && !real_pow
                        && rest.iter().all(Option::is_some) =>
                {
                    let rest: Vec<String> = rest
                        .iter()
                        .rev()
                        .map(|q| coq_q(q.as_ref().expect("fixed")))
                        .collect();
                    self.touching = true;
                    Some(format!(
                        "unfold lhs, rhs; touching ([{}] : list Q) ({}) ({})",
                        rest.join("; "),
                        coq_q(l),
                        coq_q(h)
                    ))
                }
                _ => None,
            };
            let proof = match touching {
                Some(t) => format!("first [ ({by_interval})\n  | ({t}) ]"),
                None => by_interval,
            };
            let mut text = String::new();
            let _ = writeln!(
                text,
                "(** {what} on the real box at {where_} *)\nTheorem {name} : forall {} : R, {} ->\n  Claim {} lhs rhs [{}].\nProof.\n  intros {} {}.\n  {proof}.\nQed.\n",
                vars.join(" "),
                hyps.join(" -> "),
                coq_rel(self.rel),
                env_items.join("; "),
                vars.join(" "),
                (0..hyps.len())
                    .map(|i| format!("H{i}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            self.blocks.push(Block {
                text,
                proves: format!("{name}: the relation holds for {where_}"),
                verdict: self.in_verdict,
                fallback: None,
            });
            done.push(where_);
        }
        if self.in_verdict {
            if done.len() == points.len() {
                self.whole = Some(format!(
                    "the relation on the whole real box at {} integer point{} (`interval`)",
                    points.len(),
                    if points.len() == 1 { "" } else { "s" }
                ));
            } else {
                let mut parts = Vec::new();
                if !done.is_empty() {
                    parts.push(format!(
                        "the relation on the whole real box at {} of the {} integer points",
                        done.len(),
                        points.len()
                    ));
                }
                if !at_points.is_empty() {
                    parts.push(format!(
                        "at {} rational points of the real boxes",
                        at_points.len()
                    ));
                }
                if !parts.is_empty() {
                    self.partial = Some(parts.join("; "));
                }
            }
        }
        if let Some(why) = box_why {
            self.not_certified.push(format!(
                "not certified on the real box at {} of the integer points ({why}): {}",
                box_failures.len(),
                box_failures.join("; ")
            ));
            if !at_points.is_empty() {
                self.not_certified.push(format!(
                    "proved instead at {} rational points: {}",
                    at_points.len(),
                    at_points.join("; ")
                ));
            }
        }
        if chosen.len() < points.len() && !done.is_empty() {
            self.not_certified.push(format!(
                "certified by Coq at {} of the {} integer points only: {}",
                done.len(),
                points.len(),
                done.join("; ")
            ));
        }
        // one theorem over a box holding every point: whole on its own, unless coqc
        // rejects it, and then what the theorems per point state
        let hull = if points.len() > 1 && self.in_verdict && self.whole.is_none() {
            self.hull(base, doms, points, what)
        } else {
            None
        };
        if let Some((mut block, desc)) = hull {
            block.fallback = Some(match (self.whole.clone(), self.partial.clone()) {
                (Some(w), _) => CoqCoverage::Whole(w),
                (None, Some(p)) => CoqCoverage::Partial(p),
                (None, None) => CoqCoverage::None(
                    self.not_certified
                        .first()
                        .cloned()
                        .unwrap_or_else(|| "no theorem".into()),
                ),
            });
            self.blocks.push(block);
            self.whole = Some(desc);
            self.partial = None;
        }
    }

    /// The whole grid by `checkI`: the fewest of 16, 32, 64, 128, 256 bits of the powers
    /// for which both sides are enclosed between rationals that separate them at every
    /// point, and the work charged (`GRID_WORK_LIMIT` units); `None` when some point cannot
    /// be separated (a touching point, a function `evalI` does not enclose) or the work is
    /// too large.
    fn bounds_plan(&self, pts: &[Vec<Rational>]) -> Option<(u32, u64)> {
        if matches!(self.rel, Rel::Eq) {
            return None;
        }
        let separated = |k: u32, w: &mut Work| -> Result<bool, TooLarge> {
            for p in pts {
                let (Some((l1, h1)), Some((l2, h2))) =
                    (self.lhs.ieval(p, k, w)?, self.rhs.ieval(p, k, w)?)
                else {
                    return Ok(false);
                };
                let ok = match self.rel {
                    Rel::Le => h1 <= l2,
                    Rel::Lt => h1 < l2,
                    Rel::Ge => h2 <= l1,
                    Rel::Gt => h2 < l1,
                    _ => false,
                };
                if !ok {
                    return Ok(false);
                }
            }
            Ok(true)
        };
        for k in [16u32, 32, 64, 128, 256] {
            // the cost charged is that of the run Coq makes, at the bits chosen
            let mut wk = Work::new(GRID_WORK_LIMIT);
            match separated(k, &mut wk) {
                Ok(true) => return Some((k, wk.bits)),
                Ok(false) => continue,
                Err(_) => return None,
            }
        }
        None
    }

    /// The whole grid by `checkJ`: the fewest of [`REAL_PRECS`] bits at which interval
    /// evaluation (exact where the values are rational) separates the sides at every
    /// point, and the work charged (`REAL_WORK_LIMIT` units).
    fn enclosure_plan(&self, pts: &[Vec<Rational>]) -> Option<(u32, u64)> {
        if matches!(self.rel, Rel::Eq) {
            return None;
        }
        let separated = |prec: u32| -> Result<Option<u64>, TooLarge> {
            let j = JEval::new(prec);
            let mut w = Work::new(REAL_WORK_LIMIT);
            for p in pts {
                let mut env: Vec<JV> = p.iter().map(|q| JV::Ex(BigQv::lit(q))).collect();
                if !j.check(self.rel, &self.lhs, &self.rhs, &mut env, &mut w)? {
                    return Ok(None);
                }
            }
            Ok(Some(w.bits))
        };
        for prec in REAL_PRECS {
            match separated(prec) {
                Ok(Some(w)) => return Some((prec, w)),
                Ok(None) => continue,
                Err(_) => return None,
            }
        }
        None
    }

    /// The whole grid with irrational values by one reflective theorem: `checkI`
    /// (enclosures of rational powers between rationals) or `checkJ` (interval evaluation),
    /// whichever the cost models expect to take less time in Coq when `checkI` would take
    /// more than [`CHEAP_GRID_SECONDS`] (`checkI` otherwise: no floating point). False when
    /// neither separates the sides within its work limit.
    fn irrational_grid(
        &mut self,
        (base, doms, lead, pts, what): (&str, &[Dom], &[Rational], &[Vec<Rational>], &str),
        exact_over: bool,
    ) -> bool {
        let by_bounds = if exact_over {
            None
        } else {
            self.bounds_plan(pts)
        };
        let secs_i = |w: u64| w as f64 / BOUNDS_UNITS_PER_SECOND;
        let secs_j = |w: u64| w as f64 / REAL_UNITS_PER_SECOND;
        let by_enclosure = match by_bounds {
            Some((_, wi)) if secs_i(wi) <= CHEAP_GRID_SECONDS => None,
            _ => self.enclosure_plan(pts),
        };
        let r = coq_rel(self.rel);
        let what = (base, doms, lead, pts.len(), what);
        let bounds = match (by_bounds, by_enclosure) {
            (Some((k, wi)), Some((_, wj))) => (secs_i(wi) <= secs_j(wj)).then_some(k),
            (Some((k, _)), None) => Some(k),
            (None, _) => None,
        };
        if let Some(k) = bounds {
            self.grid_theorem(
                what,
                &format!(": both sides enclosed between rationals (rational powers to {k} bits) and compared by vm_compute"),
                &format!("grid_sound {{d}} (checkI {k} {r} lhs rhs) _ (checkI_sound {k} _ _ _)"),
                &format!("; rational powers enclosed to {k} bits"),
            );
        } else if let Some((prec, _)) = by_enclosure {
            self.grid_theorem(
                what,
                &format!(": both sides evaluated by vm_compute, exactly where they are rational and by interval arithmetic (Coq Interval's floats, {prec} bits) elsewhere"),
                &format!("gridB_soundQ {{d}} (fun env => checkJ (JF.PtoP {prec}) {r} lhs rhs (map Ex env)) _ (checkJ_soundB (JF.PtoP {prec}) {r} lhs rhs)"),
                &format!("; irrational values enclosed by interval arithmetic at {prec} bits"),
            );
        } else {
            return false;
        }
        true
    }

    /// The whole domain when its innermost parameter is real and the others are integers
    /// (or fixed): one reflective theorem (`check_real`) that, at every integer point,
    /// evaluates both sides by interval arithmetic over the real parameter's interval,
    /// halved where needed. The precision (the fewest of [`REAL_PRECS`] bits) and the depth
    /// are found by the mirror ([`JEval`]); false where some point is not separated within
    /// [`REAL_DEPTH`] halvings (a touching point, a function Coq's intervals do not bound)
    /// or the work exceeds [`REAL_WORK_LIMIT`].
    fn real_grid(
        &mut self,
        base: &str,
        doms: &[Dom],
        points: &[Vec<Option<Rational>>],
        what: &str,
    ) -> bool {
        if matches!(self.rel, Rel::Eq) {
            return false;
        }
        let Some((
            Dom::Real {
                lo,
                lo_closed,
                hi,
                hi_closed,
            },
            rest,
        )) = doms.split_last()
        else {
            return false;
        };
        if rest.iter().any(|d| matches!(d, Dom::Real { .. })) {
            return false;
        }
        // the known values of every point and the real parameter's bounds there
        let mut cases: Vec<(Vec<Rational>, Rational, Rational)> = Vec::new();
        for p in points {
            let Some((None, known)) = p.split_last() else {
                return false;
            };
            let Some(env) = known.iter().cloned().collect::<Option<Vec<Rational>>>() else {
                return false;
            };
            let mut w = Work::new(WORK_LIMIT);
            let (Ok(Some(l)), Ok(Some(h))) = (
                lo.qeval(&mut env.clone(), &mut w),
                hi.qeval(&mut env.clone(), &mut w),
            ) else {
                return false;
            };
            if l > h {
                return false;
            }
            cases.push((env, l, h));
        }
        let mut chosen = None;
        'prec: for prec in REAL_PRECS {
            let j = JEval::new(prec);
            let mut w = Work::new(REAL_WORK_LIMIT);
            let mut depth = 0;
            for (env, l, h) in &cases {
                match j.bisect(
                    self.rel, &self.lhs, &self.rhs, env, REAL_DEPTH, l, h, &mut w,
                ) {
                    Ok(Some(d)) => depth = depth.max(d),
                    Ok(None) => continue 'prec,
                    Err(_) => return false,
                }
            }
            chosen = Some((prec, depth));
            break;
        }
        let Some((prec, depth)) = chosen else {
            return false;
        };
        // room for Coq's floats to need a halving more than the mirror's
        let depth = (depth + 2).min(REAL_DEPTH);
        let lead_n = usize::from(self.claim.best_constant.is_some());
        let real_name = self.names[lead_n + rest.len()].clone();
        let r = coq_rel(self.rel);
        let lead: Vec<Rational> = points[0][..lead_n]
            .iter()
            .map(|v| v.clone().expect("a fixed constant"))
            .collect();
        let n = cases.len();
        let s = if n == 1 { "" } else { "s" };
        let (lo, hi) = (paren(lo), paren(hi));
        let (lo_open, hi_open) = (!lo_closed, !hi_closed);
        self.reflective(
            (base, rest, &lead),
            &format!("{what} on the whole domain: at each of its {n} integer point{s}, both sides evaluated by vm_compute, exactly where they are rational and by interval arithmetic (Coq Interval's floats, {prec} bits) over the interval of `{real_name}`, halved up to {depth} times where needed"),
            &format!("OnReal {lo} {hi} {lo_open} {hi_open} (Claim {r} lhs rhs)"),
            &format!("Proof.\n  apply (gridB_soundQ {{d}} (check_real (JF.PtoP {prec}) {depth} {r} lhs rhs {lo} {hi}) _\n    (check_real_sound (JF.PtoP {prec}) {depth} {r} lhs rhs {lo} {hi} {lo_open} {hi_open})).\n  vm_cast_no_check (eq_refl true).\nQed."),
            &format!("the relation holds on the whole domain ({n} integer points, each with the interval of `{real_name}`)"),
            format!("the relation on the whole domain: {n} integer point{s} with the whole interval of `{real_name}` at each (one reflective theorem; interval arithmetic at {prec} bits, up to {depth} halvings)"),
        );
        true
    }

    /// A reflective theorem over every point of the grid: `how` completes its comment,
    /// `apply` is the soundness lemma applied (`{d}` standing for the domain's name), and
    /// `note` completes the coverage's "(one reflective theorem…)".
    fn grid_theorem(
        &mut self,
        (base, doms, lead, n, what): (&str, &[Dom], &[Rational], usize, &str),
        how: &str,
        apply: &str,
        note: &str,
    ) {
        let r = coq_rel(self.rel);
        let pred = if self.ext.as_ref().is_some_and(|x| x.real) {
            format!("ClaimExtR {r} lhs rhs spec calls")
        } else if self.ext.is_some() {
            format!("ClaimExt {r} lhs rhs spec calls")
        } else {
            format!("Claim {r} lhs rhs")
        };
        self.reflective(
            (base, doms, lead),
            &format!("{what} at every one of the domain's {n} points{how}"),
            &pred,
            &format!("Proof. apply ({apply}). vm_cast_no_check (eq_refl true). Qed."),
            &format!("the relation holds at all {n} points of the domain"),
            format!("the relation at all {n} points of the domain (one reflective theorem{note})"),
        );
    }

    /// The block every reflective theorem shares: `Forall_grid NAME_domain (pred) lead`
    /// over `doms`, with `comment` above it and `proof` after it (`{d}` in it standing for
    /// the domain's name); `proves` and `whole` describe it in the index (`whole` is the
    /// coverage when it states the verdict).
    fn reflective(
        &mut self,
        (base, doms, lead): (&str, &[Dom], &[Rational]),
        comment: &str,
        pred: &str,
        proof: &str,
        proves: &str,
        whole: String,
    ) {
        let name = self.fresh(base);
        let dom: Vec<String> = doms.iter().map(Dom::coq).collect();
        let proof = proof.replace("{d}", &format!("{name}_domain"));
        let mut text = String::new();
        let _ = writeln!(
            text,
            "(** {comment} *)\nDefinition {name}_domain : list Dom := [{}].\nTheorem {name} : Forall_grid {name}_domain ({pred}) (map Q2R {}).\n{proof}\n",
            dom.join(";\n  "),
            q_list(lead),
        );
        self.blocks.push(Block {
            text,
            proves: format!("{name}: {proves}"),
            verdict: self.in_verdict,
            fallback: None,
        });
        if self.in_verdict {
            self.whole = Some(whole);
        }
    }

    /// One `interval` theorem over the box that holds every point of the domain: each
    /// integer or fixed parameter between its least and greatest value over the points,
    /// each real parameter in its interval (constant bounds only), all as real variables.
    /// The box is a relaxation — the relation must hold between the integers too — so the
    /// theorem states more than the verdict; that every point lies in the box is this
    /// function's check (the points are the enumerated domain), not a Coq statement.
    /// `None` where a bound is not constant, a side is out of `interval`'s reach, or
    /// nothing would be gained.
    fn hull(
        &mut self,
        base: &str,
        doms: &[Dom],
        points: &[Vec<Option<Rational>>],
        what: &str,
    ) -> Option<(Block, String)> {
        let tac = relation_tactic(self.rel, true)?;
        let lead = usize::from(self.claim.best_constant.is_some());
        let n = points.first()?.len();
        let mut vars = Vec::new();
        let mut hyps = Vec::new();
        let mut env_items = Vec::new();
        let mut ranges = Vec::new();
        for k in 0..n {
            let nm = &self.names[k];
            let vals: Option<Vec<&Rational>> = points.iter().map(|p| p[k].as_ref()).collect();
            let (lo, hi, lr, hr) = match vals {
                Some(v) => {
                    let lo = (*v.iter().min()?).clone();
                    let hi = (*v.iter().max()?).clone();
                    if k < lead || lo == hi {
                        env_items.push(format!("Q2R {}", coq_q(&lo)));
                        continue;
                    }
                    (lo, hi, "<=", "<=")
                }
                None => {
                    let Dom::Real {
                        lo,
                        lo_closed,
                        hi,
                        hi_closed,
                    } = &doms[k - lead]
                    else {
                        return None;
                    };
                    let mut w = Work::new(WORK_LIMIT);
                    let (Ok(Some(l)), Ok(Some(h))) =
                        (lo.qeval(&mut vec![], &mut w), hi.qeval(&mut vec![], &mut w))
                    else {
                        return None; // bounds that depend on other parameters
                    };
                    let lr = if *lo_closed { "<=" } else { "<" };
                    let hr = if *hi_closed { "<=" } else { "<" };
                    (l, h, lr, hr)
                }
            };
            let var = format!("{nm}_");
            hyps.push(format!(
                "Q2R {} {lr} {var} {hr} Q2R {}",
                coq_q(&lo),
                coq_q(&hi)
            ));
            ranges.push(format!(
                "{nm} in {}{lo}, {hi}{}",
                if lr == "<=" { "[" } else { "(" },
                if hr == "<=" { "]" } else { ")" }
            ));
            vars.push(var.clone());
            env_items.push(var);
        }
        if vars.len() < 2
            || self.lhs.interval_obstacle(n).is_some()
            || self.rhs.interval_obstacle(n).is_some()
        {
            return None;
        }
        env_items.reverse();
        let pow = if self.lhs.has_real_pow() || self.rhs.has_real_pow() {
            "\n  repeat (rewrite powR_pos by interval)."
        } else {
            ""
        };
        let bis = vars
            .iter()
            .map(|v| format!("i_bisect {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let name = self.fresh(base);
        let mut text = String::new();
        let _ = writeln!(
            text,
            "(** {what} on the box {} (it holds every point of the domain) *)\nTheorem {name} : forall {} : R, {} ->\n  Claim {} lhs rhs [{}].\nProof.\n  intros {} {}. unfold Claim, holdsR, lhs, rhs. cbn [evalR nth]. rewrite ?Q2R_lit in *.{pow}\n  apply {tac}.\n  first [interval with ({bis}, i_depth 8) | interval with ({bis}, i_depth 16)].\nQed.\n",
            ranges.join(", "),
            vars.join(" "),
            hyps.join(" -> "),
            coq_rel(self.rel),
            env_items.join("; "),
            vars.join(" "),
            (0..hyps.len())
                .map(|i| format!("H{i}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
        let desc = format!(
            "the relation on the box {} (one `interval` theorem), which holds every point of the domain (the points' membership is stabcert's check, not a Coq statement)",
            ranges.join(", ")
        );
        let block = Block {
            text,
            proves: format!(
                "{name}: the relation holds on the box {}",
                ranges.join(", ")
            ),
            verdict: self.in_verdict,
            fallback: None,
        };
        Some((block, desc))
    }

    fn threshold(&mut self, b: &Bracket) {
        let Some((_, bad)) = b.witness.iter().find(|(n, _)| *n == b.param) else {
            self.not_certified
                .push("threshold not certified: the witness does not fix the parameter".into());
            return;
        };
        let good = if *bad == b.lo { &b.hi } else { &b.lo };
        let mut vals: Vec<Rational> = Vec::new();
        if self.claim.best_constant.is_some() {
            self.not_certified
                .push("threshold not certified together with a best constant".into());
            return;
        }
        vals.extend(b.witness.iter().map(|(_, v)| v.clone()));
        self.point(
            "threshold_fails",
            false,
            &vals,
            &format!("the threshold's failing end {} = {bad}", b.param),
        );
        if b.safe_exhaustive {
            let fixed = vec![(b.param.clone(), good.clone())];
            self.domain(
                "threshold_holds",
                &fixed,
                &format!(
                    "with {} = {good} (the threshold's safe end) the relation holds",
                    b.param
                ),
            );
        } else {
            self.not_certified.push(format!(
                "threshold's safe end {} = {good} not certified: the relation was only sampled there",
                b.param
            ));
        }
    }

    fn best_constant(&mut self, k: &str, b: &Bracket) {
        let (safe, other) = safe_end(b);
        let mut at = |v: &Rational, holds: bool, base: &str, what: String| {
            let mut vals = vec![v.clone()];
            vals.extend(b.witness.iter().map(|(_, x)| x.clone()));
            self.point(base, holds, &vals, &what);
        };
        at(
            safe,
            true,
            "best_holds",
            format!("with {k} = {safe} (the safe end) at the witness"),
        );
        if other != safe {
            at(
                other,
                false,
                "best_fails",
                format!("with {k} = {other} (the other end) at the witness"),
            );
        }
    }

    fn head(&self, o: &Outcome) -> String {
        let mut s = String::new();
        let names = self.names.join(", ");
        let _ = writeln!(
            s,
            "(* Generated by `stabcert certify` from {}: do not edit.\n   {} ({})\n   relation: {}\n   verdict: {}\n   environment order: the last of [{names}] first; lhs and rhs bind their definitions with Let. *)",
            self.claim.file,
            o.id,
            o.source.replace("*)", "* )"),
            o.relation.replace("*)", "* )"),
            o.verdict.as_str()
        );
        if let Some(ext) = &self.ext {
            let _ = writeln!(
                s,
                "   The construction's quantities follow the claim's values in the environment: q0, q1, … in the order of `calls` ({}). *)",
                if ext.real {
                    "TwinR.v: their values by definition, the real process's law over every index sequence, enclosed by the box law the proof computes"
                } else {
                    "Twin.v: their values by definition, the law over every index sequence"
                }
            );
            s = s.replacen(
                "with Let. *)\n   The construction's",
                "with Let.\n   The construction's",
                1,
            );
            s.push_str(if ext.real {
                "From Coq Require Import ZArith QArith Reals List.\nFrom Interval Require Import Tactic.\nFrom Stabcert Require Import Stabcert Twin TwinR.\nImport ListNotations.\nOpen Scope R_scope.\n\n"
            } else {
                "From Coq Require Import ZArith QArith Reals List.\nFrom Interval Require Import Tactic.\nFrom Stabcert Require Import Stabcert Twin.\nImport ListNotations.\nOpen Scope R_scope.\n\n"
            });
            let _ = writeln!(s, "Definition lhs : E := {}.", self.lhs.coq());
            let _ = writeln!(s, "Definition rhs : E := {}.\n", self.rhs.coq());
            s.push_str(&ext.coq);
            return s;
        }
        s.push_str(
            if self.touching {
                "From Coq Require Import ZArith QArith Reals List.\nFrom Coquelicot Require Import Coquelicot.\nFrom Interval Require Import Tactic.\nFrom Stabcert Require Import Stabcert Touching.\nImport ListNotations.\nOpen Scope R_scope.\n\n"
            } else {
                "From Coq Require Import ZArith QArith Reals List.\nFrom Interval Require Import Tactic.\nFrom Stabcert Require Import Stabcert.\nImport ListNotations.\nOpen Scope R_scope.\n\n"
            },
        );
        let _ = writeln!(s, "Definition lhs : E := {}.", self.lhs.coq());
        let _ = writeln!(s, "Definition rhs : E := {}.\n", self.rhs.coq());
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_coq_module_names() {
        assert_eq!(file_name("lemma3.ineq.step1"), "lemma3_ineq_step1.v");
        assert_eq!(file_name("3rd-claim"), "c_3rd_claim.v");
    }

    #[test]
    fn spread_keeps_both_ends() {
        assert_eq!(spread(5, 8), vec![0, 1, 2, 3, 4]);
        let s = spread(100, 8);
        assert_eq!(s.len(), 8);
        assert_eq!((s[0], s[7]), (0, 99));
        assert!(s.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn a_refuted_rational_claim_gets_a_reflective_proof() {
        let claims = [crate::claims::ClaimBuilder::new("c")
            .source("s")
            .text("t")
            .param("n in 1..=5")
            .define("x = rec(x, t, 0, n, 1, x/2 + 1)")
            .holds("x <= 2 - 1/n")
            .build()
            .unwrap()];
        let o = crate::decide::decide(&claims[0], &crate::decide::Options::default());
        assert_eq!(o[0].verdict, Verdict::Refuted);
        let c = certificate(&claims[0], &o[0]);
        let s = c.script().expect("a script");
        // x_1 = 3/2 > 2 - 1/1 = 1: the values are stated and recomputed by Coq
        assert!(
            s.contains("Definition refuted_point : list Q := [(Qmake 1 1)]%Q."),
            "{s}"
        );
        assert!(
            s.contains("evalQ refuted_point lhs = Some (Qmake 3 2)"),
            "{s}"
        );
        assert!(s.contains("apply refuteQ_sound"), "{s}");
        assert!(
            s.contains("Let (Rec (Cst (Qmake 0 1)) (Var 0) (Cst (Qmake 1 1))"),
            "{s}"
        );
    }
}
