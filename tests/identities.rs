//! Identities at integer points: where the sides of a relation are the same function of the
//! real parameters at some integer points (a sum that is empty there, terms that cancel), no
//! enclosure separates them; the pipeline hands such open regions to the symbolic engine,
//! after the point's values are substituted and sums with constant bounds written out.
//! The claims here are identities by the rules `2^x = exp(x ln 2)` and `3^a = exp(a ln 3)`
//! (for every real x, a), and `x/10^30 > 0` for x > 0.

use stabcert::ProofMethod;
use stabcert::claims::ClaimBuilder;
use stabcert::decide::{Options, Verdict, decide};
use stabcert::pipeline::decide_claim;

fn claim(params: &[&str], holds: &str) -> stabcert::claims::Claim {
    let mut b = ClaimBuilder::new("c");
    for p in params {
        b = b.param(*p);
    }
    b.holds(holds).build().unwrap()
}

#[test]
fn an_identity_at_every_integer_point_is_certified_point_by_point() {
    let c = claim(
        &["k in 1..=3", "x in [0, 2]"],
        "2^x*(k - 1) + exp(x*ln(2)) <= 2^x*k",
    );
    let o = decide_claim(&c, &Options::default()).remove(0);
    assert_eq!(o.verdict, Verdict::Certified, "{:?}", o.reason());
    assert_eq!(o.coverage.methods.get(&ProofMethod::Identity), Some(&3));
    // the decision engine alone (no identity prover) cannot separate the sides
    let o = decide(&c, &Options::default()).remove(0);
    assert_eq!(o.verdict, Verdict::Undecided, "{:?}", o.reason());
    // a tightened version fails for x > 0
    let c = claim(
        &["k in 1..=3", "x in [0, 2]"],
        "2^x*(k - 1) + exp(x*ln(2)) <= 2^x*k - x/10^30",
    );
    let o = decide_claim(&c, &Options::default()).remove(0);
    assert_eq!(o.verdict, Verdict::Refuted, "{:?}", o.reason());
    let cx = o.counterexample.unwrap();
    assert_eq!(cx.point[0].1, 1);
    assert!(cx.point[1].1 > 0);
}

#[test]
fn an_empty_sum_makes_one_point_an_identity() {
    // k = 1: both sums are empty (0 <= 0, an enclosure proves it); k = 2: one term each, the
    // same function of a; k = 3: the right side is larger by 2
    let c = claim(
        &["k in 1..=3", "a in (0, 1]"],
        "sum(i, 1, k - 1, 3^a*2^i) <= sum(i, 1, k - 1, exp(a*ln(3))*2^i) + (k - 1)*(k - 2)",
    );
    let o = decide_claim(&c, &Options::default()).remove(0);
    assert_eq!(o.verdict, Verdict::Certified, "{:?}", o.reason());
    assert_eq!(o.coverage.methods.get(&ProofMethod::Identity), Some(&1));
}

/// A claim file with a quadratic construction whose guards (every multiplier
/// `1 - alpha_t*lambda` positive) hold for `lambda = 1/10` and fail for `lambda = 3`.
fn construction_claim(lambda: &str) -> stabcert::claims::Claim {
    let text = format!(
        r#"
[[construction]]
id = "g"
source = "S"
text = "t"
loss = "quadratic"
eigenvalue = "lambda"
x = "1"
x_twin = "-1"
y = "1"
y_twin = "1"
step = "c/t"
sampling = "with-replacement"

[[claim]]
id = "c"
source = "S"
text = "t"
params = ["n in 2..=4", "T in 2..=6", "c = 1/2", "lambda = {lambda}", "a in {{1/100, 1/10}}"]
construction = "g"
holds = "ln(2*a)*div_T <= (ln(2) + ln(a))*div_T"
"#
    );
    stabcert::claims::load_str("t.toml", &text)
        .unwrap()
        .remove(0)
}

#[test]
fn an_identity_in_a_constructions_quantities_needs_its_guards() {
    // ln(2a) D = (ln 2 + ln a) D whatever the value D of E||Delta_T||: no precision separates
    // the sides, the identity is certified where the guards hold at every point ...
    let c = construction_claim("1/10");
    let o = decide(&c, &Options::default()).remove(0);
    assert_eq!(o.verdict, Verdict::Undecided, "{:?}", o.reason());
    let o = decide_claim(&c, &Options::default()).remove(0);
    assert_eq!(o.verdict, Verdict::Certified, "{:?}", o.reason());
    assert!(
        o.reason()
            .unwrap()
            .contains("whatever the values of `div_T`")
    );
    // ... and not where they fail at some (the closed form of D means nothing there)
    let o = decide_claim(&construction_claim("3"), &Options::default()).remove(0);
    assert_ne!(o.verdict, Verdict::Certified, "{:?}", o.reason());
}
