//! End-to-end tests of the `stabcert` binary: outputs, exit codes, JSON shape and messages.
//! Pinned figures about the paper's Lemma 6 were confirmed independently by
//! `tests/oracles/lemma6.py` (Python `fractions`, no stabcert code).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_stabcert"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str], dir: &Path) -> Output {
    bin().args(args).current_dir(dir).output().expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("stabcert-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn eval_exact() {
    let o = run(&["eval", "1/3 + 1/6"], &root());
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "1/2\n");
    let o = run(&["eval", "0.1 + 0.2", "--exact"], &root());
    assert_eq!(stdout(&o), "3/10\n");
    let o = run(
        &[
            "eval",
            "(1 - 1/n)^r",
            "--set",
            "n=3",
            "--set",
            "r=2",
            "--exact",
        ],
        &root(),
    );
    assert_eq!(stdout(&o), "4/9\n");
    let o = run(&["eval", "sum(i, 1, 4, 1/i)"], &root());
    assert_eq!(stdout(&o), "25/12\n");
    let o = run(&["eval", "1/3", "--digits", "5"], &root());
    assert_eq!(stdout(&o), "[0.33333, 0.33334]\n");
    // the oracle's value (tests/oracles/lemma6.py)
    let o = run(
        &[
            "eval",
            "rec(x, t, 1, T, 0, (1 + a/(0.99*t))*x + 1/(t*n))",
            "--set",
            "T=10",
            "--set",
            "a=1/100",
            "--set",
            "n=10",
        ],
        &root(),
    );
    assert_eq!(stdout(&o), "2138987226632822581/7474232024866152810\n");
}

#[test]
fn eval_bad_input_exits_2_with_a_message() {
    let cases: &[(&[&str], &str)] = &[
        (&["eval", "1 + * 2"], "EXPR:1:5: expected a number"),
        (&["eval", "n + 1"], "EXPR:1:1: unknown name `n`"),
        (&["eval", "1/(2-2)"], "division by zero"),
        (
            &["eval", "rec(x, t, 1, T, 0, x + 1/t)", "--set", "T=10^12"],
            "step budget",
        ),
        (&["eval", "2^(1/2)"], "irrational: the value is 2^(1/2)"),
        (&["eval", "1", "--set", "n"], "expected NAME=VALUE"),
        (&["eval", "1", "--set", "n=1/0"], "division by zero"),
        (&["eval", "1", "--set", "exp=1"], "not a valid name"),
        (&["eval", "foo(1)"], "unknown function `foo`"),
        (&["eval"], "EXPR"),
        (&["frobnicate"], "unrecognized subcommand"),
    ];
    for (args, msg) in cases {
        let o = run(args, &root());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(msg), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?}");
    }
}

#[test]
fn check_prints_the_table_of_the_paper() {
    let o = run(&["check"], &root());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let line = |id: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("no row {id} in\n{out}"))
            .to_string()
    };
    assert!(line("lemma6.ineq").contains("certified"));
    assert!(line("lemma6.ineq").contains("20100 points"));
    assert!(line("lemma6.i").contains("certified"));
    // eq. (18), first step: fails everywhere on the grid; smallest point n=2, t=1 with
    // 8/15 > 1/6 (both confirmed by tests/oracles/lemma6.py)
    let l = line("lemma6.ii.step1");
    assert!(
        l.contains("refuted") && l.contains("n=2, t=1") && l.contains("8/15"),
        "{l}"
    );
    assert!(l.contains("9900 of 9900"), "{l}");
    assert!(line("lemma6.ii").contains("certified"));
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).expect("valid JSON")
}

