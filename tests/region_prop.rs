//! Soundness of the proofs over regions, by seeded random claims: polynomials in two or three
//! real variables with small integer coefficients, over boxes, regions with a dependent
//! bound (`y in [x, 1]`-like) and regions cut by a linear `where` constraint, claimed below a
//! constant chosen at, just below and just above the largest value on a rational grid of the
//! region (so that many claims touch). Every verdict is checked against exact rational
//! evaluation written here, independent of the engines:
//! - `certified`: no point of a finer grid of the region (its ends, the touching grid points,
//!   seeded random rationals) fails;
//! - `refuted`: the counterexample lies in the region (every bound and constraint) and fails.
//!
//! Each claim is decided three times: as `check` decides it, by branch and bound alone (real
//! algebra switched off), and with a budget of one box, so that the real-algebra decision
//! procedure (z3) decides it alone.
//!
//! A mutated rule in the region provers (a face chosen for one function and bounded with
//! another, a dropped factor that vanishes) makes this test fail: it found such a bug, where
//! `x*(1 - x) <= 0` on `[0, 1]` was certified.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rug::Rational;
use stabcert::claims::ClaimBuilder;
use stabcert::decide::{Options, Verdict, decide};

mod common;

/// A polynomial: terms (coefficient, exponents of x, y, z).
type Poly = Vec<(i64, [u32; 3])>;

fn eval(p: &Poly, v: &[Rational; 3]) -> Rational {
    let mut acc = Rational::new();
    for (c, e) in p {
        let mut t = Rational::from(*c);
        for k in 0..3 {
            for _ in 0..e[k] {
                t *= &v[k];
            }
        }
        acc += t;
    }
    acc
}

fn text(p: &Poly) -> String {
    let names = ["x", "y", "z"];
    let terms: Vec<String> = p
        .iter()
        .map(|(c, e)| {
            let mut f = vec![format!("({c})")];
            for k in 0..3 {
                if e[k] > 0 {
                    f.push(format!("{}^{}", names[k], e[k]));
                }
            }
            f.join("*")
        })
        .collect();
    terms.join(" + ")
}

/// The region: x in [x0, x1]; y in [y0, y1], or y in [x + y0, y1] (dependent), with an
/// optional constraint `x + y <= s`; z in [0, 1] when three variables are used.
#[derive(Clone, Debug)]
struct Region {
    x: (Rational, Rational),
    y: (Rational, Rational),
    dependent: bool,
    sum_at_most: Option<Rational>,
    /// the constraint is `x + y < s`
    strict_sum: bool,
    three: bool,
}

impl Region {
    fn y_range(&self, x: &Rational) -> (Rational, Rational) {
        if self.dependent {
            (Rational::from(x + &self.y.0), self.y.1.clone())
        } else {
            self.y.clone()
        }
    }

    fn contains(&self, v: &[Rational; 3]) -> bool {
        let (ylo, yhi) = self.y_range(&v[0]);
        self.x.0 <= v[0]
            && v[0] <= self.x.1
            && ylo <= v[1]
            && v[1] <= yhi
            && (!self.three || (v[2] >= 0 && v[2] <= 1))
            && self.sum_at_most.as_ref().is_none_or(|s| {
                let t = Rational::from(&v[0] + &v[1]);
                if self.strict_sum { t < *s } else { t <= *s }
            })
    }

    /// Points of the region: an n-grid per dimension (dependent y over its own range).
    fn grid(&self, n: u32) -> Vec<[Rational; 3]> {
        let mut out = Vec::new();
        let at = |lo: &Rational, hi: &Rational, i: u32| -> Rational {
            Rational::from(hi - lo) * Rational::from((i, n)) + lo
        };
        for i in 0..=n {
            let x = at(&self.x.0, &self.x.1, i);
            let (ylo, yhi) = self.y_range(&x);
            if ylo > yhi {
                continue;
            }
            for j in 0..=n {
                let y = at(&ylo, &yhi, j);
                for k in 0..=(if self.three { n } else { 0 }) {
                    let z = Rational::from((k, n));
                    let v = [x.clone(), y.clone(), z];
                    if self.contains(&v) {
                        out.push(v);
                    }
                }
            }
        }
        out
    }
}

fn small(rng: &mut ChaCha8Rng, lo: i64, hi: i64, den: u32) -> Rational {
    Rational::from((rng.gen_range(lo * den as i64..=hi * den as i64), den))
}

