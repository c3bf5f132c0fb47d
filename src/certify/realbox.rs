//! The Rust mirror of `evalJ`, `checkJ` and `bisectJ` (`Stabcert.v`): interval evaluation
//! of a [`Term`] whose values are exact rationals where Coq's `evalB` has them and
//! outward-rounded intervals elsewhere, and adaptive bisection of one real parameter's
//! interval. stabcert runs it before it writes a reflective theorem over a real box or over
//! a grid with irrational values, to choose the precision and the bisection depth and to
//! charge the work Coq will do. It runs MPFR at fewer bits than Coq Interval's floats
//! ([`MIRROR_SLACK`]), so a box it separates Coq separates too in practice; where Coq does
//! not, coqc rejects the theorem and the certificate falls back to what it stated before
//! (a mismatch costs a proof, never soundness: the theorem is checked by Coq).

use super::term::{BigQv, CoqNum, Op1, Op2, Term, TooLarge, Work, qint};
use crate::engine::real::{Arith, Interval};
use crate::expr::{BigOp, Rel};
use rug::{Integer, Rational};

/// Bits fewer in the mirror than in Coq: Coq Interval's `exp` and `ln` are accurate to a
/// few ulps of its precision, so MPFR at this many bits fewer encloses wider.
pub const MIRROR_SLACK: u32 = 10;

/// Work units of one interval operation in Coq's `vm_compute` (an exact operation is one
/// unit): calibrated in BENCHMARKS.md.
pub const IV_OP: u64 = 50;

/// A value of `evalJ`: exact, enclosed, or unbounded (Coq's `nai`).
#[derive(Clone, Debug)]
pub enum JV {
    /// `Ex q`, unreduced as Coq's `bigQ` (its size is what Coq's work depends on)
    Ex(BigQv),
    /// `Iv i` with finite ends
    Iv(Interval),
    /// an interval Coq does not bound (`nai`, or an operation outside its domain)
    Whole,
}

/// The mirror of `evalJ` at one precision.
pub struct JEval {
    arith: Arith,
}

impl JEval {
    /// The mirror of Coq's evaluation at `coq_prec` bits (it runs at [`MIRROR_SLACK`] fewer).
    pub fn new(coq_prec: u32) -> JEval {
        JEval {
            arith: Arith {
                prec: coq_prec.saturating_sub(MIRROR_SLACK).max(16),
            },
        }
    }

    /// The enclosure of a value (`toI`).
    fn enclose(&self, v: &JV) -> Option<Interval> {
        match v {
            JV::Ex(q) => Some(Interval::from_rational(&q.value(), self.arith.prec)),
            JV::Iv(i) => Some(i.clone()),
            JV::Whole => None,
        }
    }

    /// An enclosure as a value: unbounded when an end is infinite.
    fn iv(i: Interval) -> JV {
        if i.lo().is_finite() && i.hi().is_finite() {
            JV::Iv(i)
        } else {
            JV::Whole
        }
    }

    /// A partial operation's enclosure: unbounded outside its domain.
    fn iv_or_whole<E>(r: Result<Interval, E>) -> JV {
        r.map_or(JV::Whole, Self::iv)
    }

    /// `un mk fi a`: exact where Coq's `evalB` is on the one-node term, else `f` on the
    /// enclosure.
    fn un(
        &self,
        mk: impl Fn(Term) -> Term,
        a: JV,
        w: &mut Work,
        f: impl Fn(&Arith, &Interval) -> JV,
    ) -> Result<JV, TooLarge> {
        if let JV::Ex(x) = &a
            && let Some(v) = mk(Term::Var(0)).eval_in(&mut vec![x.clone()], w)?
        {
            return Ok(JV::Ex(v));
        }
        w.charge(IV_OP)?;
        Ok(match self.enclose(&a) {
            Some(i) => f(&self.arith, &i),
            None => JV::Whole,
        })
    }

