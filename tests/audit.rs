//! `stabcert audit --quick` end to end: it writes the report files, the HTML is well-formed
//! XML (XHTML) with inline SVG and names every claim id, and the experiments and plots are
//! the same for the same seed (and differ for another seed). Another paper's claim folder
//! (`examples/hardt2016`, with a `[paper]` table and a plot file) gives a complete report
//! with its own title, every relation's formula as MathML, and no experiments.

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
    let relations = results["claims"].as_array().unwrap();
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
    // every relation, the symbolic ones included, is shown as MathML
    let formulas = doc
        .descendants()
        .filter(|n| n.has_tag_name("td") && n.attribute("class") == Some("formula"))
        .filter(|n| {
            n.children()
                .any(|m| m.has_tag_name(("http://www.w3.org/1998/Math/MathML", "math")))
        })
        .count();
    assert_eq!(formulas, relations.len());
    assert!(read(&a.join("report.md")).starts_with("# stabcert audit"));
    // nothing in the report points outside the repository a user has
    let outside = format!("..{}shared", '/');
    assert!(!html.contains(&outside) && !read(&a.join("report.md")).contains(&outside));
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

fn xml(html: &str) -> roxmltree::Document<'_> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(html, opts)
        .unwrap_or_else(|e| panic!("report.html: {e}"))
}

#[test]
fn another_papers_claims_give_a_complete_report() {
    const MATHML: &str = "http://www.w3.org/1998/Math/MathML";
    let a = tmp("hardt");
    let o = Command::new(env!("CARGO_BIN_EXE_stabcert"))
        .args([
            "audit",
            "examples/hardt2016",
            "--plots",
            "examples/hardt2016/hardt2016.plots.toml",
            "--quick",
            "--out",
        ])
        .arg(&a)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let summary = String::from_utf8_lossy(&o.stdout);
    assert!(
        summary.contains("Train faster, generalize better"),
        "{summary}"
    );
    let html = read(&a.join("report.html"));
    let doc = xml(&html);
    // its own title, from the [paper] table
    let title = doc
        .descendants()
        .find(|n| n.has_tag_name("h1"))
        .and_then(|n| n.text())
        .unwrap();
    assert_eq!(
        title,
        "stabcert audit: Train faster, generalize better: Stability of stochastic gradient descent"
    );
    assert!(
        !html.contains("Revisiting"),
        "the built-in paper leaks into another's report"
    );
    // every relation's formula cell holds a MathML <math> element
    let results: Value = serde_json::from_str(&read(&a.join("results.json"))).unwrap();
    let relations = results["claims"].as_array().unwrap();
    assert_eq!(relations.len(), 5);
    let cells: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("td") && n.attribute("class") == Some("formula"))
        .collect();
    assert_eq!(cells.len(), relations.len());
    for c in &cells {
        let math = c
            .children()
            .find(|m| m.tag_name().name() == "math")
            .expect("a formula cell starts with its formula");
        assert_eq!(math.tag_name().namespace(), Some(MATHML));
        assert!(math.descendants().any(|m| m.has_tag_name((MATHML, "mo"))));
    }
    // the sum of the harmonic tail is drawn as a sum with its limits
    assert!(html.contains("<munderover><mo>∑</mo>"));
    // a table of contents whose links all land on a heading
    let ids: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("id"))
        .collect();
    let links: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("href"))
        .filter_map(|h| h.strip_prefix('#'))
        .collect();
    assert!(links.len() >= 4, "{links:?}");
    for l in &links {
        assert!(ids.contains(l), "#{l} leads nowhere");
    }
    // the claim files with their SHA-256, the tool's version, the glossary
    let text: String = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(text.contains(&format!("stabcert {}", env!("CARGO_PKG_VERSION"))));
    let claims_file = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hardt2016/claims.toml"),
    )
    .unwrap();
    let files = results["files"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    let sha = files[0]["sha256"].as_str().unwrap();
    assert_eq!(files[0]["bytes"], claims_file.len());
    assert!(text.contains(sha));
    assert!(text.contains("no-counterexample") && text.contains("undecided"));
    // no Markdown backticks in the HTML's text or in the SVGs
    assert!(!text.contains('`'), "a backtick leaked into the HTML text");
    for p in results["plots"].as_array().unwrap() {
        assert!(!read(&a.join(p["file"].as_str().unwrap())).contains('`'));
    }
    // the plot file's curve is drawn, the experiments are the built-in paper's only
    assert_eq!(results["plots"].as_array().unwrap().len(), 1);
    assert!(results["experiments"].is_null());
    assert!(!html.contains("Experiments"));
    // LaTeX in report.md
    let md = read(&a.join("report.md"));
    assert!(
        md.contains("$\\sum_{t = t_{0} + 1}^{T}") || md.contains("\\sum_{t = {t}_{0} + 1}^{T}"),
        "{md}"
    );
    let _ = std::fs::remove_dir_all(a);
}

#[test]
fn bad_plot_files_and_paths_exit_2_with_a_position() {
    let dir = tmp("badplots");
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_stabcert"))
            .args(args)
            .args(["--quick", "--out"])
            .arg(dir.join("out"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let unknown = dir.join("a.plots.toml");
    std::fs::write(&unknown, "[[curves]]\nid = \"x\"\nbogus = 1\n").unwrap();
    let (code, err) = run(&[
        "audit",
        "examples/hardt2016",
        "--plots",
        unknown.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("a.plots.toml:3:1: unknown field `bogus`"),
        "{err}"
    );
    let missing = dir.join("b.plots.toml");
    std::fs::write(
        &missing,
        "[[curves]]\nid = \"c\"\ntitle = \"t\"\nconstruction = \"nope\"\nlet = []\nx = \"T\"\nfrom = 2\nto = 10\npoints = 3\nseries = [[\"a\", \"T\"]]\n",
    )
    .unwrap();
    let (code, err) = run(&[
        "audit",
        "examples/hardt2016",
        "--plots",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("no construction `nope` in the claim files"),
        "{err}"
    );
    let (code, err) = run(&["audit", "no/such/claims"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("no/such/claims: no such file or folder"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
