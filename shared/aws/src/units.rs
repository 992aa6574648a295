//! Estimated DynamoDB capacity units per request, from the items the adapter writes and reads
//! (moto does not report consumed capacity faithfully, and on AWS the figure is only there
//! when asked for): the arithmetic of DynamoDB's pricing page, kept pure and tested.
//!
//! - Item size: the UTF-8 bytes of every attribute name plus its value (strings: UTF-8 bytes;
//!   binary: bytes; numbers: about one byte per two significant digits, plus one; booleans
//!   and nulls: one byte; lists and maps: three bytes plus one per element plus the elements).
//! - Writes: one unit per started KB of the larger of the item before and after (a failed
//!   condition still costs the write), twice that inside TransactWriteItems (not the index
//!   writes, which follow the transaction as ordinary writes).
//! - Each global secondary index whose key attributes the item has before or after costs
//!   index writes at the projected size (keys only, or the whole item): a put when the entry
//!   appears or its projected attributes change, a delete when it goes, both when its key
//!   changes, nothing when the entry is unchanged (a `KEYS_ONLY` index whose key stays).
//!   When the item before is not known, the worst case is counted (every key changed).
//! - Reads: one unit per started 4 KB, strongly consistent; half that eventually consistent
//!   (every index query). A Query or Scan sums the sizes of the items it returns before
//!   rounding; BatchGetItem rounds each item. Counted in half units so that both are whole.

use crate::codec::Item;
use aws_sdk_dynamodb::types::AttributeValue;

/// How much of the item an index holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Projected {
    /// The whole item: every write to the item rewrites the index entry, at the item's size.
    All,
    /// The table key and the index key: the entry changes only when the index key does.
    KeysOnly,
}

/// A global secondary index: its name, key attributes and projection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IndexSpec {
    pub name: &'static str,
    pub pk: &'static str,
    pub sk: &'static str,
    pub projected: Projected,
}

/// What the adapter knows of the item a write replaces.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Prior<'a> {
    /// No item was there (a write conditioned on `attribute_not_exists` that succeeded).
    Absent,
    Known(&'a Item),
    /// Counted at the worst case: every index key changed, every sparse entry went.
    Unknown,
}

/// Write units of one write: the table's and its indexes'.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct WriteCost {
    pub table: u64,
    pub indexes: u64,
}

impl WriteCost {
    #[cfg(test)]
    pub fn total(self) -> u64 {
        self.table + self.indexes
    }

    /// Inside TransactWriteItems the table's units count twice; the index writes do not: they
    /// are propagated after the transaction completes, as ordinary writes (DynamoDB developer
    /// guide, "Amazon DynamoDB Transactions: How it works").
    pub fn transactional(self) -> Self {
        Self {
            table: self.table * 2,
            indexes: self.indexes,
        }
    }
}

pub(crate) fn item_size(item: &Item) -> usize {
    item.iter().map(|(name, value)| name.len() + value_size(value)).sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(v) => 3 + v.iter().map(|e| 1 + value_size(e)).sum::<usize>(),
        AttributeValue::M(m) => 3 + m.iter().map(|(k, e)| 1 + k.len() + value_size(e)).sum::<usize>(),
        _ => 0,
    }
}

/// About one byte per two significant digits, plus one (leading and trailing zeros dropped).
fn number_size(n: &str) -> usize {
    let digits: String = n.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len().max(1);
    significant.div_ceil(2) + 1
}

/// Write units of an item of `bytes`: one per started KB, at least one.
pub(crate) fn write_units(bytes: usize) -> u64 {
    (bytes.div_ceil(1024) as u64).max(1)
}

/// Read units, in halves, of `bytes` read at once: one unit per started 4 KB (at least one),
/// half of that when eventually consistent.
pub(crate) fn read_half_units(bytes: usize, consistent: bool) -> u64 {
    let units = (bytes.div_ceil(4096) as u64).max(1);
    if consistent { units * 2 } else { units }
}

