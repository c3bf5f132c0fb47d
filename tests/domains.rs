//! Domains that are not boxes: real parameters whose bounds use earlier real parameters,
//! and `where` constraints between parameters. Every true claim is certified, every false one
//! refuted at a point of the domain (the kernel re-checks that it satisfies every bound and
//! constraint). The figures pinned here were confirmed independently with exact rationals
//! by `tests/oracles/domains.py` (the counterexamples lie in the domain and fail, and are the
//! simplest the engine's rule gives; the true claims hold on fine rational grids of their
//! regions and the sides are equal at the touching points).

use rug::Rational;
use stabcert::certify::kernel::{Recheck, recheck};
use stabcert::claims::ClaimBuilder;
use stabcert::decide::{Options, Outcome, Verdict, decide};

fn run(b: ClaimBuilder) -> (stabcert::claims::Claim, Outcome) {
    let c = b.build().unwrap();
    let o = decide(&c, &Options::default()).remove(0);
    (c, o)
}

fn point(o: &Outcome) -> Vec<(String, Rational)> {
    o.counterexample
        .as_ref()
        .expect("a counterexample")
        .point
        .clone()
}

fn q(s: &str) -> Rational {
    s.parse().unwrap()
}

#[test]
fn the_examples_file_is_decided_as_documented() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/dependent.toml"),
    )
    .unwrap();
    let claims = stabcert::claims::load_str("examples/dependent.toml", &text).unwrap();
    let want = [
        ("dependent.step.face", Verdict::Certified),
        ("dependent.step.twice", Verdict::Refuted),
        ("dependent.triangle", Verdict::Certified),
        ("dependent.simplex", Verdict::Certified),
        ("where.amgm", Verdict::Certified),
        ("where.two", Verdict::Refuted),
        ("where.boundary", Verdict::Certified),
    ];
    assert_eq!(claims.len(), want.len());
    for (c, (id, v)) in claims.iter().zip(want) {
        assert_eq!(c.id, id);
        let o = decide(c, &Options::default()).remove(0);
        assert_eq!(o.verdict, v, "{id}: {:?}", o.reason());
        // the kernel agrees with every refutation, the point lying in the domain
        if v == Verdict::Refuted {
            assert!(matches!(recheck(c, &o), Ok(Recheck::Agreed(_))), "{id}");
        }
    }
}

#[test]
fn a_face_where_the_sides_are_equal_is_proven_and_beyond_it_refuted() {
    // alpha*beta = 1 along the face alpha = 1/beta: the margin in box coordinates is
    // 1 - u, whose terms the polynomial form collects
    let (_, o) = run(ClaimBuilder::new("c")
        .param("beta in [1/4, 4]")
        .param("alpha in (0, 1/beta]")
        .holds("alpha*beta <= 1"));
    assert_eq!(o.verdict, Verdict::Certified, "{:?}", o.reason());
    let (_, o) = run(ClaimBuilder::new("c")
        .param("beta in [1/4, 4]")
        .param("alpha in (0, 2/beta]")
        .holds("alpha*beta <= 1"));
    assert_eq!(o.verdict, Verdict::Refuted);
    assert_eq!(
        point(&o),
        [("beta".into(), q("1")), ("alpha".into(), q("2"))]
    );
    // strict at the face: alpha = 1/beta is in the domain and the sides are equal there
    let (_, o) = run(ClaimBuilder::new("c")
        .param("beta in [1/4, 4]")
        .param("alpha in (0, 1/beta]")
        .holds("alpha*beta < 1"));
    assert_eq!(o.verdict, Verdict::Refuted);
    let p = point(&o);
    assert_eq!(Rational::from(&p[1].1 * &p[0].1), 1);
    // with the face excluded the strict relation holds
    let (_, o) = run(ClaimBuilder::new("c")
        .param("beta in [1/4, 4]")
        .param("alpha in (0, 1/beta)")
        .holds("alpha*beta < 1"));
    assert_ne!(o.verdict, Verdict::Refuted, "{:?}", o.reason());
}

