//! `Dedupe` on the dedupe table: one item per platform event id, expiring by TTL.

use super::AwsStore;
use crate::codec::{PK, get_s, n, opt_s, s, time_key};
use crate::tables::schema::{EXPIRES_AT, EXPIRES_KEY, FINGERPRINT};
use async_trait::async_trait;
use jiff::Timestamp;
use socialcare_domain::PortResult;
use socialcare_domain::ports::{Dedupe, Seen};
use std::collections::HashMap;

#[async_trait]
impl Dedupe for AwsStore {
    async fn check(&self, key: &str, fingerprint: &str, now: Timestamp) -> PortResult<Seen> {
        let Some(item) = self.get_item(&self.tables.dedupe, key).await? else {
            return Ok(Seen::New);
        };
        // TTL deletion lags (up to days): an expired record must count as absent by itself.
        let expired = opt_s(&item, EXPIRES_KEY).is_none_or(|k| k <= time_key(now).as_str());
        Ok(if expired {
            Seen::New
        } else if get_s(&item, FINGERPRINT)? == fingerprint {
            Seen::Duplicate
        } else {
            Seen::Conflict
        })
    }

    async fn remember(&self, key: &str, fingerprint: &str, expires_at: Timestamp) -> PortResult<()> {
        let item = HashMap::from([
            (PK.to_string(), s(key)),
            (FINGERPRINT.to_string(), s(fingerprint)),
            (EXPIRES_KEY.to_string(), s(time_key(expires_at))),
            // The TTL attribute: whole seconds, rounded up so TTL never removes a live record.
            (
                EXPIRES_AT.to_string(),
                n(expires_at.as_second() + i64::from(expires_at.subsec_nanosecond() > 0)),
            ),
        ]);
        // A live record is kept (the first body wins); an expired one is replaced.
        self.put_if(
            &self.tables.dedupe,
            item,
            "attribute_not_exists(#pk) OR #exp <= :now",
            &[("#pk", PK), ("#exp", EXPIRES_KEY)],
            vec![(":now", s(time_key(self.clock.now())))],
        )
        .await?;
        Ok(())
    }
}
