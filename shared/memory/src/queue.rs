//! `MemoryQueue`: a queue with the SQS semantics the functions rely on, in one process.
//!
//! At-least-once delivery with a visibility timeout; FIFO queues keep order per message group
//! and hold a group back while one of its messages is in flight; content-based deduplication
//! of FIFO sends within five minutes; a message received more than `max_receives` times moves
//! to the dead-letter list (SQS redrive) instead of being delivered again.

use async_trait::async_trait;
use socialcare_domain::ports::{DeadLetter, DeadLetterQueue, QueueReceiver, Received};
use socialcare_domain::{PortError, PortResult};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

#[derive(Debug, Clone)]
pub struct QueueConfig {
    pub name: String,
    pub fifo: bool,
    pub visibility: Duration,
    /// Receives after which a message is dead-lettered (SQS `maxReceiveCount`).
    pub max_receives: u32,
}

impl QueueConfig {
    pub fn new(name: &str, fifo: bool) -> Self {
        Self {
            name: name.to_string(),
            fifo,
            visibility: Duration::from_secs(30),
            max_receives: 5,
        }
    }
}

#[derive(Debug, Clone)]
struct Message {
    seq: u64,
    id: String,
    body: String,
    group: Option<String>,
    receive_count: u32,
    /// When it was sent (wall clock, shown on a dead letter).
    sent_at: jiff::Timestamp,
}

#[derive(Default)]
struct Inner {
    seq: u64,
    ready: VecDeque<Message>,
    /// receipt → (message, visible again at)
    in_flight: HashMap<String, (Message, Instant)>,
    dead: Vec<Message>,
    dedup: HashMap<String, Instant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueStats {
    pub ready: usize,
    pub in_flight: usize,
    pub dead: usize,
}

pub struct MemoryQueue {
    config: QueueConfig,
    inner: Mutex<Inner>,
    notify: Notify,
}

const FIFO_DEDUP_WINDOW: Duration = Duration::from_secs(300);

impl MemoryQueue {
    pub fn new(config: QueueConfig) -> Self {
        Self {
            config,
            inner: Mutex::new(Inner::default()),
            notify: Notify::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn is_fifo(&self) -> bool {
        self.config.fifo
    }

    fn lock(&self) -> PortResult<MutexGuard<'_, Inner>> {
        self.inner
            .lock()
            .map_err(|_| PortError::Unavailable(format!("queue {} poisoned", self.config.name)))
    }

    /// Sends a message; returns its id. On a FIFO queue a repeated `dedup_id` within five
    /// minutes is accepted and dropped, as SQS does.
    pub fn send(&self, body: String, group: Option<String>, dedup_id: Option<String>) -> PortResult<String> {
        let mut inner = self.lock()?;
        let now = Instant::now();
        if self.config.fifo {
            if group.is_none() {
                return Err(PortError::Invalid(format!(
                    "FIFO queue {} needs a message group",
                    self.config.name
                )));
            }
            inner.dedup.retain(|_, at| now.duration_since(*at) < FIFO_DEDUP_WINDOW);
            if let Some(d) = &dedup_id {
                if inner.dedup.contains_key(d) {
                    return Ok(format!("dup-{d}"));
                }
                inner.dedup.insert(d.clone(), now);
            }
        }
        inner.seq += 1;
        let seq = inner.seq;
        let id = format!("{}-{seq}", self.config.name);
        inner.ready.push_back(Message {
            seq,
            id: id.clone(),
            body,
            group,
            receive_count: 0,
            sent_at: jiff::Timestamp::now(),
        });
        drop(inner);
        self.notify.notify_one();
        Ok(id)
    }

    pub fn stats(&self) -> QueueStats {
        self.lock().map_or_else(
            |_| QueueStats::default(),
            |i| QueueStats {
                ready: i.ready.len(),
                in_flight: i.in_flight.len(),
                dead: i.dead.len(),
            },
        )
    }

    /// Bodies of dead-lettered messages (for tests and `care`'s status).
    pub fn dead_letters(&self) -> Vec<String> {
        self.lock()
            .map(|i| i.dead.iter().map(|m| m.body.clone()).collect())
            .unwrap_or_default()
    }

    fn take(&self, max: usize) -> PortResult<Vec<Received>> {
        let mut inner = self.lock()?;
        let now = Instant::now();
        // Messages whose visibility timeout ran out go back in their original order.
        let expired: Vec<String> = inner
            .in_flight
            .iter()
            .filter(|(_, (_, until))| *until <= now)
            .map(|(r, _)| r.clone())
            .collect();
        for receipt in expired {
            if let Some((msg, _)) = inner.in_flight.remove(&receipt) {
                let at = inner.ready.partition_point(|m| m.seq < msg.seq);
                inner.ready.insert(at, msg);
            }
        }
        let busy: HashSet<String> = if self.config.fifo {
            inner.in_flight.values().filter_map(|(m, _)| m.group.clone()).collect()
        } else {
            HashSet::new()
        };
        let mut out = Vec::new();
        let mut i = 0;
        while i < inner.ready.len() && out.len() < max {
            let blocked = inner.ready[i].group.as_ref().is_some_and(|g| busy.contains(g));
            if blocked {
                i += 1;
                continue;
            }
            let Some(mut msg) = inner.ready.remove(i) else { break };
            msg.receive_count += 1;
            if msg.receive_count > self.config.max_receives {
                tracing::error!(queue = %self.config.name, message_id = %msg.id, receives = msg.receive_count - 1, "message moved to the dead-letter queue");
                inner.dead.push(msg);
                continue;
            }
            let receipt = format!("{}#{}", msg.id, msg.receive_count);
            out.push(Received {
                message_id: msg.id.clone(),
                receipt: receipt.clone(),
                body: msg.body.clone(),
                group: msg.group.clone(),
                receive_count: msg.receive_count,
            });
            inner.in_flight.insert(receipt, (msg, now + self.config.visibility));
        }
        Ok(out)
    }
}

/// The queue's dead-letter list, as SQS's DLQ is seen: peek, and send one back (its receive
/// count starts again, as a message moved back from a DLQ does).
#[async_trait]
impl DeadLetterQueue for MemoryQueue {
    async fn peek(&self, limit: usize) -> PortResult<Vec<DeadLetter>> {
        let inner = self.lock()?;
        Ok(inner
            .dead
            .iter()
            .take(limit)
            .map(|m| DeadLetter {
                message_id: m.id.clone(),
                body: m.body.clone(),
                receive_count: m.receive_count.saturating_sub(1),
                first_seen: Some(m.sent_at),
            })
            .collect())
    }

