//! The construction engine against brute force: for tiny n and T, every index sequence of
//! the coupled SGD runs (with replacement: all n^(T-F) sequences; reshuffling: all
//! sequences of per-epoch permutations) is simulated exactly in d = 3 dimensions, with the
//! shared examples in the range of A, and the exact averages of ||w_T - w'_T|| (and the
//! conditional ones) must equal the quantities the engine derived from the update rule.

use proptest::prelude::*;
use rug::{Integer, Rational};
use stabcert::construction::{Sampling, Spec};
use stabcert::exact::{self, Budget, Env};
use stabcert::expr::{Expr, parse_expr};

type V3 = [Rational; 3];

#[derive(Clone, Debug)]
struct Instance {
    n: usize,
    first: i64,
    horizon: i64, // T
    lambda: Rational,
    others: [Rational; 2], // other eigenvalues of A (positive)
    x: Rational,
    x_twin: Rational,
    y: Rational,
    y_twin: Rational,
    c: Rational,
    decreasing: bool, // alpha_t = c/t or c
    shared: Vec<(V3, Rational)>,
    w0: V3,
    sampling: Sampling,
}

fn q(n: i64, d: i64) -> Rational {
    Rational::from((n, d))
}

impl Instance {
    fn alpha(&self, t: i64) -> Rational {
        if self.decreasing {
            Rational::from(&self.c / t)
        } else {
            self.c.clone()
        }
    }

    fn eig(&self, k: usize) -> &Rational {
        if k == 0 {
            &self.lambda
        } else {
            &self.others[k - 1]
        }
    }

    /// example k of S (k = 0 is the differing one)
    fn example(&self, k: usize, twin: bool) -> (V3, Rational) {
        if k == 0 {
            let (x, y) = if twin {
                (&self.x_twin, &self.y_twin)
            } else {
                (&self.x, &self.y)
            };
            ([x.clone(), Rational::new(), Rational::new()], y.clone())
        } else {
            self.shared[k - 1].clone()
        }
    }

    fn step(&self, w: &V3, k: usize, twin: bool, t: i64) -> V3 {
        let (x, y) = self.example(k, twin);
        let a = self.alpha(t);
        std::array::from_fn(|j| {
            let grad = Rational::from(self.eig(j) * &w[j]) - Rational::from(&y * &x[j]);
            &w[j] - Rational::from(&a * &grad)
        })
    }

    /// All index sequences of steps first..T-1, each equally likely.
    fn sequences(&self) -> Vec<Vec<usize>> {
        let len = (self.horizon - self.first) as usize;
        let mut out = vec![vec![]];
        match self.sampling {
            Sampling::WithReplacement => {
                for _ in 0..len {
                    out = out
                        .into_iter()
                        .flat_map(|s| {
                            (0..self.n).map(move |k| {
                                let mut s = s.clone();
                                s.push(k);
                                s
                            })
                        })
                        .collect();
                }
            }
            Sampling::Reshuffle => {
                let perms = permutations(self.n);
                let epochs = len.div_ceil(self.n);
                for _ in 0..epochs {
                    out = out
                        .into_iter()
                        .flat_map(|s| {
                            perms.iter().map(move |p| {
                                let mut s = s.clone();
                                s.extend(p);
                                s
                            })
                        })
                        .collect();
                }
                for s in &mut out {
                    s.truncate(len);
                }
            }
        }
        out
    }
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for pos in 0..=p.len() {
            let mut p2 = p.clone();
            p2.insert(pos, n - 1);
            out.push(p2);
        }
    }
    out
}

fn exact_sqrt(v: &Rational) -> Rational {
    let (n, d) = (v.numer().clone(), v.denom().clone());
    let (rn, rd) = (n.clone().sqrt(), d.clone().sqrt());
    assert!(
        Integer::from(&rn * &rn) == n && Integer::from(&rd * &rd) == d,
        "||Delta||^2 = {v} is not a perfect square: Delta left the eigen-direction"
    );
    Rational::from((rn, rd))
}

struct Brute {
    div_t: Rational,
    p_zero: Rational,
    zero: Option<Rational>,
    nonzero: Option<Rational>,
    p_first: Rational,
    first: Option<Rational>,
    div_t0: Rational,
    div_t0_nonzero: Option<Rational>,
}

