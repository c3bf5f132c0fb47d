//! An independent computation of a loss construction's quantities, for the re-checking
//! kernel (`Opaque::recheck`): `num-rational` arithmetic (no GMP), its own forward-mode
//! derivative of the loss, and a plain propagation of the law with rational probabilities
//! — no interning of iterates, no counting of index sequences, no caching across calls,
//! conditioning by tags carried in the states. It shares only the expression tree and the
//! construction's data (as expressions) with [`super::Walk`], so an error in the walk's
//! bookkeeping shows up as a disagreement. Irrational values (square roots of sums of
//! squares, losses with `exp`, `ln`, `sqrt`) are not computed: the kernel then reports the
//! point as not re-checked.

use super::{Draws, LOSS_QUANTITIES as QUANTITIES, LossSpec};
use crate::expr::{BinOp, Expr, Func};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;
use std::time::{Duration, Instant};

type Q = BigRational;

/// Most states of a law the re-check keeps.
const MAX_STATES: usize = 100_000;
/// Most state updates (states times draws, summed over the steps) of one re-check: the
/// kernel re-checks up to 17 points per claim, each from scratch.
const MAX_UPDATES: u64 = 300_000;
/// Wall-clock allowance of one re-check (a backstop behind the update budget).
const MAX_TIME: Duration = Duration::from_secs(2);

/// A value and its partial derivatives.
#[derive(Clone)]
struct D {
    v: Q,
    g: Vec<Q>,
}

fn q_of(r: &rug::Rational) -> Q {
    Q::from_str(&r.to_string()).expect("a printed rational")
}

/// The loss (or a data expression) and its gradient at the bound names.
fn eval(e: &Expr, env: &HashMap<&str, D>, d: usize) -> Result<D, String> {
    let konst = |v: Q| D {
        v,
        g: vec![Q::zero(); d],
    };
    Ok(match e {
        Expr::Num(v) => konst(q_of(v)),
        Expr::Var(n) => env
            .get(n.as_str())
            .cloned()
            .ok_or_else(|| format!("`{n}` has no value in the re-check"))?,
        Expr::Neg(a) => {
            let a = eval(a, env, d)?;
            D {
                v: -a.v,
                g: a.g.into_iter().map(|x| -x).collect(),
            }
        }
        Expr::Bin(op, a, b) => {
            let (a, b) = (eval(a, env, d)?, eval(b, env, d)?);
            let comb = |x: &[Q], cx: &Q, y: &[Q], cy: &Q| -> Vec<Q> {
                x.iter().zip(y).map(|(p, r)| p * cx + r * cy).collect()
            };
            match op {
                BinOp::Add => D {
                    v: &a.v + &b.v,
                    g: comb(&a.g, &Q::one(), &b.g, &Q::one()),
                },
                BinOp::Sub => D {
                    v: &a.v - &b.v,
                    g: comb(&a.g, &Q::one(), &b.g, &-Q::one()),
                },
                BinOp::Mul => D {
                    g: comb(&a.g, &b.v, &b.g, &a.v),
                    v: &a.v * &b.v,
                },
                BinOp::Div => {
                    if b.v.is_zero() {
                        return Err("a division by zero".into());
                    }
                    let inv = b.v.recip();
                    let v = &a.v * &inv;
                    // a'/b - (a/b) b'/b
                    D {
                        g: comb(&a.g, &inv, &b.g, &(-&v * &inv)),
                        v,
                    }
                }
                BinOp::Pow => {
                    if !b.v.is_integer() || b.g.iter().any(|x| !x.is_zero()) {
                        return Err("a power with a non-integer exponent".into());
                    }
                    let k = b.v.to_integer().to_i32().ok_or("an exponent too large")?;
                    if k < 0 && a.v.is_zero() {
                        return Err("0 to a negative power".into());
                    }
                    let pw = |k: i32| -> Q {
                        let mut r = Q::one();
                        for _ in 0..k.unsigned_abs() {
                            r *= &a.v;
                        }
                        if k < 0 { r.recip() } else { r }
                    };
                    let c = if k == 0 {
                        Q::zero()
                    } else {
                        Q::from_integer(BigInt::from(k)) * pw(k - 1)
                    };
                    D {
                        g: a.g.iter().map(|x| x * &c).collect(),
                        v: pw(k),
                    }
                }
            }
        }
        Expr::Call(f, args) => {
            let xs = args
                .iter()
                .map(|a| eval(a, env, d))
                .collect::<Result<Vec<_>, _>>()?;
            match f {
                Func::Abs => {
                    let a = &xs[0];
                    let s = if a.v.is_positive() {
                        Q::one()
                    } else if a.v.is_negative() {
                        -Q::one()
                    } else {
                        Q::zero()
                    };
                    D {
                        v: a.v.abs(),
                        g: a.g.iter().map(|x| x * &s).collect(),
                    }
                }
                Func::Min | Func::Max => {
                    // the first argument attaining the value
                    let mut k = 0;
                    for (j, x) in xs.iter().enumerate() {
                        let better = if *f == Func::Min {
                            x.v < xs[k].v
                        } else {
                            x.v > xs[k].v
                        };
                        if better {
                            k = j;
                        }
                    }
                    xs[k].clone()
                }
                Func::Floor => konst(xs[0].v.floor()),
                Func::Ceil => konst(xs[0].v.ceil()),
                _ => return Err(format!("`{}` has no exact value", f.name())),
            }
        }
        _ => return Err("a sum, product or recurrence".into()),
    })
}

