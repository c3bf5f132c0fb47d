//! Known prime factors of binary splitting's integers, so that the composition divides out
//! common factors as it goes ("factored binary splitting") and the result is put in lowest
//! terms without a gcd of big integers.
//!
//! Composing `(A2, B2, C2)∘(A1, B1, C1) = (A2 A1, A2 B1 + B2 C1, C2 C1)`, every factor common
//! to `A2` and `C1` divides all three results: it can be divided out of `A2` and `C1` before
//! the products are taken, and the map stays the same. A step's `A` and `C` divide values of
//! the step's polynomials in `t` (`x -> P(t) x + Q(t)`), and products of consecutive values
//! of a polynomial share many small primes (a run of `m` values of `99 t + 1` holds every
//! prime below `m` that does not divide 99), so these common factors are large: on the
//! benchmark recurrence at `T = 10^6` the root's integers shrink from 28 to 9 million bits.
//!
//! A gcd of big integers at every node would cost more than it saves, so the common factors
//! are found from factorizations instead: a sieve over the step's polynomials
//! ([`StepSieve`]: their contents, their linear factors from the rational root theorem, and
//! what is left) proposes, for every `t`, the primes that divide their values, and each
//! step's `A` and `C` are trial-divided by those candidates. Soundness of the composition
//! rests only on that trial division: a [`Factors`] list is a multiset of integers whose
//! product divides the integer it describes (built by exact division, then carried through
//! exact products and exact quotients), so the `g` divided out of `A2` and `C1` always
//! divides both. A missed prime only leaves a common factor for the final reduction.
//!
//! The final reduction ([`reduce_factored`]) needs more: the whole factorization of the
//! denominator, which it checks (the product of the list must equal the denominator) along
//! with the primality of what stays in the result's denominator; when either fails, the
//! caller reduces with a gcd. With the factorization known, a remainder tree finds which of
//! its primes divide the numerator, far faster than a gcd of the two multi-million-bit
//! integers (at `T = 10^6`: 0.11 s against 0.82 s).

use rug::Integer;
use rug::ops::Pow;

/// Known factors of an integer: `(p, e)` pairs sorted by `p`, whose product of `p^e`
/// divides the integer (the `p` are primes in practice; soundness does not need it).
/// Factors beyond 32 bits are not tracked (they are left to the final reduction).
pub(super) type Factors = Vec<(u32, u32)>;

/// Where a key of two sorted lists is found.
enum Side {
    /// only in the first list, with its exponent
    X(u32, u32),
    /// only in the second
    Y(u32, u32),
    /// in both, with both exponents
    Both(u32, u32, u32),
}

/// Walks two sorted lists in step, key by key.
fn walk(x: &[(u32, u32)], y: &[(u32, u32)], mut visit: impl FnMut(Side)) {
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        let ((p, e), (q, f)) = (x[i], y[j]);
        match p.cmp(&q) {
            std::cmp::Ordering::Less => {
                visit(Side::X(p, e));
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                visit(Side::Y(q, f));
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                visit(Side::Both(p, e, f));
                i += 1;
                j += 1;
            }
        }
    }
    x[i..].iter().for_each(|&(p, e)| visit(Side::X(p, e)));
    y[j..].iter().for_each(|&(q, f)| visit(Side::Y(q, f)));
}

/// The multiset union of two lists (the known factors of a product).
pub(super) fn merge(x: Factors, y: Factors) -> Factors {
    if x.is_empty() {
        return y;
    }
    if y.is_empty() {
        return x;
    }
    let mut out = Vec::with_capacity(x.len() + y.len());
    walk(&x, &y, |side| match side {
        Side::X(p, e) | Side::Y(p, e) => out.push((p, e)),
        Side::Both(p, e, f) => out.push((p, e + f)),
    });
    out
}

/// The common part of two lists (the smaller exponent of each shared key) and what is left
/// of each once it is taken out.
pub(super) fn split_common(x: Factors, y: Factors) -> (Factors, Factors, Factors) {
    let mut common = Vec::new();
    let mut rx = Vec::with_capacity(x.len());
    let mut ry = Vec::with_capacity(y.len());
    walk(&x, &y, |side| match side {
        Side::X(p, e) => rx.push((p, e)),
        Side::Y(q, f) => ry.push((q, f)),
        Side::Both(p, e, f) => {
            let m = e.min(f);
            common.push((p, m));
            if e > m {
                rx.push((p, e - m));
            }
            if f > m {
                ry.push((p, f - m));
            }
        }
    });
    (common, rx, ry)
}