fn brute(inst: &Instance, t0: i64, s: i64) -> Brute {
    let seqs = inst.sequences();
    let total = Rational::from(seqs.len());
    let mut sum = Rational::new();
    let (mut t0_sum, mut t0_nz) = (Rational::new(), Rational::new());
    let (mut zc, mut zs, mut nzc, mut nzs, mut fc, mut fs) = (
        0u64,
        Rational::new(),
        0u64,
        Rational::new(),
        0u64,
        Rational::new(),
    );
    for seq in &seqs {
        let mut w = inst.w0.clone();
        let mut w2 = inst.w0.clone();
        let mut delta_t0_zero = t0 == inst.first;
        let mut norm_t0 = Rational::new();
        for (k, &idx) in seq.iter().enumerate() {
            let t = inst.first + k as i64;
            w = inst.step(&w, idx, false, t);
            w2 = inst.step(&w2, idx, true, t);
            if t + 1 == t0 {
                delta_t0_zero = (0..3).all(|j| w[j] == w2[j]);
                let sq = (0..3).fold(Rational::new(), |acc, j| {
                    let d = Rational::from(&w[j] - &w2[j]);
                    acc + Rational::from(&d * &d)
                });
                norm_t0 = exact_sqrt(&sq);
            }
        }
        let sq = (0..3).fold(Rational::new(), |acc, j| {
            let d = Rational::from(&w[j] - &w2[j]);
            acc + Rational::from(&d * &d)
        });
        let norm = exact_sqrt(&sq);
        sum += &norm;
        t0_sum += &norm_t0;
        if !delta_t0_zero {
            t0_nz += &norm_t0;
        }
        if delta_t0_zero {
            zc += 1;
            zs += &norm;
        } else {
            nzc += 1;
            nzs += &norm;
        }
        let h = seq
            .iter()
            .position(|&k| k == 0)
            .map(|p| inst.first + p as i64);
        if h == Some(s) {
            fc += 1;
            fs += &norm;
        }
    }
    Brute {
        div_t: sum / &total,
        p_zero: Rational::from(zc) / &total,
        zero: (zc > 0).then(|| zs / zc),
        nonzero: (nzc > 0).then(|| nzs / nzc),
        p_first: Rational::from(fc) / &total,
        first: (fc > 0).then(|| fs / fc),
        div_t0: t0_sum / &total,
        div_t0_nonzero: (nzc > 0).then(|| t0_nz / nzc),
    }
}

fn lit(v: &Rational) -> Expr {
    let e = Expr::Num(Rational::from(v.abs_ref()));
    if *v < 0 { Expr::Neg(Box::new(e)) } else { e }
}

fn spec(inst: &Instance) -> Spec {
    let step = if inst.decreasing {
        Expr::bin(
            stabcert::expr::BinOp::Div,
            lit(&inst.c),
            Expr::Var("t".into()),
        )
    } else {
        lit(&inst.c)
    };
    Spec {
        eigenvalue: lit(&inst.lambda),
        x: lit(&inst.x),
        x_twin: lit(&inst.x_twin),
        y: lit(&inst.y),
        y_twin: lit(&inst.y_twin),
        step,
        first_step: Expr::num(inst.first),
        sampling: inst.sampling,
    }
}

/// The derived quantities at (n, T, t0, s), or None where a guard fails.
fn derived(inst: &Instance, t0: i64, s: i64) -> Vec<(String, Option<Result<Rational, String>>)> {
    let mut env = Env::new();
    env.push("n", Rational::from(inst.n));
    env.push("T", Rational::from(inst.horizon));
    env.push("t0", Rational::from(t0));
    env.push("s", Rational::from(s));
    let b = Budget::default();
    spec(inst)
        .quantities()
        .into_iter()
        .map(|qt| {
            let ok = qt.guards.iter().all(|(_, r)| {
                match (
                    exact::eval(&r.lhs, &mut env, &b),
                    exact::eval(&r.rhs, &mut env, &b),
                ) {
                    (Ok(l), Ok(h)) => r.rel.holds(l.cmp(&h)),
                    _ => false,
                }
            });
            (
                qt.name,
                ok.then(|| exact::eval(&qt.expr, &mut env, &b).map_err(|e| e.to_string())),
            )
        })
        .collect()
}

fn small_q() -> impl Strategy<Value = Rational> {
    (-6i64..=6, 1i64..=4).prop_map(|(a, b)| q(a, b))
}

