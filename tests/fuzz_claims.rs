//! Claim files and simulate configurations, well-formed and hostile: fields missing or of the
//! wrong type, inverted, empty and huge domains, names used before they are defined, unknown
//! keys, garbage formulas, escapes inside strings, truncated and byte-flipped files. Every
//! file must load or be refused with `file:line:col: message`; every loaded claim must be
//! decided (under small budgets) without a panic and within its time; the kernel re-check
//! and the Coq script writer must not panic either. A few files also go through the binary,
//! for the exit codes (2 for bad input).
//!
//! The normal test command runs 400 files from a fixed seed; `STABCERT_FUZZ_N` and
//! `STABCERT_FUZZ_SEED` (a number or `random`) change that, as for `tests/fuzz.rs`.

mod common;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use stabcert::certify;
use stabcert::certify::kernel;
use stabcert::claims;
use stabcert::decide::{self, Options};
use std::time::{Duration, Instant};

fn pick<'a>(rng: &mut ChaCha8Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.gen_range(0..xs.len())]
}

const PARAMS: &[&str] = &[
    "n in 1..=20",
    "n in 2..=10",
    "k in 0..=5",
    "T in n..=n+5",
    "t in 1..T",
    "a in (0, 1]",
    "a in [0, 1/2)",
    "x in [-1, 1]",
    "y = 1/2",
    "c in {1, 2, 4}",
    "n in 1..=10^12 sample 20",
    "n in 5..=1",
    "x in (1, 1)",
    "x in [2, 1]",
    "n in 1..=10^9",
    "m in 1..=n",
    "b in [0, a]",
    "z in (0, exp(1))",
    "q in 1..=sqrt(2)",
    "r = 1/0",
    "s in 1..=3 + exp(-100)",
    "n in",
    "n in 1..=",
    "n = ",
    "in in 1..=3",
    "n in 1...3",
];

const FORMULAS: &[&str] = &[
    "n^2 >= n",
    "(1 + 1/n)^n <= 3",
    "sum(i, 1, n, 1/i) <= 1 + ln(n)",
    "exp(a) >= 1 + a",
    "x^2 >= 0",
    "1/(n - n) <= 1",
    "sqrt(a) <= 1",
    "rec(u, s, 0, n, 1, u/2 + 1) < 2",
    "prod(i, 1, k, 1 + 1/i) = k + 1",
    "floor(sqrt(n)^2) = n",
    "ln(a) <= a - 1",
    "n <= K*ln(n + 1)",
    "T^a <= 2",
    "0*(1/(x - x)) <= 1",
    "sum(i, 1, 3 + exp(-100), i) >= 6",
    "min(n, 1/0) <= n",
    "n >= ",
    "n <== 2",
    "foo(n) <= 1",
    "n + * 2 <= 1",
    "1 + 1 + 1 + 1 <= undefinedname",
    "(((((n))))) <= n",
    "abs(x) >= x",
    "x \\u003c= 2",
    "n \\u0020\\u0020>= (1 +",
    "H <= 1 + n/10",
    "w <= 1",
];

const LETS: &[&str] = &[
    "H = sum(i, 1, n, 1/i)",
    "w = H*2",
    "v = w + 1",
    "H = 1",
    "y2 = y2 + 1",
    "bad = 1/0",
    "z = sqrt(2)*sqrt(2)",
    "e = exp(1)",
    "p = (n + 1)^(2^20)",
    "q = p*p",
    "g = ",
    "= 3",
];