/// The product of `p^e` over a list, by a balanced product tree (small powers packed into
/// 64-bit words first).
pub(super) fn product(f: &[(u32, u32)]) -> Integer {
    let mut parts: Vec<Integer> = Vec::new();
    let mut word: u64 = 1;
    for &(p, e) in f {
        let p = u64::from(p);
        match p.checked_pow(e) {
            Some(pe) => match word.checked_mul(pe) {
                Some(w) => word = w,
                None => {
                    parts.push(Integer::from(word));
                    word = pe;
                }
            },
            None => parts.push(Integer::from(p).pow(e)),
        }
    }
    if word != 1 || parts.is_empty() {
        parts.push(Integer::from(word));
    }
    fn tree(parts: &[Integer]) -> Integer {
        match parts.len() {
            1 => parts[0].clone(),
            n => {
                let (l, r) = parts.split_at(n / 2);
                tree(l) * tree(r)
            }
        }
    }
    tree(&parts)
}

/// A trial divisor with its inverse modulo 2^64 (odd divisors), so that a divisibility
/// test is two multiplications instead of a division.
#[derive(Clone, Copy, Debug)]
pub(super) struct Divisor {
    p: u64,
    inv: u64,
}

impl Divisor {
    fn new(p: u64) -> Divisor {
        // Newton's iteration for p^-1 mod 2^64 (odd p): 5 correct bits, then 10, 20, 40, 80
        let mut inv = p.wrapping_mul(3) ^ 2;
        for _ in 0..4 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(p.wrapping_mul(inv)));
        }
        Divisor { p, inv }
    }

    /// Divides `p` out of `v` as often as it goes; returns how often.
    #[inline]
    fn remove(&self, v: &mut u64) -> u32 {
        let p = self.p;
        if p < 2 || *v == 0 {
            return 0;
        }
        if p == 2 {
            let e = v.trailing_zeros();
            *v >>= e;
            return e;
        }
        if p.is_multiple_of(2) {
            let mut e = 0;
            while v.is_multiple_of(p) {
                *v /= p;
                e += 1;
            }
            return e;
        }
        let mut e = 0;
        loop {
            // v = q p exactly iff q p does not overflow, where q = v p^-1 mod 2^64
            let q = v.wrapping_mul(self.inv);
            if (u128::from(q) * u128::from(p)) >> 64 != 0 {
                return e;
            }
            *v = q;
            e += 1;
        }
    }
}

/// The factors of `v` among `candidates` (any order, possibly repeated), pushed to `out`
/// unsorted, by trial division: exact by construction whatever the candidates are.
/// What is left of `v` stays in it.
fn factor_with(v: &mut u64, candidates: &[Divisor], out: &mut Factors) {
    for d in candidates {
        if *v == 1 {
            return;
        }
        let e = d.remove(v);
        if e > 0
            && let Ok(p) = u32::try_from(d.p)
        {
            out.push((p, e));
        }
    }
}

/// Sorts a list of factors and merges repeated keys.
pub(super) fn normalize(f: &mut Factors) {
    f.sort_unstable_by_key(|&(p, _)| p);
    f.dedup_by(|next, kept| {
        if next.0 == kept.0 {
            kept.1 += next.1;
            true
        } else {
            false
        }
    });
}

/// Whether `n` is prime: Miller-Rabin with the bases 2, 7 and 61, exact below 4,759,123,141.
fn is_prime_u32(n: u32) -> bool {
    let n = u64::from(n);
    if n < 2 {
        return false;
    }
    for p in [2u64, 3, 5, 7, 11, 13, 61] {
        if n % p == 0 {
            return n == p;
        }
    }
    let (mut d, mut s) = (n - 1, 0);
    while d % 2 == 0 {
        d /= 2;
        s += 1;
    }
    let pow = |mut b: u64, mut e: u64| {
        let mut acc = 1u64;
        b %= n;
        while e > 0 {
            if e & 1 == 1 {
                acc = acc * b % n;
            }
            b = b * b % n;
            e >>= 1;
        }
        acc
    };
    [2u64, 7, 61].iter().all(|&a| {
        let mut x = pow(a, d);
        if x == 1 || x == n - 1 {
            return true;
        }
        for _ in 1..s {
            x = x * x % n;
            if x == n - 1 {
                return true;
            }
        }
        false
    })
}

