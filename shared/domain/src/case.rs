//! Cases: a customer's request, its thread of posts, its status, its assignee and its clocks.

use crate::channel::{Channel, Language, Priority};
use crate::ids::{AgentId, CaseId, CustomerId, PostId, stable_hash};
use crate::post::{Intent, Sentiment};
use crate::sla::SlaClock;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// new → open → pending ↔ open → resolved → closed (a resolved case can be reopened).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseStatus {
    /// Opened, nobody has it yet.
    New,
    /// Someone has it, or had it and the customer wrote again.
    Open,
    /// Waiting on the customer.
    Pending,
    Resolved,
    Closed,
}

impl CaseStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [CaseStatus; 5] = [
        CaseStatus::New,
        CaseStatus::Open,
        CaseStatus::Pending,
        CaseStatus::Resolved,
        CaseStatus::Closed,
    ];

    /// Whether the case still takes a customer's posts and counts against an agent's load.
    pub fn is_active(self) -> bool {
        matches!(self, CaseStatus::New | CaseStatus::Open | CaseStatus::Pending)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::New => "new",
            CaseStatus::Open => "open",
            CaseStatus::Pending => "pending",
            CaseStatus::Resolved => "resolved",
            CaseStatus::Closed => "closed",
        }
    }
}

/// Who did something to a case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub enum Actor {
    System,
    Customer,
    Agent(AgentId),
    /// One of our platform accounts, writing outside the desk (in the platform's own app).
    Account(String),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CaseEventKind {
    Opened {
        post_id: PostId,
    },
    PostAdded {
        post_id: PostId,
    },
    Assigned {
        agent_id: AgentId,
    },
    Replied {
        post_id: PostId,
    },
    DeliveryFailed {
        post_id: PostId,
        reason: String,
    },
    /// The customer deleted every post they wrote on the case: it resolved itself.
    Withdrawn {
        post_id: PostId,
    },
    /// One of the customer's posts on the case was withdrawn and its text redacted: they
    /// deleted it (`deleted`), asked the platform to delete their data (`meta.data_deletion`),
    /// or their account went away (`x.user_delete`, `x.user_protect`, `x.user_suspend`).
    PostWithdrawn {
        post_id: PostId,
        reason: String,
    },
    /// A person asked to deliver a failed reply again.
    DeliveryRetried {
        post_id: PostId,
    },
    StatusChanged {
        from: CaseStatus,
        to: CaseStatus,
    },
    SlaAlert {
        target: String,
        level: String,
    },
    Unassigned {
        agent_id: AgentId,
        reason: String,
    },
    Escalated(crate::sla::EscalationEvent),
    /// A more urgent post of the customer joined: the case takes its priority (SLA targets follow).
    PriorityRaised {
        from: Priority,
        to: Priority,
        post_id: PostId,
    },
    /// Two customers were merged while each had an open case: the newer case `case_id` was
    /// folded into this one (its posts and history are here now).
    Folded {
        case_id: CaseId,
        merge_id: String,
    },
    /// This case was folded into `case_id` by a merge of customers (closed here, continued there).
    FoldedInto {
        case_id: CaseId,
        merge_id: String,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub at: Timestamp,
    pub actor: Actor,
    #[serde(flatten)]
    pub kind: CaseEventKind,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: CaseId,
    pub customer_id: CustomerId,
    pub status: CaseStatus,
    pub priority: Priority,
    pub language: Option<Language>,
    /// The channel and account of the post that opened the case: replies go back there.
    pub channel: Channel,
    pub account: String,
    pub queue: String,
    pub posts: Vec<PostId>,
    pub assignee: Option<AgentId>,
    /// Bumped on every write; writes are conditional on the version read.
    pub version: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default)]
    pub first_response_at: Option<Timestamp>,
    #[serde(default)]
    pub resolved_at: Option<Timestamp>,
    #[serde(default)]
    pub sla: Vec<SlaClock>,
    #[serde(default)]
    pub history: Vec<CaseEvent>,
    /// Requirements, declines and the explanation of recent routing decisions.
    #[serde(default, skip_serializing_if = "crate::routing::CaseRouting::is_empty")]
    pub routing: crate::routing::CaseRouting,
    /// What the customer's posts said, for reports (kept by thread as the posts join).
    #[serde(default, skip_serializing_if = "CaseFacts::is_empty")]
    pub facts: CaseFacts,
}