fn instance() -> impl Strategy<Value = Instance> {
    (
        2usize..=3,
        1i64..=2,
        0i64..=5,
        prop::sample::select(vec![q(-1, 2), q(-1, 1), q(0, 1), q(1, 4), q(1, 2)]),
        (1i64..=4, 1i64..=4),
        (small_q(), small_q(), small_q(), small_q()),
        (1i64..=3, 1i64..=4, prop::bool::ANY, prop::bool::ANY),
        prop::collection::vec((small_q(), small_q(), small_q()), 2),
        (small_q(), small_q(), small_q()),
    )
        .prop_map(
            |(
                n,
                first,
                len,
                lambda,
                (e1, e2),
                (x, xt, y, yt),
                (cn, cd, decreasing, rr),
                shared,
                w0,
            )| Instance {
                n,
                first,
                horizon: first + len,
                lambda,
                others: [q(e1, 2), q(e2, 3)],
                x,
                x_twin: xt,
                y,
                y_twin: yt,
                c: q(cn, cd * 2),
                decreasing,
                shared: shared
                    .into_iter()
                    .map(|(a, b2, yy)| ([Rational::new(), a, b2], yy))
                    .collect(),
                w0: [w0.0, w0.1, w0.2],
                sampling: if rr {
                    Sampling::Reshuffle
                } else {
                    Sampling::WithReplacement
                },
            },
        )
}

/// Instances whose guards hold (positive multipliers, increments of one sign), so every
/// quantity that conditions on a non-null event is compared.
fn nice_instance() -> impl Strategy<Value = Instance> {
    (instance(), 1i64..=3, -3i64..=-1, 1i64..=3, 1i64..=3).prop_map(|(mut inst, x, xt, y, yt)| {
        inst.x = q(x, 1);
        inst.x_twin = q(xt, 2);
        inst.y = q(y, 2);
        inst.y_twin = q(yt, 1);
        inst.c = Rational::from(inst.c.abs_ref()) + q(1, 8);
        inst
    })
}

