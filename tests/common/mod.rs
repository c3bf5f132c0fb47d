//! What the fuzzers share: the seed and the size of a run, from the environment.

/// `(seed, count)`: `STABCERT_FUZZ_SEED` (a number, or `random` for one drawn from the
/// clock, which the caller prints) and `STABCERT_FUZZ_N`, else the fixed seed of the test
/// command and `default`.
pub fn seed_and_count(default: usize) -> (u64, usize) {
    let n = std::env::var("STABCERT_FUZZ_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default);
    let seed = match std::env::var("STABCERT_FUZZ_SEED").ok().as_deref() {
        Some("random") => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
        Some(s) => s.parse().expect("STABCERT_FUZZ_SEED: a number or `random`"),
        None => 20_261_206,
    };
    (seed, n)
}
