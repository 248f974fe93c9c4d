//! Counter-based randomness: every random draw is a pure function of
//! (seed, tick, subject, purpose), never of the order in which systems or threads run.
//!
//! This is what makes runs reproducible under any thread count and what lets the world
//! model replay the world with *common random numbers*: the world with an action and the
//! world without it see the same draws for everything the action did not touch.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// What a draw is for. Distinct purposes give independent streams for the same subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// An agent's choice of action.
    Decide = 1,
    /// The order in which agents' moves are resolved.
    MoveOrder = 2,
    /// Whether an eaten apple cell regrows.
    Regrow = 3,
    /// Which spawn point an agent starts on.
    Spawn = 4,
    /// Drawing an agent's attributes (selfishness, power) from a distribution.
    Attributes = 5,
    /// Jitter in a generated map.
    MapGen = 6,
    /// The principal's own randomness (random and hill-climbing policies).
    Principal = 7,
    /// A world model's errors.
    ModelError = 8,
    /// The samples a planner imagines.
    Planner = 9,
    /// The SUM toy model's samples.
    Sum = 10,
    /// Audits: who is audited and which ticks are inspected.
    Audit = 11,
    /// Learning: a network's initial weights, minibatch shuffles, training worlds' seeds.
    Learn = 12,
    /// Oversight by advice: which advice an audit proposes, the overseer's score noise, the
    /// simulated audits of a lower-bound P_D per detection level.
    Advice = 13,
}

/// SplitMix64's finaliser: a bijective, well-mixing 64-bit hash.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A 64-bit key for (seed, tick, subject, purpose).
#[inline]
pub fn key(seed: u64, tick: u64, subject: u64, purpose: Purpose) -> u64 {
    TickKey::new(seed, tick).key(subject, purpose)
}

/// The (seed, tick) half of [`key`], computed once for the many draws of one tick: its
/// [`TickKey::key`] and [`TickKey::unit`] equal [`key`] and [`unit`] for the same arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TickKey {
    /// The tick the draws are for.
    pub tick: u64,
    prefix: u64,
}

impl TickKey {
    /// The draws of (seed, tick).
    #[inline]
    pub fn new(seed: u64, tick: u64) -> TickKey {
        let h = mix64(seed ^ 0x9e37_79b9_7f4a_7c15);
        TickKey { tick, prefix: mix64(h ^ tick.wrapping_mul(0xd1b5_4a32_d192_ed03)) }
    }

    /// [`key`] for (this seed, this tick, subject, purpose).
    #[inline]
    pub fn key(&self, subject: u64, purpose: Purpose) -> u64 {
        let h = mix64(self.prefix ^ subject.wrapping_mul(0xabc9_8388_fb8f_ac03));
        mix64(h ^ (purpose as u64).wrapping_mul(0x8cb9_2ba7_2f3d_8dd7))
    }

    /// [`unit`] for (this seed, this tick, subject, purpose).
    #[inline]
    pub fn unit(&self, subject: u64, purpose: Purpose) -> f64 {
        to_unit(self.key(subject, purpose))
    }
}

/// One uniform draw in [0, 1) for (seed, tick, subject, purpose), with 53 bits of precision.
#[inline]
pub fn unit(seed: u64, tick: u64, subject: u64, purpose: Purpose) -> f64 {
    to_unit(key(seed, tick, subject, purpose))
}

