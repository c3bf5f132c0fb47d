//! Recurrences (`rec`): affine steps `x -> (a x + b)/c` composed along a balanced tree of
//! integer affine maps (binary splitting, with the initial value as the first map so that
//! the left edge's `a` is zero), compiled rational coefficients, the known factors of long
//! runs' maps ([`super::content`]), and the plain step-by-step iteration for other steps.

use super::content::{self, Factors, gcd};
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

/// Fewest steps for which a recurrence's factors are sieved (see [`super::content`]):
/// below it the bookkeeping costs more than the smaller numbers save.
const SIEVE_MIN_STEPS: u64 = 1 << 15;
/// Smallest denominator, in bits, reduced from its factorization rather than by a gcd.
const FACTORED_MIN_BITS: u32 = 1 << 16;

/// An integer affine map with the known factors of its `a` and `c` (see [`super::content`]).
#[derive(Clone, Debug, Default)]
pub(super) struct Leaf {
    pub(super) a: Integer,
    pub(super) b: Integer,
    pub(super) c: Integer,
    /// factors known to divide `a`
    pub(super) fa: Factors,
    /// factors known to divide `c`
    pub(super) fc: Factors,
}

impl Leaf {
    fn of(m: AffineMap) -> Leaf {
        Leaf {
            a: m.a,
            b: m.b,
            c: m.c,
            fa: Factors::new(),
            fc: Factors::new(),
        }
    }

    /// `self ∘ earlier`, with the factors common to `self.a` and `earlier.c` divided out
    /// first (the same map: they divide all three results).
    fn after(mut self, earlier: Leaf, keep_fa: bool) -> Leaf {
        let Leaf {
            a: a1,
            b: b1,
            c: mut c1,
            fa: fa1,
            fc: fc1,
        } = earlier;
        let (common, fa2, fc1) = content::split_common(std::mem::take(&mut self.fa), fc1);
        if !common.is_empty() {
            let g = content::product(&common);
            debug_assert!(self.a.is_divisible(&g) && c1.is_divisible(&g));
            self.a.div_exact_mut(&g);
            c1.div_exact_mut(&g);
        }
        let b = Integer::from(&self.a * &b1) + Integer::from(&self.b * &c1);
        let c = self.c * c1;
        let a = self.a * a1;
        // the root needs no factors of its `a`
        let fa = if keep_fa {
            content::merge(fa2, fa1)
        } else {
            Factors::new()
        };
        let fc = content::merge(self.fc, fc1);
        Leaf { a, b, c, fa, fc }
    }
}

/// Composes `maps[0]` first, then `maps[1]`, …, by a balanced product tree; the two halves of
/// large trees run on two threads when `parallel` (the same exact value either way).
pub fn compose_tree(maps: &[AffineMap]) -> AffineMap {
    let mut leaves: Vec<Leaf> = maps.iter().cloned().map(Leaf::of).collect();
    compose_leaves(&mut leaves).0
}

/// Composes leaves (taking them) like [`compose_tree`], dividing out the factors each
/// node's `a` and `c` are known to share (factors of `a` that no `c` has are dropped first);
/// also returns the known factors of the result's `c`.
pub(super) fn compose_leaves(leaves: &mut [Leaf]) -> (AffineMap, Factors) {
    let max_of = |f: &Factors| f.last().map_or(0, |&(p, _)| p);
    let max_c = leaves.iter().map(|l| max_of(&l.fc)).max().unwrap_or(0);
    for l in leaves.iter_mut() {
        l.fa.retain(|&(p, _)| p <= max_c);
    }
    fn go(leaves: &mut [Leaf], depth: u32) -> Leaf {
        match leaves.len() {
            0 => Leaf {
                a: Integer::from(1),
                c: Integer::from(1),
                ..Leaf::default()
            },
            1 => std::mem::take(&mut leaves[0]),
            n => {
                let (l, r) = leaves.split_at_mut(n / 2);
                let (ml, mr) = if depth < 1 && n >= 4096 && parallel() {
                    std::thread::scope(|s| {
                        let h = s.spawn(|| go(r, depth + 1));
                        let ml = go(l, depth + 1);
                        (ml, h.join().expect("compose thread"))
                    })
                } else {
                    (go(l, depth + 1), go(r, depth + 1))
                };
                mr.after(ml, depth > 0)
            }
        }
    }
    let root = go(leaves, 0);
    let m = AffineMap {
        a: root.a,
        b: root.b,
        c: root.c,
    };
    (m, root.fc)
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
    let leaves = affine_leaves(&p, &q, t, start, steps, env, budget)?;
    budget.tick()?;
    Ok(carry(x0, leaves).0)
}

