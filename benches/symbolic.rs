//! The symbolic engine's speed target (issue 6): each operation on the paper's bounds
//! (Theorem 4's `2 L^2 T^a / n^(1+a)` against Hardt et al.'s Theorem 3.12 with c = a,
//! beta = 1) in under 100 ms, numerical checks included.
//!
//! Run: `cargo bench --bench symbolic`

use criterion::{Criterion, criterion_group, criterion_main};
use stabcert::expr::parse_expr;
use stabcert::symbolic::{self, range::Assumptions};

const THM4: &str = "2*L^2*T^a/n^(1+a)";
const HARDT: &str = "(1 + 1/a)/(n - 1)*(2*a*L^2)^(1/(a + 1))*T^(a/(a + 1))";

fn bench(c: &mut Criterion) {
    let mut asm = Assumptions::default();
    asm.add("a in (0, 1)").unwrap();
    asm.add("n in 2..=1000000000").unwrap();
    let a = parse_expr(THM4).unwrap();
    let b = parse_expr(HARDT).unwrap();
    let path = symbolic::parse_path("T = n^2").unwrap();
    let vars = vec!["n".to_string(), "T".to_string()];
    let mut g = c.benchmark_group("symbolic");
    g.bench_function("simplify Hardt 3.12", |x| {
        x.iter(|| symbolic::simplify(&b, &asm))
    });
    g.bench_function("ratio Thm4 / Hardt", |x| {
        x.iter(|| symbolic::ratio(&a, &b, &asm))
    });
    g.bench_function("crossover Thm4 <= Hardt for T", |x| {
        x.iter(|| symbolic::crossover(&a, &b, "T", &[], &asm))
    });
    g.bench_function("dominance along T = n^2", |x| {
        x.iter(|| symbolic::dominance(&a, &b, &vars, Some(&path), &asm))
    });
    let sq = parse_expr("(n + 1)^2").unwrap();
    let ex = parse_expr("n^2 + 2*n + 1").unwrap();
    g.bench_function("equal (n+1)^2 = n^2+2n+1 (egg)", |x| {
        x.iter(|| symbolic::equal(&sq, &ex, &asm))
    });
    g.bench_function("equal Thm4 vs itself regrouped (normal form)", |x| {
        let r = parse_expr("L*L*2*(T/n)^a/n").unwrap();
        x.iter(|| symbolic::equal(&a, &r, &asm))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