#[test]
fn touching_inside_the_region_is_proven_by_convexity() {
    // branch and bound alone (real algebra, which would decide this polynomial claim too,
    // switched off)
    let c = ClaimBuilder::new("c")
        .param("x in [0, 1]")
        .param("y in [0, 1 - x]")
        .param("z in [0, 1 - x - y]")
        .holds("x*y*z <= 1/27")
        .build()
        .unwrap();
    let opts = Options {
        real_algebra: false,
        ..Options::default()
    };
    let o = decide(&c, &opts).remove(0);
    assert_eq!(o.verdict, Verdict::Certified, "{:?}", o.reason());
    assert!(
        o.coverage
            .methods
            .contains_key(&stabcert::ProofMethod::Convexity),
        "{:?}",
        o.coverage.methods
    );
    // a hair below the maximum is refuted, at a point of the simplex
    let (c, o) = run(ClaimBuilder::new("c")
        .param("x in [0, 1]")
        .param("y in [0, 1 - x]")
        .param("z in [0, 1 - x - y]")
        .holds("x*y*z <= (1 - 1e-9)/27"));
    assert_eq!(o.verdict, Verdict::Refuted);
    let p = point(&o);
    let s: Rational = p.iter().map(|(_, v)| v.clone()).sum();
    assert!(s <= 1 && p.iter().all(|(_, v)| *v >= 0));
    assert!(matches!(recheck(&c, &o), Ok(Recheck::Agreed(_))));
    let (_, o) = run(ClaimBuilder::new("c")
        .param("x in [0, 1]")
        .param("y in [x, 1]")
        .holds("x*y <= y^2"));
    assert_eq!(o.verdict, Verdict::Certified, "{:?}", o.reason());
}

#[test]
fn where_constraints_prune_and_counterexamples_satisfy_them() {
    let (_, o) = run(ClaimBuilder::new("c")
        .param("x in [0, 1]")
        .param("y in [0, 1]")
        .constraint("x + y <= 1")
        .holds("x*y <= 1/4"));
    assert_eq!(o.verdict, Verdict::Certified, "{:?}", o.reason());
    // without the constraint it is false (at x = y = 1)
    let (_, o) = run(ClaimBuilder::new("c")
        .param("x in [0, 1]")
        .param("y in [0, 1]")
        .holds("x*y <= 1/4"));
    assert_eq!(o.verdict, Verdict::Refuted);
    let (_, o) = run(ClaimBuilder::new("c")
        .param("x in [0, 1]")
        .param("y in [0, 1]")
        .constraint("x + y <= 1")
        .constraint("y <= 2*x")
        .holds("x*y <= 1/5"));
    assert_eq!(o.verdict, Verdict::Refuted);
    assert_eq!(point(&o), [("x".into(), q("1/2")), ("y".into(), q("1/2"))]);
    // integer parameters: points outside the constraint are not part of the domain
    let (_, o) = run(ClaimBuilder::new("c")
        .param("n in 1..=30")
        .param("k in 1..=30")
        .constraint("k <= n")
        .holds("k/n <= 1"));
    assert_eq!(o.verdict, Verdict::Certified);
    assert_eq!(o.coverage.points, 465);
    let (_, o) = run(ClaimBuilder::new("c")
        .param("n in 1..=30")
        .param("k in 1..=30")
        .constraint("2*k <= n")
        .holds("k <= 7"));
    assert_eq!(o.verdict, Verdict::Refuted);
    assert_eq!(point(&o), [("n".into(), q("16")), ("k".into(), q("8"))]);
}

#[test]
fn constraints_are_checked_at_load_time() {
    let e = ClaimBuilder::new("c")
        .param("x in [0, 1]")
        .constraint("x + w <= 1")
        .holds("x <= 1")
        .build()
        .unwrap_err();
    assert!(
        e.message.contains("only the claim's parameters"),
        "{}",
        e.message
    );
    let e = ClaimBuilder::new("c")
        .param("x in [0, 1]")
        .constraint("x + <= 1")
        .holds("x <= 1")
        .build()
        .unwrap_err();
    assert!(!e.message.is_empty());
    let e = ClaimBuilder::new("c")
        .param("x in [0, 1]")
        .constraint("1 <= 2")
        .holds("x <= 1")
        .build()
        .unwrap_err();
    assert!(e.message.contains("must use a parameter"), "{}", e.message);
}

