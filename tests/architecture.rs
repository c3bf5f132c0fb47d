//! The crate's layering, checked: no import cycle between top-level modules of `src/`.
//!
//! Two checks: no cycle, and every import goes down the layer table of ARCHITECTURE.md
//! ([`LAYERS`]; a new module must be placed in it).
//!
//! Every `crate::<module>` path outside comments and `#[cfg(test)]` items counts as an import of that
//! module (a `mod` of a folder counts for the folder). A cycle is reported with its modules
//! in order, so that the layer picture of ARCHITECTURE.md stays true to the code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The top-level module a source file belongs to (`src/decide/bnb.rs` -> `decide`).
fn module_of(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    match name.as_str() {
        "lib" | "main" => None,
        _ => Some(name),
    }
}

/// The code of a file without comments (doc links are not imports) and without the items
/// marked `#[cfg(test)]` (test code may use any module).
fn non_test_code(text: &str) -> String {
    let code: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect();
    let code = code.join("\n");
    let mut out = String::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        // skip the item: up to the brace that closes its first block (or its `;`)
        let mut depth = 0usize;
        let mut end = rest.len();
        for (k, c) in rest.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = k + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = k + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Top-level modules named after `crate::` in `code` (also inside `use crate::{a, b}`).
fn imports(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(inner) = rest.strip_prefix('{') {
            let end = inner.find('}').unwrap_or(inner.len());
            for part in inner[..end].split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("readable src") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            walk(&p, files);
        } else if p.extension().is_some_and(|x| x == "rs") {
            files.push(p);
        }
    }
}

/// The import graph between top-level modules.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).expect("under src");
        let Some(m) = module_of(rel) else { continue };
        let text = std::fs::read_to_string(&f).expect("readable file");
        let deps = g.entry(m.clone()).or_default();
        for d in imports(&non_test_code(&text)) {
            if d != m {
                deps.insert(d);
            }
        }
    }
    g
}

/// A cycle through `start`, if there is one (depth-first search).
fn cycle_from(
    g: &BTreeMap<String, BTreeSet<String>>,
    start: &str,
    node: &str,
    path: &mut Vec<String>,
    seen: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    for d in g.get(node).into_iter().flatten() {
        if d == start {
            let mut c = path.clone();
            c.push(start.to_string());
            return Some(c);
        }
        if seen.insert(d.clone()) {
            path.push(d.clone());
            if let Some(c) = cycle_from(g, start, d, path, seen) {
                return Some(c);
            }
            path.pop();
        }
    }
    None
}

/// The layers of ARCHITECTURE.md, bottom (0) to top: a module may import only modules of
/// lower layers.
const LAYERS: &[(&str, u32)] = &[
    ("expr", 0),
    ("decimal", 0),
    ("svg", 0),
    ("source", 1),
    ("engine", 1),
    ("construction", 1),
    ("propagate", 1),
    ("verdict", 2),
    ("claims", 2),
    ("decide", 3),
    ("symbolic", 4),
    ("certify", 4),
    ("sgd", 4),
    ("pipeline", 5),
    ("audit", 6),
    ("report", 7),
    ("cli", 8),
    ("shard", 9),
    ("python", 10),
];

#[test]
fn imports_go_down_the_layers() {
    let g = graph();
    let layer = |m: &str| LAYERS.iter().find(|(n, _)| *n == m).map(|(_, l)| *l);
    let mut wrong = Vec::new();
    for (m, deps) in &g {
        let Some(lm) = layer(m) else {
            wrong.push(format!("`{m}` is not in the layer table"));
            continue;
        };
        for d in deps {
            match layer(d) {
                Some(ld) if ld < lm => {}
                Some(ld) => wrong.push(format!("`{m}` (layer {lm}) imports `{d}` (layer {ld})")),
                None => wrong.push(format!("`{m}` imports `{d}`, which is not in the table")),
            }
        }
    }
    assert!(wrong.is_empty(), "layering:\n{}", wrong.join("\n"));
}

#[test]
fn no_import_cycle_between_modules() {
    let g = graph();
    assert!(g.len() >= 10, "the module graph was not read: {g:?}");
    let mut cycles = Vec::new();
    for m in g.keys() {
        let mut path = vec![m.clone()];
        if let Some(c) = cycle_from(&g, m, m, &mut path, &mut BTreeSet::new()) {
            cycles.push(c.join(" -> "));
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_checker_sees_imports_and_cycles() {
    // test items are skipped, the code after them is not
    let code = non_test_code(
        "use crate::a;\n#[cfg(test)]\nmod tests { use crate::b; fn f() { } }\nuse crate::c;",
    );
    assert_eq!(
        imports(&code).into_iter().collect::<Vec<_>>(),
        vec!["a", "c"]
    );
    // the parser reads both forms of path
    let i = imports("use crate::{expr::Expr, exact};\nlet x = crate::real::eval(e);");
    assert_eq!(
        i.into_iter().collect::<Vec<_>>(),
        vec!["exact", "expr", "real"]
    );
    // and the search finds a planted cycle
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    let c = cycle_from(&g, "a", "a", &mut vec!["a".into()], &mut BTreeSet::new());
    assert_eq!(c.unwrap().join(" -> "), "a -> b -> c -> a");
}