/// What classification said of the customer's posts on a case, kept on the case so reports
/// need no post reads: the opening post's intent, and the sentiment of the customer's first and
/// latest classified post (the sentiment change through the case).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<Intent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_sentiment: Option<Sentiment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sentiment: Option<Sentiment>,
}

impl CaseFacts {
    pub fn is_empty(&self) -> bool {
        self == &CaseFacts::default()
    }

    /// A classified customer post joined (in the order thread applies them, which is the order
    /// the customer wrote): the first one sets the intent and the first sentiment, every one
    /// the latest sentiment. False when nothing changed.
    pub fn note_customer_post(&mut self, intent: Intent, sentiment: Sentiment) -> bool {
        let before = self.clone();
        self.intent.get_or_insert(intent);
        self.first_sentiment.get_or_insert(sentiment);
        self.last_sentiment = Some(sentiment);
        *self != before
    }
}

/// Why a case change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseRuleError {
    #[error("the case is {0} and cannot take that action")]
    WrongStatus(&'static str),
    #[error("the case is assigned to someone else")]
    NotAssignee,
    #[error("the case is already assigned")]
    AlreadyAssigned,
}

impl Case {
    /// The most posts one case's thread holds (an absurdly long thread: a bot, a flood). Later
    /// posts of the customer are stored, not threaded, and logged: the case item stays well
    /// within DynamoDB's 400 KB.
    pub const MAX_POSTS: usize = 1_000;

    /// Whether the thread holds [`Case::MAX_POSTS`] posts already.
    pub fn is_full(&self) -> bool {
        self.posts.len() >= Self::MAX_POSTS
    }

    /// The id of the case opened by a post: derived from the post id, so a replay opens the same case.
    pub fn id_for_opening_post(post: &PostId) -> CaseId {
        CaseId::parse(format!("case-{}", stable_hash(&[post.as_str()])))
            .unwrap_or_else(|_| unreachable!("a hash-derived id is always valid"))
    }

    pub fn contains(&self, post: &PostId) -> bool {
        self.posts.contains(post)
    }

    fn record(&mut self, at: Timestamp, actor: Actor, kind: CaseEventKind) {
        self.history.push(CaseEvent { at, actor, kind });
        self.updated_at = at;
    }

    /// How many of the customer's posts the case holds, leaving `except` out (the post being
    /// classified, when it is a replay): the measure of repeated contact.
    pub fn customer_posts(&self, except: &PostId) -> usize {
        self.history
            .iter()
            .filter(|e| e.actor == Actor::Customer)
            .filter(|e| match &e.kind {
                CaseEventKind::Opened { post_id } | CaseEventKind::PostAdded { post_id } => post_id != except,
                _ => false,
            })
            .count()
    }

    /// A post of the customer that classification found more urgent than the case (a repeated
    /// contact, an outage, a legal threat) raises the case to its priority; never lowers it.
    /// False when the case is as urgent already.
    pub fn raise_priority(&mut self, to: Priority, post: &PostId, at: Timestamp) -> bool {
        if to >= self.priority {
            return false;
        }
        let from = std::mem::replace(&mut self.priority, to);
        self.record(
            at,
            Actor::Customer,
            CaseEventKind::PriorityRaised {
                from,
                to,
                post_id: post.clone(),
            },
        );
        true
    }

    /// A customer's post joins the case. A pending case (waiting on the customer) opens again.
    /// Returns false when the post is already in the case (a replay).
    pub fn add_customer_post(&mut self, post: &PostId, at: Timestamp) -> bool {
        if self.contains(post) {
            return false;
        }
        self.posts.push(post.clone());
        self.record(at, Actor::Customer, CaseEventKind::PostAdded { post_id: post.clone() });
        if self.status == CaseStatus::Pending {
            self.set_status(CaseStatus::Open, Actor::Customer, at);
        }
        true
    }

    /// The customer writes again soon after the case was resolved: the case opens again with
    /// the post, waiting for an agent (the previous assignee's slot was freed at the resolve;
    /// routing prefers them again by stickiness). False unless the case is resolved.
    pub fn reopen(&mut self, post: &PostId, at: Timestamp) -> bool {
        if self.status != CaseStatus::Resolved || self.contains(post) {
            return false;
        }
        self.posts.push(post.clone());
        self.record(at, Actor::Customer, CaseEventKind::PostAdded { post_id: post.clone() });
        self.set_status(CaseStatus::Open, Actor::Customer, at);
        self.resolved_at = None;
        self.assignee = None;
        true
    }