#[test]
fn identities_are_certified_over_dependent_ranges_and_in_chains() {
    use stabcert::pipeline::decide_claim;
    // `T in n+1..=30` is proven over its hull 3..=30; the sides have the same monomial
    // normal form 2*exp(a*T/2)/n^2 (a chain step of Theorem 5's proof, there left sampled)
    let c = ClaimBuilder::new("c")
        .param("n in 2..=6")
        .param("T in n+1..=30")
        .param("a in (0, 1/10]")
        .holds("1/n*(2/n*exp(a*T/2)) = 2/n^2*exp(a*T/2)")
        .build()
        .unwrap();
    let o = decide_claim(&c, &Options::default()).remove(0);
    assert_eq!(o.verdict, Verdict::Certified, "{:?}", o.reason());
    assert!(o.symbolic);
    // a chain's identity step is certified too; its strict step is not touched
    let c = ClaimBuilder::new("c")
        .param("a in [0, 1]")
        .param("b in [a, 2]")
        .chain(["exp(a)*exp(b)", "=", "exp(a + b)", "<", "exp(a + b) + 1"])
        .build()
        .unwrap();
    let outs = decide_claim(&c, &Options::default());
    let step1 = outs.iter().find(|o| o.id == "c.step1").unwrap();
    assert_eq!(step1.verdict, Verdict::Certified, "{:?}", step1.reason());
    assert!(step1.symbolic);
    // a false "identity" is never certified that way
    let c = ClaimBuilder::new("c")
        .param("n in 2..=6")
        .param("T in n+1..=30")
        .holds("1/n*(2/n*exp(T/2)) = 3/n^2*exp(T/2)")
        .build()
        .unwrap();
    let o = decide_claim(&c, &Options::default()).remove(0);
    assert_eq!(o.verdict, Verdict::Refuted);
}

#[test]
fn an_interval_end_at_zero_is_the_rational_zero() {
    let iv = stabcert::Interval::from_bounds(&Rational::new(), &Rational::from((1, 10)), 64);
    let (lo, hi) = iv.to_rational_bounds();
    assert_eq!(lo, Some(Rational::new()));
    assert!(hi.is_some_and(|h| h >= Rational::from((1, 10))));
}

#[test]
fn multipliers_use_strict_constraints_and_the_factored_margin() {
    use stabcert::pipeline::decide_claim;
    // g = 1 - x - y = c: g - c = 0 on every box, and c > 0 on the domain makes g > 0
    let (_, o) = run(ClaimBuilder::new("c")
        .param("x in [0, 1]")
        .param("y in [0, 1]")
        .constraint("x + y < 1")
        .holds("x + y < 1"));
    assert_eq!(o.verdict, Verdict::Certified, "{:?}", o.reason());
    // with a non-strict constraint the strict relation is false on its boundary
    let (_, o) = run(ClaimBuilder::new("c")
        .param("x in [0, 1]")
        .param("y in [0, 1]")
        .constraint("x + y <= 1")
        .holds("x + y < 1"));
    assert_eq!(o.verdict, Verdict::Refuted);
    // x*y <= x^2 where y <= x: the margin x*(x - y) without its factor x is the constraint
    let c = ClaimBuilder::new("c")
        .param("x in [0, 1]")
        .param("y in [0, 1 - x]")
        .constraint("y <= x")
        .chain(["x*y", "<=", "x^2", "<=", "1"])
        .build()
        .unwrap();
    for o in decide_claim(&c, &Options::default()) {
        assert_eq!(o.verdict, Verdict::Certified, "{}: {:?}", o.id, o.reason());
    }
}
