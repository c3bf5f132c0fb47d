//! The points a script proves a relation at: the claim's domains as Coq-side domains, the
//! enumeration of integer grids within the work limit, and rational points of real boxes.

use super::*;

/// A parameter's domain as the script states it.
#[derive(Clone, Debug)]
pub(super) enum Dom {
    Range(Term, Term),
    Among(Vec<Term>),
    Real {
        lo: Term,
        lo_closed: bool,
        hi: Term,
        hi_closed: bool,
    },
}

impl Dom {
    pub(super) fn coq(&self) -> String {
        match self {
            Dom::Range(a, b) => format!("Range {} {}", paren(a), paren(b)),
            Dom::Among(v) => format!(
                "Among [{}]",
                v.iter().map(Term::coq).collect::<Vec<_>>().join("; ")
            ),
            Dom::Real { .. } => unreachable!("real parameters are stated as hypotheses"),
        }
    }
}

/// A term as one argument of a constructor: in parentheses (`Neg (Cst …)` is two).
pub(super) fn paren(t: &Term) -> String {
    format!("({})", t.coq())
}

pub(super) fn dom_of(d: &DomainSpec, scope: &mut Vec<String>) -> Result<Dom, String> {
    Ok(match d {
        DomainSpec::Fixed(v) => Dom::Among(vec![reify(v, scope)?]),
        DomainSpec::Set(vs) => Dom::Among(
            vs.iter()
                .map(|v| reify(v, scope))
                .collect::<Result<_, _>>()?,
        ),
        DomainSpec::IntRange {
            lo,
            hi,
            inclusive,
            sample,
        } => {
            if sample.is_some() {
                return Err("a sampled range is not enumerated".into());
            }
            let hi = reify(hi, scope)?;
            let hi = if *inclusive {
                hi
            } else {
                Term::Bin(
                    term::Op2::Sub,
                    Box::new(hi),
                    Box::new(Term::Cst(Rational::from(1))),
                )
            };
            Dom::Range(reify(lo, scope)?, hi)
        }
        DomainSpec::Real {
            lo,
            lo_closed,
            hi,
            hi_closed,
        } => Dom::Real {
            lo: reify(lo, scope)?,
            lo_closed: *lo_closed,
            hi: reify(hi, scope)?,
            hi_closed: *hi_closed,
        },
    })
}

/// Whether `t` (evaluated with the first `k` entries of `p` bound) uses an open entry.
pub(super) fn mentions_open(t: &Term, p: &[Option<Rational>], k: usize) -> bool {
    (0..k).any(|j| p[j].is_none() && uses_var(t, k - 1 - j, 0))
}

pub(super) fn uses_var(t: &Term, i: usize, depth: usize) -> bool {
    match t {
        Term::Cst(_) => false,
        Term::Var(v) => *v == i + depth,
        Term::Neg(a) | Term::PowZ(a, _) | Term::Un(_, a) => uses_var(a, i, depth),
        Term::Bin(_, a, b) => uses_var(a, i, depth) || uses_var(b, i, depth),
        Term::Let(a, b) => uses_var(a, i, depth) || uses_var(b, i, depth + 1),
        Term::Big(_, a, b, c) => {
            uses_var(a, i, depth) || uses_var(b, i, depth) || uses_var(c, i, depth + 1)
        }
        Term::Rec(a, b, c, d) => {
            uses_var(a, i, depth)
                || uses_var(b, i, depth)
                || uses_var(c, i, depth)
                || uses_var(d, i, depth + 2)
        }
    }
}

/// The integer points of the domain, in lexicographic order (real parameters `None`), the
/// way Coq's `check_grid` walks them.
pub(super) fn enumerate(
    doms: &[Dom],
    k: usize,
    cur: &mut Vec<Option<Rational>>,
    out: &mut Vec<Vec<Option<Rational>>>,
    w: &mut Work,
) -> Result<(), String> {
    if k == doms.len() {
        out.push(cur.clone());
        if out.len() > 5_000_000 {
            return Err("the domain has more than 5,000,000 points".into());
        }
        return Ok(());
    }
    let known =
        |cur: &Vec<Option<Rational>>| -> Option<Vec<Rational>> { cur.iter().cloned().collect() };
    match &doms[k] {
        Dom::Real { .. } => {
            cur.push(None);
            enumerate(doms, k + 1, cur, out, w)?;
            cur.pop();
        }
        Dom::Among(vs) => {
            let Some(mut env) = known(cur) else {
                return Err("a value depends on a real parameter".into());
            };
            for v in vs {
                let x = v
                    .qeval(&mut env, w)
                    .map_err(|e| e.0)?
                    .ok_or("a parameter value is not rational")?;
                cur.push(Some(x));
                enumerate(doms, k + 1, cur, out, w)?;
                cur.pop();
            }
        }
        Dom::Range(lo, hi) => {
            let Some(mut env) = known(cur) else {
                return Err("an integer range depends on a real parameter".into());
            };
            let l = lo
                .qeval(&mut env, w)
                .map_err(|e| e.0)?
                .ok_or("a range bound is not rational")?;
            let h = hi
                .qeval(&mut env, w)
                .map_err(|e| e.0)?
                .ok_or("a range bound is not rational")?;
            let mut z = Integer::from(l.ceil_ref());
            let top = Integer::from(h.floor_ref());
            while z <= top {
                cur.push(Some(Rational::from(z.clone())));
                enumerate(doms, k + 1, cur, out, w)?;
                cur.pop();
                z += 1;
            }
        }
    }
    Ok(())
}

/// `m` indices spread evenly over `0..n` (all of them when `n <= m`), first and last
/// included.
pub(super) fn spread(n: usize, m: usize) -> Vec<usize> {
    if n <= m {
        return (0..n).collect();
    }
    let mut v: Vec<usize> = (0..m).map(|i| i * (n - 1) / (m - 1)).collect();
    v.dedup();
    v
}

/// Rational points of the real box at integer point `p`: per real parameter its closed ends,
/// or its midpoint when both ends are open (bounds evaluated at the earlier values).
pub(super) fn rational_points(
    doms: &[Dom],
    p: &[Option<Rational>],
    lead: usize,
) -> Vec<Vec<Rational>> {
    let mut out: Vec<Vec<Rational>> = vec![Vec::new()];
    for (k, v) in p.iter().enumerate() {
        let mut next = Vec::new();
        for prefix in &out {
            let choices: Vec<Rational> = match v {
                Some(q) => vec![q.clone()],
                None => {
                    let Some(Dom::Real {
                        lo,
                        lo_closed,
                        hi,
                        hi_closed,
                    }) = doms.get(k - lead)
                    else {
                        return Vec::new();
                    };
                    let mut env = prefix.clone();
                    let mut w = Work::new(WORK_LIMIT);
                    let (Ok(Some(l)), Ok(Some(h))) =
                        (lo.qeval(&mut env, &mut w), hi.qeval(&mut env, &mut w))
                    else {
                        return Vec::new();
                    };
                    let mut ends = Vec::new();
                    if *lo_closed {
                        ends.push(l.clone());
                    }
                    if *hi_closed {
                        ends.push(h.clone());
                    }
                    if ends.is_empty() {
                        ends.push((l + h) / 2u32);
                    }
                    ends
                }
            };
            for c in choices {
                let mut q = prefix.clone();
                q.push(c);
                next.push(q);
            }
        }
        next.truncate(4);
        out = next;
    }
    out
}