    /// A post that needs nothing (a thank-you) after the resolve: kept on the thread, the case
    /// stays resolved. False when it is there already.
    pub fn add_to_history(&mut self, post: &PostId, at: Timestamp) -> bool {
        if self.contains(post) {
            return false;
        }
        self.posts.push(post.clone());
        self.record(at, Actor::Customer, CaseEventKind::PostAdded { post_id: post.clone() });
        true
    }

    fn set_status(&mut self, to: CaseStatus, actor: Actor, at: Timestamp) {
        let from = self.status;
        if from != to {
            self.status = to;
            self.record(at, actor, CaseEventKind::StatusChanged { from, to });
        }
    }

    /// Assigns an unassigned active case.
    pub fn assign(&mut self, agent: &AgentId, at: Timestamp) -> Result<(), CaseRuleError> {
        if !self.status.is_active() {
            return Err(CaseRuleError::WrongStatus(self.status.as_str()));
        }
        if self.assignee.is_some() {
            return Err(CaseRuleError::AlreadyAssigned);
        }
        self.assignee = Some(agent.clone());
        self.record(
            at,
            Actor::System,
            CaseEventKind::Assigned {
                agent_id: agent.clone(),
            },
        );
        if self.status == CaseStatus::New {
            self.set_status(CaseStatus::Open, Actor::System, at);
        }
        Ok(())
    }

    /// The assignee's reply joins the thread; the first one meets the first-response target.
    pub fn add_agent_reply(&mut self, agent: &AgentId, post: &PostId, at: Timestamp) -> Result<bool, CaseRuleError> {
        if !self.status.is_active() {
            return Err(CaseRuleError::WrongStatus(self.status.as_str()));
        }
        if self.assignee.as_ref() != Some(agent) {
            return Err(CaseRuleError::NotAssignee);
        }
        if self.contains(post) {
            return Ok(false);
        }
        self.add_response(Actor::Agent(agent.clone()), post, at);
        Ok(true)
    }

    /// A message one of our accounts wrote on the platform itself (not through the desk) joins
    /// the thread as the brand's answer: the customer got a response, so it meets the
    /// first-response target like a desk reply. Returns false when it is there already.
    pub fn add_brand_message(&mut self, account: &str, post: &PostId, at: Timestamp) -> bool {
        if !self.status.is_active() || self.contains(post) {
            return false;
        }
        self.add_response(Actor::Account(account.to_string()), post, at);
        true
    }

    /// Our answer joins the thread and meets the running targets.
    fn add_response(&mut self, actor: Actor, post: &PostId, at: Timestamp) {
        self.posts.push(post.clone());
        self.record(at, actor, CaseEventKind::Replied { post_id: post.clone() });
        if self.first_response_at.is_none() {
            self.first_response_at = Some(at);
        }
        self.meet_clocks(crate::sla::Target::is_response, at);
    }

    /// The customer deleted every post they wrote on this case (`post` the last one): nothing is
    /// left to answer, so the case resolves itself as withdrawn; its clocks stop and its
    /// assignee is returned, whose load the caller releases in the same write. False when the
    /// case is not active.
    pub fn withdraw(&mut self, post: &PostId, at: Timestamp) -> bool {
        if !self.status.is_active() {
            return false;
        }
        self.resolved_at = Some(at);
        self.meet_clocks(|_| true, at);
        self.set_status(CaseStatus::Resolved, Actor::Customer, at);
        self.record(at, Actor::Customer, CaseEventKind::Withdrawn { post_id: post.clone() });
        true
    }

    /// Records that `post`, on this case, was withdrawn for `reason` (see
    /// [`CaseEventKind::PostWithdrawn`]). False when it is recorded already (a replay) or the
    /// post is not on the case.
    pub fn note_withdrawn_post(&mut self, post: &PostId, reason: &str, at: Timestamp) -> bool {
        if !self.contains(post)
            || self
                .history
                .iter()
                .any(|e| matches!(&e.kind, CaseEventKind::PostWithdrawn { post_id, .. } if post_id == post))
        {
            return false;
        }
        let kind = CaseEventKind::PostWithdrawn {
            post_id: post.clone(),
            reason: reason.to_string(),
        };
        self.record(at, Actor::Customer, kind);
        true
    }

