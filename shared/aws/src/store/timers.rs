//! `TimerStore` on the timers table. Armed timers carry `shard = "armed"` and
//! `ok = time_key(due_at)#key`: the sparse `due` index (shard, ok) lists them earliest first.
//! Settling removes `shard`, so a settled timer leaves the index.

use super::{AwsStore, corrupt};
use crate::codec::{DOC, Item, PK, from_doc, get_s, s, sort_key, sort_key_bound_after, to_doc};
use crate::tables::schema::{GSI_TIMERS_DUE, ORDER, SHARD, TIMER_STATE};
use async_trait::async_trait;
use jiff::Timestamp;
use socialcare_domain::ports::TimerStore;
use socialcare_domain::{PortResult, Timer};
use std::collections::HashMap;

/// The one shard of the `due` index. One partition serves ~1000 timer writes per second;
/// beyond that, spread over N shards and merge N queries.
const ARMED: &str = "armed";
const SETTLED: &str = "settled";

impl AwsStore {
    fn decode_timer(&self, item: &Item) -> PortResult<Timer> {
        from_doc(item).map_err(|e| corrupt(&self.tables.timers, get_s(item, PK).unwrap_or("?"), e))
    }
}

#[async_trait]
impl TimerStore for AwsStore {
    async fn arm(&self, timer: &Timer) -> PortResult<()> {
        let key = timer.key();
        let item = HashMap::from([
            (PK.to_string(), s(&key)),
            (DOC.to_string(), to_doc(timer)?),
            (TIMER_STATE.to_string(), s(ARMED)),
            (SHARD.to_string(), s(ARMED)),
            (ORDER.to_string(), s(sort_key(timer.due_at, &key))),
        ]);
        // Arming again (a redelivery) changes nothing, settled or not.
        self.put_if(
            &self.tables.timers,
            item,
            "attribute_not_exists(#pk)",
            &[("#pk", PK)],
            vec![],
        )
        .await?;
        Ok(())
    }

    async fn due(&self, until: Timestamp, limit: usize) -> PortResult<Vec<Timer>> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let page = i32::try_from(limit.min(1000)).unwrap_or(1000);
        self.query_walk(
            &self.tables.timers,
            Some(GSI_TIMERS_DUE),
            "#shard = :armed AND #ok < :bound",
            &[("#shard", SHARD), ("#ok", ORDER)],
            vec![(":armed", s(ARMED)), (":bound", s(sort_key_bound_after(until)))],
            true,
            Some(page),
            |item| {
                out.push(self.decode_timer(&item)?);
                Ok(out.len() >= limit)
            },
        )
        .await?;
        Ok(out)
    }

    async fn settle(&self, key: &str) -> PortResult<bool> {
        self.update_if(
            &self.tables.timers,
            key,
            "SET #state = :settled REMOVE #shard",
            "#state = :armed",
            &[("#state", TIMER_STATE), ("#shard", SHARD)],
            vec![(":settled", s(SETTLED)), (":armed", s(ARMED))],
        )
        .await
    }
}
