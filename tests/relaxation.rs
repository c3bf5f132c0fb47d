//! Sampled integer ranges relaxed to real intervals, and boxes over ranges that span orders
//! of magnitude split near their geometric means. A relation that holds for every real value
//! between the ends of a `sample N` range holds for every integer there, so it is certified;
//! one whose relaxation fails only at non-integers keeps its sampled verdict; a range used
//! as a sum's bound is not relaxed. Truth of the claims: `T^a <= T^(1/10) < T^(1/10) + 1` for T >= 1 and
//! a <= 1/10; `(T/4)^a/5 = T^a 4^(-a)/5 < T^a 4^(-a)/4 = T^a 4^(1-a)/16`; `floor(n) = n` at
//! integers only; `sum 1/t^2 < pi^2/6 < 2`.

use stabcert::claims::ClaimBuilder;
use stabcert::decide::{Options, Reason, Unrelaxed, Verdict, decide};

fn outcome(params: &[&str], holds: &str) -> stabcert::decide::Outcome {
    let mut b = ClaimBuilder::new("c");
    for p in params {
        b = b.param(*p);
    }
    let c = b.holds(holds).build().unwrap();
    decide(&c, &Options::default()).remove(0)
}

#[test]
fn a_relaxation_that_holds_certifies_the_integers() {
    let o = outcome(
        &["T in 1..=10^8 sample 5", "a in (0, 1/10]"],
        "T^a <= T^(1/10) + 1",
    );
    assert_eq!(o.verdict, Verdict::Certified, "{:?}", o.reason());
    assert!(
        matches!(o.reasons.last(), Some(Reason::Relaxed { params }) if params == &["T"]),
        "{:?}",
        o.reasons
    );
    assert!(o.reason().unwrap().contains("so for every integer"));
}

#[test]
fn a_relaxation_that_fails_between_integers_leaves_the_sampled_verdict() {
    // floor(n) >= n fails at every non-integer n: the relaxation is refuted, which says
    // nothing about the integers
    let o = outcome(&["n in 1..=10^6 sample 5"], "floor(n) >= n");
    assert_eq!(o.verdict, Verdict::NoCounterexample, "{:?}", o.reason());
    // the reason says why it is only sampled
    assert!(
        matches!(&o.reasons[..], [Reason::SampledOnly { params, why: Unrelaxed::NotProven }] if params == &["n"]),
        "{:?}",
        o.reasons
    );
    assert!(o.reason().unwrap().contains("`n` is sampled"));
    // a range that bounds a sum is not relaxed, and the reason says so
    let o = outcome(&["T in 1..=10^6 sample 5"], "sum(t, 1, T, 1/t^2) <= 2");
    assert_eq!(o.verdict, Verdict::NoCounterexample, "{:?}", o.reason());
    assert!(
        matches!(
            &o.reasons[..],
            [Reason::SampledOnly {
                why: Unrelaxed::Integral,
                ..
            }]
        ),
        "{:?}",
        o.reasons
    );
    assert!(o.reason().unwrap().contains("it bounds a sum"));
}

#[test]
fn ranges_over_orders_of_magnitude_are_split_geometrically() {
    // the sides differ by the factor 4/5, but both carry T^a, which halving [17, 10^8]
    // separates only after many boxes; split near geometric means it is proven
    let o = outcome(
        &["T in [17, 10^8]", "a in (0, 1/10]"],
        "(T/4)^a*4/20 <= T^a*4^(1 - a)/16",
    );
    assert_eq!(o.verdict, Verdict::Certified, "{:?}", o.reason());
}
