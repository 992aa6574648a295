//! Item encoding: every record is its domain JSON in `doc`, plus the few top-level attributes
//! that keys, indexes and conditions need. Sortable keys encode time as fixed-width nanoseconds.
//! Cases keep `doc` as DEFLATE-compressed JSON (binary): a case's JSON is 1.3–2 KB and grows
//! with its history, compressed it stays under 1 KB, so each write costs one write unit, not
//! two. Both forms decode.

use aws_sdk_dynamodb::primitives::Blob;
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

/// The record as DEFLATE-compressed JSON, a binary attribute.
pub(crate) fn to_packed_doc<T: Serialize>(value: &T) -> PortResult<AttributeValue> {
    let json = serde_json::to_vec(value).map_err(|e| PortError::Invalid(format!("cannot encode record: {e}")))?;
    Ok(AttributeValue::B(Blob::new(miniz_oxide::deflate::compress_to_vec(
        &json, PACK_LEVEL,
    ))))
}

/// Level 6 (zlib's default): most of level 9's gain at a fraction of its time.
const PACK_LEVEL: u8 = 6;
/// The largest JSON a packed record may inflate to: far above any item DynamoDB stores (400 KB
/// compressed), so that a corrupt or hostile attribute cannot take the memory.
const UNPACKED_LIMIT: usize = 16 * 1024 * 1024;

/// A packed record's JSON (bounded by [`UNPACKED_LIMIT`]).
pub(crate) fn unpack(packed: &[u8]) -> PortResult<Vec<u8>> {
    miniz_oxide::inflate::decompress_to_vec_with_limit(packed, UNPACKED_LIMIT)
        .map_err(|e| PortError::Invalid(format!("stored record does not inflate: {e}")))
}

pub(crate) fn from_doc<T: DeserializeOwned>(item: &Item) -> PortResult<T> {
    let decoded = match item.get(DOC) {
        Some(AttributeValue::B(packed)) => {
            let json = unpack(packed.as_ref())?;
            serde_json::from_slice(&json)
        }
        _ => serde_json::from_str(get_s(item, DOC)?),
    };
    decoded.map_err(|e| PortError::Invalid(format!("stored record does not decode: {e}")))
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

    /// The longest thread a case keeps (`Case::MAX_POSTS`), with an event per post, packs far
    /// below DynamoDB's 400 KB item limit.
    #[test]
    fn a_full_case_fits_in_one_item() -> anyhow::Result<()> {
        use socialcare_domain::{Actor, Case, CaseEvent, CaseEventKind};
        let mut case = socialcare_testkit::sample::case("case-full", "cus-full", socialcare_testkit::sample::at(0))?;
        for n in 0..Case::MAX_POSTS {
            let post_id = socialcare_testkit::sample::post_id(&format!("x:1700000000000:tweet:18{n:016}"))?;
            case.posts.push(post_id.clone());
            case.history.push(CaseEvent {
                at: socialcare_testkit::sample::at(i64::try_from(n)?),
                actor: Actor::Customer,
                kind: CaseEventKind::PostAdded { post_id },
            });
        }
        let packed = to_packed_doc(&case)?;
        let AttributeValue::B(bytes) = &packed else {
            anyhow::bail!("not binary")
        };
        assert!(bytes.as_ref().len() < 100 * 1024, "{} bytes", bytes.as_ref().len());
        Ok(())
    }

    #[test]
    fn packed_and_plain_docs_decode_alike_and_garbage_is_invalid() -> PortResult<()> {
        let value = serde_json::json!({"history": vec!["the same event, again"; 40], "n": 1});
        let packed = to_packed_doc(&value)?;
        let plain = to_doc(&value)?;
        let size = |v: &AttributeValue| match v {
            AttributeValue::B(b) => b.as_ref().len(),
            AttributeValue::S(s) => s.len(),
            _ => 0,
        };
        assert!(
            size(&packed) * 4 < size(&plain),
            "{} vs {}",
            size(&packed),
            size(&plain)
        );
        for doc in [packed, plain] {
            let item = HashMap::from([(DOC.to_string(), doc)]);
            assert_eq!(from_doc::<serde_json::Value>(&item)?, value);
        }
        let garbage = HashMap::from([(DOC.to_string(), AttributeValue::B(Blob::new(vec![1, 2, 3])))]);
        assert!(matches!(
            from_doc::<serde_json::Value>(&garbage),
            Err(PortError::Invalid(_))
        ));
        Ok(())
    }

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