/// One claim table, possibly mangled.
fn claim_table(rng: &mut ChaCha8Rng, k: usize) -> String {
    let mut lines: Vec<String> = vec!["[[claim]]".into()];
    let mut field = |rng: &mut ChaCha8Rng, name: &str, value: String| {
        // missing fields, wrong types, duplicated keys
        match rng.gen_range(0..40) {
            0 => {}
            1 => lines.push(format!("{name} = {}", rng.gen_range(-5..50))),
            2 => lines.push(format!("{name} = [{value}]")),
            3 => lines.push(format!("{name} = {{ a = 1 }}")),
            4 => {
                lines.push(format!("{name} = {value}"));
                lines.push(format!("{name} = {value}"));
            }
            _ => lines.push(format!("{name} = {value}")),
        }
    };
    let id = if rng.gen_bool(0.03) {
        "\"bad id!\"".to_string()
    } else if rng.gen_bool(0.03) {
        "\"c0\"".to_string()
    } else {
        format!("\"c{k}\"")
    };
    field(rng, "id", id);
    field(rng, "source", "\"the source\"".into());
    field(rng, "text", "\"what it says\"".into());
    let np = rng.gen_range(0..4);
    let params: Vec<String> = (0..np)
        .map(|_| format!("\"{}\"", pick(rng, PARAMS)))
        .collect();
    field(rng, "params", format!("[{}]", params.join(", ")));
    if rng.gen_bool(0.3) {
        let nl = rng.gen_range(1..4);
        let lets: Vec<String> = (0..nl)
            .map(|_| format!("\"{}\"", pick(rng, LETS)))
            .collect();
        field(rng, "let", format!("[{}]", lets.join(", ")));
    }
    if rng.gen_bool(0.8) {
        let f = pick(rng, FORMULAS);
        field(rng, "holds", format!("\"{f}\""));
    } else {
        let a = pick(rng, &["1", "n", "x", "a", "exp(a)", "1/0"]);
        let b = pick(rng, &["2*n", "n + 1", "1 + a", "2"]);
        let r = pick(rng, &["<=", "<", "=", ">=", "=>"]);
        field(
            rng,
            "chain",
            format!("[\"{a}\", \"{r}\", \"{b}\", \"<=\", \"3*n\"]"),
        );
    }
    if rng.gen_bool(0.1) {
        let t = pick(rng, &["a", "n", "x", "zz"]);
        field(rng, "threshold", format!("\"{t}\""));
    }
    if rng.gen_bool(0.1) {
        let k = pick(rng, &["K", "n", ""]);
        field(rng, "best_constant", format!("\"{k}\""));
    }
    if rng.gen_bool(0.05) {
        field(rng, "construction", "\"nosuch\"".into());
    }
    if rng.gen_bool(0.05) {
        lines.push("unknown_key = 1".into());
    }
    lines.join("\n")
}

/// Well-formed claims: (params, let, holds, search).
const VALID: &[(&str, &str, &str, &str)] = &[
    ("\"n in 1..=30\"", "", "n^2 >= n", ""),
    ("\"n in 1..=30\"", "", "(1 + 1/n)^n <= 3", ""),
    ("\"n in 1..=30\"", "", "sum(i, 1, n, 1/i) <= 1 + ln(n)", ""),
    ("\"n in 1..=30\"", "", "floor(sqrt(n)^2) = n", ""),
    ("\"n in 1..=30\"", "", "1/(n - n) <= 1", ""),
    ("\"n in 0..=12\"", "", "rec(u, s, 0, n, 1, u/2 + 1) < 2", ""),
    ("\"n in 1..=12\"", "", "prod(i, 1, n, 1 + 1/i) = n + 1", ""),
    (
        "\"n in 1..=12\"",
        "\"H = sum(i, 1, n, 1/i)\"",
        "H <= 1 + n/10",
        "",
    ),
    (
        "\"n in 1..=12\"",
        "\"H = sqrt(n)*sqrt(n)\", \"G = H - n\"",
        "G = 0",
        "",
    ),
    ("\"a in (0, 1]\"", "", "exp(a) >= 1 + a", ""),
    ("\"a in (0, 1]\"", "", "ln(a) <= a - 1", ""),
    ("\"a in (0, 1]\"", "", "a^2 <= a", ""),
    ("\"x in [-1, 1]\"", "", "abs(x) >= x", ""),
    ("\"x in [-1, 1]\"", "", "0*(1/(x - x)) <= 1", ""),
    ("\"x in [-1, 1]\"", "", "x*x >= x", ""),
    (
        "\"n in 1..=10\", \"a in [0, 1]\"",
        "",
        "n^a <= 2",
        "threshold = \"a\"",
    ),
    (
        "\"n in 1..=20\"",
        "",
        "n <= K*ln(n + 1)",
        "best_constant = \"K\"",
    ),
    ("\"n in 1..=10^12 sample 20\"", "", "1 - 1/n < 1", ""),
    (
        "\"k in 1..=4\", \"x = k + exp(-100)\"",
        "",
        "sum(i, 1, x, i) >= 1",
        "",
    ),
    // heavy ones: they must end within their budgets
    ("\"n in 1..=10^7\"", "", "n >= 1", ""),
    (
        "\"x in [0, 1]\", \"y in [0, 1]\"",
        "",
        "x*y <= (x + y)^2/4",
        "",
    ),
    ("\"n in 1..=40\"", "\"p = (n + 1)^(2^20)\"", "p >= n", ""),
    (
        "\"n in 1..=10^12 sample 50\"",
        "",
        "sum(i, 1, n, 1/i) >= 1",
        "",
    ),
    (
        "\"a in [0, 1]\"",
        "",
        "exp(a) >= 1 + a + a^2/2",
        "threshold = \"a\"",
    ),
    (
        "\"n in 1..=30\"",
        "\"y = rec(x, t, 0, n, 2, x*x)\"",
        "y >= 2",
        "",
    ),
];