#[test]
fn check_json_has_the_contract_shape() {
    let o = run(
        &[
            "check",
            "--json",
            "--only",
            "lemma6.ii",
            "--only",
            "lemma6.ineq",
            "--only",
            "lemma3.ineq",
            "--only",
            "thm1.best",
            "--only",
            "thm3",
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0));
    let v = json_of(&o);
    let claims = v["claims"].as_array().expect("claims array");
    assert!(claims.len() >= 10);
    for c in claims {
        for key in [
            "id",
            "source",
            "verdict",
            "coverage",
            "counterexample",
            "threshold",
            "best_constant",
            "reason",
            "certificate",
        ] {
            assert!(c.get(key).is_some(), "missing {key} in {c}");
        }
        let verdict = c["verdict"].as_str().unwrap();
        assert!(["certified", "refuted", "no-counterexample", "undecided"].contains(&verdict));
        assert!(c["coverage"]["points"].is_u64());
        assert!(c["coverage"]["boxes"].is_u64());
        assert!(c["coverage"]["exhaustive"].is_boolean());
        if verdict == "refuted" {
            let cx = &c["counterexample"];
            assert!(cx["point"].is_object());
            for side in ["lhs", "rhs"] {
                for k in ["lo", "hi", "approx"] {
                    assert!(cx[side].get(k).is_some(), "{side}.{k}");
                }
            }
        } else {
            assert!(c["counterexample"].is_null());
        }
    }
    let step = claims
        .iter()
        .find(|c| c["id"] == "lemma6.ii.step1")
        .unwrap();
    assert_eq!(step["counterexample"]["point"]["n"], "2");
    assert_eq!(step["counterexample"]["point"]["t"], "1");
    assert_eq!(step["counterexample"]["lhs"]["lo"], "8/15");
    assert_eq!(step["counterexample"]["rhs"]["hi"], "1/6");
    assert_eq!(step["counterexample"]["lhs"]["approx"], "0.533333");
}