    /// `bin mk fi a b`, as [`JEval::un`].
    fn bin(
        &self,
        mk: impl Fn(Term, Term) -> Term,
        a: JV,
        b: JV,
        w: &mut Work,
        f: impl Fn(&Arith, &Interval, &Interval) -> JV,
    ) -> Result<JV, TooLarge> {
        if let (JV::Ex(x), JV::Ex(y)) = (&a, &b)
            && let Some(v) =
                mk(Term::Var(1), Term::Var(0)).eval_in(&mut vec![x.clone(), y.clone()], w)?
        {
            return Ok(JV::Ex(v));
        }
        w.charge(IV_OP)?;
        Ok(match (self.enclose(&a), self.enclose(&b)) {
            (Some(i), Some(j)) => f(&self.arith, &i, &j),
            _ => JV::Whole,
        })
    }

    /// `evalJ env t` (`env` innermost last; a missing variable is `Ex 0`, as Coq's `nth`).
    pub fn eval(&self, t: &Term, env: &mut Vec<JV>, w: &mut Work) -> Result<JV, TooLarge> {
        w.charge(1)?;
        let b = Box::new;
        Ok(match t {
            Term::Cst(q) => JV::Ex(BigQv::lit(q)),
            Term::Var(i) => env
                .len()
                .checked_sub(i + 1)
                .map_or(JV::Ex(BigQv::int(Integer::new())), |k| env[k].clone()),
            Term::Neg(a) => {
                let x = self.eval(a, env, w)?;
                self.un(|v| Term::Neg(b(v)), x, w, |ar, i| JV::Iv(ar.neg(i)))?
            }
            Term::Bin(op, a, c) => {
                let x = self.eval(a, env, w)?;
                let y = self.eval(c, env, w)?;
                let op = *op;
                self.bin(
                    |u, v| Term::Bin(op, b(u), b(v)),
                    x,
                    y,
                    w,
                    |ar, i, j| match op {
                        Op2::Add => Self::iv(ar.add(i, j)),
                        Op2::Sub => Self::iv(ar.sub(i, j)),
                        Op2::Mul => Self::iv(ar.mul(i, j)),
                        Op2::Div => Self::iv_or_whole(ar.div(i, j)),
                        // `powJ`: exp (y * ln x) on a positive base, else unbounded
                        Op2::Pow if *i.lo() > 0 => match ar.ln(i) {
                            Ok(l) => Self::iv(ar.exp(&ar.mul(j, &l))),
                            Err(_) => JV::Whole,
                        },
                        Op2::Pow => JV::Whole,
                        // `join`: the value is one of the two
                        Op2::Min | Op2::Max => Self::iv(i.hull(j)),
                    },
                )?
            }
            Term::PowZ(a, z) => {
                let x = self.eval(a, env, w)?;
                self.un(
                    |v| Term::PowZ(b(v), z.clone()),
                    x,
                    w,
                    |ar, i| Self::iv_or_whole(ar.powi(i, z)),
                )?
            }
            Term::Un(op, a) => {
                let x = self.eval(a, env, w)?;
                let op = *op;
                self.un(
                    |v| Term::Un(op, b(v)),
                    x,
                    w,
                    |ar, i| match op {
                        Op1::Exp => Self::iv(ar.exp(i)),
                        Op1::Ln => Self::iv_or_whole(ar.ln(i)),
                        Op1::Sqrt => Self::iv_or_whole(ar.sqrt(i)),
                        Op1::Abs => Self::iv(ar.abs(i)),
                        Op1::Floor | Op1::Ceil => JV::Whole,
                    },
                )?
            }
            Term::Big(op, lo, hi, body) => {
                let l = self.int_of(lo, env, w)?;
                let h = self.int_of(hi, env, w)?;
                let (Some(l), Some(h)) = (l, h) else {
                    return Ok(JV::Whole);
                };
                let op = *op;
                // `sumJ f l n` folds from the right: f l + (f (l+1) + (... + 0))
                let mut vals = Vec::new();
                let mut z = l;
                while z <= h {
                    env.push(JV::Ex(BigQv::int(z.clone())));
                    let r = self.eval(body, env, w);
                    env.pop();
                    vals.push(r?);
                    z += 1;
                }
                let (unit, node) = match op {
                    BigOp::Sum => (0, Op2::Add),
                    BigOp::Prod => (1, Op2::Mul),
                };
                let mut acc = JV::Ex(BigQv::int(Integer::from(unit)));
                for v in vals.into_iter().rev() {
                    acc = self.bin(
                        |u, x| Term::Bin(node, b(u), b(x)),
                        v,
                        acc,
                        w,
                        |ar, i, j| match node {
                            Op2::Add => Self::iv(ar.add(i, j)),
                            _ => Self::iv(ar.mul(i, j)),
                        },
                    )?;
                }
                acc
            }
            Term::Rec(s, e, i, st) => {
                let s = self.int_of(s, env, w)?;
                let e = self.int_of(e, env, w)?;
                let (Some(mut t), Some(e)) = (s, e) else {
                    return Ok(JV::Whole);
                };
                let mut x = self.eval(i, env, w)?;
                // `Z.to_nat (e - s)` steps: none when e < s
                while t < e {
                    env.push(x);
                    env.push(JV::Ex(BigQv::int(t.clone())));
                    let r = self.eval(st, env, w);
                    env.pop();
                    env.pop();
                    x = r?;
                    t += 1;
                }
                x
            }
            Term::Let(v, body) => {
                let x = self.eval(v, env, w)?;
                env.push(x);
                let r = self.eval(body, env, w);
                env.pop();
                r?
            }
        })
    }

