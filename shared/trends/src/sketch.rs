//! Bounded counting however many distinct phrases arrive: a count-min sketch (every phrase's
//! count, over-estimated at worst by the collisions of its least crowded cell) and the
//! space-saving heavy hitters (the `k` phrases that can be named, each with its details).

use crate::detail::Detail;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The cell of row `row` for hash `h` (double hashing: rows independent enough for a sketch).
pub(crate) fn cell(h: u64, row: usize, columns: usize) -> usize {
    let h1 = h as u32 as u64;
    let h2 = (h >> 32) | 1;
    (h1.wrapping_add((row as u64).wrapping_mul(h2)) as usize) & (columns - 1)
}

/// A count-min sketch of `rows × columns` u32 counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountMin {
    pub rows: usize,
    pub columns: usize,
    pub cells: Vec<u32>,
}

impl CountMin {
    pub fn new(rows: usize, columns: usize) -> Self {
        Self {
            rows,
            columns,
            cells: vec![0; rows * columns],
        }
    }

    pub fn add(&mut self, h: u64, n: u32) {
        for r in 0..self.rows {
            let i = r * self.columns + cell(h, r, self.columns);
            self.cells[i] = self.cells[i].saturating_add(n);
        }
    }

    pub fn estimate(&self, h: u64) -> u32 {
        (0..self.rows)
            .map(|r| self.cells[r * self.columns + cell(h, r, self.columns)])
            .min()
            .unwrap_or(0)
    }

    pub fn clear(&mut self) {
        self.cells.iter_mut().for_each(|c| *c = 0);
    }
}

/// One heavy hitter: its count (over-estimated by at most `error`), and what its posts were.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hitter {
    pub hash: u64,
    pub key: String,
    /// How people wrote it (the first time it entered).
    pub label: String,
    pub count: u32,
    pub error: u32,
    pub detail: Detail,
}

/// Space-saving (Metwally et al.): `capacity` counters; a new key takes the place of the least
/// counted one and inherits its count as its error.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SpaceSaving {
    pub capacity: usize,
    pub entries: Vec<Hitter>,
    #[serde(skip)]
    index: HashMap<u64, usize>,
}

impl SpaceSaving {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Vec::with_capacity(capacity),
            index: HashMap::with_capacity(capacity),
        }
    }

    /// Rebuilds the index after deserialization.
    pub fn reindex(&mut self) {
        self.index = self.entries.iter().enumerate().map(|(i, e)| (e.hash, i)).collect();
    }

    /// Counts one more for `hash`; (key, label) are built only when the key enters. Answers the
    /// entry.
    pub fn add(&mut self, hash: u64, key: impl FnOnce() -> (String, String)) -> &mut Hitter {
        let i = match self.index.get(&hash) {
            Some(i) => *i,
            None if self.entries.len() < self.capacity => {
                let (key, label) = key();
                self.entries.push(Hitter {
                    hash,
                    key,
                    label,
                    count: 0,
                    error: 0,
                    detail: Detail::default(),
                });
                self.index.insert(hash, self.entries.len() - 1);
                self.entries.len() - 1
            }
            None => {
                let (i, min) = self
                    .entries
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, e)| e.count)
                    .map(|(i, e)| (i, e.count))
                    .unwrap_or((0, 0));
                let old = self.entries[i].hash;
                self.index.remove(&old);
                let (key, label) = key();
                self.entries[i] = Hitter {
                    hash,
                    key,
                    label,
                    count: min,
                    error: min,
                    detail: Detail::default(),
                };
                self.index.insert(hash, i);
                i
            }
        };
        let e = &mut self.entries[i];
        e.count += 1;
        e
    }

    pub fn get(&self, hash: u64) -> Option<&Hitter> {
        self.index.get(&hash).map(|i| &self.entries[*i])
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.index.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_min_never_under_counts_and_is_exact_when_sparse() {
        let mut s = CountMin::new(4, 256);
        for i in 0..2000u64 {
            s.add(crate::text::hash(&i.to_le_bytes()), 1);
        }
        let heavy = crate::text::hash(b"heavy");
        s.add(heavy, 500);
        assert!(s.estimate(heavy) >= 500);
        assert!(s.estimate(heavy) < 540, "{}", s.estimate(heavy));
        let mut sparse = CountMin::new(4, 1024);
        sparse.add(7, 3);
        assert_eq!(sparse.estimate(7), 3);
        assert_eq!(sparse.estimate(8), 0);
    }

    #[test]
    fn space_saving_keeps_the_heavy_hitters_in_bounded_space() {
        let mut ss = SpaceSaving::new(16);
        for round in 0..200u64 {
            for heavy in 0..4u64 {
                ss.add(1000 + heavy, || (format!("heavy{heavy}"), String::new()));
            }
            ss.add(round * 7 + 5000, || ("noise".to_string(), String::new()));
            ss.add(round * 7 + 9000, || ("noise".to_string(), String::new()));
        }
        assert_eq!(ss.entries.len(), 16);
        for heavy in 0..4u64 {
            let e = ss.get(1000 + heavy).map(|e| e.count);
            assert!(e.is_some_and(|c| c >= 200), "{heavy}: {e:?}");
        }
    }
}
