//! Ports: what the services need from the outside world, as async traits.
//!
//! Implemented in memory by `socialcare-memory` and on DynamoDB/SQS/SNS by `socialcare-aws`.
//! Every write that guards an invariant is conditional, and says so in its doc.

use crate::agent::{Agent, Presence};
use crate::case::{Case, CaseStatus};
use crate::channel::Channel;
use crate::customer::{Customer, Identifier, Identity, MergeRecord};
use crate::error::PortResult;
use crate::events::Envelope;
use crate::health::{ChannelAlert, ChannelHealth, FailureKind};
use crate::ids::{AgentId, AuthorId, CaseId, CustomerId, PostId};
use crate::post::{Author, Classification, Post, PostContext};
use crate::sla::{Alert, Level, Timer};
use async_trait::async_trait;
use jiff::Timestamp;
use std::time::Duration;

/// Time is an input: services read it here, tests fix it.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// What the idempotency record says about a platform event id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    New,
    /// Seen with the same body: acknowledge, change nothing.
    Duplicate,
    /// Seen with a different body: reject, log, change nothing.
    Conflict,
}

#[async_trait]
pub trait Dedupe: Send + Sync {
    /// What is known of `key` (expired records count as absent).
    async fn check(&self, key: &str, fingerprint: &str, now: Timestamp) -> PortResult<Seen>;
    /// Records `key` until `expires_at`. Conditional: an existing live record is kept.
    async fn remember(&self, key: &str, fingerprint: &str, expires_at: Timestamp) -> PortResult<()>;
}

#[async_trait]
pub trait PostStore: Send + Sync {
    /// Conditional insert: false when a post with this id exists (a replay).
    async fn insert(&self, post: &Post) -> PortResult<bool>;
    /// Overwrites a post (edits, redaction, delivery state).
    async fn put(&self, post: &Post) -> PortResult<()>;
    async fn get(&self, id: &PostId) -> PortResult<Option<Post>>;
    /// The posts that exist among `ids`, in the order of `ids`.
    async fn get_many(&self, ids: &[PostId]) -> PortResult<Vec<Post>>;
    /// Records that the post is known under its platform id on its channel and account, unless
    /// another post claimed that id first. Done for the posts that may be answered or echoed
    /// (posts on a case, our own posts), not for every post: it costs a write. Answers the posts
    /// that were waiting for this one as their parent ([`PostStore::await_parent`]), once.
    async fn remember_platform_id(&self, post: &Post) -> PortResult<Vec<PostId>>;
    /// Records that `post` replies to a post not seen yet (its `parent_id` on its channel and
    /// account), so that the parent, when it comes, finds it. At most [`MAX_WAITING_CHILDREN`]
    /// wait for one parent. False when the parent is known meanwhile (nothing recorded).
    async fn await_parent(&self, post: &Post) -> PortResult<bool>;
    /// The post remembered under the platform's id on `channel` and `account` (see
    /// [`PostStore::remember_platform_id`]); the first post to claim a platform id keeps it.
    async fn find_by_platform_id(
        &self,
        channel: Channel,
        account: &str,
        platform_id: &str,
    ) -> PortResult<Option<PostId>>;
    /// Every stored post `author` wrote, oldest first (an index: a deletion request or an
    /// erasure reads one author's posts, never the whole table).
    async fn posts_by_author(&self, author: &AuthorId) -> PortResult<Vec<PostId>>;
}

/// Platform deletion requests (see [`crate::deletion`]): what each confirmation code's status
/// page shows.
#[async_trait]
pub trait DeletionStore: Send + Sync {
    /// Conditional insert by code: false when a request with this code exists.
    async fn record_deletion(&self, request: &crate::deletion::DeletionRequest) -> PortResult<bool>;
    async fn deletion(&self, code: &str) -> PortResult<Option<crate::deletion::DeletionRequest>>;
    /// Overwrites the request (its status moved on).
    async fn save_deletion(&self, request: &crate::deletion::DeletionRequest) -> PortResult<()>;
}