/// Maps 64 random bits to [0, 1) using the top 53 bits.
#[inline]
pub fn to_unit(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A whole stream of draws for (seed, tick, subject, purpose), for when one number is not enough.
pub fn stream(seed: u64, tick: u64, subject: u64, purpose: Purpose) -> Stream {
    Stream(Pcg64Mcg::seed_from_u64(key(seed, tick, subject, purpose)))
}

/// A keyed random stream (PCG-64 MCG).
pub struct Stream(Pcg64Mcg);

impl Stream {
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        to_unit(self.0.next_u64())
    }
    /// Uniform integer in [0, n); `n` must be positive. Lemire's unbiased method.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        loop {
            let m = (self.0.next_u64() as u128) * (n as u128);
            // The threshold is below n, so it (a division) is needed only when the low half is.
            if (m as u64) >= n || (m as u64) >= n.wrapping_neg() % n {
                return (m >> 64) as u64;
            }
        }
    }
    /// A standard normal draw (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// The first `k` items of `0 .. n` as [`Stream::shuffle`] would leave them, from the
    /// same draws, without an `n`-item array when `k` is small: the swaps are undone from the
    /// last to the first for just the `k` places wanted, running the generator backwards.
    /// Consumes the stream (its state afterwards is unspecified).
    pub fn shuffled_prefix(self, n: usize, k: usize) -> Vec<usize> {
        assert!(k <= n, "a prefix of {k} from {n} items");
        if n < 1 << 16 || k > n / 16 || k >= 1 << 16 {
            return self.shuffled_prefix_by_array(n, k);
        }
        let start = self.0.state();
        // Steps run i = n−1 down to 1, one draw each unless one is rejected (Lemire), which
        // is found below and sends us to the array. Step i's draw is the (n−i)-th.
        let mut back = Pcg64Mcg::new(start);
        back.advance((n - 1) as u128);
        let mut state = back.state();
        // Tracked places, with a counting filter on the low bits so most steps touch no map:
        // a bit a bucket, small enough to stay in the nearest cache, set while its count
        // (up to k < 2¹⁶, so a u16) is positive.
        let buckets = ((k as u64) * 32).next_power_of_two().clamp(1 << 12, 1 << 19) as usize;
        let mask = buckets - 1;
        let mut filter = vec![0u64; buckets / 64];
        let mut count = vec![0u16; buckets];
        let mut at: std::collections::HashMap<usize, usize, std::hash::BuildHasherDefault<PlaceHasher>> =
            std::collections::HashMap::with_capacity_and_hasher(k, Default::default());
        let add = |filter: &mut [u64], count: &mut [u16], p: usize| {
            count[p & mask] += 1;
            filter[(p & mask) >> 6] |= 1 << (p & 63);
        };
        let take = |filter: &mut [u64], count: &mut [u16], p: usize| {
            count[p & mask] -= 1;
            if count[p & mask] == 0 {
                filter[(p & mask) >> 6] &= !(1 << (p & 63));
            }
        };
        let tracked = |filter: &[u64], p: usize| filter[(p & mask) >> 6] >> (p & 63) & 1 == 1;
        for p in 0..k {
            add(&mut filter, &mut count, p);
            at.insert(p, p);
        }
        // Four states a step apart, each stepped back four at a time: four independent chains
        // of multiplications instead of one.
        let back4 = MCG_INVERSE.wrapping_mul(MCG_INVERSE).wrapping_mul(MCG_INVERSE).wrapping_mul(MCG_INVERSE);
        let mut states = [0u128; 4];
        let mut outputs = [0u64; 4];
        for s in states.iter_mut() {
            *s = state;
            state = state.wrapping_mul(MCG_INVERSE);
        }
        for i in 1..n {
            // This step's draw: the state after its multiplication.
            let q = (i - 1) & 3;
            if q == 0 {
                for (o, s) in outputs.iter_mut().zip(states.iter_mut()) {
                    *o = pcg_output(*s);
                    *s = s.wrapping_mul(back4);
                }
            }
            let bits = outputs[q];
            let bound = i as u64 + 1;
            let m = (bits as u128) * (bound as u128);
            if (m as u64) < bound && (m as u64) < bound.wrapping_neg() % bound {
                return Stream(Pcg64Mcg::new(start)).shuffled_prefix_by_array(n, k);
            }
            let j = (m >> 64) as usize;
            if i == j || !(tracked(&filter, j) || tracked(&filter, i)) {
                continue;
            }
            // Swap places i and j of whatever is tracked there.
            let (a, b) = (at.remove(&i), at.remove(&j));
            if let Some(slot) = a {
                take(&mut filter, &mut count, i);
                add(&mut filter, &mut count, j);
                at.insert(j, slot);
            }
            if let Some(slot) = b {
                take(&mut filter, &mut count, j);
                add(&mut filter, &mut count, i);
                at.insert(i, slot);
            }
        }
        let mut out = vec![0; k];
        for (place, slot) in at {
            out[slot] = place;
        }
        out
    }

    fn shuffled_prefix_by_array(mut self, n: usize, k: usize) -> Vec<usize> {
        let mut items: Vec<u32> = (0..n as u32).collect();
        self.shuffle(&mut items);
        items[..k].iter().map(|&i| i as usize).collect()
    }
}