    async fn redrive(&self, message_id: &str) -> PortResult<bool> {
        let mut inner = self.lock()?;
        let Some(at) = inner.dead.iter().position(|m| m.id == message_id) else {
            return Ok(false);
        };
        let mut msg = inner.dead.remove(at);
        msg.receive_count = 0;
        inner.seq += 1;
        msg.seq = inner.seq;
        inner.ready.push_back(msg);
        drop(inner);
        self.notify.notify_one();
        Ok(true)
    }
}

#[async_trait]
impl QueueReceiver for MemoryQueue {
    async fn receive(&self, max: usize, wait: Duration) -> PortResult<Vec<Received>> {
        let deadline = Instant::now() + wait;
        loop {
            let batch = self.take(max)?;
            let now = Instant::now();
            if !batch.is_empty() || now >= deadline {
                return Ok(batch);
            }
            // Wake on a send, or poll again soon for visibility timeouts running out.
            let nap = (deadline - now).min(Duration::from_millis(50));
            let _ = tokio::time::timeout(nap, self.notify.notified()).await;
        }
    }

    async fn delete(&self, receipts: &[String]) -> PortResult<()> {
        let mut inner = self.lock()?;
        for r in receipts {
            inner.in_flight.remove(r);
        }
        drop(inner);
        // A FIFO group may have been unblocked.
        self.notify.notify_one();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(fifo: bool, visibility_ms: u64, max_receives: u32) -> MemoryQueue {
        MemoryQueue::new(QueueConfig {
            name: "q".into(),
            fifo,
            visibility: Duration::from_millis(visibility_ms),
            max_receives,
        })
    }

    #[tokio::test]
    async fn fifo_holds_a_group_while_in_flight() -> PortResult<()> {
        let q = q(true, 10_000, 5);
        q.send("a1".into(), Some("a".into()), Some("1".into()))?;
        q.send("a2".into(), Some("a".into()), Some("2".into()))?;
        q.send("b1".into(), Some("b".into()), Some("3".into()))?;
        q.send("a1-again".into(), Some("a".into()), Some("1".into()))?;
        let first = q.receive(1, Duration::ZERO).await?;
        assert_eq!(first[0].body, "a1");
        let second = q.receive(10, Duration::ZERO).await?;
        assert_eq!(
            second.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
            vec!["b1"],
            "group a is held"
        );
        q.delete(&[first[0].receipt.clone()]).await?;
        let third = q.receive(10, Duration::ZERO).await?;
        assert_eq!(
            third.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
            vec!["a2"],
            "dedup dropped the resend"
        );
        Ok(())
    }

    #[tokio::test]
    async fn redelivers_after_visibility_then_dead_letters() -> PortResult<()> {
        let q = q(false, 1, 2);
        q.send("poison".into(), None, None)?;
        for expected in 1..=2 {
            let got = q.receive(1, Duration::from_millis(200)).await?;
            assert_eq!(got[0].receive_count, expected);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(q.receive(1, Duration::from_millis(20)).await?.is_empty());
        assert_eq!(q.dead_letters(), vec!["poison".to_string()]);
        let dead = q.peek(10).await?;
        assert_eq!(dead.len(), 1);
        assert_eq!((dead[0].body.as_str(), dead[0].receive_count), ("poison", 2));
        assert!(!q.redrive("no-such-id").await?);
        assert!(q.redrive(&dead[0].message_id).await?);
        assert!(q.peek(10).await?.is_empty(), "taken off the dead-letter list");
        let back = q.receive(1, Duration::from_millis(200)).await?;
        assert_eq!((back[0].body.as_str(), back[0].receive_count), ("poison", 1));
        Ok(())
    }

    #[test]
    fn fifo_without_group_is_refused() {
        assert!(q(true, 1, 1).send("x".into(), None, None).is_err());
    }
}
