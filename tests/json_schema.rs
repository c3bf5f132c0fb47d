//! Every JSON document stabcert writes validates against the JSON Schema shipped in the
//! repository (`docs/stabcert.schema.json`): `check --json` (with and without a `[paper]`
//! table), `certify --json`, each `symbolic` operation, `simulate --json` and the audit's
//! `results.json`. The schema is strict (no unknown fields), so a field added to a
//! document without its description fails here. A mutated document is rejected, so the
//! validator is known to look.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn json(args: &[&str]) -> Value {
    let o = Command::new(env!("CARGO_BIN_EXE_stabcert"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("runs");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("docs/stabcert.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::draft202012::new(&schema).expect("the schema is a valid 2020-12 schema")
}

fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(5)
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
    assert_eq!(doc["schema_version"], 1, "{what}");
    assert_eq!(doc["stabcert_version"], env!("CARGO_PKG_VERSION"), "{what}");
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("stabcert-schema-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn every_json_document_validates_against_the_schema() {
    let v = validator();
    // check: counterexamples, thresholds, best constants, chains, sampled claims
    let check = json(&["check", "examples/claims.toml", "--json"]);
    assert_eq!(check["document"], "check");
    assert!(check["paper"].is_null());
    assert_valid(&v, &check, "check examples/claims.toml");
    let with_paper = json(&["check", "examples/hardt2016", "--json"]);
    assert_eq!(with_paper["paper"]["year"], 2016);
    assert_valid(&v, &with_paper, "check examples/hardt2016");
    // symbolic claims and touching proofs
    for f in ["examples/touching.toml", "proofs/paper/symbolic.toml"] {
        let d = json(&["check", f, "--json", "--time-per-claim", "5"]);
        assert_valid(&v, &d, f);
    }
    let out = tmp("certify");
    let cert = json(&[
        "certify",
        "examples/claims.toml",
        "--json",
        "--no-coqc",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_valid(&v, &cert, "certify");
    for args in [
        vec!["symbolic", "simplify", "T^a*T", "--json"],
        vec!["symbolic", "ratio", "T^a", "n", "--json"],
        vec![
            "symbolic",
            "crossover",
            "T^a/n",
            "n",
            "--solve-for",
            "T",
            "--json",
        ],
        vec!["symbolic", "dominance", "T", "n", "--as", "n,T", "--json"],
        vec!["symbolic", "equal", "a+b", "b+a", "--json"],
        vec!["symbolic", "equal", "a+b", "a*b", "--json"],
    ] {
        assert_valid(&v, &json(&args), &args.join(" "));
    }
    let sim = json(&[
        "simulate",
        "examples/simulate/thm1_convex.toml",
        "--json",
        "--replicas",
        "20",
        "--seed",
        "3",
    ]);
    assert_valid(&v, &sim, "simulate");
    // the shard documents of split runs
    let part = json(&["check", "examples/claims.toml", "--shard", "2/3"]);
    assert_valid(&v, &part, "check --shard");
    let sim_part = json(&[
        "simulate",
        "examples/simulate/thm1_convex.toml",
        "--replicas",
        "20",
        "--shard",
        "1/2",
    ]);
    assert_valid(&v, &sim_part, "simulate --shard");
    // the configuration echoes the replicas and seed the run used
    assert_eq!(sim["config"]["replicas"], 20);
    assert_eq!(sim["config"]["seed"], 3);
    let a = tmp("audit");
    let o = Command::new(env!("CARGO_BIN_EXE_stabcert"))
        .args(["audit", "examples/hardt2016", "--quick", "--out"])
        .arg(&a)
        .args(["--plots", "examples/hardt2016/hardt2016.plots.toml"])
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("results.json")).unwrap()).unwrap();
    assert_valid(&v, &results, "audit results.json");
    // the validator looks: a wrong verdict, a missing field and an unknown field fail
    let mut bad = check.clone();
    bad["claims"][0]["verdict"] = Value::String("probably".into());
    assert!(!v.is_valid(&bad));
    let mut bad = check.clone();
    bad.as_object_mut().unwrap().remove("schema_version");
    assert!(!v.is_valid(&bad));
    let mut bad = sim.clone();
    bad["checkpoints"][0]["extra"] = Value::Bool(true);
    assert!(!v.is_valid(&bad));
    for d in [out, a] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// Files of the repository a user gets (tracked by git), as text.
fn tracked_text_files() -> Vec<(PathBuf, String)> {
    let o = Command::new("git")
        .args(["ls-files"])
        .current_dir(root())
        .output()
        .expect("git");
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| root().join(l))
        .filter_map(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)))
        .collect()
}

#[test]
fn nothing_points_outside_the_repository() {
    // the guidance folder the project was built from is not shipped: no file, help text or
    // report may send a user there
    let outside = format!("..{}shared", '/');
    let files = tracked_text_files();
    assert!(files.len() > 50, "git ls-files found {} files", files.len());
    for (p, t) in &files {
        assert!(!t.contains(&outside), "{} mentions {outside}", p.display());
    }
    let mut helps = vec![vec!["--help"]];
    for c in [
        "eval", "check", "certify", "audit", "simulate", "symbolic", "new",
    ] {
        helps.push(vec![c, "--help"]);
    }
    for args in helps {
        let o = Command::new(env!("CARGO_BIN_EXE_stabcert"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(!text.contains(&outside), "{args:?}");
        // every help shows examples and the exit status
        assert!(
            text.contains("Example") && text.contains("Exit status"),
            "{args:?}: {text}"
        );
    }
    let _ = Path::new("");
}