#[test]
fn region_verdicts_agree_with_exact_evaluation() {
    let (seed, count) = common::seed_and_count(120);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5e610e);
    let opts = Options {
        time_per_claim: std::time::Duration::from_secs(3),
        ..Options::default()
    };
    let one_box = Options {
        max_boxes: 1,
        ..opts.clone()
    };
    let no_algebra = Options {
        real_algebra: false,
        ..opts.clone()
    };
    // every box to MPFR: the f64 first rung must not change a verdict or a counterexample
    let no_f64 = Options {
        f64_rung: false,
        ..opts.clone()
    };
    let (mut certified, mut refuted, mut by_algebra) = (0, 0, 0);
    for case in 0..count {
        let three = rng.gen_bool(0.25);
        let nterms = rng.gen_range(2..=4);
        let mut p: Poly = Vec::new();
        for _ in 0..nterms {
            let c = rng.gen_range(-3..=3i64);
            if c == 0 {
                continue;
            }
            let e = [
                rng.gen_range(0..=2),
                rng.gen_range(0..=2),
                if three { rng.gen_range(0..=1) } else { 0 },
            ];
            p.push((c, e));
        }
        if p.is_empty() {
            p.push((1, [1, 1, 0]));
        }
        let x0 = small(&mut rng, -1, 0, 2);
        let x1 = small(&mut rng, 1, 2, 2) + &x0;
        let dependent = rng.gen_bool(0.4);
        let y = if dependent {
            (small(&mut rng, -1, 0, 2), small(&mut rng, 1, 3, 2))
        } else {
            let y0 = small(&mut rng, -1, 0, 2);
            let y1 = small(&mut rng, 1, 2, 2) + &y0;
            (y0, y1)
        };
        let sum_at_most = (!dependent && rng.gen_bool(0.4))
            .then(|| Rational::from(&x1 + &y.1) - small(&mut rng, 1, 2, 2));
        // strict relations (and a strict constraint) in one case of four
        let strict = rng.gen_bool(0.25);
        let region = Region {
            x: (x0, x1),
            y,
            dependent,
            sum_at_most,
            strict_sum: strict,
            three,
        };
        let grid = region.grid(8);
        if grid.is_empty() {
            continue;
        }
        let top = grid.iter().map(|v| eval(&p, v)).max().expect("nonempty");
        // at the grid's largest value, just below it, just above it, and 0 (a margin
        // without constant term: a monomial factor to drop)
        let c = match case % 4 {
            0 => top.clone(),
            1 => top.clone() - Rational::from((1, 1000)),
            2 => top.clone() + Rational::from((1, 1000)),
            _ => Rational::new(),
        };
        let mut b = ClaimBuilder::new(format!("r{case}"))
            .param(format!("x in [{}, {}]", region.x.0, region.x.1))
            .param(if region.dependent {
                format!("y in [x + ({}), {}]", region.y.0, region.y.1)
            } else {
                format!("y in [{}, {}]", region.y.0, region.y.1)
            });
        if three {
            b = b.param("z in [0, 1]");
        }
        if let Some(s) = &region.sum_at_most {
            b = b.constraint(format!("x + y {} {s}", if strict { "<" } else { "<=" }));
        }
        let holds = format!("{} {} {c}", text(&p), if strict { "<" } else { "<=" });
        let holds_at = |v: &[Rational; 3]| {
            let e = eval(&p, v);
            if strict { e < c } else { e <= c }
        };
        let claim = b.holds(holds.clone()).build().expect("a valid claim");
        // as `check` decides it, by branch and bound alone, and with one box: the
        // real-algebra decision procedure alone
        let with_f64 = decide(&claim, &opts).remove(0);
        let without = decide(&claim, &no_f64).remove(0);
        assert_eq!(
            (with_f64.verdict, &with_f64.counterexample),
            (without.verdict, &without.counterexample),
            "case {case} (seed {seed}): `{holds}` with and without the f64 rung"
        );
        for opts in [&opts, &no_algebra, &one_box] {
            let o = decide(&claim, opts).remove(0);
            if o.verdict == Verdict::Certified
                && o.coverage
                    .methods
                    .contains_key(&stabcert::ProofMethod::RealAlgebra)
            {
                by_algebra += 1;
            }
            match o.verdict {
                Verdict::Certified => {
                    certified += 1;
                    let mut pts = region.grid(24);
                    for _ in 0..200 {
                        let x = Rational::from(&region.x.1 - &region.x.0)
                            * Rational::from((rng.gen_range(0..=997u32), 997u32))
                            + &region.x.0;
                        let (ylo, yhi) = region.y_range(&x);
                        let y = Rational::from(&yhi - &ylo)
                            * Rational::from((rng.gen_range(0..=991u32), 991u32))
                            + &ylo;
                        let z = Rational::from((rng.gen_range(0..=13u32), 13u32));
                        pts.push([x, y, z]);
                    }
                    for v in pts.iter().filter(|v| region.contains(v)) {
                        assert!(
                            holds_at(v),
                            "case {case} (seed {seed}): certified `{holds}` on {region:?}, but it fails at {v:?}"
                        );
                    }
                }
                Verdict::Refuted => {
                    refuted += 1;
                    let cx = o.counterexample.as_ref().expect("a counterexample");
                    let get = |n: &str| {
                        cx.point
                            .iter()
                            .find(|(m, _)| m == n)
                            .map_or_else(Rational::new, |(_, v)| v.clone())
                    };
                    let v = [get("x"), get("y"), get("z")];
                    assert!(
                        region.contains(&v),
                        "case {case} (seed {seed}): counterexample {v:?} of `{holds}` outside {region:?}"
                    );
                    assert!(
                        !holds_at(&v),
                        "case {case} (seed {seed}): `{holds}` holds at its counterexample {v:?}"
                    );
                }
                _ => {}
            }
            // a claim below the grid's largest value is false
            if case % 4 == 1 || (case % 4 == 3 && top > 0) {
                assert_ne!(o.verdict, Verdict::Certified, "case {case}: `{holds}`");
            }
        }
    }
    // the test must exercise both verdicts, and proofs by real algebra
    assert!(
        certified > 0 && refuted > 0 && by_algebra > 0,
        "{certified} certified, {refuted} refuted, {by_algebra} by real algebra"
    );
}
