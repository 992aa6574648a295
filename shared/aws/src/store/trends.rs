//! `TrendStore` (socialcare-trends) on the alerts table, beside the SLA alerts and apart from
//! them (other keys, other index shard):
//! - a counts row per (period, start): `trendrow#<hour|day>#<start>`, one number attribute per
//!   key and counter (`n:`, `neg:`, `pos:`, `s:` + key; `m:` + key holds its label), added to
//!   with UpdateItem `ADD` (at most [`KEYS_PER_UPDATE`] keys per request: expressions stop at
//!   4 KB), read by key with BatchGetItem (the rows of a window are known: never a scan);
//! - an alert per id (`trend#<key>#<since>`), recorded once, listed newest first by the
//!   `by_time` index under its own shard;
//! - the detector's state: a head item `trendstate` (version, chunk count) and its chunks
//!   `trendstate#<version>#<i>` (under 350 KB each), written before the head's conditional
//!   update; the previous version's chunks are deleted after.

use super::{AwsStore, corrupt};
use crate::codec::{Item, PK, from_doc, get_bool, get_n, get_s, key, n, s, time_key};
use crate::counts::Op;
use crate::error::map_sdk;
use crate::tables::schema::{DELIVERED, GSI_BY_TIME, ORDER, SHARD};
use crate::units::Prior;
use async_trait::async_trait;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use socialcare_domain::{PortError, PortResult};
use socialcare_trends::TrendAlert;
use socialcare_trends::store::{CounterUpdate, CountsRow, Period, Snapshot, Totals, TrendStore};
use std::collections::HashMap;

/// Keys per UpdateItem (5 counters each: the expression stays under DynamoDB's 4 KB).
pub const KEYS_PER_UPDATE: usize = 25;
const SHARD_TRENDS: &str = "trend-alerts";
const STATE: &str = "trendstate";
const CHUNK: usize = 350 * 1024;
const TOTAL: &str = "total";