/// The index entry of `item` under `index`: its key (when the item has both key attributes) and
/// the size of what the index holds of it.
fn entry<'a>(
    item: &'a Item,
    index: &IndexSpec,
    table_pk: &str,
) -> Option<((&'a AttributeValue, &'a AttributeValue), usize)> {
    let key = (item.get(index.pk)?, item.get(index.sk)?);
    let size = match index.projected {
        Projected::All => item_size(item),
        Projected::KeysOnly => [table_pk, index.pk, index.sk]
            .iter()
            .filter_map(|a| item.get_key_value(*a))
            .map(|(k, v)| k.len() + value_size(v))
            .sum(),
    };
    Some((key, size))
}

/// Units of putting `new` where `prior` was, on a table with `indexes`.
pub(crate) fn put_cost(new: &Item, prior: Prior<'_>, table_pk: &str, indexes: &[IndexSpec]) -> WriteCost {
    let new_size = item_size(new);
    let table = match prior {
        Prior::Known(old) => write_units(new_size.max(item_size(old))),
        Prior::Absent | Prior::Unknown => write_units(new_size),
    };
    let mut index_units = 0;
    for index in indexes {
        let after = entry(new, index, table_pk);
        index_units += match prior {
            Prior::Absent => after.map_or(0, |(_, size)| write_units(size)),
            Prior::Unknown => match after {
                // Worst case: the key changed (a delete of the old entry, a put of the new).
                Some((_, size)) => 2 * write_units(size),
                None => match index.projected {
                    Projected::All => write_units(item_size(new)),
                    Projected::KeysOnly => 1,
                },
            },
            Prior::Known(old) => match (entry(old, index, table_pk), after) {
                (None, None) => 0,
                (None, Some((_, size))) => write_units(size),
                (Some((_, size)), None) => write_units(size),
                (Some((old_key, old_size)), Some((new_key, new_size))) => {
                    if old_key != new_key {
                        write_units(old_size) + write_units(new_size)
                    } else if index.projected == Projected::All && old != new {
                        write_units(new_size)
                    } else {
                        0
                    }
                }
            },
        };
    }
    WriteCost {
        table,
        indexes: index_units,
    }
}