#[async_trait]
pub trait CustomerStore: Send + Sync {
    async fn get(&self, id: &CustomerId) -> PortResult<Option<Customer>>;
    async fn customer_of(&self, author: &AuthorId) -> PortResult<Option<CustomerId>>;
    /// Conditional insert of the customer and its authors' index: false when it exists.
    async fn create(&self, customer: &Customer) -> PortResult<bool>;
    /// Links another author to the existing `customer`: the author's index entry and the
    /// identity on the customer, together. False when the author is linked already (to anyone:
    /// an author keeps its first link); `NotFound` when the customer does not exist.
    async fn add_identity(&self, customer: &CustomerId, identity: &Identity) -> PortResult<bool>;
    /// The customers recorded as having written `identifier`, sorted by id (at most the
    /// `max_customers` of the links that recorded them).
    async fn customers_with(&self, identifier: &Identifier) -> PortResult<Vec<CustomerId>>;
    /// Records that `customer` wrote `identifier` (through `author`, at `at`): always on the
    /// customer's own list, and in the identifier index (one conditional write) unless it is
    /// recorded there already or `max_customers` customers hold it already. True when the index
    /// took it.
    async fn link_identifier(
        &self,
        identifier: &Identifier,
        customer: &CustomerId,
        author: &AuthorId,
        at: Timestamp,
        max_customers: usize,
    ) -> PortResult<bool>;
    /// The customers holding each of `identifiers` (those held by nobody left out): one batched
    /// read for the typo suggestions, which ask for many variants at once.
    async fn customers_with_any(&self, identifiers: &[Identifier]) -> PortResult<Vec<(Identifier, Vec<CustomerId>)>>;

    /// Records that `customer` goes by a display name with this key (see
    /// `customer::similar::name_key`), for the similar-name suggestions. A key held by
    /// [`MAX_CUSTOMERS_PER_NAME`] customers takes no more (a common name suggests nothing useful).
    async fn index_name(&self, key: &str, customer: &CustomerId) -> PortResult<()>;
    /// The customers recorded under a display-name key, sorted.
    async fn customers_named(&self, key: &str) -> PortResult<Vec<CustomerId>>;

    // The identity graph's manual changes (merge and split), each step idempotent.

    /// Rewrites the customer whole (identities, identifiers, tombstone) if the stored version is
    /// `expected_version`; `customer.version` must be the next. False when it moved meanwhile.
    async fn replace(&self, customer: &Customer, expected_version: u64) -> PortResult<bool>;
    /// Points `author` at `to` if it points at `from`. False when it points elsewhere or nowhere.
    async fn relink_author(&self, author: &AuthorId, from: &CustomerId, to: &CustomerId) -> PortResult<bool>;
    /// In the identifier index, `to` takes the place of `from` (or is added beside the holders,
    /// for `None`), whatever the share cap: a person moved, not a new holder.
    async fn relink_identifier(
        &self,
        identifier: &Identifier,
        from: Option<&CustomerId>,
        to: &CustomerId,
    ) -> PortResult<()>;
    /// Conditional insert of a merge record: false when one with its id exists.
    async fn record_merge(&self, merge: &MergeRecord) -> PortResult<bool>;
    /// Overwrites a merge record (its state moved on).
    async fn save_merge(&self, merge: &MergeRecord) -> PortResult<()>;
    async fn merge(&self, id: &str) -> PortResult<Option<MergeRecord>>;
    /// The merges either side of which `customer` was, oldest first.
    async fn merges_of(&self, customer: &CustomerId) -> PortResult<Vec<MergeRecord>>;
}

/// The most posts that wait for one parent that has not arrived (a thread of replies to a
/// post we never get is not worth more).
pub const MAX_WAITING_CHILDREN: usize = 100;

/// The most customers one display-name key lists.
pub const MAX_CUSTOMERS_PER_NAME: usize = 50;

/// An agent-load change written in the same transaction as a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadChange {
    None,
    /// +1, on the condition that the agent's load stays within its capacity.
    Take(AgentId),
    /// -1 (never below zero).
    Release(AgentId),
}

#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    pub statuses: Vec<CaseStatus>,
    pub assignee: Option<AgentId>,
    /// Only active cases that nobody has (the queue).
    pub waiting: bool,
    pub customer: Option<CustomerId>,
    /// At most this many cases, the first in the list's order: stores stop reading there (an
    /// index query reads O(limit) keys per index value, not the whole table).
    pub limit: Option<usize>,
    /// Newest case first (created_at, then id, descending) instead of oldest first.
    pub newest_first: bool,
    /// Only the cases strictly after this position in the list's order: the next page.
    pub after: Option<CaseCursor>,
}

/// A position in a list of cases, ordered by (created_at, id): where a page ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseCursor {
    pub created_at: jiff::Timestamp,
    pub id: CaseId,
}