/// The known factors of a constant (trial division by the primes below 2^16; the cofactor
/// too when it is below 2^32, hence prime).
pub(super) fn factors_of(k: u64) -> Factors {
    let mut divisors = Vec::new();
    constant_divisors(k, &mut divisors);
    let mut out = Factors::new();
    let mut rest = k;
    factor_with(&mut rest, &divisors, &mut out);
    normalize(&mut out);
    out
}

/// For each prime of `primes`, whether it divides `b`: `b` reduced modulo the product of all
/// of them, then down a product tree (a remainder tree), the last step in 64-bit words.
fn divides_each(b: &Integer, primes: &[u64]) -> Vec<bool> {
    // primes packed into 64-bit words: (word, first prime, one past the last)
    let mut words: Vec<(u64, usize, usize)> = Vec::new();
    for (i, &p) in primes.iter().enumerate() {
        match words.last_mut() {
            Some((w, _, end)) if *end == i && w.checked_mul(p).is_some() => {
                *w *= p;
                *end += 1;
            }
            _ => words.push((p, i, i + 1)),
        }
    }
    let mut levels: Vec<Vec<Integer>> = vec![words.iter().map(|w| Integer::from(w.0)).collect()];
    while levels.last().is_some_and(|l| l.len() > 1) {
        let below = levels.last().expect("a level");
        let up: Vec<Integer> = below
            .chunks(2)
            .map(|pair| match pair {
                [x, y] => Integer::from(x * y),
                [x] => x.clone(),
                _ => unreachable!("chunks of two"),
            })
            .collect();
        levels.push(up);
    }
    let mut rems: Vec<Integer> = levels
        .last()
        .map(|top| top.iter().map(|m| Integer::from(b % m)).collect())
        .unwrap_or_default();
    for level in levels.iter().rev().skip(1) {
        rems = level
            .iter()
            .enumerate()
            .map(|(i, m)| Integer::from(&rems[i / 2] % m))
            .collect();
    }
    let mut out = vec![false; primes.len()];
    for (r, &(_, from, to)) in rems.iter().zip(&words) {
        // |r| < its word < 2^64; the sign does not matter to divisibility
        let r = if r.is_negative() {
            r.to_u64_wrapping().wrapping_neg()
        } else {
            r.to_u64_wrapping()
        };
        for i in from..to {
            out[i] = r % primes[i] == 0;
        }
    }
    out
}

/// `b / c` in lowest terms, without a gcd of big integers, when `fc` is all of `c`'s
/// factorization. That is checked (`c` must equal the product of `fc`); otherwise `b` and
/// `c` come back unchanged for the caller's gcd.
///
/// With `c = prod p^e` known, `gcd(b, c) = prod p^min(v_p(b), e)`: a remainder tree tells
/// which primes divide `b`; those are divided out once and the test repeats on them (while
/// `e` allows), and the few primes left after some rounds have their valuation found one by
/// one. Every prime of `c` ends either used up (no longer in the denominator) or not
/// dividing the numerator, so the result is in lowest terms.
pub(super) fn reduce_factored(
    b: Integer,
    c: Integer,
    fc: &Factors,
) -> Result<rug::Rational, (Integer, Integer)> {
    if c <= 0 || b == 0 {
        return Err((b, c));
    }
    // a cheap size test before the exact one
    let log2: f64 = fc
        .iter()
        .map(|&(p, e)| f64::from(e) * f64::from(p).log2())
        .sum();
    if (log2 - f64::from(c.significant_bits())).abs() > 2.0 || product(fc) != c {
        return Err((b, c));
    }
    // sorted, one entry per key (as the composition keeps them; made sure of here)
    let mut fc = fc.clone();
    normalize(&mut fc);
    let mut b = b;
    let mut taken: Factors = Vec::new();
    let mut left: Factors = fc.clone();
    let mut rounds = 0;
    while !left.is_empty() && rounds < 8 && left.len() > 16 {
        rounds += 1;
        let primes: Vec<u64> = left.iter().map(|&(p, _)| u64::from(p)).collect();
        let divides = divides_each(&b, &primes);
        let hit: Factors = left
            .iter()
            .zip(&divides)
            .filter(|(_, d)| **d)
            .map(|(&pe, _)| pe)
            .collect();
        if hit.is_empty() {
            left.clear();
            break;
        }
        let once: Factors = hit.iter().map(|&(p, _)| (p, 1)).collect();
        b.div_exact_mut(&product(&once));
        taken.extend_from_slice(&once);
        left = hit
            .into_iter()
            .filter(|&(_, e)| e > 1)
            .map(|(p, e)| (p, e - 1))
            .collect();
    }
    for (p, e) in left {
        let v = b.remove_factor_mut(&Integer::from(p));
        if v > e {
            b *= Integer::from(p).pow(v - e);
        }
        if v.min(e) > 0 {
            taken.push((p, v.min(e)));
        }
    }
    normalize(&mut taken);
    // the argument needs the keys left in the denominator to be primes (they are by
    // construction; a deterministic Miller-Rabin test makes that independent of it)
    let mut ti = 0;
    for &(p, e) in &fc {
        while ti < taken.len() && taken[ti].0 < p {
            ti += 1;
        }
        let used = if ti < taken.len() && taken[ti].0 == p {
            taken[ti].1
        } else {
            0
        };
        if used < e && !is_prime_u32(p) {
            // undo: b times what was taken, for the caller's gcd
            return Err((b * product(&taken), c));
        }
    }
    let g = product(&taken);
    let mut d = c;
    d.div_exact_mut(&g);
    // SAFETY: d > 0 (c > 0, g | c), and no prime of d divides b (see above)
    Ok(unsafe { rug::Rational::from_canonical(b, d) })
}

