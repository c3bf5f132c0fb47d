//! Exact twin-SGD propagation for constructions given by their loss (`stabcert::propagate`),
//! validated two ways that share none of its code: every index sequence of tiny instances
//! (with replacement, and every permutation prefix under reshuffling) enumerated and run
//! with a gradient written out by hand, and the quadratic family against the closed forms
//! that `construction.rs` derives (the catalogue's Lemma 1 construction, and Theorem 3's
//! under reshuffling, evaluated by the exact engine).

use rug::Rational;
use stabcert::claims;
use stabcert::exact::{self, Budget, Env};
use stabcert::expr::parse_expr;
use stabcert::propagate::{Draws, Expectation, LossConstruction};

fn q(s: &str) -> Rational {
    s.parse().unwrap()
}

fn one_dim(loss: &str, s: &[[&str; 2]], s_twin: &[[&str; 2]], step: &str) -> LossConstruction {
    let ex = |v: &[[&str; 2]]| v.iter().map(|e| vec![q(e[0]), q(e[1])]).collect();
    LossConstruction {
        loss: parse_expr(loss).unwrap(),
        weights: vec!["w".into()],
        fields: vec!["x".into(), "y".into()],
        s: ex(s),
        s_twin: ex(s_twin),
        step: parse_expr(step).unwrap(),
        first_step: 1,
        start: vec![q("1/5")],
        draws: Draws::WithReplacement,
    }
}

/// E|w_T - w'_T| by running every index sequence of the steps t = 1..T-1, with the
/// absolute loss's subgradient sign(w x - y) x (sign(0) = 0) written out here.
fn brute_force_abs(
    s: &[[Rational; 2]],
    s_twin: &[[Rational; 2]],
    alpha: &dyn Fn(u64) -> Rational,
    t_end: u64,
) -> Rational {
    let n = s.len();
    let steps = (t_end - 1) as u32;
    let grad = |w: &Rational, z: &[Rational; 2]| {
        let r = Rational::from(w * &z[0]) - &z[1];
        Rational::from(r.cmp0() as i32) * &z[0]
    };
    let mut total = Rational::new();
    for code in 0..n.pow(steps) {
        let (mut w, mut w2) = (q("1/5"), q("1/5"));
        let mut c = code;
        for t in 1..t_end {
            let i = c % n;
            c /= n;
            let a = alpha(t);
            w -= Rational::from(&a * &grad(&w, &s[i]));
            w2 -= Rational::from(&a * &grad(&w2, &s_twin[i]));
        }
        total += Rational::from(&w - &w2).abs();
    }
    total / Rational::from(n.pow(steps))
}

#[test]
fn absolute_loss_agrees_with_every_index_sequence() {
    let s = [["1", "0"], ["1/2", "1"], ["-1", "1/3"]];
    let s_twin = [["-1", "1"], ["1/2", "1"], ["-1", "1/3"]];
    for (step, alpha) in [
        (
            "1/4",
            Box::new(|_| q("1/4")) as Box<dyn Fn(u64) -> Rational>,
        ),
        ("1/(2*t)", Box::new(|t| Rational::from((1, 2 * t)))),
    ] {
        let c = one_dim("abs(w*x - y)", &s, &s_twin, step);
        for t_end in [1, 2, 4, 7] {
            let law = c.propagate(t_end, 100_000).unwrap();
            let Expectation::Exact(e) = law.expected_distance(64) else {
                panic!("one dimension is exact");
            };
            let rq = |v: &[[&str; 2]]| -> Vec<[Rational; 2]> {
                v.iter().map(|e| [q(e[0]), q(e[1])]).collect()
            };
            let b = brute_force_abs(&rq(&s), &rq(&s_twin), &alpha, t_end);
            assert_eq!(e, b, "step {step}, T = {t_end}");
        }
    }
}