    /// Whether the case resolved itself because the customer deleted what they wrote.
    pub fn is_withdrawn(&self) -> bool {
        self.history
            .iter()
            .any(|e| matches!(e.kind, CaseEventKind::Withdrawn { .. }))
    }

    /// The assignee resolves the case. The caller releases the agent's load in the same write.
    pub fn resolve(&mut self, agent: &AgentId, at: Timestamp) -> Result<(), CaseRuleError> {
        if !self.status.is_active() {
            return Err(CaseRuleError::WrongStatus(self.status.as_str()));
        }
        if self.assignee.as_ref() != Some(agent) {
            return Err(CaseRuleError::NotAssignee);
        }
        self.resolved_at = Some(at);
        self.meet_clocks(|t| t == crate::sla::Target::Resolution, at);
        self.set_status(CaseStatus::Resolved, Actor::Agent(agent.clone()), at);
        Ok(())
    }

    pub fn note_delivery_failure(&mut self, post: &PostId, reason: &str, at: Timestamp) {
        self.record(
            at,
            Actor::System,
            CaseEventKind::DeliveryFailed {
                post_id: post.clone(),
                reason: reason.to_string(),
            },
        );
    }

    pub fn note_delivery_retry(&mut self, post: &PostId, by: &AgentId, at: Timestamp) {
        self.record(
            at,
            Actor::Agent(by.clone()),
            CaseEventKind::DeliveryRetried { post_id: post.clone() },
        );
    }

    pub fn note_alert(&mut self, target: &str, level: &str, at: Timestamp) {
        self.record(
            at,
            Actor::System,
            CaseEventKind::SlaAlert {
                target: target.to_string(),
                level: level.to_string(),
            },
        );
    }

    /// Whether this case waits in its queue for an agent.
    pub fn is_waiting(&self) -> bool {
        self.status.is_active() && self.assignee.is_none()
    }

    /// The merge rule for two open cases of one person: `newer` is folded into this (older)
    /// case. Its posts and history join this case's thread in time order; the case takes the
    /// more urgent priority; for each SLA target the earlier running deadline of the two is kept
    /// (a target this case has met stays met); a pending case with the other's unanswered posts
    /// opens again. The assignee is left to the caller (it keeps this case's, or takes the
    /// other's). False when it was folded already (a retry).
    pub fn fold_in(&mut self, newer: &Case, merge_id: &str, actor: Actor, at: Timestamp) -> bool {
        let done = self
            .history
            .iter()
            .any(|e| matches!(&e.kind, CaseEventKind::Folded { merge_id: m, .. } if m == merge_id));
        if done {
            return false;
        }
        for post in &newer.posts {
            if !self.contains(post) {
                self.posts.push(post.clone());
            }
        }
        self.history.extend(newer.history.iter().cloned());
        // Stable: events at the same instant keep their order within each case.
        self.history.sort_by_key(|e| e.at);
        self.priority = self.priority.min(newer.priority);
        self.sla = crate::sla::keep_earliest(&self.sla, &newer.sla);
        if self.status == CaseStatus::Pending && matches!(newer.status, CaseStatus::New | CaseStatus::Open) {
            self.set_status(CaseStatus::Open, actor.clone(), at);
        }
        self.record(
            at,
            actor,
            CaseEventKind::Folded {
                case_id: newer.id.clone(),
                merge_id: merge_id.to_string(),
            },
        );
        true
    }

    /// The other side of [`Case::fold_in`]: this (newer) case closes, pointing at `into`; its
    /// assignee (whose load the caller releases in the same write) is returned.
    pub fn close_folded(&mut self, into: &CaseId, merge_id: &str, actor: Actor, at: Timestamp) -> Option<AgentId> {
        let released = self.assignee.take();
        self.set_status(CaseStatus::Closed, actor.clone(), at);
        self.record(
            at,
            actor,
            CaseEventKind::FoldedInto {
                case_id: into.clone(),
                merge_id: merge_id.to_string(),
            },
        );
        released
    }