fn valid_table(rng: &mut ChaCha8Rng, k: usize) -> String {
    let (params, lets, holds, search) = VALID[rng.gen_range(0..VALID.len())];
    let mut t =
        format!("[[claim]]\nid = \"v{k}\"\nsource = \"s\"\ntext = \"t\"\nparams = [{params}]\n");
    if !lets.is_empty() {
        t.push_str(&format!("let = [{lets}]\n"));
    }
    t.push_str(&format!("holds = \"{holds}\"\n"));
    if !search.is_empty() {
        t.push_str(search);
        t.push('\n');
    }
    t
}

fn claim_file(rng: &mut ChaCha8Rng) -> String {
    if rng.gen_bool(0.4) {
        let n = rng.gen_range(1..4);
        return (0..n)
            .map(|k| valid_table(rng, k))
            .collect::<Vec<_>>()
            .join("\n");
    }
    let n = rng.gen_range(0..4);
    let mut text: String = (0..n)
        .map(|k| claim_table(rng, k))
        .collect::<Vec<_>>()
        .join("\n\n");
    if rng.gen_bool(0.1) {
        text.push_str(
            "\n\n[[definition]]\nname = \"D\"\nsource = \"s\"\ntext = \"t\"\nexpr = \"n^2\"\n",
        );
    }
    // byte-level damage: truncation, a flipped character, a stray line
    match rng.gen_range(0..12) {
        0 if !text.is_empty() => {
            let mut cut = rng.gen_range(0..text.len());
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        1 if !text.is_empty() => {
            let mut at = rng.gen_range(0..text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let ch = pick(rng, &["\"", "[", "]", "=", "\n", "\\", "é", "\u{0}"]);
            text.insert_str(at, ch);
        }
        2 => text.push_str("\n[[claim]\n"),
        3 => text = format!("{}\n{text}", "x".repeat(rng.gen_range(1..5))),
        _ => {}
    }
    text
}

fn small_budgets() -> Options {
    Options {
        max_points: 300,
        max_boxes: 60,
        time_per_claim: Duration::from_millis(500),
        ..Options::default()
    }
}

/// What is wrong with loading and deciding `text`, if anything.
fn check_file(text: &str) -> Option<String> {
    let t0 = Instant::now();
    let loaded = std::panic::catch_unwind(|| claims::load_str("fuzz.toml", text));
    let claims = match loaded {
        Err(_) => return Some("load panicked".into()),
        Ok(Err(e)) => {
            let msg = e.to_string();
            let positioned = e.line >= 1 && e.col >= 1;
            let positionless_ok = e.message == "no claims";
            if !(positioned || positionless_ok) || !msg.starts_with("fuzz.toml") {
                return Some(format!("error without a position: {msg}"));
            }
            if msg.contains('\n') {
                return Some(format!("error over several lines: {msg}"));
            }
            return None;
        }
        Ok(Ok(c)) => c,
    };
    let opts = small_budgets();
    for c in &claims {
        let t = Instant::now();
        let r = std::panic::catch_unwind(|| {
            let outs = decide::decide(c, &opts);
            for o in &outs {
                let _ = kernel::recheck(c, o);
            }
            let _ = certify::certificates(std::slice::from_ref(c), &outs);
            let _ = stabcert::report::table(&outs);
            let _ = stabcert::report::json_document(&outs);
            outs.len()
        });
        if r.is_err() {
            return Some(format!("deciding `{}` panicked", c.id));
        }
        // a claim gets its time once for the sweep and once per search step (bounded)
        if t.elapsed() > Duration::from_secs(20) {
            return Some(format!("deciding `{}` took {:?}", c.id, t.elapsed()));
        }
    }
    if t0.elapsed() > Duration::from_secs(60) {
        return Some(format!("the file took {:?}", t0.elapsed()));
    }
    None
}

#[test]
fn claim_files_load_or_fail_with_a_position_and_decide_without_panics() {
    let (seed, n) = common::seed_and_count(400);
    eprintln!("fuzz_claims: seed {seed}, {n} files");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut failures = Vec::new();
    let (mut loaded, mut refused) = (0, 0);
    for k in 0..n {
        let text = claim_file(&mut rng);
        match claims::load_str("fuzz.toml", &text) {
            Ok(_) => loaded += 1,
            Err(_) => refused += 1,
        }
        if let Some(why) = check_file(&text) {
            failures.push(format!("file {k}: {why}\n---\n{text}\n---"));
        }
    }
    eprintln!(
        "fuzz_claims: {loaded} loaded, {refused} refused, {} failing",
        failures.len()
    );
    assert!(
        loaded > n / 10 && refused > n / 10,
        "{loaded} loaded, {refused} refused"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn hostile_files_through_the_binary_exit_2_with_a_position() {
    let dir = std::env::temp_dir().join(format!("stabcert-fuzz-claims-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut tried = 0;
    for k in 0..200 {
        let text = claim_file(&mut rng);
        if claims::load_str("x.toml", &text).is_ok() {
            continue;
        }
        let path = dir.join(format!("f{k}.toml"));
        std::fs::write(&path, &text).expect("write");
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_stabcert"))
            .arg("check")
            .arg(&path)
            .output()
            .expect("run stabcert");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{text}\n{err}");
        let shown = path.display().to_string();
        assert!(err.starts_with(&format!("stabcert: {shown}")), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        tried += 1;
        if tried == 12 {
            break;
        }
    }
    assert_eq!(tried, 12);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn escapes_and_multiline_strings_keep_columns_right() {
    // `\u0020` is six characters in the file and one in the formula: the column must point
    // at the file's character (the end of the formula, here the closing quote)
    let text = "[[claim]]\nid = \"x\"\nsource = \"s\"\ntext = \"t\"\nparams = [\"n in 1..=3\"]\nholds = \"n \\u0020\\u0020>= (1 +\"\n";
    let e = claims::load_str("f.toml", text).unwrap_err();
    assert_eq!((e.line, e.col), (6, 31), "{e}");
    let text = "[[claim]]\nid = \"x\"\nsource = \"s\"\ntext = \"t\"\nparams = [\"n in 1..=3\"]\nholds = \"\"\"\nn >= (1 +\"\"\"\n";
    let e = claims::load_str("f.toml", text).unwrap_err();
    assert_eq!((e.line, e.col), (7, 10), "{e}");
    let text = "[[claim]]\nid = \"x\"\nsource = \"s\"\ntext = \"t\"\nparams = ['n in 1..=3']\nholds = 'n >= (1 + \\t'\n";
    let e = claims::load_str("f.toml", text).unwrap_err();
    assert_eq!(e.line, 6, "{e}");
    assert_eq!(e.col, 20, "{e}"); // the backslash, literally, in a literal string
    // TOML's own errors are one line
    let e = claims::load_str("f.toml", "[[claim]\nid = 1\n").unwrap_err();
    assert!(!e.to_string().contains('\n'), "{e}");
}
