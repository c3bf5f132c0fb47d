//! Constructions given by their loss in claim files: every quantity of the absolute-loss
//! construction of `tests/oracles/loss_construction.py` is evaluated by the exact engine
//! through a claim (`holds = "<quantity> = <the oracle's value>"`, certified only when the
//! value is exactly that), with replacement and by reshuffling. The oracle enumerates every
//! index sequence with Python's `fractions` and computes each quantity from its definition
//! (no merging, no counting), independently of stabcert's propagation; its printed output
//! is what is pinned here. Then the claim language's parts that use them: a sweep over T,
//! a total-probability identity over (T, t0), the guards (undecided, never refuted, where a
//! condition has probability 0), and load errors that name line and column.

use stabcert::claims::load_sources;
use stabcert::{Options, Verdict, decide};

const CONSTRUCTION: &str = r#"
[[construction]]
id = "absolute"
source = "tests"
text = "f(w; x, y) = |w x - y|; S and S' differ in the first example"
loss = "abs(w*x - y)"
s = [["1", "1"], ["1", "0"], ["1", "0"]]
s_twin = [["-1", "1"], ["1", "0"], ["1", "0"]]
step = "1/(t + 1)"
sampling = "SAMPLING"
"#;

/// The oracle's values at T = 7, t0 = 3, s = 2 (with replacement, then reshuffling).
const WITH_REPLACEMENT: &[(&str, &str)] = &[
    ("div_T", "65021/153090"),
    ("sqdiv_T", "118481/306180"),
    ("p_zero_t0", "4/9"),
    ("div_T_given_zero_t0", "631/2430"),
    ("div_T_given_nonzero_t0", "47353/85050"),
    ("div_t0", "11/27"),
    ("p_first_s", "2/9"),
    ("div_T_given_first_s", "1627/3402"),
    ("grad_max_T", "1"),
    ("loss_min_T", "0"),
    ("loss_max_T", "25/12"),
    ("slope_max_T", "30"),
];

const RESHUFFLE: &[(&str, &str)] = &[
    ("div_T", "41/210"),
    ("sqdiv_T", "19289/396900"),
    ("p_zero_t0", "1/3"),
    ("div_T_given_zero_t0", "101/630"),
    ("div_T_given_nonzero_t0", "67/315"),
    ("div_t0", "1/3"),
    ("p_first_s", "1/3"),
    ("div_T_given_first_s", "131/630"),
    ("grad_max_T", "1"),
    ("loss_min_T", "0"),
    ("loss_max_T", "3/2"),
    ("slope_max_T", "20"),
];

fn file(sampling: &str, claims: &str) -> String {
    CONSTRUCTION.replace("SAMPLING", sampling) + claims
}

fn verdicts(text: &str) -> Vec<(String, Verdict, String)> {
    let claims = load_sources(&[("t.toml".into(), text.into())]).expect("loads");
    let opts = Options::default();
    claims
        .iter()
        .flat_map(|c| decide(c, &opts))
        .map(|o| (o.id.clone(), o.verdict, o.reason().unwrap_or_default()))
        .collect()
}

fn pinned(sampling: &str, values: &[(&str, &str)]) {
    let mut claims = String::new();
    for (name, v) in values {
        claims += &format!(
            "\n[[claim]]\nid = \"{name}\"\nsource = \"oracle\"\ntext = \"{name}\"\nconstruction = \"absolute\"\nparams = [\"T = 7\", \"t0 = 3\", \"s = 2\"]\nholds = \"{name} = {v}\"\n"
        );
    }
    let out = verdicts(&file(sampling, &claims));
    assert_eq!(out.len(), values.len());
    for (id, v, why) in out {
        assert_eq!(v, Verdict::Certified, "{sampling} {id}: {why}");
    }
    // and a value off by 1/10^9 is refuted
    let (name, v) = values[0];
    let wrong = format!(
        "\n[[claim]]\nid = \"wrong\"\nsource = \"oracle\"\ntext = \"off\"\nconstruction = \"absolute\"\nparams = [\"T = 7\"]\nholds = \"{name} = {v} + 1/1000000000\"\n"
    );
    let out = verdicts(&file(sampling, &wrong));
    assert_eq!(out[0].1, Verdict::Refuted, "{out:?}");
}

