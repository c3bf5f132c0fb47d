use rug::ops::Pow;
use rug::{Integer, Rational};
use std::time::Instant;
fn main() {
    for e in [1_000_000u32, 5_000_000, 20_000_000, 59_719_680] {
        let t = Instant::now();
        let v = Integer::from(10).pow(e);
        let bits = v.significant_bits();
        let d1 = t.elapsed();
        let t = Instant::now();
        let w = Integer::from(&v * &v);
        let d2 = t.elapsed();
        let t = Instant::now();
        let r = Rational::from((Integer::from(3), v.clone()))
            + Rational::from((Integer::from(1), Integer::from(7)));
        let d3 = t.elapsed();
        let t = Instant::now();
        let s = r.to_string().len();
        let d4 = t.elapsed();
        println!(
            "10^{e}: {bits} bits pow {d1:?} square {d2:?} ratadd {d3:?} tostring {d4:?} {} {}",
            w.significant_bits(),
            s
        );
    }
}
