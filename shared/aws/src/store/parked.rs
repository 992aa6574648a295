//! `ParkingLot` on the parked table: one item per (source, message id), kept once; the
//! `by_time` index (shard, `time_key(at)#pk`) lists them newest first.

use super::{AwsStore, corrupt};
use crate::codec::key;
use crate::codec::{DOC, PK, from_doc, get_s, s, sort_key, to_doc};
use crate::counts::Op;
use crate::error::map_sdk;
use crate::tables::schema::{GSI_BY_TIME, ORDER, SHARD};
use async_trait::async_trait;
use socialcare_domain::PortResult;
use socialcare_domain::ports::{Parked, ParkingLot};
use std::collections::HashMap;

const SHARD_PARKED: &str = "parked";

#[async_trait]
impl ParkingLot for AwsStore {
    async fn park(&self, parked: &Parked) -> PortResult<()> {
        let pk = format!("{}#{}", parked.source, parked.message_id);
        let item = HashMap::from([
            (PK.to_string(), s(&pk)),
            (DOC.to_string(), to_doc(parked)?),
            (SHARD.to_string(), s(SHARD_PARKED)),
            (ORDER.to_string(), s(sort_key(parked.at, &pk))),
        ]);
        // A message parked again (a redelivery of the same poison) keeps its first record.
        self.put_if(
            &self.tables.parked,
            item,
            "attribute_not_exists(#pk)",
            &[("#pk", PK)],
            vec![],
        )
        .await?;
        Ok(())
    }

    async fn list(&self, limit: usize) -> PortResult<Vec<Parked>> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let page = i32::try_from(limit.min(1000)).unwrap_or(1000);
        self.query_walk(
            &self.tables.parked,
            Some(GSI_BY_TIME),
            "#shard = :shard",
            &[("#shard", SHARD)],
            vec![(":shard", s(SHARD_PARKED))],
            false,
            Some(page),
            |item| {
                out.push(
                    from_doc(&item).map_err(|e| corrupt(&self.tables.parked, get_s(&item, PK).unwrap_or("?"), e))?,
                );
                Ok(out.len() >= limit)
            },
        )
        .await?;
        Ok(out)
    }

    async fn remove(&self, source: &str, message_id: &str) -> PortResult<bool> {
        let pk = format!("{source}#{message_id}");
        self.counters.add(Op::DeleteItem);
        let out = self
            .client
            .delete_item()
            .table_name(&self.tables.parked)
            .set_key(Some(key(&pk)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| map_sdk("DeleteItem", e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}
