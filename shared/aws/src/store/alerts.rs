//! `AlertStore` on the alerts table: one item per alert id (`case#target#level`), recorded
//! once ever; the `by_time` index (shard, `time_key(fired_at)#id`) lists them newest first.

use super::{AwsStore, corrupt};
use crate::codec::{DOC, Item, PK, from_doc, get_bool, get_s, s, sort_key, time_key, to_doc};
use crate::tables::schema::{DELIVERED, GSI_BY_TIME, ORDER, SHARD};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use socialcare_domain::ports::{AlertQuery, AlertStore};
use socialcare_domain::{Alert, PortError, PortResult};
use std::collections::HashMap;

const SHARD_ALERTS: &str = "alerts";
/// Who acknowledged the alert and when (top-level, so the first acknowledgement is kept by a
/// condition).
const ACK_BY: &str = "ack_by";
const ACK_AT: &str = "ack_at";

/// An alert of either kind as the alerts table keeps it: its record, whether it was delivered,
/// and its place in its shard of the `by_time` index.
pub(super) struct AlertItem<'a, T> {
    pub id: &'a str,
    pub doc: &'a T,
    pub delivered: bool,
    pub shard: &'static str,
    pub fired_at: jiff::Timestamp,
}

impl AwsStore {
    /// Marks the alert item `pk` delivered (SLA, channel and trend alerts alike); false when
    /// there is no such item.
    pub(super) async fn mark_alert_item_delivered(&self, pk: &str) -> PortResult<bool> {
        self.update_if(
            &self.tables.alerts,
            pk,
            "SET #d = :t",
            "attribute_exists(#pk)",
            &[("#d", DELIVERED), ("#pk", PK)],
            vec![(":t", AttributeValue::Bool(true))],
        )
        .await
    }

    /// Puts the alert unless one with its id is there already (true: this call recorded it).
    pub(super) async fn record_alert_once<T: serde::Serialize>(&self, a: AlertItem<'_, T>) -> PortResult<bool> {
        let item = HashMap::from([
            (PK.to_string(), s(a.id)),
            (DOC.to_string(), to_doc(a.doc)?),
            (DELIVERED.to_string(), AttributeValue::Bool(a.delivered)),
            (SHARD.to_string(), s(a.shard)),
            (ORDER.to_string(), s(sort_key(a.fired_at, a.id))),
        ]);
        self.put_if(
            &self.tables.alerts,
            item,
            "attribute_not_exists(#pk)",
            &[("#pk", PK)],
            vec![],
        )
        .await
    }

    fn decode_alert(&self, item: &Item) -> PortResult<Alert> {
        let mut alert: Alert =
            from_doc(item).map_err(|e| corrupt(&self.tables.alerts, get_s(item, PK).unwrap_or("?"), e))?;
        alert.delivered = get_bool(item, DELIVERED).unwrap_or(alert.delivered);
        if let Ok(by) = get_s(item, ACK_BY) {
            alert.acknowledged_by = socialcare_domain::AgentId::parse(by).ok();
            alert.acknowledged_at = get_s(item, ACK_AT).ok().and_then(|t| t.parse().ok());
        }
        Ok(alert)
    }
}

#[async_trait]
impl AlertStore for AwsStore {
    async fn record(&self, alert: &Alert) -> PortResult<bool> {
        self.record_alert_once(AlertItem {
            id: &alert.id,
            doc: alert,
            delivered: alert.delivered,
            shard: SHARD_ALERTS,
            fired_at: alert.fired_at,
        })
        .await
    }

    async fn get(&self, id: &str) -> PortResult<Option<Alert>> {
        self.get_item(&self.tables.alerts, id)
            .await?
            .map(|i| self.decode_alert(&i))
            .transpose()
    }

    async fn mark_delivered(&self, id: &str) -> PortResult<()> {
        if self.mark_alert_item_delivered(id).await? {
            Ok(())
        } else {
            Err(PortError::NotFound(format!("alert {id}")))
        }
    }

    async fn acknowledge(
        &self,
        id: &str,
        by: &socialcare_domain::AgentId,
        at: jiff::Timestamp,
    ) -> PortResult<Option<Alert>> {
        self.update_if(
            &self.tables.alerts,
            id,
            "SET #by = :by, #at = :at",
            "attribute_exists(#pk) AND attribute_not_exists(#by)",
            &[("#by", ACK_BY), ("#at", ACK_AT), ("#pk", PK)],
            vec![(":by", s(by.as_str())), (":at", s(at.to_string()))],
        )
        .await?;
        // Updated, already acknowledged, or absent: the stored alert says which.
        self.get(id).await
    }

    async fn list(&self, q: &AlertQuery) -> PortResult<Vec<Alert>> {
        let limit = q.limit.unwrap_or(usize::MAX);
        let mut out: Vec<Alert> = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let (condition, names, mut values): (_, &[(&str, &str)], _) = match q.since {
            Some(since) => (
                "#shard = :shard AND #ok >= :since",
                &[("#shard", SHARD), ("#ok", ORDER)],
                vec![(":since", s(time_key(since)))],
            ),
            None => ("#shard = :shard", &[("#shard", SHARD)], vec![]),
        };
        values.push((":shard", s(SHARD_ALERTS)));
        self.query_walk(
            &self.tables.alerts,
            Some(GSI_BY_TIME),
            condition,
            names,
            values,
            false,
            None,
            |item| {
                let alert = self.decode_alert(&item)?;
                // Past the limit, read on only through alerts fired at the same instant as the
                // last one kept, so that ties are broken by id exactly as everywhere else.
                if out.len() >= limit && out.get(limit - 1).is_some_and(|last| alert.fired_at < last.fired_at) {
                    return Ok(true);
                }
                if q.level.is_none_or(|l| alert.level == l) && q.queue.as_ref().is_none_or(|qq| &alert.queue == qq) {
                    out.push(alert);
                }
                Ok(false)
            },
        )
        .await?;
        out.sort_by(|a, b| b.fired_at.cmp(&a.fired_at).then_with(|| a.id.cmp(&b.id)));
        out.truncate(limit);
        Ok(out)
    }
}
