//! `CasesCreated` on the cases table: the report rows are derived when a report is read, from
//! the cases created in its range, found through the `by_day` index (`KEYS_ONLY`, partition
//! `created#<UTC day of creation>`, sort `ck`). A case enters that index once, when it is
//! created, and its key never moves: one index write per case, where a kept row cost a write
//! unit and an index write on every change of every case. A report queries the index once per
//! day of its range (pages of 1 MB) and reads the cases by key (`BatchGetItem`): never a scan.

use super::AwsStore;
use super::cases::day_partition;
use crate::codec::{PK, get_s, s, time_key};
use crate::tables::schema::{CREATED, CREATED_DAY, GSI_CASES_BY_DAY};
use async_trait::async_trait;
use jiff::Timestamp;
use socialcare_domain::ports::CasesCreated;
use socialcare_domain::reports::days_between;
use socialcare_domain::{Case, PortResult};

#[async_trait]
impl CasesCreated for AwsStore {
    async fn cases_created(&self, from: Timestamp, to: Timestamp) -> PortResult<Vec<Case>> {
        if to <= from {
            return Ok(Vec::new());
        }
        let mut pks = Vec::new();
        for day in days_between(from, to) {
            // `time_key(t)#id` sorts after `time_key(t)`: BETWEEN these takes from `from` on and
            // stops before `to`.
            self.query_walk(
                &self.tables.cases,
                Some(GSI_CASES_BY_DAY),
                "#day = :day AND #ck BETWEEN :lo AND :hi",
                &[("#day", CREATED_DAY), ("#ck", CREATED)],
                vec![
                    (":day", s(day_partition(&day))),
                    (":lo", s(time_key(from))),
                    (":hi", s(time_key(to))),
                ],
                true,
                None,
                |item| {
                    pks.push(get_s(&item, PK)?.to_string());
                    Ok(false)
                },
            )
            .await?;
        }
        // The index is eventually consistent and keys-only: the cases read decide, in the
        // index's (creation time, id) order.
        let cases = self.cases_by_pk(&pks).await?;
        Ok(cases
            .into_iter()
            .filter(|c| c.created_at >= from && c.created_at < to)
            .collect())
    }
}