#[test]
fn the_quadratic_family_agrees_with_the_closed_forms() {
    // Lemma 1's construction: f(w; z) = 1/2 lambda w^2 - y x w, x_i = 1, x'_i = -1, y = 1,
    // alpha_t = c/t; the shared examples (x = 0) only contract both runs alike
    let specs = claims::catalogue_constructions().unwrap();
    let spec = &specs.iter().find(|(i, _)| i == "lemma1").unwrap().1;
    let div = spec
        .quantities()
        .into_iter()
        .find(|q| q.name == "div_T")
        .unwrap();
    for (n, lambda, c, t_end) in [
        (2u64, "1/2", "1/10", 6u64),
        (3, "1", "1/4", 7),
        (4, "-1/3", "1/5", 5),
    ] {
        let mut s = vec![["1", "1"]];
        let mut s_twin = vec![["-1", "1"]];
        for _ in 1..n {
            s.push(["0", "0"]);
            s_twin.push(["0", "0"]);
        }
        let loss = format!("1/2*({lambda})*w^2 - y*x*w");
        let mut con = one_dim(&loss, &s, &s_twin, &format!("({c})/t"));
        con.start = vec![q("0")];
        let law = con.propagate(t_end, 1_000_000).unwrap();
        let Expectation::Exact(e) = law.expected_distance(64) else {
            panic!("exact");
        };
        let budget = Budget::default();
        let mut env = Env::new();
        env.push("n", Rational::from(n));
        env.push("lambda", q(lambda));
        env.push("c", q(c));
        env.push("T", Rational::from(t_end));
        for (what, g) in &div.guards {
            let l = exact::eval(&g.lhs, &mut env, &budget).unwrap();
            let r = exact::eval(&g.rhs, &mut env, &budget).unwrap();
            assert!(g.rel.holds(l.cmp(&r)), "guard fails: {what}");
        }
        let closed = exact::eval(&div.expr, &mut env, &budget).unwrap();
        assert_eq!(
            e, closed,
            "n = {n}, lambda = {lambda}, c = {c}, T = {t_end}"
        );
    }
}

#[test]
fn two_weights_give_an_enclosure_around_the_exact_square() {
    // a loss in two weights that couples them: the distance is a square root
    let c = LossConstruction {
        loss: parse_expr("abs(w1*x + w2*y - 1) + (w1 - w2)^2/2").unwrap(),
        weights: vec!["w1".into(), "w2".into()],
        fields: vec!["x".into(), "y".into()],
        s: vec![vec![q("1"), q("0")], vec![q("0"), q("1")]],
        s_twin: vec![vec![q("0"), q("1")], vec![q("0"), q("1")]],
        step: parse_expr("1/3").unwrap(),
        first_step: 1,
        start: vec![q("0"), q("0")],
        draws: Draws::WithReplacement,
    };
    let law = c.propagate(5, 10_000).unwrap();
    let sq = law.expected_sq_distance();
    match law.expected_distance(128) {
        Expectation::Enclosure(lo, hi) => {
            assert!(lo <= hi && Rational::from(&hi - &lo) < Rational::from((1, 1u128 << 100)));
            // Jensen: (E||D||)^2 <= E||D||^2
            assert!(Rational::from(&lo * &lo) <= sq);
        }
        Expectation::Exact(e) => assert!(Rational::from(&e * &e) <= sq),
    }
    assert!(law.p_equal() < 1);
}

/// Every sequence of indices that reshuffling can draw for the steps t = 1..T-1: per epoch
/// of n steps a prefix of a permutation (all equally likely).
fn reshuffled_sequences(n: usize, steps: usize) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    for k in 0..steps {
        let mut next = Vec::new();
        for seq in &out {
            let epoch_start = k - k % n;
            for i in 0..n {
                if !seq[epoch_start..].contains(&i) {
                    let mut s = seq.clone();
                    s.push(i);
                    next.push(s);
                }
            }
        }
        out = next;
    }
    out
}

