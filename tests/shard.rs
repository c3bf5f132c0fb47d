//! Split runs: `check --shard i/N` and `simulate --shard i/N` merged by `stabcert merge`
//! give exactly what one run prints (the paper's whole catalogue; a Monte Carlo run bit for
//! bit, whatever each shard's thread count), and bad merges exit 2 with a message.

use stabcert::claims::ClaimBuilder;
use stabcert::decide::{Options, Shard, Side, Verdict};
use stabcert::pipeline;
use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stabcert"));
    c.args(args).current_dir(root());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn bin(args: &[&str]) -> Output {
    bin_env(args, &[])
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// The command exits 2 with a message that says `says`.
fn refused(args: &[&str], says: &str) {
    let o = bin(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(says), "{args:?}: {err}");
}

fn tmp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stabcert-shard-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The paper's catalogue in three shards (30 of its 64 claims split point by point, 6 with
/// real parameters split by the integer points under their boxes, the others spread
/// whole), merged in a shuffled order: the same `check --json` document, byte for byte, as
/// one run (the table is compared on a smaller file below).
#[test]
fn merged_shards_equal_one_run_on_the_papers_catalogue() {
    let one = ok(&bin(&["check", "--json"]));
    let mut files = Vec::new();
    let (mut split, mut boxes) = (0, 0);
    for i in [3, 1, 2] {
        let doc = ok(&bin(&["check", "--shard", &format!("{i}/3")]));
        let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(v["document"], "check-shard");
        let parts = v["parts"].as_array().unwrap();
        split = parts.iter().filter(|p| p["part"] == "points").count();
        boxes = parts.iter().filter(|p| p["part"] == "boxes").count();
        files.push(tmp(&format!("paper{i}.json"), &doc));
    }
    assert!(split >= 20, "{split} claims split by points");
    assert!(boxes >= 5, "{boxes} claims split by boxes");
    let mut args = vec!["merge".to_string(), "--json".into()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let merged = ok(&bin(&args.iter().map(String::as_str).collect::<Vec<_>>()));
    assert_eq!(merged, one, "merged --json differs from one run");
}

/// A claim split by points whose first failure (n = 5, enumeration index 4) falls in the
/// second of three shards, while the first and third also fail later: the merge keeps the
/// smallest counterexample and adds the failures (n = 5..=10 fail n^3 <= 100: 6).
#[test]
fn a_split_claim_keeps_the_smallest_counterexample() {
    let claims = vec![
        ClaimBuilder::new("cube")
            .param("n in 1..=10")
            .holds("n^3 <= 100")
            .build()
            .unwrap(),
    ];
    let opts = Options::default();
    let one = pipeline::decide_claims(&claims, &[], &opts).unwrap();
    let parts: Vec<Vec<pipeline::ShardPart>> = (0..3)
        .map(|index| {
            pipeline::decide_shard(&claims, &[], &opts, Shard { index, count: 3 }, &|_| {}).unwrap()
        })
        .collect();
    for p in &parts {
        assert!(matches!(p[0], pipeline::ShardPart::Points { .. }));
    }
    let merged = pipeline::merge_shards(&claims, &[], &parts, &opts).unwrap();
    assert_eq!(one[0].verdict, Verdict::Refuted);
    assert_eq!(one[0].failures, 6);
    let cx = one[0].counterexample.as_ref().unwrap();
    assert_eq!(cx.point[0].1, 5);
    assert_eq!(cx.lhs, Side::Exact(125.into()));
    for (a, b) in one.iter().zip(&merged) {
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }
}

/// Claims with real parameters split by the integer points under their boxes: the merge
/// gives one run's outcomes (compared in full) whether a relation's state stays that of a
/// first point until a counterexample (n a <= 15 first fails at n = 16, a = 1, in the
/// first of three shards), changes after the first point (sides equal as functions: branch
/// and bound fails at n = 1, the identity prover closes the box and goes first at every
/// later point; a relation left undecided at n = 1, after which the later points get the
/// smaller budget: the merge decides those points itself), or in a chain; and when a
/// shard's answers are missing altogether.
#[test]
fn claims_with_real_parameters_split_by_boxes() {
    let claims = vec![
        ClaimBuilder::new("line")
            .param("n in 1..=20")
            .param("a in [0, 1]")
            .holds("n*a <= 15")
            .build()
            .unwrap(),
        ClaimBuilder::new("identity")
            .param("n in 1..=6")
            .param("a in [0, 1]")
            .holds("n*exp(a)*exp(-a) <= n")
            .build()
            .unwrap(),
        ClaimBuilder::new("open")
            .param("n in 1..=6")
            .param("a in [0, 1]")
            .holds("exp(a)*exp(-a) <= 1 + (a - 1/3)^2*n/10^24")
            .build()
            .unwrap(),
        ClaimBuilder::new("chain")
            .param("n in 2..=12")
            .param("a in (0, 1/2]")
            .chain(["a^n", "<=", "a^2", "<=", "a", "<", "1"])
            .build()
            .unwrap(),
    ];
    let opts = Options::default();
    let one = pipeline::decide_claims(&claims, &[], &opts).unwrap();
    assert_eq!(one[0].verdict, Verdict::Refuted);
    assert_eq!(one[0].counterexample.as_ref().unwrap().point[0].1, 16);
    assert_eq!(one[1].verdict, Verdict::Certified);
    assert_eq!(one[2].verdict, Verdict::Undecided);
    let mut parts: Vec<Vec<pipeline::ShardPart>> = (0..3)
        .map(|index| {
            pipeline::decide_shard(&claims, &[], &opts, Shard { index, count: 3 }, &|_| {}).unwrap()
        })
        .collect();
    for p in &parts {
        assert!(
            p.iter()
                .all(|c| matches!(c, pipeline::ShardPart::Boxes { .. }))
        );
    }
    let merged = pipeline::merge_shards(&claims, &[], &parts, &opts).unwrap();
    assert_eq!(format!("{one:?}"), format!("{merged:?}"));
    // the second shard's answers lost: the merge decides its points itself
    let empty: pipeline::ShardPart =
        serde_json::from_value(serde_json::json!({"part": "boxes", "boxes": []})).unwrap();
    for c in &mut parts[1] {
        *c = empty.clone();
    }
    let merged = pipeline::merge_shards(&claims, &[], &parts, &opts).unwrap();
    assert_eq!(format!("{one:?}"), format!("{merged:?}"));
}

/// Monte Carlo shards by ranges of stream numbers, each on its own thread count, merge into
/// the unsplit document bit for bit; the merge refuses a missing or repeated shard, shards
/// of another run, a changed configuration and a file that is not a shard document.
#[test]
fn simulate_shards_merge_bit_for_bit() {
    let cfg = tmp(
        "sim.toml",
        "seed = 4\nreplicas = 37\nsteps = 60\ncheckpoints = [1, 10, 60]\n[data]\nsource = \"synthetic\"\nn = 50\nd = 5\nseed = 2\n[model]\nloss = \"logistic\"\n[sgd]\nstep = \"1/2\"\n",
    );
    let c = cfg.display().to_string();
    let one = ok(&bin(&["simulate", &c, "--json"]));
    let mut shards = Vec::new();
    for (i, threads) in [(1, "1"), (2, "2"), (3, "1"), (4, "3")] {
        let doc = ok(&bin_env(
            &["simulate", &c, "--shard", &format!("{i}/4")],
            &[("RAYON_NUM_THREADS", threads)],
        ));
        shards.push(tmp(&format!("sim{i}.json"), &doc).display().to_string());
    }
    let merged = ok(&bin(&[
        "merge", &shards[2], &shards[0], &shards[3], &shards[1], "--json",
    ]));
    assert_eq!(merged, one);
    let table = ok(&bin(&[
        "merge", &shards[0], &shards[1], &shards[2], &shards[3],
    ]));
    assert_eq!(table, ok(&bin(&["simulate", &c])));

    refused(
        &["merge", &shards[0], &shards[1], &shards[2]],
        "shard 4/4 missing",
    );
    refused(
        &["merge", &shards[0], &shards[0], &shards[2], &shards[3]],
        "given twice",
    );
    let other = ok(&bin(&["simulate", &c, "--shard", "2/4", "--seed", "5"]));
    let other = tmp("other.json", &other).display().to_string();
    refused(
        &["merge", &shards[0], &other, &shards[2], &shards[3]],
        "not of one run",
    );
    let not_json = tmp("not.json", "{ \"document\": ").display().to_string();
    refused(&["merge", &not_json], "not.json:1:");
    refused(&["simulate", &c, "--shard", "0/4"], "1 <= i <= N");
    refused(&["check", "--shard", "5/4"], "1 <= i <= N");
    std::fs::write(
        &cfg,
        std::fs::read_to_string(&cfg)
            .unwrap()
            .replace("n = 50", "n = 51"),
    )
    .unwrap();
    refused(
        &["merge", &shards[0], &shards[1], &shards[2], &shards[3]],
        "differs from the configuration",
    );
}

/// A claim file edited between the shards and the merge is refused.
#[test]
fn merge_refuses_changed_claim_files() {
    let f = tmp(
        "claims.toml",
        "[[claim]]\nid = \"c\"\nsource = \"test\"\ntext = \"n <= 2^n\"\nparams = [\"n in 1..=20\"]\nholds = \"n <= 2^n\"\n",
    );
    let p = f.display().to_string();
    let mut docs = Vec::new();
    for i in 1..=2 {
        let d = ok(&bin(&["check", &p, "--shard", &format!("{i}/2")]));
        docs.push(tmp(&format!("c{i}.json"), &d).display().to_string());
    }
    let merged = ok(&bin(&["merge", &docs[0], &docs[1], "--json"]));
    assert_eq!(merged, ok(&bin(&["check", &p, "--json"])));
    let table = ok(&bin(&["merge", &docs[1], &docs[0]]));
    assert_eq!(table, ok(&bin(&["check", &p])));
    std::fs::write(&f, std::fs::read_to_string(&f).unwrap().replace("20", "21")).unwrap();
    refused(&["merge", &docs[0], &docs[1]], "claim files differ");
}
