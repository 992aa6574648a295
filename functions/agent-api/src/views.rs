//! The API's JSON shapes: stable, documented in `openapi.json`, separate from storage.

use jiff::Timestamp;
use serde::Serialize;
use socialcare_domain::services::desk;
use socialcare_domain::{
    AgentId, Author, CaseEvent, Channel, Classification, Delivery, Direction, Language, Post, Priority, SlaClock,
};
use socialcare_domain::{Case, CaseStatus, CustomerId};

#[derive(Serialize)]
pub struct SlaView {
    pub target: String,
    pub cycle: u32,
    pub policy: Option<String>,
    pub started_at: Timestamp,
    pub due_at: Timestamp,
    pub state: socialcare_domain::sla::ClockState,
    pub met_at: Option<Timestamp>,
    pub warned_at: Option<Timestamp>,
    pub breached_at: Option<Timestamp>,
    /// Milliseconds until the deadline (negative when overdue); while paused, the business time
    /// left when the clock stopped; null once met.
    pub remaining_ms: Option<i64>,
    pub escalated: u8,
    pub pauses: Vec<socialcare_domain::sla::Pause>,
}

impl SlaView {
    fn new(c: &SlaClock, now: Timestamp) -> Self {
        Self {
            target: c.target.to_string(),
            cycle: c.cycle,
            policy: c.policy.clone(),
            started_at: c.started_at,
            due_at: c.due_at,
            state: c.state(),
            met_at: c.met_at,
            warned_at: c.warned_at,
            breached_at: c.breached_at,
            remaining_ms: c.remaining_ms(now),
            escalated: c.escalated,
            pauses: c.pauses.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct PostView {
    pub id: String,
    pub channel: Channel,
    pub account: String,
    pub direction: Direction,
    pub text: String,
    pub author: Author,
    pub created_at: Timestamp,
    pub parent_id: Option<String>,
    pub private: bool,
    pub edited: bool,
    pub deleted: bool,
    pub classification: Option<Classification>,
    pub delivery: Option<Delivery>,
    /// Images, videos, files the post carried: kind, URL, and when the URL expires.
    pub attachments: Vec<socialcare_domain::Attachment>,
}

impl From<&Post> for PostView {
    fn from(p: &Post) -> Self {
        Self {
            id: p.id.to_string(),
            channel: p.channel,
            account: p.account.clone(),
            direction: p.direction,
            text: p.text.clone(),
            author: p.author.clone(),
            created_at: p.created_at,
            parent_id: p.parent_id.clone(),
            private: p.private,
            edited: !p.edits.is_empty(),
            deleted: p.deleted,
            classification: p.classification.clone(),
            delivery: p.delivery.clone(),
            attachments: p.attachments.clone(),
        }
    }
}

/// A case in a list: everything but the posts' texts.
#[derive(Serialize)]
pub struct CaseSummary {
    pub id: String,
    pub status: CaseStatus,
    pub priority: Priority,
    pub language: Option<Language>,
    pub channel: Channel,
    pub queue: String,
    pub customer_id: CustomerId,
    pub assignee: Option<AgentId>,
    pub post_ids: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub first_response_at: Option<Timestamp>,
    pub sla: Vec<SlaView>,
    /// The nearest deadline of a clock still counting: its target and the seconds left
    /// (negative when overdue); null when no clock counts (met, paused, or none yet: a case
    /// gets its clocks when it is routed).
    pub sla_next: Option<SlaNext>,
    /// The start of the customer's latest post (at most [`SNIPPET_CHARS`] characters).
    pub snippet: Option<String>,
    /// The handle that post came from.
    pub customer_handle: Option<String>,
    pub version: u64,
}

/// How much of a post a case list shows.
pub const SNIPPET_CHARS: usize = 120;

#[derive(Serialize)]
pub struct SlaNext {
    pub target: String,
    pub due_at: Timestamp,
    pub left_secs: i64,
}

impl CaseSummary {
    /// Fills the snippet and handle from the customer's latest post.
    pub fn with_latest(mut self, post: Option<&Post>) -> Self {
        if let Some(p) = post {
            let mut snippet: String = p.text.chars().take(SNIPPET_CHARS).collect();
            if p.text.chars().count() > SNIPPET_CHARS {
                snippet.push('…');
            }
            self.snippet = Some(snippet);
            self.customer_handle = Some(p.author.handle.clone());
        }
        self
    }

    pub fn new(c: &Case, now: Timestamp) -> Self {
        let sla_next = c
            .sla
            .iter()
            .filter(|clock| clock.is_running())
            .min_by_key(|clock| clock.due_at)
            .map(|clock| SlaNext {
                target: clock.target.to_string(),
                due_at: clock.due_at,
                left_secs: clock.due_at.duration_since(now).as_secs(),
            });
        Self {
            sla_next,
            snippet: None,
            customer_handle: None,
            id: c.id.to_string(),
            status: c.status,
            priority: c.priority,
            language: c.language.clone(),
            channel: c.channel,
            queue: c.queue.clone(),
            customer_id: c.customer_id.clone(),
            assignee: c.assignee.clone(),
            post_ids: c.posts.iter().map(ToString::to_string).collect(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            first_response_at: c.first_response_at,
            sla: c.sla.iter().map(|s| SlaView::new(s, now)).collect(),
            version: c.version,
        }
    }
}

#[derive(Serialize)]
pub struct CustomerView {
    pub id: CustomerId,
    pub display_name: String,
    pub identities: Vec<socialcare_domain::Identity>,
    /// The emails, phone numbers, order and serial numbers the customer has written.
    pub identifiers: Vec<socialcare_domain::Identifier>,
    /// Set when the customer's personal data was erased (or is being erased): the audit record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub erasure: Option<socialcare_domain::customer::Erasure>,
}

impl From<socialcare_domain::Customer> for CustomerView {
    fn from(c: socialcare_domain::Customer) -> Self {
        Self {
            id: c.id,
            display_name: c.display_name,
            identities: c.identities,
            identifiers: c.identifiers,
            erasure: c.erasure,
        }
    }
}

/// A merge of customers as the API shows it: the audit record without the saved state.
#[derive(Serialize)]
pub struct MergeView {
    pub id: String,
    pub source: CustomerId,
    pub target: CustomerId,
    pub actor: socialcare_domain::AgentId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub at: Timestamp,
    pub state: socialcare_domain::customer::MergeState,
    /// When both had an open case: the newer one (`folded`) went into the older one (`kept`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fold: Option<socialcare_domain::customer::merge::Fold>,
    /// The source's cases that moved to the target.
    pub moved_cases: Vec<socialcare_domain::CaseId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undone_by: Option<socialcare_domain::AgentId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undone_at: Option<Timestamp>,
}

impl From<&socialcare_domain::customer::MergeRecord> for MergeView {
    fn from(m: &socialcare_domain::customer::MergeRecord) -> Self {
        Self {
            id: m.id.clone(),
            source: m.source.clone(),
            target: m.target.clone(),
            actor: m.actor.clone(),
            reason: m.reason.clone(),
            at: m.at,
            state: m.state,
            fold: m.fold.clone(),
            moved_cases: m
                .cases_before
                .iter()
                .filter(|c| c.customer_id == m.source)
                .map(|c| c.id.clone())
                .collect(),
            undone_by: m.undone_by.clone(),
            undone_at: m.undone_at,
        }
    }
}

/// A case as an agent reads it: the thread of posts, the customer, the history.
#[derive(Serialize)]
pub struct CaseView {
    #[serde(flatten)]
    pub summary: CaseSummary,
    pub posts: Vec<PostView>,
    pub customer: Option<CustomerView>,
    pub history: Vec<CaseEvent>,
    /// The customer's other cases, in brief, newest first.
    pub previous_cases: Vec<CaseSummary>,
    /// Customers who may be the same person, for the agent to confirm with a merge.
    pub suggestions: Vec<socialcare_domain::services::suggest::Suggestion>,
}

impl CaseView {
    pub fn new(view: desk::CaseView, now: Timestamp) -> Self {
        Self {
            summary: CaseSummary::new(&view.case, now).with_latest(
                view.posts
                    .iter()
                    .rev()
                    .find(|p| p.direction == socialcare_domain::Direction::Inbound && !p.deleted),
            ),
            posts: view.posts.iter().map(PostView::from).collect(),
            customer: view.customer.map(CustomerView::from),
            history: view.case.history,
            previous_cases: view.previous.iter().map(|c| CaseSummary::new(c, now)).collect(),
            suggestions: view.suggestions,
        }
    }
}

/// `GET /v1/customers/{id}`: identities, every case, every post across channels, sentiment over time.
#[derive(Serialize)]
pub struct CustomerHistoryView {
    #[serde(flatten)]
    pub customer: CustomerView,
    pub cases: Vec<CaseSummary>,
    pub posts: Vec<PostView>,
    /// (when, score) for each classified customer post, oldest first.
    pub sentiment: Vec<(Timestamp, f32)>,
    /// Merges this customer took part in, oldest first, split ones included.
    pub merges: Vec<MergeView>,
    /// The id asked for, when that customer was merged into this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<CustomerId>,
    /// Older posts left out (the history shows the newest 500).
    pub posts_omitted: usize,
}

impl CustomerHistoryView {
    pub fn new(h: desk::CustomerHistory, now: Timestamp) -> Self {
        Self {
            merges: h.merges.iter().map(MergeView::from).collect(),
            merged_from: h.merged_from,
            posts_omitted: h.posts_omitted,
            customer: CustomerView::from(h.customer),
            cases: h.cases.iter().map(|c| CaseSummary::new(c, now)).collect(),
            sentiment: h
                .posts
                .iter()
                .filter(|p| p.direction == Direction::Inbound)
                .filter_map(|p| p.classification.as_ref().map(|c| (p.created_at, c.sentiment_score)))
                .collect(),
            posts: h.posts.iter().map(PostView::from).collect(),
        }
    }
}
