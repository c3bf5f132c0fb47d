//! The f64 first rung of box evaluation (outward-rounded doubles before MPFR) only ever
//! proves boxes MPFR would prove too and never refutes: with the rung on and off, every
//! claim of the example files, and the paper's claims with real parameters that decide in
//! a few seconds, get the same verdicts, counterexamples, thresholds and best constants.
//! (`tests/region_prop.rs` checks the same on random polynomial claims over regions, and
//! the unit tests of `engine::real::fast` check its enclosures against MPFR's.)

use stabcert::claims::{Claim, load_catalogue, load_str};
use stabcert::decide::{Options, decide};
use stabcert::expr::DomainSpec;

fn example_claims() -> Vec<Claim> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable");
        out.extend(load_str(&f.display().to_string(), &text).expect("loads"));
    }
    out
}

fn same_with_and_without(claims: &[Claim]) -> usize {
    let on = Options::default();
    let off = Options {
        f64_rung: false,
        ..Options::default()
    };
    let mut compared = 0;
    for c in claims {
        let a = decide(c, &on);
        let b = decide(c, &off);
        assert_eq!(a.len(), b.len(), "{}", c.id);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                x.verdict,
                y.verdict,
                "{}: {:?} / {:?}",
                x.id,
                x.reason(),
                y.reason()
            );
            assert_eq!(x.counterexample, y.counterexample, "{}", x.id);
            assert_eq!(
                format!("{:?}", x.threshold),
                format!("{:?}", y.threshold),
                "{}",
                x.id
            );
            assert_eq!(
                format!("{:?}", x.best_constant),
                format!("{:?}", y.best_constant),
                "{}",
                x.id
            );
            compared += 1;
        }
    }
    compared
}

#[test]
fn examples_decide_alike_with_and_without_the_rung() {
    let claims = example_claims();
    assert!(claims.len() >= 25, "{} example claims", claims.len());
    same_with_and_without(&claims);
}

#[test]
fn paper_claims_with_real_parameters_decide_alike() {
    let picked: Vec<Claim> = load_catalogue()
        .expect("the catalogue loads")
        .into_iter()
        .filter(|c| {
            c.params
                .iter()
                .any(|p| matches!(p.domain, DomainSpec::Real { .. }))
        })
        .filter(|c| {
            [
                "thm5.hitting",
                "thm5.statement",
                "thm3.statement",
                "lemma4",
                "lemma3.large_T",
            ]
            .contains(&c.id.as_str())
        })
        .collect();
    assert_eq!(picked.len(), 5, "paper claims picked");
    assert!(same_with_and_without(&picked) >= 5);
}
