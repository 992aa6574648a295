//! Item encoding: every record is its domain JSON in `doc`, plus the few top-level attributes
//! that keys, indexes and conditions need. Sortable keys encode time as fixed-width nanoseconds.

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use socialcare_domain::{PortError, PortResult};
use std::collections::HashMap;

pub(crate) type Item = HashMap<String, AttributeValue>;

/// The partition key attribute of every table.
pub(crate) const PK: &str = "pk";
/// The domain record as JSON.
pub(crate) const DOC: &str = "doc";

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn key(pk: impl Into<String>) -> Item {
    HashMap::from([(PK.to_string(), s(pk))])
}

pub(crate) fn to_doc<T: Serialize>(value: &T) -> PortResult<AttributeValue> {
    serde_json::to_string(value)
        .map(AttributeValue::S)
        .map_err(|e| PortError::Invalid(format!("cannot encode record: {e}")))
}

pub(crate) fn from_doc<T: DeserializeOwned>(item: &Item) -> PortResult<T> {
    let raw = get_s(item, DOC)?;
    serde_json::from_str(raw).map_err(|e| PortError::Invalid(format!("stored record does not decode: {e}")))
}

pub(crate) fn get_s<'a>(item: &'a Item, name: &str) -> PortResult<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(PortError::Invalid(format!("stored item lacks string attribute {name}"))),
    }
}

pub(crate) fn opt_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v),
        _ => None,
    }
}

pub(crate) fn get_n<T: std::str::FromStr>(item: &Item, name: &str) -> PortResult<T> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v
            .parse()
            .map_err(|_| PortError::Invalid(format!("stored attribute {name} is not a valid number: {v}"))),
        _ => Err(PortError::Invalid(format!("stored item lacks number attribute {name}"))),
    }
}

pub(crate) fn get_bool(item: &Item, name: &str) -> Option<bool> {
    match item.get(name) {
        Some(AttributeValue::Bool(v)) => Some(*v),
        _ => None,
    }
}

/// Shift so that every representable timestamp (jiff: years -9999..=9999) encodes as a
/// non-negative number of 21 digits, and string order is time order.
const OFFSET_NANOS: i128 = 400_000_000_000 * 1_000_000_000;

/// A timestamp as a fixed-width string that sorts like time.
pub(crate) fn time_key(t: Timestamp) -> String {
    format!("{:021}", t.as_nanosecond() + OFFSET_NANOS)
}

/// `time_key(t)#id`: unique, ordered by time then id.
pub(crate) fn sort_key(t: Timestamp, id: &str) -> String {
    format!("{}#{id}", time_key(t))
}

/// Exclusive upper bound of every `sort_key(t', _)` with `t' <= t`.
pub(crate) fn sort_key_bound_after(t: Timestamp) -> String {
    format!("{:021}", t.as_nanosecond() + OFFSET_NANOS + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_keys_sort_like_time() {
        let times = [
            Timestamp::MIN,
            Timestamp::from_second(-5).unwrap_or(Timestamp::MIN),
            Timestamp::UNIX_EPOCH,
            Timestamp::from_nanosecond(1).unwrap_or(Timestamp::MIN),
            Timestamp::from_second(1_800_000_000).unwrap_or(Timestamp::MIN),
            Timestamp::MAX,
        ];
        let keys: Vec<String> = times.iter().map(|t| time_key(*t)).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        assert!(keys.iter().all(|k| k.len() == 21));
        let t = Timestamp::from_second(1_800_000_000).unwrap_or(Timestamp::MIN);
        assert!(sort_key(t, "zzz") < sort_key_bound_after(t));
        assert!(sort_key(t, "a") > time_key(t));
        let later = Timestamp::from_nanosecond(t.as_nanosecond() + 1).unwrap_or(Timestamp::MIN);
        assert!(sort_key(later, "a") > sort_key_bound_after(t));
    }
}