/// `x0` carried through the leaves' maps (the first leaf first), in lowest terms; also
/// whether that was done from the denominator's factorization rather than by a gcd.
pub(super) fn carry(x0: &Rational, leaves: Vec<Leaf>) -> (Rational, bool) {
    let mut all = Vec::with_capacity(leaves.len() + 1);
    all.push(Leaf {
        // the initial value as the first map (x -> x0): the composition's `a` is then zero
        // along the tree's left edge, where it is never needed
        a: Integer::new(),
        b: x0.numer().clone(),
        c: x0.denom().clone(),
        fc: x0
            .denom()
            .to_u64()
            .map(content::factors_of)
            .unwrap_or_default(),
        ..Leaf::default()
    });
    all.extend(leaves);
    let (m, fc) = compose_leaves(&mut all);
    drop(all);
    // small results: GMP's gcd is quicker than the factored reduction's set-up
    if m.c.significant_bits() < FACTORED_MIN_BITS {
        return (Rational::from((m.b, m.c)), false);
    }
    match content::reduce_factored(m.b, m.c, &fc) {
        Ok(v) => (v, true),
        Err((b, c)) => (Rational::from((b, c)), false),
    }
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
) -> Result<Vec<Leaf>, ExactError> {
    let compiled = match (IntRatFn::compile(p, t), IntRatFn::compile(q, t)) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    // decided on the whole run (its halves may go to two threads)
    let sieve = count >= SIEVE_MIN_STEPS;
    let run = |from: Integer, count: u64| -> Result<(Vec<Leaf>, u64), ExactError> {
        if let Some((pf, qf)) = &compiled {
            return compiled_leaves(pf, qf, from, count, sieve, budget);
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
            maps.push(Leaf::of(m));
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
/// step. Steps computed in 128-bit integers also get the known factors of their `a` and `c`
/// (trial division by the primes a sieve over the step's polynomials proposes).
#[allow(clippy::explicit_counter_loop)]
pub(super) fn compiled_leaves(
    pf: &IntRatFn,
    qf: &IntRatFn,
    from: Integer,
    count: u64,
    sieve: bool,
    budget: &Budget,
) -> Result<(Vec<Leaf>, u64), ExactError> {
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
    // the primes of a step's `a` divide pn(t) qd(t), those of its `c` pd(t) qd(t); short
    // runs are not worth the sieve's set-up
    let mut sieve = small
        .as_ref()
        .filter(|_| sieve)
        .and_then(|s| content::StepSieve::new(&[&s.pn, &s.pd, &s.qd], from.to_i64()?, count));
    // consecutive steps composed in 128-bit integers while they fit (the composition is
    // associative on integer triples, so the result is the same exact value), with the
    // known factors of the group's `a` and `c`
    let mut group = Group::default();
    let (mut step_fa, mut step_fc) = (Factors::new(), Factors::new());
    let mut ti = from;
    for k in 0..count {
        if k % 4096 == 0 {
            budget.tick()?;
        }
        if let Some((leaf, a_parts, c_parts)) = small.as_ref().and_then(|s| s.leaf(&ti)) {
            step_fa.clear();
            step_fc.clear();
            if let (Some(sieve), Some(t)) = (sieve.as_mut(), ti.to_i64()) {
                sieve.factor_parts(t, a_parts, c_parts, &mut step_fa, &mut step_fc);
            }
            // a group's factors are its steps' (unsorted until the group is flushed)
            match group.map.map(|g| compose_small(leaf, g)) {
                Some(Some(both)) => group.map = Some(both),
                other => {
                    if other.is_some() {
                        group.flush(&mut maps, &mut total_bits, budget)?;
                    }
                    group.map = Some(leaf);
                }
            }
            group.fa.extend_from_slice(&step_fa);
            group.fc.extend_from_slice(&step_fc);
            ti += 1;
            continue;
        }
        group.flush(&mut maps, &mut total_bits, budget)?;
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
        // c = lcm(pd, qd) = (pd/g) qd, a = (c/pd) pn = (qd/g) pn, b = (c/qd) qn = (pd/g) qn
        g.assign(pd.gcd_ref(&qd));
        let pd_over_g = Integer::from(&pd / &g);
        let qd_over_g = Integer::from(&qd / &g);
        let c = Integer::from(&pd_over_g * &qd);
        let a = Integer::from(&qd_over_g * &pn);
        let b = Integer::from(&pd_over_g * &qn);
        let m = AffineMap { a, b, c };
        total_bits = total_bits.saturating_add(m.bits());
        if total_bits > budget.max_bits {
            return Err(size_overrun(budget));
        }
        let mut leaf = Leaf::of(m);
        // the step's values after their gcds are often small again: factor them too
        if let (Some(sieve), Some(t)) = (sieve.as_mut(), ti.to_i64()) {
            let word = |v: &Integer| Integer::from(v.abs_ref()).to_u64();
            if let (Some(a1), Some(a2), Some(c1), Some(c2)) =
                (word(&qd_over_g), word(&pn), word(&pd_over_g), word(&qd))
            {
                sieve.factor_parts(t, [a1, a2], [c1, c2], &mut leaf.fa, &mut leaf.fc);
                content::normalize(&mut leaf.fa);
                content::normalize(&mut leaf.fc);
            }
        }
        maps.push(leaf);
        ti += 1;
    }
    group.flush(&mut maps, &mut total_bits, budget)?;
    Ok((maps, total_bits))
}

/// Consecutive steps composed in 128-bit integers, with the known factors of their `a` and
/// `c` (unsorted).
#[derive(Default)]
struct Group {
    map: Option<(i128, i128, i128)>,
    fa: Factors,
    fc: Factors,
}

impl Group {
    /// Ends the group: its map becomes a leaf (counted against the size budget).
    fn flush(
        &mut self,
        maps: &mut Vec<Leaf>,
        total_bits: &mut u64,
        budget: &Budget,
    ) -> Result<(), ExactError> {
        if let Some((a, b, c)) = self.map.take() {
            let m = AffineMap {
                a: Integer::from(a),
                b: Integer::from(b),
                c: Integer::from(c),
            };
            *total_bits = total_bits.saturating_add(m.bits());
            if *total_bits > budget.max_bits {
                return Err(size_overrun(budget));
            }
            content::normalize(&mut self.fa);
            content::normalize(&mut self.fc);
            maps.push(Leaf {
                fa: std::mem::take(&mut self.fa),
                fc: std::mem::take(&mut self.fc),
                ..Leaf::of(m)
            });
        }
        Ok(())
    }
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
    /// the big-integer path then computes or reports it); also two 62-bit factors of its
    /// `a` and two of its `c` (products of polynomial values: what gets factored).
    fn leaf(&self, t: &Integer) -> Option<SmallStep> {
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
        let g = gcd(pd as u128, qd as u128) as i128;
        let c = (pd / g).checked_mul(qd)?;
        let a = (qd / g).checked_mul(pn)?;
        let b = (c / qd).checked_mul(qn)?;
        let parts = |x: i128, y: i128| [x.unsigned_abs() as u64, y.unsigned_abs() as u64];
        Some(((a, b, c), parts(qd / g, pn), parts(pd / g, qd)))
    }
}

/// A step's map `(a, b, c)` in 128-bit integers, with two factors of `a` and two of `c`.
type SmallStep = ((i128, i128, i128), [u64; 2], [u64; 2]);

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse_expr;

    /// `rec(x, t, start, start + steps, x0, step)` by the engine (sieve, factored
    /// composition, factored reduction when the denominator is fully factored) and by the
    /// plain composition of the same step maps with no known factors, reduced by GMP's gcd;
    /// and whether the engine reduced from the factorization.
    fn both(step: &str, start: i64, steps: u64, x0: Rational) -> (Rational, Rational, bool) {
        let budget = Budget::default();
        let end = start + steps as i64;
        let e = parse_expr(&format!("rec(x, t, {start}, {end}, {x0}, {step})")).expect("parses");
        let engine = eval(&e, &mut Env::new(), &budget).expect("a value");
        let (p, q) = affine_split(&parse_expr(step).expect("parses"), "x").expect("affine");
        let mut env = Env::new();
        let p = fold_constants(&p, &mut env, &["t"]);
        let q = fold_constants(&q, &mut env, &["t"]);
        let leaves = || {
            affine_leaves(&p, &q, "t", &Integer::from(start), steps, &env, &budget).expect("leaves")
        };
        let (fast, factored) = carry(&x0, leaves());
        assert_eq!(fast, engine);
        let maps: Vec<AffineMap> = leaves()
            .into_iter()
            .map(|l| AffineMap {
                a: l.a,
                b: l.b,
                c: l.c,
            })
            .collect();
        let plain = compose_tree(&maps).apply(&x0);
        (fast, plain, factored)
    }

    #[test]
    fn factored_binary_splitting_equals_the_plain_composition() {
        // runs long enough to be sieved, longer than the sieve's segment; linear factors given expanded, quadratic
        // factors, negative values, a start below zero, initial values with and without a
        // denominator; the last column: whether the denominator is fully factored (a prime
        // beyond 32 bits in x0's denominator, or an irreducible quadratic's large primes,
        // send the value to the gcd)
        let cases: [(&str, i64, u64, Rational, bool); 7] = [
            // coefficients beyond 64 bits at large t (the big-integer leaves), factored too
            (
                "(1 - 1/(t+1)^2)*x + 1/(100*(t^2 + t))",
                1,
                300_000,
                Rational::from((1, 3)),
                true,
            ),
            (
                "(1 + 1/(99*t))*x + 1/(10*t)",
                1,
                40_000,
                Rational::new(),
                true,
            ),
            (
                "(t + 3)/(t + 1)*x + 1/(t^2 + 2*t)",
                1,
                70_000,
                Rational::from((5, 12)),
                true,
            ),
            (
                "(1 - 1/(4*t^2))*x + 1/t",
                1,
                33_000,
                Rational::from((1, 1_000_003)),
                true,
            ),
            (
                "(2*t - 7)/(3*t + 5)*x - (t + 1)/(6*t^2 + t - 2)",
                -30,
                40_000,
                Rational::from((-7, 3)),
                true,
            ),
            (
                "(t^2 + 1)/(t^2 + 2*t)*x + 3/(t^2 + 1)",
                1,
                35_000,
                Rational::from(2),
                false,
            ),
            (
                "(6*t + 1)/(6*t)*x + 1/(2*t)",
                5,
                40_000,
                Rational::from((9, 4_294_967_311_i64)),
                false,
            ),
        ];
        for (step, start, steps, x0, factored) in cases {
            let (fast, plain, was) = both(step, start, steps, x0);
            assert_eq!(fast, plain, "{step}");
            assert_eq!(was, factored, "{step}");
            // lowest terms, positive denominator (a non-canonical value would not compare
            // equal above; checked directly as well)
            assert_eq!(
                Integer::from(fast.numer().gcd_ref(fast.denom())),
                1,
                "{step}"
            );
            assert!(*fast.denom() > 0);
        }
    }
}
