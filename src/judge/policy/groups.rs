//! The combinatorics: the groups of maintainers each `signedBy` names, and the fewest people who
//! satisfy a set of requirements.

/// The most requirements `policy export` writes. Each one is checked against every signature
/// podman reads and carries its own keyring, so the policy grows as C(M, k−1) × (M−k+1)
/// certificates: 10 maintainers at k = 4 is 120 requirements, 12 at k = 4 is 220; beyond 256 a
/// pull gets slow and the file large, and a smaller threshold or a separate policy per team is
/// the better answer.
pub const MAX_REQUIREMENTS: u64 = 256;

/// C(n, r), saturating.
pub fn binomial(n: u64, r: u64) -> u64 {
    if r > n {
        return 0;
    }
    let r = r.min(n - r);
    let mut value: u64 = 1;
    for i in 0..r {
        value = value.saturating_mul(n - i) / (i + 1);
    }
    value
}

/// Every group of `m - k + 1` of the indices `0..m`, in lexicographic order: one `signedBy`
/// each. Empty when `k` is 0 or larger than `m`.
pub fn groups(m: usize, k: usize) -> Vec<Vec<usize>> {
    if k == 0 || k > m {
        return Vec::new();
    }
    let size = m - k + 1;
    let mut out = Vec::new();
    let mut pick: Vec<usize> = (0..size).collect();
    loop {
        out.push(pick.clone());
        // The next combination: bump the rightmost index that can still move.
        let Some(i) = (0..size).rev().find(|&i| pick[i] < m - size + i) else {
            return out;
        };
        pick[i] += 1;
        for j in i + 1..size {
            pick[j] = pick[j - 1] + 1;
        }
    }
}

/// The fewest of `m` people (as a bit set) that meet every set in `sets` (each a bit set of the
/// people whose signature satisfies it), or None when some set is empty (nobody can meet it).
/// Brute force by size, which is fine for the few dozen people a maintainer list holds.
pub fn min_hitting_set(m: usize, sets: &[u64]) -> Option<Vec<usize>> {
    if sets.contains(&0) {
        return None;
    }
    if sets.is_empty() {
        return Some(Vec::new());
    }
    for size in 1..=m {
        for group in groups(m, m - size + 1) {
            let chosen: u64 = group.iter().map(|&i| 1u64 << i).sum();
            if sets.iter().all(|&s| s & chosen != 0) {
                return Some(group);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The construction, exhaustively for small M and k: every set of signers satisfies all the
    /// groups exactly when it holds at least k people, and the count is C(M, k−1).
    #[test]
    fn every_set_of_signers_passes_exactly_when_it_has_k_people() {
        for m in 1..=7usize {
            for k in 1..=m {
                let groups = groups(m, k);
                assert_eq!(
                    groups.len() as u64,
                    binomial(m as u64, k as u64 - 1),
                    "{m} {k}"
                );
                let masks: Vec<u64> = groups
                    .iter()
                    .map(|g| g.iter().map(|&i| 1u64 << i).sum())
                    .collect();
                for signers in 0u64..(1 << m) {
                    let passes = masks.iter().all(|g| g & signers != 0);
                    assert_eq!(
                        passes,
                        signers.count_ones() as usize >= k,
                        "m={m} k={k} signers={signers:b}"
                    );
                }
                assert_eq!(
                    min_hitting_set(m, &masks).map(|s| s.len()),
                    Some(k),
                    "{m} {k}"
                );
            }
        }
        assert!(groups(3, 4).is_empty());
        assert!(groups(3, 0).is_empty());
    }

    #[test]
    fn binomials() {
        assert_eq!(binomial(8, 1), 8);
        assert_eq!(binomial(8, 2), 28);
        assert_eq!(binomial(12, 3), 220);
        assert_eq!(binomial(3, 5), 0);
    }

    #[test]
    fn hitting_sets() {
        assert_eq!(min_hitting_set(3, &[]), Some(vec![]));
        assert_eq!(min_hitting_set(3, &[0b111]), Some(vec![0]));
        assert_eq!(min_hitting_set(3, &[0b001, 0b010]), Some(vec![0, 1]));
        assert_eq!(min_hitting_set(3, &[0b001, 0]), None);
    }
}