#[test]
fn quantities_equal_the_brute_force_oracle_with_replacement() {
    pinned("with-replacement", WITH_REPLACEMENT);
}

#[test]
fn quantities_equal_the_brute_force_oracle_reshuffling() {
    pinned("reshuffle", RESHUFFLE);
}

#[test]
fn claims_sweep_identities_and_guards() {
    let claims = r#"
[[claim]]
id = "total"
source = "t"
text = "total expectation over the event w_t0 = w'_t0"
construction = "absolute"
params = ["T in 2..9", "t0 in 2..T"]
holds = "p_zero_t0*div_T_given_zero_t0 + (1 - p_zero_t0)*div_T_given_nonzero_t0 = div_T"

[[claim]]
id = "jensen"
source = "t"
text = "E||D|| <= sqrt(E||D||^2)"
construction = "absolute"
params = ["T in 1..12"]
holds = "div_T^2 <= sqdiv_T"

[[claim]]
id = "first_draw"
source = "t"
text = "P[H = s] = (1 - 1/3)^(s - 1)/3 with replacement"
construction = "absolute"
params = ["s in 1..10"]
holds = "p_first_s = (2/3)^(s - 1)/3"

[[claim]]
id = "at_the_start"
source = "t"
text = "at t0 = F the runs are equal: conditioning on w != w' is impossible"
construction = "absolute"
params = ["T in 2..4", "t0 = 1"]
holds = "div_T_given_nonzero_t0 >= 0"

[[claim]]
id = "too_strong"
source = "t"
text = "a bound that fails"
construction = "absolute"
params = ["T in 1..20"]
holds = "div_T <= 1/4"
"#;
    let out = verdicts(&file("with-replacement", claims));
    let get = |id: &str| out.iter().find(|o| o.0 == id).expect(id).clone();
    assert_eq!(get("total").1, Verdict::Certified, "{:?}", get("total"));
    assert_eq!(get("jensen").1, Verdict::Certified, "{:?}", get("jensen"));
    assert_eq!(
        get("first_draw").1,
        Verdict::Certified,
        "{:?}",
        get("first_draw")
    );
    let start = get("at_the_start");
    assert_eq!(start.1, Verdict::Undecided, "{start:?}");
    assert!(start.2.contains("positive probability"), "{start:?}");
    let strong = get("too_strong");
    assert_eq!(strong.1, Verdict::Refuted, "{strong:?}");
}

#[test]
fn bad_constructions_name_line_and_column() {
    let cases: &[(&str, &str, &str)] = &[
        ("loss = \"abs(w*x - q)\"", "2:19", "neither a weight"),
        ("loss = \"ln(1 + exp(-y*w*x))\"", "2:8", "`ln`"),
        (
            "s = [[\"1\"], [\"1\", \"0\"]]",
            "3:6",
            "1 values for the 2 fields",
        ),
        (
            "s_twin = [[\"1\", \"0\"]]",
            "4:10",
            "S has 2 examples and S' 1",
        ),
        (
            "step = \"w/t\"",
            "5:9",
            "`w` cannot appear in the step size",
        ),
        (
            "eigenvalue = \"1\"",
            "7:14",
            "belongs to loss = \"quadratic\"",
        ),
    ];
    for (line, at, msg) in cases {
        let key = line.split(' ').next().unwrap();
        let mut lines = vec![
            "[[construction]]".to_string(),
            "loss = \"abs(w*x - y)\"".into(),
            "s = [[\"1\", \"1\"], [\"1\", \"0\"]]".into(),
            "s_twin = [[\"-1\", \"1\"], [\"1\", \"0\"]]".into(),
            "step = \"1/t\"".into(),
            "sampling = \"with-replacement\"".into(),
        ];
        match lines.iter().position(|l| l.starts_with(&format!("{key} "))) {
            Some(k) => lines[k] = line.to_string(),
            None => lines.push(line.to_string()),
        }
        lines.extend([
            "id = \"c\"".into(),
            "source = \"t\"".into(),
            "text = \"t\"".into(),
        ]);
        let text = lines.join("\n");
        let e = load_sources(&[("c.toml".into(), text.clone())]).expect_err(line);
        let shown = e.to_string();
        assert!(
            shown.starts_with(&format!("c.toml:{at}:")),
            "{line}: {shown}\n{text}"
        );
        assert!(shown.contains(msg), "{line}: {shown}");
    }
}