/// A fast hasher for places (a multiply and a fold; the keys are not adversarial).
#[derive(Default)]
struct PlaceHasher(u64);

impl std::hash::Hasher for PlaceHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u64(&mut self, i: u64) {
        let m = ((self.0 ^ i) as u128) * 0x9e37_79b9_7f4a_7c15;
        self.0 = (m as u64) ^ ((m >> 64) as u64);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

/// PCG-64 MCG's multiplier (as in `rand_pcg`) and its inverse modulo 2¹²⁸.
const MCG_MULTIPLIER: u128 = 0x2360_ED05_1FC6_5DA4_4385_DF64_9FCC_F645;
const MCG_INVERSE: u128 = {
    // Newton's iteration doubles the correct low bits each time: 3 → 6 → … → 192.
    let mut x = MCG_MULTIPLIER;
    let mut k = 0;
    while k < 6 {
        x = x.wrapping_mul(2u128.wrapping_sub(MCG_MULTIPLIER.wrapping_mul(x)));
        k += 1;
    }
    x
};

/// PCG's XSL RR output of a 128-bit state (as in `rand_pcg`).
#[inline]
fn pcg_output(state: u128) -> u64 {
    let rot = (state >> 122) as u32;
    (((state >> 64) as u64) ^ (state as u64)).rotate_right(rot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_is_lemires_method_as_first_written() {
        let reference = |st: &mut Stream, n: u64| {
            let threshold = n.wrapping_neg() % n;
            loop {
                let m = (st.0.next_u64() as u128) * (n as u128);
                if (m as u64) >= threshold {
                    return (m >> 64) as u64;
                }
            }
        };
        for n in [1u64, 2, 3, 7, 1000, 1 << 40, (1 << 63) + 1, u64::MAX - 1, u64::MAX] {
            let (mut a, mut b) = (stream(n, 0, 0, Purpose::Spawn), stream(n, 0, 0, Purpose::Spawn));
            for _ in 0..2000 {
                assert_eq!(a.below(n), reference(&mut b, n), "n {n}");
            }
        }
    }

    #[test]
    fn the_generator_runs_backwards() {
        assert_eq!(MCG_MULTIPLIER.wrapping_mul(MCG_INVERSE), 1);
        let mut g = Pcg64Mcg::seed_from_u64(7);
        let s0 = g.state();
        let a = g.next_u64();
        assert_eq!(a, pcg_output(s0.wrapping_mul(MCG_MULTIPLIER)));
        assert_eq!(g.state().wrapping_mul(MCG_INVERSE), s0);
    }

    #[test]
    fn a_shuffled_prefix_is_the_shuffles_prefix() {
        for (n, k, seed) in
            [(0, 0, 1), (1, 1, 2), (10, 3, 3), (70_000, 100, 4), (200_000, 4000, 5), (100_000, 0, 6), (65_536, 1, 7)]
        {
            let mut items: Vec<usize> = (0..n).collect();
            stream(seed, 0, 0, Purpose::Spawn).shuffle(&mut items);
            assert_eq!(stream(seed, 0, 0, Purpose::Spawn).shuffled_prefix(n, k), items[..k], "n {n}, k {k}");
        }
    }

    #[test]
    fn tick_keys_equal_the_four_part_key() {
        // The key as first defined, in one piece: hoisting (seed, tick) must not change a draw.
        let reference = |seed: u64, tick: u64, subject: u64, purpose: Purpose| {
            let mut h = mix64(seed ^ 0x9e37_79b9_7f4a_7c15);
            h = mix64(h ^ tick.wrapping_mul(0xd1b5_4a32_d192_ed03));
            h = mix64(h ^ subject.wrapping_mul(0xabc9_8388_fb8f_ac03));
            mix64(h ^ (purpose as u64).wrapping_mul(0x8cb9_2ba7_2f3d_8dd7))
        };
        for (seed, tick, subject) in [(0, 0, 0), (1, 2, 3), (u64::MAX, 77, 1 << 40), (42, u64::MAX, 9)] {
            let t = TickKey::new(seed, tick);
            for purpose in [Purpose::Decide, Purpose::MoveOrder, Purpose::Regrow, Purpose::Audit] {
                assert_eq!(t.key(subject, purpose), reference(seed, tick, subject, purpose));
                assert_eq!(key(seed, tick, subject, purpose), reference(seed, tick, subject, purpose));
                assert_eq!(t.unit(subject, purpose), unit(seed, tick, subject, purpose));
            }
        }
        assert_eq!(reference(1, 2, 3, Purpose::Decide), key(1, 2, 3, Purpose::Decide));
    }

    #[test]
    fn draws_depend_on_every_key_part() {
        let base = unit(1, 2, 3, Purpose::Decide);
        assert_eq!(base, unit(1, 2, 3, Purpose::Decide));
        assert_ne!(base, unit(2, 2, 3, Purpose::Decide));
        assert_ne!(base, unit(1, 3, 3, Purpose::Decide));
        assert_ne!(base, unit(1, 2, 4, Purpose::Decide));
        assert_ne!(base, unit(1, 2, 3, Purpose::Regrow));
    }

    #[test]
    fn unit_draws_are_uniform() {
        // 100k draws into 10 bins: each bin within 5 sd of 10,000 (sd ≈ 95).
        let mut bins = [0u32; 10];
        for i in 0..100_000u64 {
            let u = unit(7, i, 0, Purpose::Regrow);
            assert!((0.0..1.0).contains(&u));
            bins[(u * 10.0) as usize] += 1;
        }
        for b in bins {
            assert!((b as i64 - 10_000).abs() < 475, "{bins:?}");
        }
    }

    #[test]
    fn below_is_in_range_and_covers_it() {
        let mut s = stream(0, 0, 0, Purpose::Spawn);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let v = s.below(7);
            seen[v as usize] = true;
        }
        assert!(seen.iter().all(|&b| b));
        // Uniform: 70,000 draws over 7 values, Pearson's χ² with 6 degrees of freedom exceeds
        // 22.46 with probability 0.001; and for a range that is not a power of two and is
        // large enough for a biased reduction to show (n = 3·2⁶², where `x % n` would give the
        // lowest quarter of the range twice the mass), the mean of the draws is near n/2.
        let mut counts = [0u32; 7];
        for _ in 0..70_000 {
            counts[s.below(7) as usize] += 1;
        }
        let chi2: f64 = counts.iter().map(|&c| (c as f64 - 10_000.0).powi(2) / 10_000.0).sum();
        assert!(chi2 < 22.46, "χ² {chi2:.1}: {counts:?}");
        let n = 3u64 << 62;
        let draws = 100_000;
        let low = (0..draws).filter(|_| s.below(n) < n / 3).count() as f64 / draws as f64;
        // P(x < n/3) = 1/3 for a uniform draw (x % n would give 1/2); binomial sd ≈ 0.0015.
        assert!((low - 1.0 / 3.0).abs() < 0.01, "P(x < n/3) = {low}");
    }
}
