//! Recurrences (`rec`): affine steps `x -> (a x + b)/c` composed along a balanced tree of
//! integer affine maps (binary splitting), compiled rational coefficients, and the plain
//! step-by-step iteration for other steps.

use super::*;

/// An integer affine map `x -> (a x + b) / c`.
#[derive(Clone, Debug)]
pub struct AffineMap {
    /// coefficient of x
    pub a: Integer,
    /// constant term
    pub b: Integer,
    /// common denominator (non-zero)
    pub c: Integer,
}

impl AffineMap {
    /// `self ∘ earlier`: first `earlier`, then `self`.
    pub fn after(&self, earlier: &AffineMap) -> AffineMap {
        let a = Integer::from(&self.a * &earlier.a);
        let b = Integer::from(&self.a * &earlier.b) + Integer::from(&self.b * &earlier.c);
        let c = Integer::from(&self.c * &earlier.c);
        AffineMap { a, b, c }
    }

    /// Applies the map to an exact value.
    pub fn apply(&self, x: &Rational) -> Rational {
        let num = Integer::from(&self.a * x.numer()) + Integer::from(&self.b * x.denom());
        let den = Integer::from(&self.c * x.denom());
        Rational::from((num, den))
    }

    /// The map `x -> p x + q`, with the smallest common denominator.
    pub fn from_coefficients(p: &Rational, q: &Rational) -> AffineMap {
        let c = p.denom().clone().lcm(q.denom());
        let a = Integer::from(&c / p.denom()) * p.numer();
        let b = Integer::from(&c / q.denom()) * q.numer();
        AffineMap { a, b, c }
    }

    fn bits(&self) -> u64 {
        u64::from(self.a.significant_bits())
            + u64::from(self.b.significant_bits())
            + u64::from(self.c.significant_bits())
    }
}

/// Whether the recurrences may split their work over two threads: when the rayon pool they
/// are called from has more than one (`RAYON_NUM_THREADS=1`, or a one-thread pool, keeps
/// everything on one thread, as like-for-like benchmarks need).
fn parallel() -> bool {
    rayon::current_num_threads() > 1
}