/// Largest prime whose roots modulo `p` are found by trying every residue (polynomials of
/// degree 2 and more).
const NONLINEAR_PRIME_CAP: u64 = 1 << 11;
/// Largest prime a polynomial is sieved with (square root of the values it factors fully).
const PRIME_CAP: u64 = 1 << 20;
/// Values of `t` sieved at a time (keeps the sieve's arrays in cache).
const SEGMENT: usize = 1 << 15;

/// One polynomial's sieve: its primitive part, and the primes to sieve with, each with its
/// roots modulo `p`.
struct PolyRoots {
    /// the polynomial divided by its content (coefficients by degree)
    primitive: Vec<i64>,
    roots: Vec<(Divisor, Vec<u64>)>,
    /// every prime up to `bound` is in `roots` (with all its roots), so a cofactor below
    /// `bound^2` left by the sieve is prime
    bound: u64,
}

fn primes_up_to(n: u64) -> Vec<u64> {
    let n = n as usize;
    let mut composite = vec![false; n + 1];
    let mut out = Vec::new();
    for i in 2..=n {
        if !composite[i] {
            out.push(i as u64);
            let mut j = i * i;
            while j <= n {
                composite[j] = true;
                j += i;
            }
        }
    }
    out
}

fn mod_p(k: i64, p: u64) -> u64 {
    (i128::from(k).rem_euclid(i128::from(p))) as u64
}

/// `a^-1 mod p` for `a` not divisible by the prime `p` (extended Euclid).
fn inverse_mod(a: u64, p: u64) -> u64 {
    let (mut r0, mut r1) = (i128::from(p), i128::from(a % p));
    let (mut s0, mut s1) = (0i128, 1i128);
    while r1 != 0 {
        let q = r0 / r1;
        (r0, r1) = (r1, r0 - q * r1);
        (s0, s1) = (s1, s0 - q * s1);
    }
    s0.rem_euclid(i128::from(p)) as u64
}

/// Euclid's gcd (`gcd(0, 0) = 0`).
pub(super) fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The primes below 2^16, computed once.
fn small_primes() -> &'static [u64] {
    static PRIMES: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
    PRIMES.get_or_init(|| primes_up_to(1 << 16))
}

/// Trial divisors for the factors of a constant: its primes below 2^16, and what is left
/// (prime when below 2^32).
fn constant_divisors(k: u64, out: &mut Vec<Divisor>) {
    let mut k = k;
    for &p in small_primes() {
        if p.saturating_mul(p) > k {
            break;
        }
        let d = Divisor::new(p);
        if d.remove(&mut k) > 0 {
            out.push(d);
        }
    }
    if k > 1 {
        out.push(Divisor::new(k));
    }
}