fn row_pk(period: Period, start: i64) -> String {
    format!("trendrow#{}#{start}", period.as_str())
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Meta {
    label: String,
    kind: Option<socialcare_trends::KeyKind>,
    language: Option<String>,
}

impl AwsStore {
    async fn add_row(&self, pk: &str, total: u64, keys: &[socialcare_trends::KeyCount]) -> PortResult<()> {
        let mut adds = Vec::new();
        let mut sets = Vec::new();
        let mut names: Vec<(String, String)> = Vec::new();
        let mut values: Vec<(String, AttributeValue)> = Vec::new();
        if total > 0 {
            adds.push("#t :t".to_string());
            names.push(("#t".into(), TOTAL.into()));
            values.push((":t".into(), n(total)));
        }
        for (i, k) in keys.iter().enumerate() {
            for (j, (prefix, v)) in [
                ("n:", i64::from(k.posts)),
                ("neg:", i64::from(k.negative)),
                ("pos:", i64::from(k.positive)),
                ("s:", k.sentiment_milli),
            ]
            .into_iter()
            .enumerate()
            {
                adds.push(format!("#a{i}_{j} :a{i}_{j}"));
                names.push((format!("#a{i}_{j}"), format!("{prefix}{}", k.key)));
                values.push((format!(":a{i}_{j}"), n(v)));
            }
            let meta = serde_json::to_string(&Meta {
                label: k.label.clone(),
                kind: Some(k.kind),
                language: k.language.clone(),
            })
            .map_err(|e| PortError::Invalid(format!("encode label: {e}")))?;
            sets.push(format!("#m{i} = if_not_exists(#m{i}, :m{i})"));
            names.push((format!("#m{i}"), format!("m:{}", k.key)));
            values.push((format!(":m{i}"), s(meta)));
        }
        if adds.is_empty() {
            return Ok(());
        }
        let mut expression = format!("ADD {}", adds.join(", "));
        if !sets.is_empty() {
            expression.push_str(&format!(" SET {}", sets.join(", ")));
        }
        self.counters.add(Op::UpdateItem);
        let out = self
            .client
            .update_item()
            .table_name(&self.tables.alerts)
            .set_key(Some(key(pk)))
            .update_expression(expression)
            .set_expression_attribute_names(Some(names.into_iter().collect()))
            .set_expression_attribute_values(Some(values.into_iter().collect()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| map_sdk("UpdateItem", e))?;
        let after = out.attributes.unwrap_or_default();
        self.counters.add_writes(
            Op::UpdateItem,
            self.put_units(&self.tables.alerts, &after, Prior::Unknown),
        );
        Ok(())
    }

    fn decode_row(&self, item: &Item) -> PortResult<CountsRow> {
        let pk = get_s(item, PK)?;
        let start = pk.rsplit('#').next().and_then(|x| x.parse().ok()).ok_or_else(|| {
            corrupt(
                &self.tables.alerts,
                pk,
                PortError::Invalid("row key without a start".into()),
            )
        })?;
        let mut row = CountsRow {
            start,
            total: get_n(item, TOTAL).unwrap_or(0),
            keys: Default::default(),
        };
        for (name, value) in item {
            let Some((prefix, k)) = name.split_once(':') else {
                continue;
            };
            let t: &mut Totals = row.keys.entry(k.to_string()).or_default();
            match (prefix, value) {
                ("m", AttributeValue::S(meta)) => {
                    if let Ok(m) = serde_json::from_str::<Meta>(meta) {
                        t.label = m.label;
                        t.kind = m.kind;
                        t.language = m.language;
                    }
                }
                ("n", AttributeValue::N(v)) => t.posts = v.parse().unwrap_or(0),
                ("neg", AttributeValue::N(v)) => t.negative = v.parse().unwrap_or(0),
                ("pos", AttributeValue::N(v)) => t.positive = v.parse().unwrap_or(0),
                ("s", AttributeValue::N(v)) => t.sentiment_milli = v.parse().unwrap_or(0),
                _ => {}
            }
        }
        Ok(row)
    }

    fn decode_trend_alert(&self, item: &Item) -> PortResult<TrendAlert> {
        let mut a: TrendAlert =
            from_doc(item).map_err(|e| corrupt(&self.tables.alerts, get_s(item, PK).unwrap_or("?"), e))?;
        a.delivered = get_bool(item, DELIVERED).unwrap_or(a.delivered);
        Ok(a)
    }
}

#[async_trait]
impl TrendStore for AwsStore {
    async fn add_counts(&self, updates: &[CounterUpdate]) -> PortResult<()> {
        for u in updates {
            let pk = row_pk(u.period, u.start);
            let mut first = true;
            for part in u.keys.chunks(KEYS_PER_UPDATE) {
                self.add_row(&pk, if first { u.total } else { 0 }, part).await?;
                first = false;
            }
            if first {
                self.add_row(&pk, u.total, &[]).await?;
            }
        }
        Ok(())
    }

    async fn rows(&self, period: Period, from: i64, to: i64) -> PortResult<Vec<CountsRow>> {
        let mut keys = Vec::new();
        let mut start = period.floor(from);
        if start < from {
            start += period.secs();
        }
        while start < to {
            keys.push(key(row_pk(period, start)));
            start += period.secs();
        }
        if keys.len() > 400 {
            return Err(PortError::Invalid(format!(
                "{} rows asked at once (at most 400)",
                keys.len()
            )));
        }
        let items = crate::batch::batch_get(
            &self.client,
            &self.counters,
            &self.tables.alerts,
            keys,
            self.batch_policy,
        )
        .await?;
        let mut rows = items
            .iter()
            .map(|i| self.decode_row(i))
            .collect::<PortResult<Vec<_>>>()?;
        rows.sort_by_key(|r| r.start);
        Ok(rows)
    }

    async fn record_alert(&self, alert: &TrendAlert) -> PortResult<bool> {
        self.record_alert_once(super::alerts::AlertItem {
            id: &alert.id,
            doc: alert,
            delivered: alert.delivered,
            shard: SHARD_TRENDS,
            fired_at: alert.fired_at,
        })
        .await
    }

    async fn mark_alert_delivered(&self, id: &str) -> PortResult<()> {
        self.mark_alert_item_delivered(id).await.map(|_| ())
    }

    async fn alerts(&self, since: i64, limit: usize) -> PortResult<Vec<TrendAlert>> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let since = jiff::Timestamp::from_second(since).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        self.query_walk(
            &self.tables.alerts,
            Some(GSI_BY_TIME),
            "#shard = :shard AND #ok >= :since",
            &[("#shard", SHARD), ("#ok", ORDER)],
            vec![(":shard", s(SHARD_TRENDS)), (":since", s(time_key(since)))],
            false,
            Some(limit.min(100) as i32),
            |item| {
                out.push(self.decode_trend_alert(&item)?);
                Ok(out.len() >= limit)
            },
        )
        .await?;
        out.sort_by(|a, b| b.fired_at.cmp(&a.fired_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// One UpdateItem of the alert's document, if it is there.
    async fn rewrite_alert(&self, alert: &TrendAlert) -> PortResult<()> {
        self.update_if(
            &self.tables.alerts,
            &alert.id,
            "SET #doc = :doc",
            "attribute_exists(#pk)",
            &[("#doc", crate::codec::DOC), ("#pk", PK)],
            vec![(":doc", crate::codec::to_doc(alert)?)],
        )
        .await
        .map(|_| ())
    }

    async fn load_state(&self) -> PortResult<Option<Snapshot>> {
        let Some(head) = self.get_item(&self.tables.alerts, STATE).await? else {
            return Ok(None);
        };
        let version: u64 = get_n(&head, "version")?;
        let chunks: usize = get_n(&head, "chunks")?;
        let tag = get_s(&head, "tag")?;
        let keys = (0..chunks).map(|i| key(format!("{STATE}#{tag}#{i}"))).collect();
        let items = crate::batch::batch_get(
            &self.client,
            &self.counters,
            &self.tables.alerts,
            keys,
            self.batch_policy,
        )
        .await?;
        let mut parts: Vec<(usize, Vec<u8>)> = Vec::new();
        for item in &items {
            let pk = get_s(item, PK)?;
            let i: usize = pk.rsplit('#').next().and_then(|x| x.parse().ok()).unwrap_or(usize::MAX);
            let Some(AttributeValue::B(b)) = item.get("b") else {
                return Err(corrupt(
                    &self.tables.alerts,
                    pk,
                    PortError::Invalid("state chunk without bytes".into()),
                ));
            };
            parts.push((i, b.as_ref().to_vec()));
        }
        if parts.len() != chunks {
            return Err(PortError::Unavailable(format!(
                "trend state version {version}: {} of {chunks} chunks found",
                parts.len()
            )));
        }
        parts.sort_by_key(|p| p.0);
        Ok(Some(Snapshot {
            version,
            bytes: parts.into_iter().flat_map(|p| p.1).collect(),
        }))
    }

    async fn save_state(&self, expected: Option<u64>, bytes: &[u8]) -> PortResult<bool> {
        let version = expected.map_or(1, |v| v + 1);
        // Chunks are named by a tag of this writer's own: a writer that loses the race never
        // overwrites the winner's chunks.
        let tag = format!(
            "{version}.{:x}.{:x}",
            jiff::Timestamp::now().as_nanosecond(),
            std::process::id()
        );
        let old_tag = match expected {
            Some(_) => self
                .get_item(&self.tables.alerts, STATE)
                .await?
                .and_then(|h| get_s(&h, "tag").ok().map(str::to_string)),
            None => None,
        };
        let chunks: Vec<&[u8]> = if bytes.is_empty() {
            vec![&[]]
        } else {
            bytes.chunks(CHUNK).collect()
        };
        for (i, c) in chunks.iter().enumerate() {
            let item = HashMap::from([
                (PK.to_string(), s(format!("{STATE}#{tag}#{i}"))),
                ("b".to_string(), AttributeValue::B(Blob::new(c.to_vec()))),
            ]);
            self.put(&self.tables.alerts, item).await?;
        }
        let mut head = HashMap::from([
            (PK.to_string(), s(STATE)),
            ("version".to_string(), n(version)),
            ("chunks".to_string(), n(chunks.len())),
            ("tag".to_string(), s(&tag)),
        ]);
        let saved = match expected {
            None => {
                self.put_if(
                    &self.tables.alerts,
                    head,
                    "attribute_not_exists(#pk)",
                    &[("#pk", PK)],
                    vec![],
                )
                .await?
            }
            Some(v) => {
                head.remove(PK);
                self.update_if(
                    &self.tables.alerts,
                    STATE,
                    "SET #v = :new, #c = :chunks, #t = :tag",
                    "#v = :old",
                    &[("#v", "version"), ("#c", "chunks"), ("#t", "tag")],
                    vec![
                        (":new", n(version)),
                        (":chunks", n(chunks.len())),
                        (":tag", s(&tag)),
                        (":old", n(v)),
                    ],
                )
                .await?
            }
        };
        // The chunks of the version replaced (or of this one, when another writer won).
        let stale = if saved { old_tag } else { Some(tag) };
        if let Some(old) = stale {
            for i in 0..64 {
                self.counters.add(Op::DeleteItem);
                let pk = format!("{STATE}#{old}#{i}");
                let gone = self
                    .client
                    .delete_item()
                    .table_name(&self.tables.alerts)
                    .set_key(Some(key(&pk)))
                    .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
                    .send()
                    .await
                    .map_err(|e| map_sdk("DeleteItem", e))?;
                if gone.attributes.is_none() {
                    break;
                }
                self.counters
                    .add_writes(Op::DeleteItem, crate::units::WriteCost { table: 1, indexes: 0 });
            }
        }
        Ok(saved)
    }
}