#[test]
fn check_only_selects_claims_and_steps() {
    let o = run(
        &[
            "check",
            "--json",
            "--only",
            "lemma6.ii.step2",
            "--only",
            "lemma6.ineq",
        ],
        &root(),
    );
    let v = json_of(&o);
    let ids: Vec<&str> = v["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![
            "lemma6.ineq",
            "lemma6.ineq.step1",
            "lemma6.ineq.step2",
            "lemma6.ii.step2"
        ]
    );
    let o = run(&["check", "--only", "nope"], &root());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--only nope"));
    let o = run(&["check", "--only", "lemma6.ii.step9"], &root());
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn check_without_proofs_folder_uses_the_built_in_catalogue() {
    let d = tmpdir("catalogue");
    let ids = [
        "--only",
        "lemma6.ii",
        "--only",
        "thm1",
        "--only",
        "lemma4.eq12",
    ];
    let a = json_of(&run(&[&["check", "--json"][..], &ids[..]].concat(), &d));
    let b = json_of(&run(
        &[&["check", "--json"][..], &ids[..]].concat(),
        &root(),
    ));
    let ids = |v: &Value| -> Vec<String> {
        v["claims"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&a), ids(&b));
    let verdicts = |v: &Value| -> Vec<String> {
        v["claims"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["verdict"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(verdicts(&a), verdicts(&b));
}

#[test]
fn fail_on_gates_on_the_named_verdicts_with_exit_3() {
    // examples/claims.toml has 2 refuted relations (harmonic.log, powers.threshold) and no
    // undecided one
    let ex = root().join("examples/claims.toml");
    let ex = ex.to_str().unwrap();
    let o = run(&["check", ex, "--fail-on", "refuted,undecided"], &root());
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    // the table is printed in full, and the message names the relations
    assert!(
        stdout(&o).contains("8 relations: 3 certified, 2 refuted"),
        "{}",
        stdout(&o)
    );
    let e = stderr(&o);
    assert!(
        e.contains("2 relations with a verdict named by --fail-on refuted,undecided")
            && e.contains("harmonic.log (refuted)")
            && e.contains("powers.threshold (refuted)"),
        "{e}"
    );
    // the JSON document too, parseable
    let o = run(&["check", ex, "--json", "--fail-on", "refuted"], &root());
    assert_eq!(o.status.code(), Some(3));
    assert!(json_of(&o)["claims"].is_array());
    // a verdict that does not occur: exit 0
    let o = run(&["check", ex, "--fail-on", "undecided"], &root());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // an unknown verdict is bad input
    let o = run(&["check", ex, "--fail-on", "maybe"], &root());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("possible values: refuted, undecided, no-counterexample"));
}

#[test]
fn check_bad_claim_files_exit_2_naming_file_line_column() {
    let d = tmpdir("bad");
    let cases = [
        (
            "inverted.toml",
            "[[claim]]\nid = \"x\"\nsource = \"S\"\ntext = \"t\"\nparams = [\"a in (1, 1/2]\"]\nholds = \"a <= 1\"\n",
            ":5:12: claim `x`: empty or inverted interval",
        ),
        (
            "threshold.toml",
            "[[claim]]\nid = \"x\"\nsource = \"S\"\ntext = \"t\"\nparams = [\"a in (0, 1]\"]\nholds = \"a <= 1\"\nthreshold = \"b\"\n",
            ":7:13: claim `x`: threshold `b` is not a parameter",
        ),
        (
            "constant.toml",
            "[[claim]]\nid = \"x\"\nsource = \"S\"\ntext = \"t\"\nparams = [\"a in (0, 1]\"]\nholds = \"a <= 1\"\nbest_constant = \"K\"\n",
            ":7:17: claim `x`: best_constant `K` does not occur in `holds`",
        ),
        (
            "unknown.toml",
            "[[claim]]\nid = \"x\"\nsource = \"S\"\ntext = \"t\"\nparams = [\"n in 1..=3\"]\nholds = \"n <= m\"\n",
            ":6:15: claim `x`: unknown name `m`",
        ),
        (
            "forward.toml",
            "[[claim]]\nid = \"x\"\nsource = \"S\"\ntext = \"t\"\nparams = [\"r in 1..=n\", \"n in 1..=3\"]\nholds = \"r <= n\"\n",
            ":5:21: claim `x`: the domain of `r` refers to `n`, which is declared later",
        ),
        (
            "syntax.toml",
            "[[claim]]\nid = \"x\"\nsource = \"S\"\ntext = \"t\"\nholds = \"1 <=\"\n",
            ":5:14: claim `x`: expected a number",
        ),
        (
            "empty.toml",
            "[[claim]]\nid = \"x\"\nsource = \"S\"\ntext = \"t\"\nparams = [\"n in 3..1\"]\nholds = \"n <= 1\"\n",
            "empty integer range",
        ),
        ("toml.toml", "[[claim]\nid = 1\n", ":1:"),
        (
            "missing.toml",
            "[[claim]]\nid = \"x\"\ntext = \"t\"\nholds = \"1 <= 2\"\n",
            "missing field `source`",
        ),
    ];
    for (name, text, msg) in cases {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        let o = run(&["check", p.to_str().unwrap()], &d);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(name) && err.contains(msg), "{name}: {err}");
    }
    let o = run(&["check", "no/such/file.toml"], &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no such file"));
}

#[test]
fn check_decides_real_and_irrational_claims_and_says_why_when_it_cannot() {
    let d = tmpdir("undecided");
    let p = d.join("c.toml");
    std::fs::write(
        &p,
        "[[claim]]\nid = \"real\"\nsource = \"S\"\ntext = \"t\"\nparams = [\"a in (0, 1]\"]\nholds = \"a <= 1\"\n\n\
         [[claim]]\nid = \"irr\"\nsource = \"S\"\ntext = \"t\"\nparams = [\"n in 1..=4\"]\nholds = \"n^(1/2) <= n\"\n\n\
         [[claim]]\nid = \"undef\"\nsource = \"S\"\ntext = \"t\"\nparams = [\"n in 0..=4\"]\nholds = \"ln(n) <= n\"\n\n\
         [[claim]]\nid = \"touch\"\nsource = \"S\"\ntext = \"t\"\nparams = [\"n in 2..=3\"]\nholds = \"ln(n) + ln(3) < ln(3*n)\"\n\n\
         [[claim]]\nid = \"equal\"\nsource = \"S\"\ntext = \"t\"\nparams = [\"n in 2..=3\"]\nholds = \"exp(ln(n)) < n\"\n",
    )
    .unwrap();
    let v = json_of(&run(&["check", "--json", p.to_str().unwrap()], &d));
    let c = v["claims"].as_array().unwrap();
    assert_eq!(c[0]["verdict"], "certified");
    assert!(c[0]["coverage"]["boxes"].as_u64().unwrap() >= 1);
    assert_eq!(c[1]["verdict"], "certified");
    // ln(0) is undefined: reported at the point, not skipped
    assert_eq!(c[2]["verdict"], "refuted");
    assert_eq!(c[2]["counterexample"]["point"]["n"], "0");
    assert!(
        c[2]["counterexample"]["lhs"]["undefined"]
            .as_str()
            .unwrap()
            .contains("ln")
    );
    // ln n + ln 3 = ln 3n: intervals can never separate the sides, so never refuted
    assert_eq!(c[3]["verdict"], "undecided");
    assert!(
        c[3]["reason"].as_str().unwrap().contains("not separated"),
        "{}",
        c[3]["reason"]
    );
    // exp(ln n) = n exactly (exact algebra): `<` is false, with both sides exact
    assert_eq!(c[4]["verdict"], "refuted", "{}", c[4]);
    let cx = &c[4]["counterexample"];
    assert_eq!(
        (&cx["lhs"]["lo"], &cx["lhs"]["hi"]),
        (&cx["rhs"]["lo"], &cx["rhs"]["hi"]),
        "{cx}"
    );
    assert_eq!(cx["lhs"]["lo"], "2", "{cx}");
}

#[test]
fn eval_digits_encloses_irrational_values() {
    // e = 2.718281828459045235360287..., ln 2 = 0.693147180559945309417232...
    let o = run(&["eval", "exp(1)", "--digits", "12"], &root());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "[2.71828182845, 2.71828182846]\n");
    let o = run(&["eval", "ln(n)", "--set", "n=2", "--digits", "8"], &root());
    assert_eq!(stdout(&o), "[0.69314718, 0.69314719]\n");
    let o = run(&["eval", "ln(0)", "--digits", "8"], &root());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("ln"), "{}", stderr(&o));
}