/// The positive divisors of `n` (`n <= 2^40`, by trial division).
fn divisors(n: u64) -> Vec<u64> {
    let mut small = Vec::new();
    let mut large = Vec::new();
    let mut d = 1;
    while d * d <= n {
        if n.is_multiple_of(d) {
            small.push(d);
            if d * d != n {
                large.push(n / d);
            }
        }
        d += 1;
    }
    small.extend(large.into_iter().rev());
    small
}

/// `p(u/v) v^deg` in 128 bits, `None` on overflow.
fn eval_scaled(p: &[i64], u: i64, v: i64) -> Option<i128> {
    let d = p.len() - 1;
    let mut acc: i128 = 0;
    for (k, &c) in p.iter().enumerate() {
        let term = i128::from(c)
            .checked_mul(i128::from(u).checked_pow(k as u32)?)?
            .checked_mul(i128::from(v).checked_pow((d - k) as u32)?)?;
        acc = acc.checked_add(term)?;
    }
    Some(acc)
}

/// `p / (v t - u)` when the division is exact in integers.
fn divide_linear(p: &[i64], u: i64, v: i64) -> Option<Vec<i64>> {
    let d = p.len() - 1;
    let mut rem: Vec<i128> = p.iter().map(|&c| i128::from(c)).collect();
    let mut q = vec![0i64; d];
    for k in (1..=d).rev() {
        if rem[k] % i128::from(v) != 0 {
            return None;
        }
        let c = rem[k] / i128::from(v);
        q[k - 1] = i64::try_from(c).ok()?;
        rem[k] = 0;
        rem[k - 1] = rem[k - 1].checked_add(c.checked_mul(i128::from(u))?)?;
    }
    (rem[0] == 0).then_some(q)
}

/// Splits a primitive integer polynomial (coefficients by degree) into its linear factors
/// `v t - u` (rational roots `u/v`, by the rational root theorem, when the leading and
/// constant coefficients are below 2^40) and what is left. Linear factors are sieved
/// completely; the rest only with small primes.
fn split_linear(p: &[i64]) -> Vec<Vec<i64>> {
    let mut pieces = Vec::new();
    let mut rest = p.to_vec();
    'outer: while rest.len() > 2 {
        if rest[0] == 0 {
            pieces.push(vec![0, 1]);
            rest.remove(0);
            continue;
        }
        let (lead, cst) = (rest[rest.len() - 1].unsigned_abs(), rest[0].unsigned_abs());
        if lead > 1 << 40 || cst > 1 << 40 {
            break;
        }
        let (vs, us) = (divisors(lead), divisors(cst));
        if vs.len() * us.len() > 1 << 16 {
            // too many candidate roots to try: the polynomial stays whole
            break;
        }
        for &v in &vs {
            for &u in &us {
                for u in [u as i64, -(u as i64)] {
                    if eval_scaled(&rest, u, v as i64) == Some(0)
                        && let Some(q) = divide_linear(&rest, u, v as i64)
                    {
                        pieces.push(vec![-u, v as i64]);
                        rest = q;
                        continue 'outer;
                    }
                }
            }
        }
        break;
    }
    if rest.len() > 1 {
        pieces.push(rest);
    }
    pieces
}

impl PolyRoots {
    /// The sieve of a primitive polynomial of degree at least 1 whose values over the run
    /// stay below `max_value` (sampled: a bound too low only leaves some values unfactored).
    fn new(primitive: Vec<i64>, max_value: u64) -> PolyRoots {
        let degree = primitive.len() - 1;
        let want = max_value.isqrt() + 2;
        let bound = match degree {
            1 => want.min(PRIME_CAP),
            _ => want.min(NONLINEAR_PRIME_CAP),
        };
        let mut roots = Vec::new();
        for p in primes_up_to(bound) {
            let c: Vec<u64> = primitive.iter().map(|&k| mod_p(k, p)).collect();
            let r: Vec<u64> = if degree == 1 {
                if c[1] == 0 {
                    // p divides the slope but not the (primitive) constant: never a root
                    continue;
                }
                vec![(p - c[0]) % p * inverse_mod(c[1], p) % p]
            } else {
                (0..p)
                    .filter(|&t| {
                        c.iter().rev().fold(0u128, |acc, &k| {
                            (acc * u128::from(t) + u128::from(k)) % u128::from(p)
                        }) == 0
                    })
                    .collect()
            };
            if !r.is_empty() {
                roots.push((Divisor::new(p), r));
            }
        }
        PolyRoots {
            primitive,
            roots,
            bound,
        }
    }