/// The examples shipped in `examples/loss_constructions/` decide as their comments say.
/// The best constant 1/3 of the Huber-trimmed Theorem 1 construction is confirmed by hand:
/// at T = 2 one step is taken from w = (0, 3); the differing example is drawn with
/// probability 1/4 and moves the runs apart by alpha (1/2 + 1/2), so E||Delta_2|| = alpha/4;
/// the largest gradient norm at the start is that of a shared example, |h'(3) - 1/2| = 3/2;
/// so K (3/2)/4 (2 alpha) <= alpha/4 gives K <= 1/3, and for larger T the ratio
/// (T - 1)/T only grows while the largest gradient norm stays 3/2.
#[test]
fn the_examples_decide_as_documented() {
    let root = env!("CARGO_MANIFEST_DIR");
    let run = |name: &str| {
        let path = format!("{root}/examples/loss_constructions/{name}");
        let text = std::fs::read_to_string(&path).expect("example");
        let claims = load_sources(&[(path, text)]).expect("loads");
        let opts = Options::default();
        claims
            .iter()
            .flat_map(|c| decide(c, &opts))
            .map(|o| (o.id.clone(), o))
            .collect::<Vec<_>>()
    };
    let huber = run("theorem1_huber.toml");
    let get = |v: &[(String, stabcert::Outcome)], id: &str| {
        v.iter().find(|(i, _)| i == id).expect(id).1.clone()
    };
    for id in [
        "huber.lipschitz.reached",
        "huber.thm1.main",
        "huber.thm1.exact",
        "huber.thm1.constant",
    ] {
        assert_eq!(get(&huber, id).verdict, Verdict::Certified, "{id}");
    }
    assert_eq!(get(&huber, "huber.loss.range").verdict, Verdict::Refuted);
    let k = get(&huber, "huber.thm1.constant");
    let b = k.best_constant.expect("a best constant");
    assert_eq!(
        (b.lo.to_string(), b.safe.to_string()),
        ("1/3".into(), "1/3".into()),
        "{b:?}"
    );
    let abs = run("absolute.toml");
    let smooth = get(&abs, "absolute.smooth");
    assert_eq!(smooth.verdict, Verdict::Refuted);
    // the kink: iterates -1/10, 0, 1/10 after one step of 1/10, and the derivative of
    // |w - 0| jumps from 0 (the convention at 0) to 1 over 1/10
    let cx = smooth.counterexample.expect("a counterexample");
    assert!(
        matches!(&cx.lhs, stabcert::decide::Side::Exact(v) if *v == 10),
        "{cx:?}"
    );
    for id in [
        "absolute.lipschitz",
        "absolute.hardt_convex",
        "absolute.conditional",
    ] {
        assert_eq!(get(&abs, id).verdict, Verdict::Certified, "{id}");
    }
}

/// A law that outgrows its state budget ends with a message (undecided, not a hang), and
/// points beyond the step where it stopped fail at once with the same message.
#[test]
fn the_state_budget_ends_with_a_message() {
    let text = r#"
[[construction]]
id = "wide"
source = "t"
text = "iterates that do not merge: a Huber part on every example with different labels"
loss = "w^2 - max(0, abs(w) - 1)^2 - y*w"
s = [["0", "1"], ["0", "0.3"], ["0", "0.7"]]
s_twin = [["0", "-1"], ["0", "0.3"], ["0", "0.7"]]
step = "1/10"
sampling = "with-replacement"
max_states = 50

[[claim]]
id = "wide.claim"
source = "t"
text = "any bound"
construction = "wide"
params = ["T in 1..=40"]
holds = "div_T <= 100"
"#;
    let out = verdicts(text);
    assert_eq!(out[0].1, Verdict::Undecided, "{out:?}");
    assert!(out[0].2.contains("above the budget of 50"), "{out:?}");
}