#[test]
fn check_json_fills_threshold_and_best_constant() {
    let d = tmpdir("searches");
    let p = d.join("s.toml");
    std::fs::write(
        &p,
        "[[claim]]\nid = \"thr\"\nsource = \"S\"\ntext = \"t\"\nparams = [\"n in 1..=10\", \"a in [0, 1]\"]\nholds = \"n^a <= 2\"\nthreshold = \"a\"\n\n\
         [[claim]]\nid = \"best\"\nsource = \"S\"\ntext = \"t\"\nparams = [\"n in 1..=20\"]\nholds = \"n <= K*ln(n+1)\"\nbest_constant = \"K\"\n",
    )
    .unwrap();
    let v = json_of(&run(&["check", "--json", p.to_str().unwrap()], &d));
    let c = v["claims"].as_array().unwrap();
    // sup a with n^a <= 2 for all n <= 10 is ln 2 / ln 10 = 0.30102999566... (mpmath/math)
    let t = &c[0]["threshold"];
    assert_eq!(t["param"], "a");
    assert!(
        t["approx"].as_str().unwrap().starts_with("0.3010299957"),
        "{t}"
    );
    // best K with n <= K ln(n+1) on 1..=20 is 20/ln 21 = 6.5691747750...
    let b = &c[1]["best_constant"];
    assert_eq!(b["constant"], "K");
    assert!(
        b["approx"].as_str().unwrap().starts_with("6.56917477"),
        "{b}"
    );
    assert_eq!(b["witness"]["n"], "20");
    assert_eq!(c[1]["verdict"], "certified");
}