impl CaseCursor {
    pub fn of(case: &Case) -> Self {
        Self {
            created_at: case.created_at,
            id: case.id.clone(),
        }
    }

    /// Whether `case` comes strictly after this position in a list ordered `newest_first` or not.
    pub fn precedes(&self, case: &Case, newest_first: bool) -> bool {
        let here = (self.created_at, &self.id);
        let there = (case.created_at, &case.id);
        if newest_first { there < here } else { there > here }
    }
}

impl CaseQuery {
    /// The queue: every active case that nobody has.
    pub fn waiting() -> Self {
        Self {
            waiting: true,
            ..Self::default()
        }
    }
}

#[async_trait]
pub trait CaseStore: Send + Sync {
    async fn get(&self, id: &CaseId) -> PortResult<Option<Case>>;
    /// The customer's active (new, open or pending) case, if any.
    async fn active_case_of(&self, customer: &CustomerId) -> PortResult<Option<CaseId>>;
    /// Creates the case and points its customer's active-case pointer at it, atomically.
    /// `Conflict` when the case exists or the customer already has an active case:
    /// two posts processed at once never open two cases.
    async fn create(&self, case: &Case) -> PortResult<()>;
    /// Writes `case` if the stored version is `expected_version` (and `case.version` is the next),
    /// applying `load` to the agent in the same transaction. Keeps the customer's active-case
    /// pointer in step (cleared when the case stops being active). `Conflict` when the version
    /// moved or the agent has no room.
    async fn save(&self, case: &Case, expected_version: u64, load: LoadChange) -> PortResult<()>;
    async fn list(&self, query: &CaseQuery) -> PortResult<Vec<Case>>;
    /// Writes `case`, whose `customer_id` is now another customer's, if the stored version is
    /// `expected_version` and it belonged to `from`. An active case moves the active-case pointer
    /// in the same write (`from`'s goes, the new customer's is set): `Conflict` when the new
    /// customer has another active case. The case's activeness must not change in a move.
    async fn move_case(&self, case: &Case, expected_version: u64, from: &CustomerId) -> PortResult<()>;
    /// What the queue view counts of each waiting case (queue, priority, since when). The
    /// default reads the cases; the memory backend answers without copying them, so a long
    /// queue does not hold its one lock while thousands of cases are cloned.
    async fn waiting_cases(&self) -> PortResult<Vec<WaitingCase>> {
        Ok(self
            .list(&CaseQuery::waiting())
            .await?
            .into_iter()
            .map(|c| WaitingCase::of(&c))
            .collect())
    }
}

/// One waiting case as the queue view counts it.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitingCase {
    pub queue: String,
    pub priority: crate::channel::Priority,
    pub created_at: Timestamp,
}

impl WaitingCase {
    pub fn of(case: &Case) -> Self {
        Self {
            queue: case.queue.clone(),
            priority: case.priority,
            created_at: case.created_at,
        }
    }
}

#[async_trait]
pub trait AgentStore: Send + Sync {
    async fn get(&self, id: &AgentId) -> PortResult<Option<Agent>>;
    async fn list(&self) -> PortResult<Vec<Agent>>;
    /// Inserts an agent from the seed; an existing agent (and its load) is kept.
    async fn seed(&self, agent: &Agent) -> PortResult<()>;
    /// Creates the agent, or replaces its profile (name, languages, skills, regions, channels,
    /// capacity, role) keeping its live state (load, presence, last assignment). True when created.
    async fn save_profile(&self, agent: &Agent) -> PortResult<bool>;
    async fn set_presence(&self, id: &AgentId, presence: Presence) -> PortResult<()>;
    /// Records when the agent last got a case (round-robin tie-break).
    async fn touch_assigned(&self, id: &AgentId, at: Timestamp) -> PortResult<()>;
    /// Ends the agent's sessions: tokens issued at or before `at` are refused from now on
    /// (`tokens_valid_after`; only moves forward). NotFound for an unknown agent.
    async fn revoke_sessions(&self, id: &AgentId, at: Timestamp) -> PortResult<()>;
}

#[async_trait]
pub trait TimerStore: Send + Sync {
    /// Stores a timer; arming the same key again changes nothing.
    async fn arm(&self, timer: &Timer) -> PortResult<()>;
    /// Armed timers due at or before `until`, earliest first.
    async fn due(&self, until: Timestamp, limit: usize) -> PortResult<Vec<Timer>>;
    /// Conditional armed → settled. False when it was settled already (another ticker won).
    async fn settle(&self, key: &str) -> PortResult<bool>;
}