/// Composes `maps[0]` first, then `maps[1]`, …, by a balanced product tree; the two halves of
/// large trees run on two threads when `parallel` (the same exact value either way).
pub fn compose_tree(maps: &[AffineMap]) -> AffineMap {
    fn go(maps: &[AffineMap], depth: u32) -> AffineMap {
        match maps.len() {
            0 => AffineMap {
                a: Integer::from(1),
                b: Integer::new(),
                c: Integer::from(1),
            },
            1 => maps[0].clone(),
            2 => maps[1].after(&maps[0]),
            n => {
                let (l, r) = maps.split_at(n / 2);
                let (ml, mr) = if depth < 1 && n >= 4096 && parallel() {
                    std::thread::scope(|s| {
                        let h = s.spawn(|| go(r, depth + 1));
                        let ml = go(l, depth + 1);
                        (ml, h.join().expect("compose thread"))
                    })
                } else {
                    (go(l, depth + 1), go(r, depth + 1))
                };
                mr.after(&ml)
            }
        }
    }
    go(maps, 0)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn rec(
    x: &str,
    t: &str,
    start: &Expr,
    end: &Expr,
    init: &Expr,
    step: &Expr,
    env: &mut Env,
    budget: &Budget,
) -> Result<Rational, ExactError> {
    let start = integer_of(start, "the start of rec", env, budget)?;
    let end = integer_of(end, "the end of rec", env, budget)?;
    let x0 = eval_q(init, env, budget)?;
    if end < start {
        return Err(ExactError::Undefined(format!(
            "rec runs from {start} to the earlier {end}"
        )));
    }
    let steps = budget.check_steps("rec", &Integer::from(&end - &start))?;
    if steps == 0 {
        return Ok(x0);
    }
    let mark = env.len();
    let r = match affine_split(step, x) {
        Some((p, q)) => rec_affine(x, t, &start, steps, &x0, &p, &q, env, budget),
        None => rec_stepwise(x, t, &start, steps, x0, step, env, budget),
    };
    env.truncate(mark);
    r
}

#[allow(clippy::too_many_arguments)]
pub(super) fn rec_affine(
    x: &str,
    t: &str,
    start: &Integer,
    steps: u64,
    x0: &Rational,
    p: &Expr,
    q: &Expr,
    env: &mut Env,
    budget: &Budget,
) -> Result<Rational, ExactError> {
    let _ = x; // `x` cannot occur in p or q (affine_split guarantees it)
    let p = fold_constants(p, env, &[t]);
    let q = fold_constants(q, env, &[t]);
    let maps = affine_leaves(&p, &q, t, start, steps, env, budget)?;
    budget.tick()?;
    let m = compose_tree(&maps);
    drop(maps);
    budget.tick()?;
    Ok(m.apply(x0))
}

/// The integer affine maps of steps `from .. from+count` (two threads for long ranges; the
/// maps, and so the result, do not depend on the split).
// the loop counter is a big Integer; clippy's `zip` suggestion needs a `Step` type
#[allow(clippy::explicit_counter_loop)]
pub(super) fn affine_leaves(
    p: &Expr,
    q: &Expr,
    t: &str,
    from: &Integer,
    count: u64,
    env: &Env,
    budget: &Budget,
) -> Result<Vec<AffineMap>, ExactError> {
    let compiled = match (IntRatFn::compile(p, t), IntRatFn::compile(q, t)) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    let run = |from: Integer, count: u64| -> Result<(Vec<AffineMap>, u64), ExactError> {
        if let Some((pf, qf)) = &compiled {
            return compiled_leaves(pf, qf, from, count, budget);
        }
        let mut env = env.clone();
        let mut maps = Vec::with_capacity(count as usize);
        let mut total_bits: u64 = 0;
        env.push(t, Rational::from(from.clone()));
        let mut ti = from;
        for k in 0..count {
            if k % 4096 == 0 {
                budget.tick()?;
            }
            env.set_top(t, Rational::from(ti.clone()));
            let pv = eval_q(p, &mut env, budget)?;
            let qv = eval_q(q, &mut env, budget)?;
            let m = AffineMap::from_coefficients(&pv, &qv);
            total_bits = total_bits.saturating_add(m.bits());
            if total_bits > budget.max_bits {
                return Err(size_overrun(budget));
            }
            maps.push(m);
            ti += 1;
        }
        Ok((maps, total_bits))
    };
    if count < 8192 || !parallel() {
        return run(from.clone(), count).map(|(m, _)| m);
    }
    let half = count / 2;
    let mid = Integer::from(from + half);
    let (a, b) = std::thread::scope(|s| {
        let h = s.spawn(|| run(mid, count - half));
        (run(from.clone(), half), h.join().expect("leaf thread"))
    });
    let (mut ma, ba) = a?;
    let (mb, bb) = b?;
    if ba.saturating_add(bb) > budget.max_bits {
        return Err(size_overrun(budget));
    }
    ma.extend(mb);
    Ok(ma)
}

/// Leaf maps from compiled coefficients: integer Horner evaluations and two small gcds per
/// step.
#[allow(clippy::explicit_counter_loop)]
pub(super) fn compiled_leaves(
    pf: &IntRatFn,
    qf: &IntRatFn,
    from: Integer,
    count: u64,
    budget: &Budget,
) -> Result<(Vec<AffineMap>, u64), ExactError> {
    let mut maps = Vec::with_capacity(count as usize);
    let mut total_bits: u64 = 0;
    let (mut pn, mut pd, mut qn, mut qd) = (
        Integer::new(),
        Integer::new(),
        Integer::new(),
        Integer::new(),
    );
    let mut g = Integer::new();
    let small = SmallCoefficients::of(pf, qf);
    // consecutive steps composed in 128-bit integers while they fit (the composition is
    // associative on integer triples, so the result is the same exact value)
    let mut group: Option<(i128, i128, i128)> = None;
    let flush = |group: &mut Option<(i128, i128, i128)>,
                 maps: &mut Vec<AffineMap>,
                 total_bits: &mut u64|
     -> Result<(), ExactError> {
        if let Some((a, b, c)) = group.take() {
            let m = AffineMap {
                a: Integer::from(a),
                b: Integer::from(b),
                c: Integer::from(c),
            };
            *total_bits = total_bits.saturating_add(m.bits());
            if *total_bits > budget.max_bits {
                return Err(size_overrun(budget));
            }
            maps.push(m);
        }
        Ok(())
    };
    let mut ti = from;
    for k in 0..count {
        if k % 4096 == 0 {
            budget.tick()?;
        }
        if let Some(leaf) = small.as_ref().and_then(|s| s.leaf(&ti)) {
            group = match group.map(|g| compose_small(leaf, g)) {
                None => Some(leaf),
                Some(Some(both)) => Some(both),
                Some(None) => {
                    flush(&mut group, &mut maps, &mut total_bits)?;
                    Some(leaf)
                }
            };
            ti += 1;
            continue;
        }
        flush(&mut group, &mut maps, &mut total_bits)?;
        pf.eval_into(&ti, &mut pn, &mut pd);
        qf.eval_into(&ti, &mut qn, &mut qd);
        if pd == 0 || qd == 0 {
            return Err(ExactError::Undefined(format!(
                "division by zero in the recurrence's step at t = {ti}"
            )));
        }
        for (n, d) in [(&mut pn, &mut pd), (&mut qn, &mut qd)] {
            g.assign(n.gcd_ref(d));
            if g != 1 && g != 0 {
                n.div_exact_mut(&g);
                d.div_exact_mut(&g);
            }
            if *d < 0 {
                n.neg_assign();
                d.neg_assign();
            }
        }
        let c = Integer::from(pd.lcm_ref(&qd));
        let a = Integer::from(&c / &pd) * &pn;
        let b = Integer::from(&c / &qd) * &qn;
        let m = AffineMap { a, b, c };
        total_bits = total_bits.saturating_add(m.bits());
        if total_bits > budget.max_bits {
            return Err(size_overrun(budget));
        }
        maps.push(m);
        ti += 1;
    }
    flush(&mut group, &mut maps, &mut total_bits)?;
    Ok((maps, total_bits))
}

/// `later ∘ earlier` on 128-bit triples (`AffineMap::after`), `None` on overflow.
fn compose_small(
    later: (i128, i128, i128),
    earlier: (i128, i128, i128),
) -> Option<(i128, i128, i128)> {
    let (a2, b2, c2) = later;
    let (a1, b1, c1) = earlier;
    Some((
        a2.checked_mul(a1)?,
        a2.checked_mul(b1)?.checked_add(b2.checked_mul(c1)?)?,
        c1.checked_mul(c2)?,
    ))
}

/// Compiled coefficients whose polynomials have 64-bit coefficients: a step's map computed
/// in 128-bit integers (the same map as `compiled_leaves`' big-integer path: each
/// coefficient in lowest terms with a positive denominator, the least common denominator).
struct SmallCoefficients {
    pn: Vec<i64>,
    pd: Vec<i64>,
    qn: Vec<i64>,
    qd: Vec<i64>,
}

impl SmallCoefficients {
    fn of(pf: &IntRatFn, qf: &IntRatFn) -> Option<SmallCoefficients> {
        use super::ratfn::small_coefficients as small;
        Some(SmallCoefficients {
            pn: small(&pf.num)?,
            pd: small(&pf.den)?,
            qn: small(&qf.num)?,
            qd: small(&qf.den)?,
        })
    }

    /// The step's map at `t`, or `None` (a value beyond 64 bits, or a zero denominator:
    /// the big-integer path then computes or reports it).
    fn leaf(&self, t: &Integer) -> Option<(i128, i128, i128)> {
        let t = i128::from(t.to_i64()?);
        let horner = |p: &[i64]| -> Option<i128> {
            super::ratfn::horner_small(p, t).filter(|v| v.unsigned_abs() < 1 << 62)
        };
        let lowest = |n: i128, d: i128| -> Option<(i128, i128)> {
            if d == 0 {
                return None;
            }
            let g = gcd(n.unsigned_abs(), d.unsigned_abs()) as i128;
            let (n, d) = if g > 1 { (n / g, d / g) } else { (n, d) };
            Some(if d < 0 { (-n, -d) } else { (n, d) })
        };
        let (pn, pd) = lowest(horner(&self.pn)?, horner(&self.pd)?)?;
        let (qn, qd) = lowest(horner(&self.qn)?, horner(&self.qd)?)?;
        let c = (pd / gcd(pd as u128, qd as u128) as i128).checked_mul(qd)?;
        Some(((c / pd).checked_mul(pn)?, (c / qd).checked_mul(qn)?, c))
    }
}

/// Euclid's gcd (`gcd(0, 0) = 0`).
fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

pub(super) fn size_overrun(budget: &Budget) -> ExactError {
    ExactError::Budget(BudgetError::Size(format!(
        "the recurrence's exact value would need more than {} bits",
        budget.max_bits
    )))
}

#[allow(clippy::too_many_arguments, clippy::explicit_counter_loop)]
pub(super) fn rec_stepwise(
    x: &str,
    t: &str,
    start: &Integer,
    steps: u64,
    x0: Rational,
    step: &Expr,
    env: &mut Env,
    budget: &Budget,
) -> Result<Rational, ExactError> {
    let step = fold_constants(step, env, &[x, t]);
    env.push(t, Rational::from(start.clone()));
    env.push(x, x0);
    let mut ti = start.clone();
    for k in 0..steps {
        if k % 256 == 0 {
            budget.tick()?;
        }
        // bindings: [.., t, x]
        let n = env.len();
        env.vars[n - 2].1 = Rational::from(ti.clone());
        let next = eval_q(&step, env, budget)?;
        budget.check_size(&next)?;
        env.vars[n - 1].1 = next;
        ti += 1;
    }
    Ok(env.get(x).cloned().unwrap_or_default())
}

/// Iterates an affine recurrence one exact rational step at a time. This is the reference
/// the binary-splitting path is tested and benchmarked against; the engine itself never
/// uses it for affine steps.
#[allow(clippy::too_many_arguments)]
pub fn rec_affine_naive(
    x: &str,
    t: &str,
    start: i64,
    end: i64,
    x0: Rational,
    step: &Expr,
    env: &mut Env,
    budget: &Budget,
) -> Result<Rational, ExactError> {
    env.push(t, Rational::from(start));
    env.push(x, x0);
    for ti in start..end {
        let n = env.len();
        env.vars[n - 2].1 = Rational::from(ti);
        let next = eval(step, env, budget)?;
        env.vars[n - 1].1 = next;
    }
    let v = env.get(x).cloned().unwrap_or_default();
    env.pop();
    env.pop();
    Ok(v)
}