    /// `intV (evalJ env t)`: an exact integer, or `None`.
    fn int_of(
        &self,
        t: &Term,
        env: &mut Vec<JV>,
        w: &mut Work,
    ) -> Result<Option<Integer>, TooLarge> {
        Ok(match self.eval(t, env, w)? {
            JV::Ex(q) => qint(&q.value()),
            _ => None,
        })
    }

    /// `checkJ r lhs rhs env`: exact comparison where both sides are exact, else the sign
    /// of the enclosure of their difference.
    pub fn check(
        &self,
        rel: Rel,
        lhs: &Term,
        rhs: &Term,
        env: &mut Vec<JV>,
        w: &mut Work,
    ) -> Result<bool, TooLarge> {
        let a = self.eval(lhs, env, w)?;
        let b = self.eval(rhs, env, w)?;
        if let (JV::Ex(x), JV::Ex(y)) = (&a, &b) {
            let (x, y) = (x.value(), y.value());
            return Ok(match rel {
                Rel::Le => x <= y,
                Rel::Lt => x < y,
                Rel::Ge => x >= y,
                Rel::Gt => x > y,
                Rel::Eq => x == y,
            });
        }
        let (Some(i), Some(j)) = (self.enclose(&a), self.enclose(&b)) else {
            return Ok(false);
        };
        w.charge(IV_OP)?;
        let d = self.arith.sub(&i, &j);
        Ok(match rel {
            Rel::Le => *d.hi() <= 0,
            Rel::Lt => *d.hi() < 0,
            Rel::Ge => *d.lo() >= 0,
            Rel::Gt => *d.lo() > 0,
            Rel::Eq => false,
        })
    }