fn check_instance(inst: &Instance, t0: i64, s: i64) -> Result<usize, TestCaseError> {
    let bf = brute(inst, t0, s);
    let mut compared = 0;
    for (name, val) in derived(inst, t0, s) {
        let Some(val) = val else { continue }; // a guard fails: the closed form makes no claim
        let expect = match name.as_str() {
            "div_T" => Some(bf.div_t.clone()),
            "p_zero_t0" => Some(bf.p_zero.clone()),
            "div_T_given_zero_t0" => bf.zero.clone(),
            "div_T_given_nonzero_t0" => bf.nonzero.clone(),
            "p_first_s" => Some(bf.p_first.clone()),
            "div_T_given_first_s" => bf.first.clone(),
            "div_t0" => Some(bf.div_t0.clone()),
            "div_t0_given_nonzero_t0" => bf.div_t0_nonzero.clone(),
            _ => unreachable!(),
        };
        match (expect, val) {
            (Some(e), Ok(v)) => {
                prop_assert_eq!(&v, &e, "{} for {:?} at t0={}, s={}", name, inst, t0, s);
                compared += 1;
            }
            // a conditional on a null event: the formula must not produce a number
            (None, v) => prop_assert!(
                v.is_err(),
                "{} = {:?} conditions on a null event ({:?})",
                name,
                v,
                inst
            ),
            (Some(e), Err(m)) => prop_assert!(
                false,
                "{} undefined ({}) but brute force gives {}",
                name,
                m,
                e
            ),
        }
    }
    Ok(compared)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn derived_quantities_equal_brute_force(inst in instance(), k0 in 0i64..=6, ks in 0i64..=6) {
        let t0 = inst.first + k0.min(inst.horizon - inst.first);
        let s = inst.first + ks.min((inst.horizon - inst.first - 1).max(0));
        check_instance(&inst, t0, s)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn guarded_instances_compare_every_defined_quantity(inst in nice_instance(), k0 in 1i64..=6, ks in 0i64..=6) {
        prop_assume!(inst.horizon > inst.first + 1);
        let t0 = inst.first + k0.min(inst.horizon - inst.first);
        let s = inst.first + ks.min(inst.horizon - inst.first - 1);
        let compared = check_instance(&inst, t0, s)?;
        // div_T, p_zero_t0, p_first_s and at least one conditional of each pair are defined
        prop_assert!(compared >= 4, "only {} quantities compared for {:?}", compared, inst);
    }
}

#[test]
fn the_paper_like_instances_are_all_compared() {
    // negative curvature with 1/t steps (Lemma 4's shape) and the convex null direction
    // (Theorem 1's shape), both sampling schemes: every quantity is compared
    for sampling in [Sampling::WithReplacement, Sampling::Reshuffle] {
        for (lambda, decreasing) in [(q(-1, 1), true), (q(0, 1), false)] {
            let inst = Instance {
                n: 3,
                first: 1,
                horizon: 7,
                lambda,
                others: [q(1, 2), q(2, 3)],
                x: q(1, 1),
                x_twin: q(-1, 1),
                y: q(1, 2),
                y_twin: q(1, 2),
                c: q(1, 2),
                decreasing,
                shared: vec![
                    ([q(0, 1), q(1, 1), q(2, 1)], q(1, 3)),
                    ([q(0, 1), q(-1, 2), q(1, 1)], q(1, 1)),
                ],
                w0: [q(1, 5), q(-3, 2), q(1, 1)],
                sampling,
            };
            let compared = check_instance(&inst, 3, 2).unwrap();
            assert_eq!(compared, 8, "{sampling:?} {inst:?}");
        }
    }
}

#[test]
fn guards_are_not_vacuous() {
    // m_t = 1 - alpha*lambda = -2 < 0: theta alternates sign, E|theta| != |E theta|
    let inst = Instance {
        n: 2,
        first: 1,
        horizon: 4,
        lambda: q(3, 1),
        others: [q(1, 1), q(1, 1)],
        x: q(1, 1),
        x_twin: q(-1, 1),
        y: q(1, 2),
        y_twin: q(1, 2),
        c: q(1, 1),
        decreasing: false,
        shared: vec![([q(0, 1), q(1, 1), q(0, 1)], q(1, 1))],
        w0: [q(0, 1), q(0, 1), q(0, 1)],
        sampling: Sampling::WithReplacement,
    };
    let d = derived(&inst, 2, 1);
    assert!(
        d.iter().find(|(n, _)| *n == "div_T").unwrap().1.is_none(),
        "the guard must reject m_t < 0"
    );
    // and the unguarded closed form is indeed wrong here
    let e = spec(&inst)
        .quantities()
        .into_iter()
        .find(|q| q.name == "div_T")
        .unwrap();
    let mut env = Env::new();
    env.push("n", Rational::from(2));
    env.push("T", Rational::from(4));
    let v = exact::eval(&e.expr, &mut env, &Budget::default()).unwrap();
    assert_ne!(v, brute(&inst, 2, 1).div_t);
    let _ = parse_expr("0");
}

/// Both ends of "F <= t0 <= T" are checked: at t0 > T the conditional quantities mean
/// nothing, so the point is undecided with the guard's text, never certified or refuted.
#[test]
fn t0_after_t_fails_the_construction_guard() {
    let constructions = include_str!("../proofs/paper/constructions.toml");
    let claim = r#"
[[claim]]
id = "late_t0"
source = "test"
text = "t0 beyond T"
params = ["n = 3", "T = 5", "t0 = 7", "a = 1/20"]
construction = "nonconvex.decreasing"
holds = "p_zero_t0 >= 0"
"#;
    let claims = stabcert::claims::load_sources(&[
        ("constructions.toml".into(), constructions.into()),
        ("late.toml".into(), claim.into()),
    ])
    .unwrap();
    let c = claims.iter().find(|c| c.id == "late_t0").unwrap();
    let o = stabcert::decide(c, &stabcert::Options::default()).remove(0);
    assert_eq!(o.verdict, stabcert::Verdict::Undecided, "{:?}", o.reason());
    assert!(
        matches!(
            &o.reasons[0],
            stabcert::Reason::AtPoint { why, .. }
                if matches!(&**why, stabcert::Reason::GuardFails { condition }
                    if condition.contains("F <= t0 <= T"))
        ),
        "{:?}",
        o.reasons
    );
    // inside the run the same quantity is decided
    let ok = claim.replace("\"t0 = 7\"", "\"t0 = 4\"");
    let claims = stabcert::claims::load_sources(&[
        ("constructions.toml".into(), constructions.into()),
        ("ok.toml".into(), ok),
    ])
    .unwrap();
    let c = claims.iter().find(|c| c.id == "late_t0").unwrap();
    let o = stabcert::decide(c, &stabcert::Options::default()).remove(0);
    assert_eq!(o.verdict, stabcert::Verdict::Certified, "{:?}", o.reason());
}
