//! Issue 18's speed target: a one-dimensional absolute-loss construction, n = 10, T = 50,
//! decided exactly by propagating the law of (w_t, w'_t) (`stabcert::propagate`). The
//! examples: S has x_i = 1 - i/10 with labels y_i = i/20, S' differs in example 0 (x = -1,
//! y = 1/2); constant step 1/10; start at 0. The number of states reached is printed once.
//! (With the step 1/t the iterates stop sharing values: the law passes 10^7 states at step
//! 11, and the budget ends the run with a message.)
//!
//! Run: `cargo bench --bench propagate`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rug::Rational;
use stabcert::expr::parse_expr;
use stabcert::propagate::{Draws, LossConstruction};
use std::time::Duration;

fn construction(step: &str) -> LossConstruction {
    let s: Vec<Vec<Rational>> = (0..10u64)
        .map(|i| {
            vec![
                Rational::from(1) - Rational::from((i, 10)),
                Rational::from((i, 20)),
            ]
        })
        .collect();
    let mut s_twin = s.clone();
    s_twin[0] = vec![Rational::from(-1), Rational::from((1, 2))];
    LossConstruction {
        loss: parse_expr("abs(w*x - y)").expect("parses"),
        weights: vec!["w".into()],
        fields: vec!["x".into(), "y".into()],
        s,
        s_twin,
        step: parse_expr(step).expect("parses"),
        first_step: 1,
        start: vec![Rational::new()],
        draws: Draws::WithReplacement,
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("propagate_abs_n10");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    let step = "1/10";
    let con = construction(step);
    let law = con.propagate(50, 10_000_000).expect("within the budget");
    eprintln!(
        "step {step}: {} states at T = 50, E|w_T - w'_T| = {:?}",
        law.states.len(),
        law.expected_distance(64)
    );
    g.bench_with_input(BenchmarkId::new("T50", step), &con, |b, con| {
        b.iter(|| con.propagate(50, 10_000_000).expect("within the budget"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