#[derive(Debug, Clone, Default)]
pub struct AlertQuery {
    pub level: Option<Level>,
    pub queue: Option<String>,
    pub since: Option<Timestamp>,
    pub limit: Option<usize>,
}

#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Conditional insert by `alert.id`: false when that alert exists. At most one per key, ever.
    async fn record(&self, alert: &Alert) -> PortResult<bool>;
    async fn get(&self, id: &str) -> PortResult<Option<Alert>>;
    async fn mark_delivered(&self, id: &str) -> PortResult<()>;
    /// Records who acknowledged the alert and when; an acknowledged alert keeps its first
    /// acknowledgement. None when there is no such alert.
    async fn acknowledge(&self, id: &str, by: &AgentId, at: Timestamp) -> PortResult<Option<Alert>>;
    /// Newest first.
    async fn list(&self, query: &AlertQuery) -> PortResult<Vec<Alert>>;
}

/// Where alerts go besides the log: SNS on AWS, outgoing webhooks, the console.
#[async_trait]
pub trait AlertSink: Send + Sync {
    async fn publish(&self, alert: &Alert) -> PortResult<()>;
}

/// Puts events on their stream (queue or topic).
#[async_trait]
pub trait Publisher: Send + Sync {
    async fn publish(&self, envelope: &Envelope) -> PortResult<()>;

    /// Publishes `envelopes` in order and answers one result per envelope, in the same order, so
    /// a caller can retry exactly the sources of the ones that failed. Within a FIFO stream's
    /// group, the envelopes after a failed one are not sent (and fail too): order per group holds.
    /// Adapters with a batch API send several envelopes per request (SQS: 10).
    async fn publish_all(&self, envelopes: &[Envelope]) -> Vec<PortResult<()>> {
        let mut failed_groups = std::collections::HashSet::new();
        let mut results = Vec::with_capacity(envelopes.len());
        for envelope in envelopes {
            let group = envelope
                .event
                .stream()
                .is_fifo()
                .then(|| (envelope.event.stream(), envelope.event.group()));
            if let Some(g) = &group
                && failed_groups.contains(g)
            {
                results.push(Err(unsent_after_failure()));
                continue;
            }
            let result = self.publish(envelope).await;
            if result.is_err()
                && let Some(g) = group
            {
                failed_groups.insert(g);
            }
            results.push(result);
        }
        results
    }
}

/// The error of an envelope held back because an earlier one of its FIFO group failed.
pub fn unsent_after_failure() -> crate::error::PortError {
    crate::error::PortError::Unavailable("not sent: an earlier message of its group failed".into())
}

/// A message taken from a queue, as the poller sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub message_id: String,
    pub receipt: String,
    pub body: String,
    pub group: Option<String>,
    pub receive_count: u32,
}

/// The consuming side of a queue: receive a batch, delete what succeeded.
#[async_trait]
pub trait QueueReceiver: Send + Sync {
    async fn receive(&self, max: usize, wait: Duration) -> PortResult<Vec<Received>>;
    async fn delete(&self, receipts: &[String]) -> PortResult<()>;
}

/// A message that can never succeed, kept with its reason instead of retried forever.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Parked {
    pub source: String,
    pub message_id: String,
    pub body: String,
    pub reason: String,
    pub at: Timestamp,
}

#[async_trait]
pub trait ParkingLot: Send + Sync {
    async fn park(&self, parked: &Parked) -> PortResult<()>;
    async fn list(&self, limit: usize) -> PortResult<Vec<Parked>>;
    /// Forgets a parked message (it was sent back to its queue); false when it was not there.
    async fn remove(&self, source: &str, message_id: &str) -> PortResult<bool>;
}

/// A message its queue gave up on: SQS moved it to the dead-letter queue after
/// `maxReceiveCount` receives (the function crashed or timed out on it each time).
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    pub message_id: String,
    pub body: String,
    pub receive_count: u32,
    /// When the message was first sent to its queue (SQS `SentTimestamp`).
    pub first_seen: Option<Timestamp>,
}

/// One stream's dead-letter queue: look without taking, send one back.
#[async_trait]
pub trait DeadLetterQueue: Send + Sync {
    /// Up to `limit` dead letters; they stay where they are.
    async fn peek(&self, limit: usize) -> PortResult<Vec<DeadLetter>>;
    /// Sends the dead letter back to the queue it came from (FIFO: its group) and deletes it
    /// from the dead-letter queue; false when it is not there.
    async fn redrive(&self, message_id: &str) -> PortResult<bool>;
}

