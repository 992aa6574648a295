//! Batch APIs have partial failures: `BatchWriteItem.UnprocessedItems`,
//! `SendMessageBatch.Failed`, `DeleteMessageBatch.Failed`. One driver chunks the items to the
//! API's limit, resends only what was not processed, with backoff, and reports what never was.

use crate::codec::Item;
use crate::counts::{Counters, Op};
use crate::error::map_sdk;
use aws_sdk_dynamodb::types::{KeysAndAttributes, PutRequest, WriteRequest};
use socialcare_domain::{PortError, PortResult};
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

/// DynamoDB's BatchWriteItem limit.
pub const BATCH_WRITE_LIMIT: usize = 25;
/// DynamoDB's BatchGetItem limit.
pub const BATCH_GET_LIMIT: usize = 100;
/// SQS's SendMessageBatch / DeleteMessageBatch limit.
pub const SQS_BATCH_LIMIT: usize = 10;

/// How often and how patiently unprocessed entries are resent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Rounds in total (the first send included).
    pub max_rounds: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_rounds: 6,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with "equal jitter" (half fixed, half random), capped.
    pub fn delay(&self, round: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(round.min(16)))
            .min(self.max_delay);
        let half = exp / 2;
        half + half.mul_f64(jitter())
    }
}

/// A cheap random fraction in [0, 1) for jitter (no RNG dependency for this).
fn jitter() -> f64 {
    use std::hash::{BuildHasher, RandomState};
    let x = RandomState::new().hash_one(std::time::Instant::now());
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// What one batch call did with its entries.
#[derive(Debug)]
pub struct BatchOutcome<T> {
    /// Not processed this time (throttled, internal error): send again.
    pub retry: Vec<T>,
    /// Refused for good (the sender's fault), with the reason.
    pub rejected: Vec<(T, String)>,
}

impl<T> BatchOutcome<T> {
    pub fn done() -> Self {
        Self {
            retry: Vec::new(),
            rejected: Vec::new(),
        }
    }
}

/// Sends `items` in chunks of at most `chunk`; resends the `retry` part of each outcome with
/// backoff until everything is processed or `policy.max_rounds` is spent.
///
/// `Unavailable` when entries are still unprocessed at the end (the caller retries the whole
/// message), `Invalid` when some were rejected for good. An error of a whole call is returned
/// as is, after the chunks before it were sent (resending those is harmless: batch writes here
/// are idempotent puts and sends carry dedup ids).
pub async fn drive<T, F, Fut>(items: Vec<T>, chunk: usize, policy: RetryPolicy, mut call: F) -> PortResult<()>
where
    F: FnMut(Vec<T>) -> Fut,
    Fut: Future<Output = PortResult<BatchOutcome<T>>>,
{
    let chunk = chunk.max(1);
    let mut pending = items;
    let mut rejected: Vec<String> = Vec::new();
    let mut round = 0;
    while !pending.is_empty() {
        if round >= policy.max_rounds {
            return Err(PortError::Unavailable(format!(
                "{} batch entries still unprocessed after {round} rounds",
                pending.len()
            )));
        }
        if round > 0 {
            tokio::time::sleep(policy.delay(round - 1)).await;
        }
        let mut retry = Vec::new();
        let mut rest = pending.into_iter().peekable();
        while rest.peek().is_some() {
            let part: Vec<T> = rest.by_ref().take(chunk).collect();
            let outcome = call(part).await?;
            retry.extend(outcome.retry);
            rejected.extend(outcome.rejected.into_iter().map(|(_, why)| why));
        }
        pending = retry;
        round += 1;
    }
    if rejected.is_empty() {
        Ok(())
    } else {
        Err(PortError::Invalid(format!(
            "{} batch entries rejected: {}",
            rejected.len(),
            rejected.join("; ")
        )))
    }
}

/// Puts `items` into `table` with BatchWriteItem (25 per call), resending `UnprocessedItems`.
/// Unconditional puts: for bulk loads and backfills, never for writes that guard an invariant.
pub async fn batch_put(
    client: &aws_sdk_dynamodb::Client,
    counters: &Counters,
    table: &str,
    items: Vec<Item>,
    policy: RetryPolicy,
) -> PortResult<()> {
    let requests: Vec<WriteRequest> = items
        .into_iter()
        .map(|item| {
            PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map(|put| WriteRequest::builder().put_request(put).build())
                .map_err(|e| PortError::Invalid(format!("batch put: {e}")))
        })
        .collect::<PortResult<_>>()?;
    drive(requests, BATCH_WRITE_LIMIT, policy, |part| async move {
        counters.add(Op::BatchWriteItem);
        // Bulk puts go to tables without indexes (posts): the items' own units.
        let units = part
            .iter()
            .filter_map(|w| w.put_request())
            .map(|p| crate::units::write_units(crate::units::item_size(p.item())))
            .sum();
        counters.add_writes(
            Op::BatchWriteItem,
            crate::units::WriteCost {
                table: units,
                indexes: 0,
            },
        );
        let out = client
            .batch_write_item()
            .request_items(table, part)
            .send()
            .await
            .map_err(|e| map_sdk("BatchWriteItem", e))?;
        let retry = out
            .unprocessed_items
            .and_then(|mut u| u.remove(table))
            .unwrap_or_default();
        Ok(BatchOutcome {
            retry,
            rejected: Vec::new(),
        })
    })
    .await
}

/// Gets the items with these keys (any order; missing ones are absent), 100 keys per call,
/// resending `UnprocessedKeys`. Keys must be distinct (BatchGetItem refuses duplicates).
pub async fn batch_get(
    client: &aws_sdk_dynamodb::Client,
    counters: &Counters,
    table: &str,
    keys: Vec<Item>,
    policy: RetryPolicy,
) -> PortResult<Vec<Item>> {
    let found = std::sync::Mutex::new(Vec::new());
    drive(keys, BATCH_GET_LIMIT, policy, |part| {
        let found = &found;
        async move {
            counters.add(Op::BatchGetItem);
            let request = KeysAndAttributes::builder()
                .set_keys(Some(part))
                .consistent_read(true)
                .build()
                .map_err(|e| PortError::Invalid(format!("batch get: {e}")))?;
            let out = client
                .batch_get_item()
                .request_items(table, request)
                .send()
                .await
                .map_err(|e| map_sdk("BatchGetItem", e))?;
            if let Some(mut responses) = out.responses
                && let Some(items) = responses.remove(table)
                && let Ok(mut f) = found.lock()
            {
                // Each item is rounded up to 4 KB on its own.
                let halves = items
                    .iter()
                    .map(|i| crate::units::read_half_units(crate::units::item_size(i), true))
                    .sum();
                counters.add_read_halves(Op::BatchGetItem, halves);
                f.extend(items);
            }
            let retry = out
                .unprocessed_keys
                .and_then(|mut u: HashMap<String, KeysAndAttributes>| u.remove(table))
                .map(|k| k.keys)
                .unwrap_or_default();
            Ok(BatchOutcome {
                retry,
                rejected: Vec::new(),
            })
        }
    })
    .await?;
    found
        .into_inner()
        .map_err(|_| PortError::Unavailable("batch get: poisoned".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_rounds: 5,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        }
    }

    /// A fake BatchWriteItem: at most 25 per call, leaves every third item of a call unprocessed
    /// the first time it sees it.
    #[tokio::test]
    async fn chunks_to_the_limit_and_resends_only_unprocessed() -> PortResult<()> {
        let calls: Mutex<Vec<Vec<u32>>> = Mutex::new(Vec::new());
        let stored: Mutex<Vec<u32>> = Mutex::new(Vec::new());
        let seen_once: Mutex<Vec<u32>> = Mutex::new(Vec::new());
        drive((0..107).collect(), BATCH_WRITE_LIMIT, fast(), |part: Vec<u32>| {
            let (calls, stored, seen_once) = (&calls, &stored, &seen_once);
            async move {
                calls
                    .lock()
                    .map_err(|_| PortError::Invalid("lock".into()))?
                    .push(part.clone());
                let mut retry = Vec::new();
                let mut seen = seen_once.lock().map_err(|_| PortError::Invalid("lock".into()))?;
                for (i, x) in part.into_iter().enumerate() {
                    if i % 3 == 2 && !seen.contains(&x) {
                        seen.push(x);
                        retry.push(x);
                    } else {
                        stored.lock().map_err(|_| PortError::Invalid("lock".into()))?.push(x);
                    }
                }
                Ok(BatchOutcome {
                    retry,
                    rejected: Vec::new(),
                })
            }
        })
        .await?;
        let calls = calls.into_inner().unwrap_or_default();
        let mut stored = stored.into_inner().unwrap_or_default();
        assert!(calls.iter().all(|c| !c.is_empty() && c.len() <= 25), "{calls:?}");
        assert_eq!(calls[..5].iter().map(Vec::len).collect::<Vec<_>>(), [25, 25, 25, 25, 7]);
        let first_round: usize = calls[..5].iter().map(Vec::len).sum();
        assert_eq!(first_round, 107);
        // Unprocessed items of round one, and only them, went again.
        let resent: usize = calls[5..].iter().map(Vec::len).sum();
        assert_eq!(resent, 4 * 8 + 2, "every third of each chunk of round one");
        stored.sort_unstable();
        assert_eq!(stored, (0..107).collect::<Vec<_>>(), "each item stored exactly once");
        Ok(())
    }

    #[tokio::test]
    async fn gives_up_as_unavailable_when_never_processed() {
        let mut calls = 0;
        let r = drive(vec![1, 2, 3], 25, fast(), |part: Vec<i32>| {
            calls += 1;
            async move {
                Ok(BatchOutcome {
                    retry: part,
                    rejected: Vec::new(),
                })
            }
        })
        .await;
        assert!(matches!(r, Err(PortError::Unavailable(_))), "{r:?}");
        assert_eq!(calls, 5, "one call per round");
    }

    #[tokio::test]
    async fn rejected_entries_are_invalid_but_the_rest_is_sent() {
        let sent = Mutex::new(0usize);
        let r = drive((0..12).collect(), SQS_BATCH_LIMIT, fast(), |part: Vec<i32>| {
            let sent = &sent;
            async move {
                let (bad, good): (Vec<i32>, Vec<i32>) = part.into_iter().partition(|x| *x == 4);
                if let Ok(mut s) = sent.lock() {
                    *s += good.len();
                }
                Ok(BatchOutcome {
                    retry: Vec::new(),
                    rejected: bad.into_iter().map(|x| (x, format!("entry {x} too long"))).collect(),
                })
            }
        })
        .await;
        assert!(
            matches!(&r, Err(PortError::Invalid(m)) if m.contains("entry 4")),
            "{r:?}"
        );
        assert_eq!(sent.into_inner().unwrap_or_default(), 11);
    }

    #[tokio::test]
    async fn a_failing_call_is_returned() {
        let r = drive(vec![1], 25, fast(), |_part: Vec<i32>| async {
            Err::<BatchOutcome<i32>, _>(PortError::Unavailable("throttled".into()))
        })
        .await;
        assert!(matches!(r, Err(PortError::Unavailable(_))));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_rounds: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        for round in 0..10 {
            let d = p.delay(round);
            let cap = (Duration::from_millis(100) * 2u32.pow(round)).min(Duration::from_secs(1));
            assert!(d >= cap / 2 && d <= cap, "round {round}: {d:?}");
        }
    }
}
