//! The rigorous real engine's speed targets (issue 3):
//! - an enclosure of `rec(x, t, 1, T, 0, (1 + a/(0.99*t))*x + 1/(t*n))` at T = 10^7 with
//!   128-bit endpoints;
//! - deciding a one-parameter real claim that needs about a thousand boxes;
//! - a threshold bracket 40 bits wide for a claim whose sides cost microseconds;
//! - the proofs over regions that are not boxes and next to poles (issue 15): each claim of
//!   `examples/dependent.toml`, and `ln(1 + x) <= x` on `(-1, 4]`;
//! - real algebra (z3's nlsat) on `examples/algebra.toml`, after branch and bound and alone;
//! - the f64 first rung of box evaluation, on and off, on claims decided by many boxes
//!   (`-- rung`).
//!
//! Run: `cargo bench --bench real_engine`

use criterion::{Criterion, criterion_group, criterion_main};
use rug::Rational;
use stabcert::claims::{Claim, ClaimBuilder};
use stabcert::decide::{Options, decide};
use stabcert::exact::Budget;
use stabcert::expr::parse_expr;
use stabcert::real;
use std::time::Duration;

/// About a thousand boxes.
fn boxes_claim() -> Claim {
    ClaimBuilder::new("floor")
        .source("bench")
        .text("about a thousand boxes")
        .param("x in [0, 7]")
        .holds("floor(100*x) <= 100*x + 1/2")
        .build()
        .expect("builds")
}

/// `n^a <= 2` for n <= 10 holds for a up to ln 2 / ln 10.
fn threshold_claim() -> Claim {
    ClaimBuilder::new("thr")
        .source("bench")
        .param("n in 1..=10")
        .param("a in [0, 1]")
        .holds("n^a <= 2")
        .threshold("a")
        .build()
        .expect("builds")
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("real_engine");
    g.sample_size(10).measurement_time(Duration::from_secs(30));

    let e = parse_expr("rec(x, t, 1, T, 0, (1 + a/(0.99*t))*x + 1/(t*n))").expect("parses");
    let pt = vec![
        ("T".to_string(), Rational::from(10_000_000)),
        ("a".to_string(), Rational::from((1, 100))),
        ("n".to_string(), Rational::from(10)),
    ];
    g.bench_function("rec_enclosure_T1e7_128bit", |b| {
        b.iter(|| real::eval_at(&e, &pt, 128, &Budget::default()).expect("encloses"))
    });

    let claim = boxes_claim();
    let o = decide(&claim, &Options::default()).remove(0);
    eprintln!(
        "boxes claim: verdict {}, {} boxes proven, {} points",
        o.verdict.as_str(),
        o.coverage.boxes,
        o.coverage.points
    );
    g.bench_function("decide_about_1000_boxes", |b| {
        b.iter(|| decide(&claim, &Options::default()))
    });

    let claim = threshold_claim();
    let opts = Options {
        search_rel_width: Rational::from((1, 1u64 << 40)),
        ..Options::default()
    };
    let o = decide(&claim, &opts).remove(0);
    let t = o.threshold.expect("a threshold");
    eprintln!("threshold bracket: [{}, {}]", t.lo, t.hi);
    g.bench_function("threshold_bracket_40_bits", |b| {
        b.iter(|| decide(&claim, &opts))
    });

    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/dependent.toml"),
    )
    .expect("examples/dependent.toml");
    let mut claims = stabcert::claims::load_str("examples/dependent.toml", &text).expect("loads");
    claims.push(
        ClaimBuilder::new("pole.tail")
            .param("x in (-1, 4]")
            .holds("ln(1 + x) <= x")
            .build()
            .expect("builds"),
    );
    for claim in &claims {
        let o = decide(claim, &Options::default()).remove(0);
        eprintln!(
            "{}: verdict {}, {} boxes proven, {} points",
            claim.id,
            o.verdict.as_str(),
            o.coverage.boxes,
            o.coverage.points
        );
        g.bench_function(format!("region_{}", claim.id), |b| {
            b.iter(|| decide(claim, &Options::default()))
        });
    }

    // real algebra (z3's nlsat) on the relations branch and bound leaves open: each claim of
    // examples/algebra.toml as `check` decides it (branch and bound first), and with one box
    // (the solver alone, plus the exact re-check of a failing point)
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/algebra.toml"),
    )
    .expect("examples/algebra.toml");
    let claims = stabcert::claims::load_str("examples/algebra.toml", &text).expect("loads");
    let one_box = Options {
        max_boxes: 1,
        ..Options::default()
    };
    for claim in &claims {
        for (name, opts) in [
            ("algebra", &Options::default()),
            ("algebra_one_box", &one_box),
        ] {
            let o = decide(claim, opts).remove(0);
            eprintln!(
                "{name} {}: verdict {}, methods {:?}",
                claim.id,
                o.verdict.as_str(),
                o.coverage.methods
            );
            g.bench_function(format!("{name}_{}", claim.id), |b| {
                b.iter(|| decide(claim, opts))
            });
        }
    }

    // the f64 first rung of box evaluation, on and off (every box to MPFR), on claims whose
    // proofs take many boxes: the floor claim above, examples with real parameters, and the
    // paper's claim with the most proven boxes
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let load = |file: &str| {
        let text = std::fs::read_to_string(root.join(file)).expect("claim file");
        stabcert::claims::load_str(file, &text).expect("loads")
    };
    let pick = |file: &str, ids: &[&str]| -> Vec<Claim> {
        load(file)
            .into_iter()
            .filter(|c| ids.contains(&c.id.as_str()))
            .collect()
    };
    let mut rung_claims = vec![boxes_claim()];
    rung_claims.extend(pick("examples/dependent.toml", &["dependent.simplex"]));
    rung_claims.extend(pick(
        "examples/touching.toml",
        &["touching.exp.tangent", "touching.bernoulli.real"],
    ));
    rung_claims.extend(
        stabcert::claims::load_catalogue()
            .expect("the catalogue loads")
            .into_iter()
            .filter(|c| c.id == "thm5.hitting"),
    );
    let mpfr_only = Options {
        f64_rung: false,
        ..Options::default()
    };
    for claim in &rung_claims {
        for (name, opts) in [("rung_f64", &Options::default()), ("rung_mpfr", &mpfr_only)] {
            let o = decide(claim, opts).remove(0);
            eprintln!(
                "{name} {}: verdict {}, {} boxes proven, {} points",
                claim.id,
                o.verdict.as_str(),
                o.coverage.boxes,
                o.coverage.points
            );
            g.bench_function(format!("{name}_{}", claim.id), |b| {
                b.iter(|| decide(claim, opts))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
