//! `stabcert audit --quick` end to end: it writes the report files, the HTML is well-formed
//! XML (XHTML) with inline SVG and names every claim id, and the experiments and plots are
//! the same for the same seed (and differ for another seed).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn audit(out: &Path, seed: u64) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_stabcert"))
        .args(["audit", "--quick", "--seed", &seed.to_string(), "--out"])
        .arg(out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        o.stderr.is_empty(),
        "quiet in a pipe: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("stabcert-audit-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn quick_audit_report() {
    let a = tmp("a");
    let b = tmp("b");
    let c = tmp("c");
    let summary = audit(&a, 7);
    assert!(
        summary.contains("relations of") && summary.contains("report.html"),
        "{summary}"
    );
    let html = read(&a.join("report.html"));
    // well-formed: a strict XML parser accepts the whole document, SVGs included
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(&html, opts)
        .unwrap_or_else(|e| panic!("report.html: {e}"));
    let svgs = doc.descendants().filter(|n| n.has_tag_name("svg")).count();
    let results: Value = serde_json::from_str(&read(&a.join("results.json"))).unwrap();
    let plots = results["plots"].as_array().unwrap();
    assert!(plots.len() >= 12, "{}", plots.len());
    assert_eq!(svgs, plots.len());
    let mut region_maps = 0;
    for p in plots {
        let f = a.join(p["file"].as_str().unwrap());
        let svg = read(&f);
        roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        // a region map decides each cell at one point: its legend says so, never "proved"
        assert!(!svg.contains("(proved)"), "{}", f.display());
        if svg.contains("A &lt;= B at its grid point") {
            region_maps += 1;
        }
    }
    assert!(region_maps >= 1, "no region map with its legend");
    // every relation of the catalogue is named in the HTML
    let relations = results["catalogue"]["claims"].as_array().unwrap();
    assert!(relations.len() >= 100);
    let text: String = doc
        .descendants()
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("\n");
    for r in relations {
        let id = r["id"].as_str().unwrap();
        assert!(text.contains(id), "report.html does not name `{id}`");
    }
    assert!(read(&a.join("report.md")).starts_with("# stabcert audit"));
    // the experiments: deterministic for a seed, different for another
    audit(&b, 7);
    audit(&c, 8);
    let exp = |d: &Path| -> Value {
        serde_json::from_str::<Value>(&read(&d.join("results.json"))).unwrap()["experiments"]
            .clone()
    };
    assert_eq!(exp(&a), exp(&b));
    assert_ne!(exp(&a), exp(&c));
    for p in plots {
        let f = p["file"].as_str().unwrap();
        assert_eq!(
            read(&a.join(f)),
            read(&b.join(f)),
            "{f} differs between two runs with one seed"
        );
    }
    // the figures behind the report are there and finite
    let x = exp(&a);
    assert_eq!(x["fig1a"]["pairs"], 35);
    for c in x["fig1a"]["curves"].as_array().unwrap() {
        for s in c["stats"].as_array().unwrap() {
            assert!(s["mean"].as_f64().unwrap() > 0.0);
        }
    }
    assert_eq!(x["table2"]["rows"].as_array().unwrap().len(), 2);
    assert_eq!(x["thm2"].as_array().unwrap().len(), 2);
    for d in [a, b, c] {
        let _ = std::fs::remove_dir_all(d);
    }
}
