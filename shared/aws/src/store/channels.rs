//! `ChannelStore` on the alerts table, beside the SLA and trend alerts and apart from them
//! (other keys, other index shards):
//! - a health record per account: `chhealth#<platform>#<account>`, `doc`, `ver` (N), shard
//!   `channels` (the `by_time` index lists the tens of accounts with one `Query`); saved with
//!   `PutItem` if `attribute_not_exists(pk)` (version 0) or `ver = :expected`;
//! - a channel alert per incident: `chalert#<alert id>`, recorded once (`attribute_not_exists`),
//!   listed newest first under shard `channel-alerts`.

use super::alerts::AlertItem;
use super::{AwsStore, corrupt};
use crate::codec::{DOC, Item, PK, from_doc, get_bool, get_s, n, s, to_doc};
use crate::tables::schema::{DELIVERED, GSI_BY_TIME, ORDER, SHARD, VERSION};
use async_trait::async_trait;
use socialcare_domain::health::{ChannelAlert, ChannelHealth};
use socialcare_domain::ports::ChannelStore;
use socialcare_domain::{PortError, PortResult};
use std::collections::HashMap;

const SHARD_CHANNELS: &str = "channels";
const SHARD_CHANNEL_ALERTS: &str = "channel-alerts";

fn health_pk(platform: &str, account: &str) -> String {
    format!("chhealth#{platform}#{account}")
}

fn alert_pk(id: &str) -> String {
    format!("chalert#{id}")
}

impl AwsStore {
    fn decode_health(&self, item: &Item) -> PortResult<ChannelHealth> {
        from_doc(item).map_err(|e| corrupt(&self.tables.alerts, get_s(item, PK).unwrap_or("?"), e))
    }

    fn decode_channel_alert(&self, item: &Item) -> PortResult<ChannelAlert> {
        let mut a: ChannelAlert =
            from_doc(item).map_err(|e| corrupt(&self.tables.alerts, get_s(item, PK).unwrap_or("?"), e))?;
        a.delivered = get_bool(item, DELIVERED).unwrap_or(a.delivered);
        Ok(a)
    }
}

#[async_trait]
impl ChannelStore for AwsStore {
    async fn channel(&self, platform: &str, account: &str) -> PortResult<Option<ChannelHealth>> {
        self.get_item(&self.tables.alerts, &health_pk(platform, account))
            .await?
            .map(|i| self.decode_health(&i))
            .transpose()
    }

    async fn channels(&self) -> PortResult<Vec<ChannelHealth>> {
        let mut out = Vec::new();
        self.query_walk(
            &self.tables.alerts,
            Some(GSI_BY_TIME),
            "#shard = :shard",
            &[("#shard", SHARD)],
            vec![(":shard", s(SHARD_CHANNELS))],
            true,
            None,
            |item| {
                out.push(self.decode_health(&item)?);
                Ok(false)
            },
        )
        .await?;
        out.sort_by(|a, b| (&a.platform, &a.account).cmp(&(&b.platform, &b.account)));
        Ok(out)
    }

    async fn save_channel(&self, health: &ChannelHealth, expected: u64) -> PortResult<()> {
        let pk = health_pk(&health.platform, &health.account);
        let item = HashMap::from([
            (PK.to_string(), s(&pk)),
            (DOC.to_string(), to_doc(health)?),
            (VERSION.to_string(), n(health.version)),
            (SHARD.to_string(), s(SHARD_CHANNELS)),
            (ORDER.to_string(), s(&pk)),
        ]);
        let saved = if expected == 0 {
            self.put_if(
                &self.tables.alerts,
                item,
                "attribute_not_exists(#pk)",
                &[("#pk", PK)],
                vec![],
            )
            .await?
        } else {
            self.put_if(
                &self.tables.alerts,
                item,
                "#v = :expected",
                &[("#v", VERSION)],
                vec![(":expected", n(expected))],
            )
            .await?
        };
        if saved {
            Ok(())
        } else {
            Err(PortError::Conflict(format!("{pk} is not at version {expected}")))
        }
    }

    async fn record_channel_alert(&self, alert: &ChannelAlert) -> PortResult<bool> {
        let pk = alert_pk(&alert.id);
        self.record_alert_once(AlertItem {
            id: &pk,
            doc: alert,
            delivered: alert.delivered,
            shard: SHARD_CHANNEL_ALERTS,
            fired_at: alert.fired_at,
        })
        .await
    }

    async fn channel_alert(&self, id: &str) -> PortResult<Option<ChannelAlert>> {
        self.get_item(&self.tables.alerts, &alert_pk(id))
            .await?
            .map(|i| self.decode_channel_alert(&i))
            .transpose()
    }

    async fn mark_channel_alert_delivered(&self, id: &str) -> PortResult<()> {
        if self.mark_alert_item_delivered(&alert_pk(id)).await? {
            Ok(())
        } else {
            Err(PortError::NotFound(format!("channel alert {id}")))
        }
    }

    async fn channel_alerts(&self, limit: usize) -> PortResult<Vec<ChannelAlert>> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        self.query_walk(
            &self.tables.alerts,
            Some(GSI_BY_TIME),
            "#shard = :shard",
            &[("#shard", SHARD)],
            vec![(":shard", s(SHARD_CHANNEL_ALERTS))],
            false,
            Some(limit.min(100) as i32),
            |item| {
                out.push(self.decode_channel_alert(&item)?);
                Ok(out.len() >= limit)
            },
        )
        .await?;
        out.sort_by(|a, b| b.fired_at.cmp(&a.fired_at).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }
}