    /// Undoes [`Case::fold_in`] on a case that changed after the merge (an unchanged one is
    /// restored whole from the merge record): the folded case's posts and history events leave
    /// this case, with the fold's own event; what happened since stays.
    pub fn unfold(&mut self, folded_before: &Case, merge_id: &str) {
        self.posts.retain(|p| !folded_before.posts.contains(p));
        let mut theirs: Vec<&CaseEvent> = folded_before.history.iter().collect();
        self.history.retain(|e| {
            if matches!(&e.kind, CaseEventKind::Folded { merge_id: m, .. } if m == merge_id) {
                return false;
            }
            match theirs.iter().position(|t| *t == e) {
                Some(i) => {
                    theirs.swap_remove(i);
                    false
                }
                None => true,
            }
        });
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::sla::{SlaClock, Target};

    fn id<T: TryFrom<String>>(s: &str) -> T {
        T::try_from(s.to_string()).unwrap_or_else(|_| unreachable!())
    }

    pub(crate) fn case() -> Case {
        Case {
            id: id("case-1"),
            customer_id: id("cus-1"),
            status: CaseStatus::New,
            priority: Priority::P3,
            language: None,
            channel: Channel::Generic,
            account: "forum".into(),
            queue: "default".into(),
            posts: vec![id("p1")],
            assignee: None,
            version: 1,
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
            first_response_at: None,
            resolved_at: None,
            sla: vec![SlaClock::new(
                Target::FirstResponse,
                Timestamp::UNIX_EPOCH,
                Timestamp::UNIX_EPOCH,
            )],
            history: vec![],
            routing: Default::default(),
            facts: Default::default(),
        }
    }

    #[test]
    fn a_more_urgent_post_raises_the_priority_and_nothing_lowers_it() {
        let t = Timestamp::UNIX_EPOCH;
        let mut c = case();
        c.history.push(CaseEvent {
            at: t,
            actor: Actor::Customer,
            kind: CaseEventKind::Opened { post_id: id("p1") },
        });
        assert!(!c.raise_priority(Priority::P4, &id("p2"), t), "never lowered");
        assert!(!c.raise_priority(Priority::P3, &id("p2"), t), "same priority: no event");
        assert!(c.add_customer_post(&id("p2"), t));
        assert!(c.raise_priority(Priority::P1, &id("p2"), t));
        assert_eq!(c.priority, Priority::P1);
        assert!(matches!(
            c.history.last().map(|e| &e.kind),
            Some(CaseEventKind::PriorityRaised {
                from: Priority::P3,
                to: Priority::P1,
                ..
            })
        ));
        // Repeated contact counts the customer's posts, not the one being classified (a replay).
        assert_eq!(c.customer_posts(&id("p9")), 2);
        assert_eq!(c.customer_posts(&id("p2")), 1);
    }

    #[test]
    fn lifecycle_table() {
        let ana: AgentId = id("ana");
        let bob: AgentId = id("bob");
        let t = Timestamp::UNIX_EPOCH;
        // (setup, action, expected status or error)
        let mut c = case();
        assert_eq!(c.add_agent_reply(&ana, &id("r1"), t), Err(CaseRuleError::NotAssignee));
        assert_eq!(c.resolve(&ana, t), Err(CaseRuleError::NotAssignee));
        c.assign(&ana, t).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.status, CaseStatus::Open);
        assert_eq!(c.assign(&bob, t), Err(CaseRuleError::AlreadyAssigned));
        assert_eq!(c.add_agent_reply(&bob, &id("r1"), t), Err(CaseRuleError::NotAssignee));
        assert_eq!(c.add_agent_reply(&ana, &id("r1"), t), Ok(true));
        assert_eq!(c.add_agent_reply(&ana, &id("r1"), t), Ok(false), "replay");
        assert!(c.sla.iter().all(|s| s.met_at.is_some()));
        c.status = CaseStatus::Pending;
        assert!(c.add_customer_post(&id("p2"), t));
        assert_eq!(c.status, CaseStatus::Open, "a customer's answer reopens a pending case");
        assert!(!c.add_customer_post(&id("p2"), t));
        c.resolve(&ana, t).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.status, CaseStatus::Resolved);
        assert_eq!(c.resolve(&ana, t), Err(CaseRuleError::WrongStatus("resolved")));
        assert!(!c.is_waiting());
    }

    #[test]
    fn case_id_is_stable_per_post() {
        let a = Case::id_for_opening_post(&id("generic:forum:1"));
        assert_eq!(a, Case::id_for_opening_post(&id("generic:forum:1")));
        assert_ne!(a, Case::id_for_opening_post(&id("generic:forum:2")));
    }
}