/// A reply on its way out to a channel.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundReply {
    pub case_id: CaseId,
    pub post_id: PostId,
    pub channel: Channel,
    pub account: String,
    pub text: String,
    /// The platform id of the customer post this answers.
    pub in_reply_to: Option<String>,
    pub recipient: Author,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    /// Rate limited or the platform failed: try again, after `after` if it said so.
    #[error("retryable: {reason}")]
    Retry { reason: String, after: Option<Duration> },
    /// The platform throttled us: try again, after `after` if it said so (the channel's health
    /// counts it apart from other transient failures).
    #[error("rate limited: {reason}")]
    RateLimited { reason: String, after: Option<Duration> },
    /// The platform refused for good (deleted post, closed window...): park and show it.
    #[error("permanent: {0}")]
    Permanent(String),
    /// The account's token no longer works or lacks a permission (`kind` is
    /// [`FailureKind::Token`] or [`FailureKind::Permission`]): permanent for this request, and a
    /// channel health incident.
    #[error("access refused ({}): {reason}", kind.as_str())]
    Access { kind: FailureKind, reason: String },
}

impl SendError {
    /// How the channel's health counts this failure.
    pub fn kind(&self) -> FailureKind {
        match self {
            SendError::Retry { .. } | SendError::Permanent(_) => FailureKind::Other,
            SendError::RateLimited { .. } => FailureKind::RateLimited,
            SendError::Access { kind, .. } => *kind,
        }
    }

    /// The platform's reason, without the variant's prefix.
    pub fn reason(&self) -> &str {
        match self {
            SendError::Retry { reason, .. } | SendError::RateLimited { reason, .. } => reason,
            SendError::Permanent(reason) | SendError::Access { reason, .. } => reason,
        }
    }
}

/// Channel health records and their alerts (`channel.alert.v1`), beside the SLA alerts.
#[async_trait]
pub trait ChannelStore: Send + Sync {
    async fn channel(&self, platform: &str, account: &str) -> PortResult<Option<ChannelHealth>>;
    /// Every stored record (one per account: tens).
    async fn channels(&self) -> PortResult<Vec<ChannelHealth>>;
    /// Saves `health` (whose `version` is `expected + 1`) if the stored version is `expected`
    /// (0: no record yet); `Conflict` otherwise.
    async fn save_channel(&self, health: &ChannelHealth, expected: u64) -> PortResult<()>;
    /// Records the alert unless its id is there (true: recorded now). One per incident.
    async fn record_channel_alert(&self, alert: &ChannelAlert) -> PortResult<bool>;
    async fn channel_alert(&self, id: &str) -> PortResult<Option<ChannelAlert>>;
    async fn mark_channel_alert_delivered(&self, id: &str) -> PortResult<()>;
    /// The latest channel alerts, newest first.
    async fn channel_alerts(&self, limit: usize) -> PortResult<Vec<ChannelAlert>>;
}

/// Where `channel.alert.v1` goes: the SLA alerts' topic and webhooks.
#[async_trait]
pub trait ChannelAlertSink: Send + Sync {
    async fn publish_channel(&self, alert: &ChannelAlert) -> PortResult<()>;
}

/// What the platform says of a post that came as ids only (an Instagram mention).
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedPost {
    pub text: String,
    /// The author when the platform names them.
    pub author: Option<Author>,
    pub created_at: Option<Timestamp>,
}

/// Reads a post's text and author from its platform (Graph API for Instagram mentions).
#[async_trait]
pub trait PostFetcher: Send + Sync {
    /// After the fetcher's own bounded retries: the post, or why not.
    async fn fetch(&self, post: &Post) -> Result<FetchedPost, SendError>;
}

#[async_trait]
pub trait ReplySender: Send + Sync {
    /// Delivers the reply; returns the platform id of the sent message when the platform gives one.
    async fn send(&self, reply: &OutboundReply) -> Result<Option<String>, SendError>;
}

/// Language, sentiment, intent, spam, urgency and priority of a post. Pure and synchronous.
pub trait Classifier: Send + Sync {
    /// Classifies the post with what is known of its author and their case.
    fn classify_in(&self, post: &Post, context: &PostContext) -> Classification;

    /// Classifies the post knowing nothing beyond it.
    fn classify(&self, post: &Post) -> Classification {
        self.classify_in(post, &PostContext::default())
    }
}