    fn value(&self, t: i64) -> Option<u64> {
        let v = super::ratfn::horner_small(&self.primitive, i128::from(t))?;
        u64::try_from(v.unsigned_abs()).ok().filter(|&v| v != 0)
    }
}

/// The candidate divisors of a run of steps: for each `t`, the primes that divide the values
/// of the step's polynomials there, computed a segment at a time, and the primes of the
/// polynomials' contents, which divide every value.
pub(super) struct StepSieve {
    polys: Vec<PolyRoots>,
    /// one past the last `t` of the run
    end: i64,
    content: Vec<Divisor>,
    /// first `t` of the current segment, and its candidates in compressed rows
    seg_from: i64,
    seg_len: usize,
    offsets: Vec<u32>,
    rows: Vec<Divisor>,
    rem: Vec<u64>,
    pairs: Vec<(u32, Divisor)>,
}

impl StepSieve {
    /// A sieve over `t = from .. from + count` for the given polynomials (coefficients by
    /// degree); `None` when none of them can be sieved.
    pub(super) fn new(polys: &[&[i64]], from: i64, count: u64) -> Option<StepSieve> {
        let last = from.checked_add(i64::try_from(count).ok()?)?;
        let mut content = Vec::new();
        // each polynomial's content, then its primitive part split into linear factors and
        // the rest; a piece shared by several polynomials (up to sign) is sieved once
        let mut pieces: Vec<Vec<i64>> = Vec::new();
        for p in polys {
            let Some(degree) = p.iter().rposition(|&k| k != 0) else {
                continue;
            };
            let k = p[..=degree].iter().fold(0, |g, &c| {
                gcd(u128::from(g), u128::from(c.unsigned_abs())) as u64
            });
            constant_divisors(k, &mut content);
            if degree == 0 {
                continue;
            }
            let primitive: Vec<i64> = p[..=degree].iter().map(|&c| c / k as i64).collect();
            for mut piece in split_linear(&primitive) {
                if piece.last().is_some_and(|&c| c < 0) {
                    piece.iter_mut().for_each(|c| *c = -*c);
                }
                if !pieces.contains(&piece) {
                    pieces.push(piece);
                }
            }
        }
        let polys: Vec<PolyRoots> = pieces
            .into_iter()
            .filter_map(|p| {
                // the largest |value| over the run bounds the primes needed
                let mut max = 0u64;
                let step = (count / 4096).max(1) as usize;
                for t in (from..last).step_by(step).chain([last - 1]) {
                    let v = super::ratfn::horner_small(&p, i128::from(t))?;
                    max = max.max(u64::try_from(v.unsigned_abs()).ok()?);
                }
                Some(PolyRoots::new(p, max))
            })
            .collect();
        if polys.is_empty() && content.is_empty() {
            return None;
        }
        content.sort_unstable_by_key(|d| d.p);
        content.dedup_by_key(|d| d.p);
        Some(StepSieve {
            polys,
            end: last,
            content,
            seg_from: from,
            seg_len: 0,
            offsets: Vec::new(),
            rows: Vec::new(),
            rem: Vec::new(),
            pairs: Vec::new(),
        })
    }

    /// The candidate divisors at `t` (unsorted, possibly repeated): those of the values
    /// there, and those of the contents. `t` must not decrease between calls.
    fn candidates(&mut self, t: i64) -> (&[Divisor], &[Divisor]) {
        if t < self.seg_from || t >= self.seg_from.saturating_add(self.seg_len as i64) {
            self.fill(t);
        }
        let i = (t - self.seg_from) as usize;
        (
            &self.rows[self.offsets[i] as usize..self.offsets[i + 1] as usize],
            &self.content,
        )
    }

    /// Trial-divides the parts of a step's `a` and `c` at `t` by the candidates there,
    /// pushing their factors (unsorted) to `fa` and `fc`.
    pub(super) fn factor_parts(
        &mut self,
        t: i64,
        a_parts: [u64; 2],
        c_parts: [u64; 2],
        fa: &mut Factors,
        fc: &mut Factors,
    ) {
        let (rows, content) = self.candidates(t);
        for (parts, out) in [(a_parts, fa), (c_parts, fc)] {
            for mut v in parts {
                factor_with(&mut v, rows, out);
                factor_with(&mut v, content, out);
            }
        }
    }