/// Units of a write whose condition failed: the item's size on the table, no index write.
pub(crate) fn failed_write_cost(new: &Item) -> WriteCost {
    WriteCost {
        table: write_units(item_size(new)),
        indexes: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{n, s};
    use std::collections::HashMap;

    fn item(attrs: &[(&str, AttributeValue)]) -> Item {
        attrs.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect()
    }

    const BY_CUSTOMER_ALL: IndexSpec = IndexSpec {
        name: "by_customer",
        pk: "cust",
        sk: "ck",
        projected: Projected::All,
    };
    const WAITING_KEYS: IndexSpec = IndexSpec {
        name: "waiting",
        pk: "waiting",
        sk: "ck",
        projected: Projected::KeysOnly,
    };

    #[test]
    fn sizes_count_names_and_values_as_dynamodb_does() {
        assert_eq!(item_size(&item(&[("pk", s("abc"))])), 5);
        // "é" is two bytes of UTF-8.
        assert_eq!(item_size(&item(&[("é", s("é"))])), 4);
        // 12345 has five significant digits: 3 + 1 bytes; 1000 has one: 1 + 1.
        assert_eq!(item_size(&item(&[("v", n(12345))])), 1 + 4);
        assert_eq!(item_size(&item(&[("v", n(1000))])), 1 + 2);
        assert_eq!(item_size(&item(&[("b", AttributeValue::Bool(true))])), 2);
        let blob = AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(vec![0u8; 100]));
        assert_eq!(item_size(&item(&[("doc", blob)])), 103);
        let list = AttributeValue::L(vec![s("ab"), s("c")]);
        assert_eq!(item_size(&item(&[("l", list)])), 1 + 3 + (1 + 2) + (1 + 1));
        let map = AttributeValue::M(HashMap::from([("k".to_string(), s("vv"))]));
        assert_eq!(item_size(&item(&[("m", map)])), 1 + 3 + (1 + 1 + 2));
        assert_eq!(
            item_size(&item(&[("s", AttributeValue::Ss(vec!["a".into(), "bc".into()]))])),
            1 + 3
        );
    }

    #[test]
    fn write_units_are_started_kilobytes_and_reads_started_4k_blocks() {
        assert_eq!(write_units(0), 1);
        assert_eq!(write_units(1024), 1);
        assert_eq!(write_units(1025), 2);
        assert_eq!(write_units(2048), 2);
        assert_eq!(read_half_units(0, true), 2);
        assert_eq!(read_half_units(4096, true), 2);
        assert_eq!(read_half_units(4097, true), 4);
        assert_eq!(read_half_units(4097, false), 2);
        assert_eq!(read_half_units(100, false), 1);
    }

    fn case(size: usize, status: &str, waiting: bool) -> Item {
        let mut i = item(&[
            ("pk", s("case#1")),
            ("cust", s("c1")),
            ("ck", s("0001#1")),
            ("st", s(status)),
            ("doc", s("x".repeat(size))),
        ]);
        if waiting {
            i.insert("waiting".into(), s("waiting"));
        }
        i
    }

    #[test]
    fn a_new_item_is_written_once_per_index_that_has_its_key() {
        let new = case(1500, "new", true);
        let cost = put_cost(&new, Prior::Absent, "pk", &[BY_CUSTOMER_ALL, WAITING_KEYS]);
        // 2 KB on the table, 2 KB projected whole, one unit of keys.
        assert_eq!(cost, WriteCost { table: 2, indexes: 3 });
        assert_eq!(cost.transactional().total(), 7);
        let no_key = put_cost(&case(10, "new", false), Prior::Absent, "pk", &[WAITING_KEYS]);
        assert_eq!(no_key, WriteCost { table: 1, indexes: 0 });
    }

    #[test]
    fn an_update_rewrites_whole_projections_and_keys_only_when_they_move() {
        let old = case(1500, "new", true);
        let same_keys = case(1600, "open", true);
        // by_customer (ALL) rewritten, waiting (keys only) untouched.
        assert_eq!(
            put_cost(&same_keys, Prior::Known(&old), "pk", &[BY_CUSTOMER_ALL, WAITING_KEYS]),
            WriteCost { table: 2, indexes: 2 }
        );
        // Leaving the sparse index: one delete.
        let taken = case(1600, "open", false);
        assert_eq!(
            put_cost(&taken, Prior::Known(&old), "pk", &[WAITING_KEYS]),
            WriteCost { table: 2, indexes: 1 }
        );
        // A key that changes: a delete and a put.
        let by_status = IndexSpec {
            name: "by_status",
            pk: "st",
            sk: "ck",
            projected: Projected::KeysOnly,
        };
        assert_eq!(
            put_cost(&same_keys, Prior::Known(&old), "pk", &[by_status]),
            WriteCost { table: 2, indexes: 2 }
        );
        // The larger of before and after is billed.
        assert_eq!(put_cost(&case(10, "new", true), Prior::Known(&old), "pk", &[]).table, 2);
    }

    #[test]
    fn an_unknown_prior_counts_the_worst_case() {
        let new = case(100, "open", false);
        // by_customer: delete + put; waiting: the entry may have gone.
        assert_eq!(
            put_cost(&new, Prior::Unknown, "pk", &[BY_CUSTOMER_ALL, WAITING_KEYS]),
            WriteCost { table: 1, indexes: 3 }
        );
        assert_eq!(
            failed_write_cost(&case(1500, "x", true)),
            WriteCost { table: 2, indexes: 0 }
        );
    }
}