#[test]
fn reshuffling_agrees_with_every_permutation_sequence() {
    let rq =
        |v: &[[&str; 2]]| -> Vec<[Rational; 2]> { v.iter().map(|e| [q(e[0]), q(e[1])]).collect() };
    let s = [["1", "0"], ["1/2", "1"], ["-1", "1/3"]];
    let s_twin = [["-1", "1"], ["1/2", "1"], ["-1", "1/3"]];
    let mut c = one_dim("abs(w*x - y)", &s, &s_twin, "1/4");
    c.draws = Draws::Reshuffle;
    let (s, s_twin) = (rq(&s), rq(&s_twin));
    let grad = |w: &Rational, z: &[Rational; 2]| {
        let r = Rational::from(w * &z[0]) - &z[1];
        Rational::from(r.cmp0() as i32) * &z[0]
    };
    for t_end in [2u64, 4, 5, 8] {
        let seqs = reshuffled_sequences(3, (t_end - 1) as usize);
        let mut total = Rational::new();
        for seq in &seqs {
            let (mut w, mut w2) = (q("1/5"), q("1/5"));
            for &i in seq {
                w -= q("1/4") * &grad(&w, &s[i]);
                w2 -= q("1/4") * &grad(&w2, &s_twin[i]);
            }
            total += Rational::from(&w - &w2).abs();
        }
        let brute = total / Rational::from(seqs.len());
        let law = c.propagate(t_end, 100_000).unwrap();
        assert_eq!(
            law.expected_distance(64),
            Expectation::Exact(brute),
            "T = {t_end}"
        );
    }
    // n above 64 is refused with a message
    let mut big = one_dim("abs(w*x - y)", &[["1", "0"]; 65], &[["1", "0"]; 65], "1");
    big.draws = Draws::Reshuffle;
    assert!(
        big.propagate(3, 10)
            .unwrap_err()
            .to_string()
            .contains("up to 64")
    );
}

#[test]
fn reshuffled_quadratic_agrees_with_the_closed_form() {
    // the catalogue's Theorem 3 construction under reshuffling: eigenvalue -a/0.99,
    // x_i = 1, x'_i = -1, y = 1/2, alpha_t = 1/t
    let specs = claims::catalogue_constructions().unwrap();
    let spec = &specs
        .iter()
        .find(|(i, _)| i == "nonconvex.decreasing.permutation")
        .unwrap()
        .1;
    let div = spec
        .quantities()
        .into_iter()
        .find(|q| q.name == "div_T")
        .unwrap();
    for (n, t_end) in [(2u64, 6u64), (3, 8), (4, 7)] {
        let mut s = vec![["1", "1/2"]];
        let mut s_twin = vec![["-1", "1/2"]];
        for _ in 1..n {
            s.push(["0", "0"]);
            s_twin.push(["0", "0"]);
        }
        let mut con = one_dim("1/2*(-(1/10)/0.99)*w^2 - y*x*w", &s, &s_twin, "1/t");
        con.start = vec![q("0")];
        con.draws = Draws::Reshuffle;
        let Expectation::Exact(e) = con
            .propagate(t_end, 1_000_000)
            .unwrap()
            .expected_distance(64)
        else {
            panic!("exact");
        };
        let budget = Budget::default();
        let mut env = Env::new();
        env.push("n", Rational::from(n));
        env.push("a", q("1/10"));
        env.push("T", Rational::from(t_end));
        for (what, g) in &div.guards {
            let l = exact::eval(&g.lhs, &mut env, &budget).unwrap();
            let r = exact::eval(&g.rhs, &mut env, &budget).unwrap();
            assert!(g.rel.holds(l.cmp(&r)), "guard fails: {what}");
        }
        let closed = exact::eval(&div.expr, &mut env, &budget).unwrap();
        assert_eq!(e, closed, "n = {n}, T = {t_end}");
    }
}