    fn fill(&mut self, from: i64) {
        let len = usize::try_from(self.end.saturating_sub(from))
            .unwrap_or(0)
            .clamp(1, SEGMENT);
        self.seg_from = from;
        self.seg_len = len;
        self.pairs.clear();
        for poly in &self.polys {
            self.rem.clear();
            self.rem.extend(
                (0..len as i64)
                    .map(|i| from.checked_add(i).and_then(|t| poly.value(t)).unwrap_or(0)),
            );
            for (d, roots) in &poly.roots {
                let p = d.p as usize;
                for &r in roots {
                    let mut i = (i128::from(r) - i128::from(from)).rem_euclid(p as i128) as usize;
                    while i < len {
                        if d.remove(&mut self.rem[i]) > 0 {
                            self.pairs.push((i as u32, *d));
                        }
                        i += p;
                    }
                }
            }
            let b2 = u128::from(poly.bound) * u128::from(poly.bound);
            for (i, &v) in self.rem.iter().enumerate() {
                if v > 1 && u128::from(v) < b2 {
                    self.pairs.push((i as u32, Divisor::new(v)));
                }
            }
        }
        // rows by `t`
        self.offsets.clear();
        self.offsets.resize(len + 1, 0);
        for &(i, _) in &self.pairs {
            self.offsets[i as usize + 1] += 1;
        }
        for i in 0..len {
            self.offsets[i + 1] += self.offsets[i];
        }
        self.rows.clear();
        self.rows.resize(self.pairs.len(), Divisor { p: 1, inv: 1 });
        let mut next: Vec<u32> = self.offsets[..len].to_vec();
        for &(i, d) in &self.pairs {
            self.rows[next[i as usize] as usize] = d;
            next[i as usize] += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_and_split_keep_the_multiset() {
        let x = vec![(2, 3), (5, 1), (7, 2)];
        let y = vec![(2, 1), (3, 4), (7, 5)];
        assert_eq!(
            merge(x.clone(), y.clone()),
            vec![(2, 4), (3, 4), (5, 1), (7, 7)]
        );
        let (c, rx, ry) = split_common(x, y);
        assert_eq!(c, vec![(2, 1), (7, 2)]);
        assert_eq!(rx, vec![(2, 2), (5, 1)]);
        assert_eq!(ry, vec![(3, 4), (7, 3)]);
        assert_eq!(product(&c), Integer::from(2 * 49));
        assert_eq!(product(&[(2, 100), (3, 2)]), Integer::from(9) << 100);
    }

    #[test]
    fn the_sieve_proposes_every_prime_of_each_value() {
        // 99 t + 1, 990 t and t^2 + 1 over a run that crosses segments
        let polys: [&[i64]; 3] = [&[1, 99], &[0, 990], &[1, 0, 1]];
        let from = 5;
        let count = SEGMENT as u64 + 1000;
        let mut s = StepSieve::new(&polys, from, count).expect("sieves");
        for t in from..from + count as i64 {
            let (rows, content) = s.candidates(t);
            let all: Vec<Divisor> = rows.iter().chain(content).copied().collect();
            for p in polys {
                let v = horner(p, t);
                let mut f = Vec::new();
                factor_with(&mut v.clone(), &all, &mut f);
                let known: u64 = f.iter().map(|&(p, e)| u64::from(p).pow(e)).product();
                // all of 99t+1 and 990t; t^2+1 up to primes beyond the nonlinear cap
                let rest = v / known;
                assert_eq!(v % known, 0);
                if p.len() == 2 {
                    assert_eq!(rest, 1, "t = {t}, value {v}, candidates {all:?}");
                } else {
                    assert!(rest == 1 || rest > NONLINEAR_PRIME_CAP, "t = {t}: {rest}");
                }
            }
        }
    }

    /// A deterministic stream of 64-bit numbers (xorshift).
    fn stream(mut s: u64) -> impl FnMut() -> u64 {
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        }
    }

    #[test]
    fn factored_reduction_equals_the_gcd() {
        let mut next = stream(0x5eed);
        let primes = primes_up_to(200_000);
        for case in 0..40 {
            // c: a few thousand prime powers, small primes to high powers; b: a random
            // multiple of part of c (high powers of 2, 3 and 5 in some cases), times a
            // random cofactor, of either sign
            let mut fc: Factors = Vec::new();
            for &p in &primes {
                let r = next() % 100;
                if r < 3 || p < 20 {
                    fc.push((p as u32, 1 + (next() % if p < 20 { 300 } else { 4 }) as u32));
                }
            }
            let c = product(&fc);
            let mut shared: Factors = Vec::new();
            for &(p, e) in &fc {
                if next().is_multiple_of(2) {
                    shared.push((p, 1 + (next() % u64::from(e + 2)) as u32));
                }
            }
            let mut b = product(&shared) * Integer::from(next() | 1) * Integer::from(next());
            if case % 3 == 0 {
                b = -b;
            }
            let expect = rug::Rational::from((b.clone(), c.clone()));
            let got = reduce_factored(b, c, &fc).expect("complete");
            assert_eq!(got, expect, "case {case}");
            assert_eq!(Integer::from(got.numer().gcd_ref(got.denom())), 1);
        }
    }

    #[test]
    fn factored_reduction_declines_what_it_cannot_prove() {
        let fc: Factors = vec![(2, 10), (3, 5), (7, 1)];
        let c = product(&fc);
        // a factor missing from the list
        let short: Factors = vec![(2, 10), (3, 5)];
        assert!(reduce_factored(Integer::from(12), c.clone(), &short).is_err());
        // a composite key (35 = 5 * 7) left in the denominator: 5 divides b, 35 does not
        let composite: Factors = vec![(2, 3), (35, 1)];
        let c35 = product(&composite);
        let r = reduce_factored(Integer::from(5 * 1_000_003), c35.clone(), &composite);
        let (b, back) = r.expect_err("declined");
        assert_eq!((b, back), (Integer::from(5 * 1_000_003), c35));
        // a complete list works
        let v = reduce_factored(Integer::from(2 * 3 * 3 * 11), c.clone(), &fc).expect("complete");
        assert_eq!(v, rug::Rational::from((198, c)));
    }

    #[test]
    fn linear_factors_are_split_off() {
        fn mul(a: &[i64], b: &[i64]) -> Vec<i64> {
            let mut out = vec![0; a.len() + b.len() - 1];
            for (i, x) in a.iter().enumerate() {
                for (j, y) in b.iter().enumerate() {
                    out[i + j] += x * y;
                }
            }
            out
        }
        let cases: [(&[i64], usize); 5] = [
            (&[0, 2, 1], 2),        // t (t + 2)
            (&[-2, 1, 6], 2),       // (2t - 1)(3t + 2)
            (&[1, 0, 1], 0),        // t^2 + 1 stays whole
            (&[0, -1, 0, 1], 3),    // (t - 1) t (t + 1)
            (&[2, 0, -3, 0, 1], 2), // (t^2 - 2)(t^2 - 1): two linear factors and a quadratic
        ];
        for (p, linear) in cases {
            let pieces = split_linear(p);
            assert_eq!(
                pieces.iter().filter(|q| q.len() == 2).count(),
                linear,
                "{p:?}"
            );
            let back = pieces.iter().fold(vec![1], |acc, q| mul(&acc, q));
            let neg: Vec<i64> = back.iter().map(|c| -c).collect();
            assert!(back == p || neg == p, "{p:?}: {pieces:?}");
        }
    }

    #[test]
    fn primes_below_2_32_are_recognised() {
        let sieve = primes_up_to(100_000);
        for n in 0..100_000u32 {
            assert_eq!(
                is_prime_u32(n),
                sieve.binary_search(&u64::from(n)).is_ok(),
                "{n}"
            );
        }
        // strong pseudoprimes to small bases, Carmichael numbers, numbers near 2^32
        for n in [
            3_215_031_751u32,
            25_326_001,
            1_373_653,
            561,
            41_041,
            4_294_967_295,
        ] {
            assert!(!is_prime_u32(n), "{n}");
        }
        assert!(is_prime_u32(4_294_967_291));
        assert!(!is_prime_u32(4_294_967_293));
    }

    fn horner(p: &[i64], t: i64) -> u64 {
        super::super::ratfn::horner_small(p, i128::from(t))
            .expect("fits")
            .unsigned_abs() as u64
    }
}
