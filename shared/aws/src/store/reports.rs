//! `ReportStore` on the alerts table, beside the SLA and trend alerts and apart from them (other
//! keys, other index shards): one item per case, `reportrow#<case id>`, holding the row (plain
//! JSON, about 700 B: one write unit, one in the index, and readable by Athena from an S3
//! export), its
//! case version (a write is conditional on not going back in versions) and, for the `by_time`
//! index, the shard `report#<UTC day of creation>` and `time_key(created_at)#id`. A report
//! queries the index once per day of its range (pages of 1 MB): never a scan.

use super::{AwsStore, corrupt};
use crate::codec::{DOC, Item, PK, from_doc, get_s, n, s, sort_key, time_key, to_doc};
use crate::tables::schema::{GSI_BY_TIME, ORDER, SHARD, VERSION};
use crate::units::WriteCost;
use async_trait::async_trait;
use jiff::Timestamp;
use socialcare_domain::PortResult;
use socialcare_domain::ports::ReportStore;
use socialcare_domain::reports::{ReportRow, day_of, days_between};
use std::collections::HashMap;
use std::sync::Arc;

fn row_pk(row: &ReportRow) -> String {
    format!("reportrow#{}", row.case_id)
}

fn shard(day: &str) -> String {
    format!("report#{day}")
}

impl AwsStore {
    fn decode_report_row(&self, item: &Item) -> PortResult<ReportRow> {
        from_doc(item).map_err(|e| corrupt(&self.tables.alerts, get_s(item, PK).unwrap_or("?"), e))
    }
}

#[async_trait]
impl ReportStore for AwsStore {
    async fn put_report_row(&self, row: &ReportRow) -> PortResult<bool> {
        let item = HashMap::from([
            (PK.to_string(), s(row_pk(row))),
            (DOC.to_string(), to_doc(row)?),
            (VERSION.to_string(), n(row.version)),
            (SHARD.to_string(), s(shard(&day_of(row.created_at)))),
            (ORDER.to_string(), s(sort_key(row.created_at, row.case_id.as_str()))),
        ]);
        // A row replaces the case's earlier row under the same index key (a case's creation
        // time never moves): the item and its `by_time` entry (projection ALL) each written
        // once, not a moved key's delete and put.
        let units = crate::units::write_units(crate::units::item_size(&item));
        let done = WriteCost {
            table: units,
            indexes: units,
        };
        self.put_if_costing(
            &self.tables.alerts,
            item,
            "attribute_not_exists(#pk) OR #ver <= :ver",
            &[("#pk", PK), ("#ver", VERSION)],
            vec![(":ver", n(row.version))],
            done,
        )
        .await
    }

    async fn report_rows(&self, from: Timestamp, to: Timestamp) -> PortResult<Vec<Arc<ReportRow>>> {
        let mut out = Vec::new();
        for day in days_between(from, to) {
            // `time_key(t)#id` sorts after `time_key(t)`: BETWEEN these takes from `from` on and
            // stops before `to`.
            self.query_walk(
                &self.tables.alerts,
                Some(GSI_BY_TIME),
                "#shard = :shard AND #ok BETWEEN :lo AND :hi",
                &[("#shard", SHARD), ("#ok", ORDER)],
                vec![
                    (":shard", s(shard(&day))),
                    (":lo", s(time_key(from))),
                    (":hi", s(time_key(to))),
                ],
                true,
                None,
                |item| {
                    out.push(Arc::new(self.decode_report_row(&item)?));
                    Ok(false)
                },
            )
            .await?;
        }
        Ok(out)
    }
}