/// A page of the triage list: open entries, newest received first, after `before` if given.
#[derive(Debug, Clone)]
pub struct TriageQuery {
    pub before: Option<crate::triage::TriageCursor>,
    pub limit: usize,
}

/// The triage list (see [`crate::triage`]). One entry per post, ever.
#[async_trait]
pub trait TriageStore: Send + Sync {
    /// Conditional insert keyed by the post: false when the post was listed before (open or
    /// decided), so a replay changes nothing and a decided entry never opens again.
    async fn list_for_triage(&self, entry: &crate::triage::TriageEntry) -> PortResult<bool>;
    async fn triage_entry(&self, post: &PostId) -> PortResult<Option<crate::triage::TriageEntry>>;
    /// Open entries in list order (received time, then post id, both descending), strictly
    /// after `query.before`, at most `query.limit`.
    async fn open_triage(&self, query: &TriageQuery) -> PortResult<Vec<crate::triage::TriageEntry>>;
    /// Records the decision if the entry is still open (conditional: the first decision wins).
    /// Answers the entry as stored afterwards (with whichever decision won); None when the post
    /// was never listed.
    async fn decide_triage(
        &self,
        post: &PostId,
        decided: &crate::triage::Decided,
    ) -> PortResult<Option<crate::triage::TriageEntry>>;
}

/// People's labels of posts (see [`crate::triage::Label`]): append-only.
#[async_trait]
pub trait LabelStore: Send + Sync {
    /// Appends a label; false when this very label (post, labeller, time) is stored already.
    async fn append_label(&self, label: &crate::triage::Label) -> PortResult<bool>;
    /// Labels given at or after `since` (all without it), oldest first (then post id and
    /// labeller), at most `limit`.
    async fn labels_since(&self, since: Option<Timestamp>, limit: usize) -> PortResult<Vec<crate::triage::Label>>;
}

/// The cases created in a range, read by their UTC day of creation: where a backend derives the
/// report rows at read time instead of keeping them (DynamoDB: an index by creation day that
/// each case enters once, when created, and never moves in).
#[async_trait]
pub trait CasesCreated: Send + Sync {
    /// The cases created in `[from, to)`, by creation time then case id (a case saved before
    /// the backend kept its creation day is missing until its next save).
    async fn cases_created(&self, from: Timestamp, to: Timestamp) -> PortResult<Vec<Case>>;
}

/// One report row per case ([`crate::reports::ReportRow`]), kept as the case changes and read by
/// the UTC day the case was created on: a report reads the days of its range, never every case.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Stores the row under its case's creation day, unless the row of a later version of the
    /// case is stored already (writers of one case may finish out of order). True when written.
    async fn put_report_row(&self, row: &crate::reports::ReportRow) -> PortResult<bool>;
    /// The rows of the cases created in `[from, to)`, by creation time then case id.
    /// Shared, not copied: a year's report reads 120,000 of them.
    async fn report_rows(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> PortResult<Vec<std::sync::Arc<crate::reports::ReportRow>>>;
}

/// The identity indexes an erasure takes a customer out of (see `services::erase`), besides
/// rewriting the customer itself. Each call is idempotent: asking again changes nothing.
#[async_trait]
pub trait IdentityIndex: Send + Sync {
    /// Deletes the author's link if it points at `customer` (a link to anyone else stays).
    /// True when a link was deleted.
    async fn unlink_author(&self, author: &AuthorId, customer: &CustomerId) -> PortResult<bool>;
    /// Takes `customer` (and the author and time of its link) out of the identifier's index
    /// entry; the entry goes when nobody holds the identifier any more. True when it was there.
    async fn unlink_identifier(&self, identifier: &Identifier, customer: &CustomerId) -> PortResult<bool>;
    /// Takes `customer` out of a display-name key; the key goes when nobody is left under it.
    /// True when it was there.
    async fn unindex_name(&self, key: &str, customer: &CustomerId) -> PortResult<bool>;
}

/// Another store that keeps references to posts and authors (trend alerts name example posts
/// and authors): an erasure asks each to forget the erased customer's.
#[async_trait]
pub trait Eraser: Send + Sync {
    /// What it cleans, for logs.
    fn name(&self) -> &'static str;
    /// Removes every reference to `authors` and `posts`; answers how many records changed.
    /// Idempotent.
    async fn erase(&self, authors: &[AuthorId], posts: &[PostId]) -> PortResult<u32>;
}