#[test]
fn budgets_are_set_on_the_command_line() {
    // bernoulli has 30 * 21 = 630 points: a budget of 100 stops it, and says so
    let o = run(
        &[
            "check",
            "--json",
            "--points",
            "100",
            "--only",
            "bernoulli",
            "examples/claims.toml",
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json_of(&o);
    let out = &v["claims"][0];
    assert_eq!(out["verdict"], "undecided", "{out}");
    assert!(
        out["reason"]
            .as_str()
            .unwrap()
            .contains("exceed the point budget (100 points per claim)"),
        "{out}"
    );
    // the default decides it
    let o = run(
        &[
            "check",
            "--json",
            "--only",
            "bernoulli",
            "examples/claims.toml",
        ],
        &root(),
    );
    assert_eq!(json_of(&o)["claims"][0]["verdict"], "certified");
    // exact decimals of seconds are read; nonsense is refused with exit 2
    let o = run(
        &[
            "check",
            "--time-per-claim",
            "1/2",
            "--boxes",
            "50",
            "--only",
            "bernoulli",
            "examples/claims.toml",
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for bad in [
        ["--time-per-claim", "0"],
        ["--time-per-claim", "x"],
        ["--boxes", "0"],
        ["--points", "-3"],
    ] {
        let o = run(&["check", bad[0], bad[1], "examples/claims.toml"], &root());
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        let e = stderr(&o);
        assert!(e.contains(bad[0]) || e.contains(bad[1]), "{bad:?}: {e}");
    }
}

#[test]
fn new_writes_a_template_that_checks_as_it_stands() {
    let d = tmpdir("new");
    let o = run(&["new", "mypaper"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(d.join("mypaper.toml")).unwrap();
    assert!(text.contains("title = \"mypaper\""));
    assert!(text.contains("stabcert check mypaper.toml"));
    // every example of the template is decided; none is left undecided
    let o = run(&["check", "mypaper.toml", "--json"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json_of(&o);
    assert_eq!(v["paper"]["title"], "mypaper");
    let claims = v["claims"].as_array().unwrap();
    assert!(claims.len() >= 6);
    assert!(claims.iter().all(|c| c["verdict"] != "undecided"), "{v:#}");
    // the threshold example brackets ln 2 / ln 100 = 0.150514997...
    let t = claims.iter().find(|c| !c["threshold"].is_null()).unwrap();
    let approx: f64 = t["threshold"]["approx"].as_str().unwrap().parse().unwrap();
    assert!((approx - 2f64.ln() / 100f64.ln()).abs() < 1e-9, "{approx}");
    // never overwritten unless forced
    let o = run(&["new", "mypaper"], &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    assert_eq!(
        run(&["new", "mypaper.toml", "--force"], &d).status.code(),
        Some(0)
    );
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn completions_and_man_pages() {
    for (shell, needle) in [
        ("bash", "_stabcert()"),
        ("zsh", "#compdef stabcert"),
        ("fish", "complete -c stabcert"),
    ] {
        let o = run(&["completions", shell], &root());
        assert_eq!(o.status.code(), Some(0));
        let s = stdout(&o);
        assert!(s.contains(needle), "{shell}");
        assert!(s.contains("audit") && s.contains("fail-on"), "{shell}");
    }
    assert_eq!(
        run(&["completions", "tcsh"], &root()).status.code(),
        Some(2)
    );
    let o = run(&["man"], &root());
    assert!(stdout(&o).contains(".TH stabcert 1"));
    let d = tmpdir("man");
    let o = run(&["man", "--out", d.to_str().unwrap()], &root());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = std::fs::read_to_string(d.join("stabcert-check.1")).unwrap();
    assert!(
        page.contains("fail\\-on") && page.contains("Exit status"),
        "{page}"
    );
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn check_prints_each_row_as_soon_as_it_is_decided() {
    // the second claim takes its whole 5-second time budget (exact harmonic-like sums at
    // thousands of points); the first claim's row must be out while it still runs
    let d = tmpdir("stream");
    let f = d.join("slow.toml");
    std::fs::write(
        &f,
        r#"
[[claim]]
id = "a.fast"
source = "s"
text = "t"
params = ["n in 1..=3"]
holds = "n >= 1"

[[claim]]
id = "b.slow"
source = "s"
text = "t"
params = ["n in 1..=30000"]
holds = "rec(x, t, 1, n, 0, x + 1/t^2 + 1/(t+1)^3) <= 2"
"#,
    )
    .unwrap();
    use std::io::BufRead;
    let mut child = bin()
        .args(["check", "--time-per-claim", "5"])
        .arg(&f)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut first = Vec::new();
    for _ in 0..3 {
        first.push(lines.next().unwrap().unwrap());
    }
    assert!(
        first[0].starts_with("id ") && first[2].starts_with("a.fast "),
        "{first:?}"
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first row came only when the run had ended"
    );
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert!(
        rest[0].starts_with("b.slow ") && rest[0].contains("undecided"),
        "{rest:?}"
    );
    assert!(rest.last().unwrap().starts_with("2 relations: 1 certified"));
    assert!(child.wait().unwrap().success());
    let _ = std::fs::remove_dir_all(d);
}