    /// `bisectJ (fun v => checkJ r lhs rhs (v :: env)) depth l h`: the depth the check
    /// needed (0: the whole interval at once), or `None` if some piece is not separated
    /// at `depth` halvings. `env` holds the other parameters' values (innermost last).
    #[allow(clippy::too_many_arguments)]
    pub fn bisect(
        &self,
        rel: Rel,
        lhs: &Term,
        rhs: &Term,
        env: &[Rational],
        depth: u32,
        l: &Rational,
        h: &Rational,
        w: &mut Work,
    ) -> Result<Option<u32>, TooLarge> {
        let mut e: Vec<JV> = env.iter().map(|q| JV::Ex(BigQv::lit(q))).collect();
        e.push(JV::Iv(Interval::from_bounds(l, h, self.arith.prec)));
        if self.check(rel, lhs, rhs, &mut e, w)? {
            return Ok(Some(0));
        }
        if depth == 0 {
            return Ok(None);
        }
        let m = Rational::from(l + h) / 2u32;
        let Some(a) = self.bisect(rel, lhs, rhs, env, depth - 1, l, &m, w)? else {
            return Ok(None);
        };
        let Some(b) = self.bisect(rel, lhs, rhs, env, depth - 1, &m, h, w)? else {
            return Ok(None);
        };
        Ok(Some(1 + a.max(b)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Rational {
        s.parse().unwrap()
    }

    #[test]
    fn exact_parts_stay_exact_and_real_parts_are_enclosed() {
        // (1 + x) * 3 with x = Var 0: exact at x = 1/2, enclosed on [0, 1]
        let t = Term::Bin(
            Op2::Mul,
            Box::new(Term::Bin(
                Op2::Add,
                Box::new(Term::Cst(q("1"))),
                Box::new(Term::Var(0)),
            )),
            Box::new(Term::Cst(q("3"))),
        );
        let j = JEval::new(64);
        let mut w = Work::new(1_000_000);
        match j
            .eval(&t, &mut vec![JV::Ex(BigQv::lit(&q("1/2")))], &mut w)
            .unwrap()
        {
            JV::Ex(v) => assert_eq!(v.value(), q("9/2")),
            other => panic!("{other:?}"),
        }
        let box01 = Interval::from_bounds(&q("0"), &q("1"), 54);
        match j.eval(&t, &mut vec![JV::Iv(box01)], &mut w).unwrap() {
            JV::Iv(i) => {
                assert!(*i.lo() <= 3 && *i.lo() > 2.99);
                assert!(*i.hi() >= 6 && *i.hi() < 6.01);
            }
            other => panic!("{other:?}"),
        }
        // exp(0) is exact (Coq's evalB knows it); exp(1) is enclosed around e
        let e = Term::Un(Op1::Exp, Box::new(Term::Var(0)));
        assert!(matches!(
            j.eval(&e, &mut vec![JV::Ex(BigQv::lit(&q("0")))], &mut w).unwrap(),
            JV::Ex(v) if v.value() == 1
        ));
        match j
            .eval(&e, &mut vec![JV::Ex(BigQv::lit(&q("1")))], &mut w)
            .unwrap()
        {
            // e = 2.71828182845904523536…
            JV::Iv(i) => {
                assert!(*i.lo() < q("271828182845904524/100000000000000000"));
                assert!(*i.hi() > q("271828182845904523/100000000000000000"));
                assert!(*i.hi() < q("2718281828460/1000000000000"));
            }
            other => panic!("{other:?}"),
        }
        // ln of an interval reaching 0 is not bounded
        let l = Term::Un(Op1::Ln, Box::new(Term::Var(0)));
        let box01 = Interval::from_bounds(&q("0"), &q("1"), 54);
        assert!(matches!(
            j.eval(&l, &mut vec![JV::Iv(box01)], &mut w).unwrap(),
            JV::Whole
        ));
    }

    #[test]
    fn bisection_finds_the_depth_a_touching_free_relation_needs() {
        // x^2 <= x + 1/100 on [0, 1]: false at x = 1 (1 > 1.01? no: 1 <= 1.01), and the
        // enclosure of x^2 - x over [0, 1] is [-1, 1]: halvings are needed
        let x = || Box::new(Term::Var(0));
        let lhs = Term::Bin(Op2::Mul, x(), x());
        let rhs = Term::Bin(Op2::Add, x(), Box::new(Term::Cst(q("1/100"))));
        let j = JEval::new(64);
        let mut w = Work::new(10_000_000);
        let d = j
            .bisect(Rel::Le, &lhs, &rhs, &[], 12, &q("0"), &q("1"), &mut w)
            .unwrap();
        assert!(matches!(d, Some(k) if k >= 3), "{d:?}");
        // x^2 <= x fails just right of 1: never separated on [0, 11/10]
        let rhs = Term::Bin(Op2::Add, x(), Box::new(Term::Cst(q("0"))));
        let d = j
            .bisect(Rel::Le, &lhs, &rhs, &[], 8, &q("0"), &q("11/10"), &mut w)
            .unwrap();
        assert_eq!(d, None);
    }
}