fn value(e: &Expr, env: &HashMap<&str, D>) -> Result<Q, String> {
    Ok(eval(e, env, 0)?.v)
}

/// The exact square root of a non-negative rational, if it is one.
fn sqrt_exact(x: &Q) -> Result<Q, String> {
    let root = |n: &BigInt| {
        let r = n.sqrt();
        (&r * &r == *n).then_some(r)
    };
    match (root(x.numer()), root(x.denom())) {
        (Some(a), Some(b)) => Ok(Q::new(a, b)),
        _ => Err("a norm is a square root with no rational value".into()),
    }
}

/// A state of the law: both iterates, the examples drawn in the epoch (reshuffling), the
/// first step that drew an example where S and S' differ, and whether w = w' at t0.
type Key = (Vec<Q>, Vec<Q>, u64, Option<u64>, Option<bool>);

/// Tags every state with whether w = w' now (the time t0 of the conditionals).
fn tag_equal(law: HashMap<Key, Q>) -> HashMap<Key, Q> {
    law.into_iter()
        .map(|((w, w2, u, h, _), p)| {
            let eq = w == w2;
            ((w, w2, u, h, Some(eq)), p)
        })
        .collect()
}

/// The quantity `name` at its times and the construction's parameter values, recomputed.
pub(crate) fn quantity(
    spec: &LossSpec,
    params: &[String],
    name: &str,
    args: &[String],
) -> Result<String, String> {
    let deadline = Instant::now() + MAX_TIME;
    let (_, _, time_names) = QUANTITIES
        .iter()
        .find(|(n, ..)| *n == name)
        .ok_or("no such quantity")?;
    let nums: Vec<Q> = args
        .iter()
        .map(|a| Q::from_str(a).map_err(|_| format!("`{a}` is not a rational")))
        .collect::<Result<_, _>>()?;
    let (times, values) = nums.split_at(time_names.len());
    let times: Vec<u64> = times
        .iter()
        .map(|t| {
            (t.is_integer() && !t.is_negative())
                .then(|| t.to_integer().to_u64())
                .flatten()
                .ok_or_else(|| format!("the time {t} is not a non-negative integer"))
        })
        .collect::<Result<_, _>>()?;
    let d = spec.weights.len();
    let mut env: HashMap<&str, D> = HashMap::new();
    for (p, v) in params.iter().zip(values) {
        env.insert(
            p.as_str(),
            D {
                v: v.clone(),
                g: Vec::new(),
            },
        );
    }
    let examples = |list: &[Vec<Expr>]| -> Result<Vec<Vec<Q>>, String> {
        list.iter()
            .map(|z| z.iter().map(|e| value(e, &env)).collect())
            .collect()
    };
    let (s, s2) = (examples(&spec.s)?, examples(&spec.s_twin)?);
    let start: Vec<Q> = spec
        .start
        .iter()
        .map(|e| value(e, &env))
        .collect::<Result<_, _>>()?;
    let f = value(&spec.first_step, &env)?;
    let f = f
        .is_integer()
        .then(|| f.to_integer().to_u64())
        .flatten()
        .ok_or("the first step is not a non-negative integer")?;
    let n = s.len();
    let differs: Vec<bool> = (0..n).map(|i| s[i] != s2[i]).collect();
    // the times the quantity needs
    let big_t = times[0];
    let (end, t0, reach) = match name {
        "div_t0" | "p_zero_t0" | "div_t0_given_nonzero_t0" => (big_t, Some(big_t), false),
        "div_T_given_zero_t0" | "div_T_given_nonzero_t0" => (big_t, Some(times[1]), false),
        "p_first_s" => (big_t + 1, None, false),
        "grad_max_T" | "loss_min_T" | "loss_max_T" | "slope_max_T" => (big_t, None, true),
        _ => (big_t, None, false),
    };
    if end < f || t0.is_some_and(|t0| t0 < f) || (reach && big_t <= f) {
        return Err("a time before the first step (or no step before T)".into());
    }
    let gradient = |w: &[Q], z: &[Q]| -> Result<D, String> {
        let mut env: HashMap<&str, D> = HashMap::new();
        for (k, name) in spec.weights.iter().enumerate() {
            let mut g = vec![Q::zero(); d];
            g[k] = Q::one();
            env.insert(name, D { v: w[k].clone(), g });
        }
        for (name, v) in spec.fields.iter().zip(z) {
            env.insert(
                name,
                D {
                    v: v.clone(),
                    g: vec![Q::zero(); d],
                },
            );
        }
        eval(&spec.loss, &env, d)
    };
    let mut law: HashMap<Key, Q> = HashMap::new();
    law.insert((start.clone(), start, 0, None, None), Q::one());
    let mut reached: BTreeSet<Vec<Q>> = BTreeSet::new();
    let mut updates: u64 = 0;
    for t in f..end {
        if Instant::now() > deadline {
            return Err("the re-check's time allowance ran out".into());
        }
        if Some(t) == t0 {
            law = tag_equal(law);
        }
        let mut step_env: HashMap<&str, D> = env.clone();
        step_env.insert(
            "t",
            D {
                v: Q::from_integer(BigInt::from(t)),
                g: Vec::new(),
            },
        );
        let a = value(&spec.step, &step_env)?;
        let pos = ((t - f) % n as u64) as usize;
        let mut next: HashMap<Key, Q> = HashMap::new();
        for ((w, w2, used, h, eq), p) in law {
            if reach {
                reached.insert(w.clone());
                reached.insert(w2.clone());
            }
            let choices: Vec<usize> = match spec.draws {
                Draws::WithReplacement => (0..n).collect(),
                Draws::Reshuffle => (0..n).filter(|i| used >> i & 1 == 0).collect(),
            };
            updates += choices.len() as u64;
            if updates > MAX_UPDATES {
                return Err(format!(
                    "the re-check's budget of {MAX_UPDATES} state updates ran out at step {t}"
                ));
            }
            let pi = &p / Q::from_integer(BigInt::from(choices.len()));
            for i in choices {
                let upd = |w: &[Q], z: &[Q]| -> Result<Vec<Q>, String> {
                    let g = gradient(w, z)?.g;
                    Ok(w.iter().zip(&g).map(|(x, y)| x - &a * y).collect())
                };
                let used = match spec.draws {
                    Draws::WithReplacement => 0,
                    Draws::Reshuffle if pos + 1 == n => 0,
                    Draws::Reshuffle => used | 1 << i,
                };
                let h = h.or((differs[i]).then_some(t));
                let key = (upd(&w, &s[i])?, upd(&w2, &s2[i])?, used, h, eq);
                *next.entry(key).or_insert_with(Q::zero) += &pi;
            }
            if next.len() > MAX_STATES {
                return Err(format!(
                    "the re-check's law passed {MAX_STATES} states at step {t}"
                ));
            }
        }
        law = next;
    }
    if Some(end) == t0 {
        law = tag_equal(law);
    }
    let dist = |k: &Key| -> Result<Q, String> {
        let sq: Q = k.0.iter().zip(&k.1).map(|(x, y)| (x - y) * (x - y)).sum();
        sqrt_exact(&sq)
    };
    // E[||Δ|| | keep] and P[keep]
    let conditional = |keep: &dyn Fn(&Key) -> bool| -> Result<(Q, Q), String> {
        let (mut mass, mut acc) = (Q::zero(), Q::zero());
        for (k, p) in &law {
            if keep(k) {
                mass += p;
                acc += dist(k)? * p;
            }
        }
        Ok((acc, mass))
    };
    let given = |keep: &dyn Fn(&Key) -> bool| -> Result<Q, String> {
        let (acc, mass) = conditional(keep)?;
        if mass.is_zero() {
            return Err("the condition has probability 0".into());
        }
        Ok(acc / mass)
    };
    let v = match name {
        "div_T" | "div_t0" => given(&|_| true)?,
        "sqdiv_T" => law
            .iter()
            .map(|(k, p)| {
                k.0.iter()
                    .zip(&k.1)
                    .map(|(x, y)| (x - y) * (x - y))
                    .sum::<Q>()
                    * p
            })
            .sum(),
        "p_zero_t0" => conditional(&|k| k.4 == Some(true))?.1,
        "div_t0_given_nonzero_t0" | "div_T_given_nonzero_t0" => given(&|k| k.4 == Some(false))?,
        "div_T_given_zero_t0" => given(&|k| k.4 == Some(true))?,
        "p_first_s" => conditional(&|k| k.3 == Some(big_t))?.1,
        "div_T_given_first_s" => given(&|k| k.3 == Some(times[1]))?,
        "grad_max_T" | "loss_min_T" | "loss_max_T" => {
            let mut best: Option<Q> = None;
            for w in &reached {
                for z in s.iter().chain(&s2) {
                    let x = gradient(w, z)?;
                    let v = match name {
                        "grad_max_T" => x.g.iter().map(|y| y * y).sum(),
                        "loss_min_T" => -x.v,
                        _ => x.v,
                    };
                    if best.as_ref().is_none_or(|b| v > *b) {
                        best = Some(v);
                    }
                }
            }
            let b = best.ok_or("no iterate reached")?;
            match name {
                "grad_max_T" => sqrt_exact(&b)?,
                "loss_min_T" => -b,
                _ => b,
            }
        }
        "slope_max_T" => {
            if d != 1 {
                return Err("slope_max_T is computed for one weight only".into());
            }
            let pts: Vec<&Vec<Q>> = reached.iter().collect();
            if pts.len() > 3000 {
                return Err("too many reached iterates for the re-check's pairwise slopes".into());
            }
            let mut best = Q::zero();
            for z in s.iter().chain(&s2) {
                let gs = pts
                    .iter()
                    .map(|w| Ok(gradient(w, z)?.g[0].clone()))
                    .collect::<Result<Vec<Q>, String>>()?;
                for i in 0..pts.len() {
                    for j in i + 1..pts.len() {
                        let slope = ((&gs[j] - &gs[i]) / (&pts[j][0] - &pts[i][0])).abs();
                        if slope > best {
                            best = slope;
                        }
                    }
                }
            }
            best
        }
        other => return Err(format!("no re-check for `{other}`")),
    };
    Ok(v.to_string())
}
