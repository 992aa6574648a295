//! Triage and corrections (see [`crate::triage`]): the list of posts the classifier was unsure
//! about, turning one into a case (through [`ThreadService`], so it is threaded, then routed and
//! SLA-timed by `route` like any case) or dismissing it, and people's labels of posts.
//!
//! Who may: supervisors everything; agents who opted in (`Agent::triage`) the triage list and
//! its decisions; agents label the posts of the active cases they hold (and, opted in, triage
//! posts). Exports of labels are for supervisors.

use super::thread::{ThreadService, Threaded};
use crate::case::Case;
use crate::error::ServiceError;
use crate::events::PostChange;
use crate::ids::{CaseId, PostId};
use crate::ports::{AgentStore, CaseQuery, CaseStore, Clock, LabelStore, PostStore, TriageQuery, TriageStore};
use crate::post::Post;
use crate::services::desk::Principal;
use crate::triage::{Correction, Decided, Decision, Label, LabelFields, LabelOrigin, TriageCursor, TriageEntry};
use jiff::Timestamp;
use std::sync::Arc;

/// The most entries one page of the triage list holds.
pub const MAX_TRIAGE_PAGE: usize = 200;
/// The most labels one export reads; beyond it the caller narrows with `since`.
pub const MAX_EXPORT_LABELS: usize = 100_000;

/// A listed post with its entry.
#[derive(Debug, Clone)]
pub struct TriageItem {
    pub entry: TriageEntry,
    pub post: Post,
}

/// One page of the triage list and where the next starts (None: this is the last).
#[derive(Debug, Clone)]
pub struct TriagePage {
    pub items: Vec<TriageItem>,
    pub next: Option<TriageCursor>,
}

/// What turning a post into a case did.
#[derive(Debug, Clone)]
pub struct Promoted {
    pub case: Case,
    pub entry: TriageEntry,
    /// False when an earlier call had done it (the same case is answered).
    pub now: bool,
}

pub struct TriageService {
    triage: Arc<dyn TriageStore>,
    labels: Arc<dyn LabelStore>,
    posts: Arc<dyn PostStore>,
    cases: Arc<dyn CaseStore>,
    agents: Arc<dyn AgentStore>,
    thread: Arc<ThreadService>,
    clock: Arc<dyn Clock>,
}

impl TriageService {
    pub fn new(
        triage: Arc<dyn TriageStore>,
        labels: Arc<dyn LabelStore>,
        posts: Arc<dyn PostStore>,
        cases: Arc<dyn CaseStore>,
        agents: Arc<dyn AgentStore>,
        thread: Arc<ThreadService>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            triage,
            labels,
            posts,
            cases,
            agents,
            thread,
            clock,
        }
    }

    /// Supervisors, and agents who opted in.
    async fn may_triage(&self, who: &Principal) -> Result<bool, ServiceError> {
        if who.is_supervisor() {
            return Ok(true);
        }
        Ok(self.agents.get(&who.agent_id).await?.is_some_and(|a| a.triage))
    }

    async fn require_triage(&self, who: &Principal) -> Result<(), ServiceError> {
        if self.may_triage(who).await? {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(
                "triage is for supervisors and agents who opted in (`triage: true` on the agent)".into(),
            ))
        }
    }

    /// The open entries, newest first, `limit` (1..=[`MAX_TRIAGE_PAGE`]) at a time.
    pub async fn list(
        &self,
        who: &Principal,
        before: Option<TriageCursor>,
        limit: usize,
    ) -> Result<TriagePage, ServiceError> {
        self.require_triage(who).await?;
        let limit = limit.clamp(1, MAX_TRIAGE_PAGE);
        let mut entries = self
            .triage
            .open_triage(&TriageQuery {
                before,
                limit: limit + 1,
            })
            .await?;
        let next = (entries.len() > limit).then(|| {
            entries.truncate(limit);
            entries.last().map(TriageEntry::cursor)
        });
        let ids: Vec<PostId> = entries.iter().map(|e| e.post_id.clone()).collect();
        let mut posts: std::collections::HashMap<PostId, Post> = self
            .posts
            .get_many(&ids)
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        let items = entries
            .into_iter()
            .filter_map(|entry| match posts.remove(&entry.post_id) {
                Some(post) => Some(TriageItem { entry, post }),
                None => {
                    tracing::warn!(post_id = %entry.post_id, "a triage entry names a post that is not stored");
                    None
                }
            })
            .collect();
        Ok(TriagePage {
            items,
            next: next.flatten(),
        })
    }

    async fn listed(&self, post_id: &PostId) -> Result<TriageEntry, ServiceError> {
        self.triage
            .triage_entry(post_id)
            .await?
            .ok_or_else(|| not_listed(post_id))
    }

    async fn case(&self, id: &CaseId) -> Result<Case, ServiceError> {
        self.cases
            .get(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("case {id}")))
    }

    /// Turns a listed post into a case: the post is marked actionable (reason "triaged by
    /// <who>") and threaded as if the classifier had said so: it joins the customer's active
    /// case, reopens a resolved one, or opens a new one, which `route` then routes and times.
    /// Labels the post actionable. A second call answers the same case.
    pub async fn to_case(&self, who: &Principal, post_id: &PostId) -> Result<Promoted, ServiceError> {
        self.require_triage(who).await?;
        let entry = self.listed(post_id).await?;
        if let Some(done) = &entry.decided {
            return match &done.decision {
                Decision::Case { case_id } => Ok(Promoted {
                    case: self.case(case_id).await?,
                    entry,
                    now: false,
                }),
                Decision::Dismissed => Err(dismissed(post_id, done)),
            };
        }
        let mut post = self
            .posts
            .get(post_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("post {post_id}")))?;
        let reason = format!("triaged by {}", who.agent_id);
        if let Some(c) = post.classification.as_mut() {
            c.actionable = true;
            if !c.reasons.contains(&reason) {
                c.reasons.push(reason);
            }
        }
        // Stored first: thread keeps an existing post as it is, and the case shows the stored one.
        self.posts.put(&post).await?;
        let case_id = match self.thread.apply(PostChange::Created { post: Box::new(post) }).await? {
            Threaded::Opened(id)
            | Threaded::Joined(id)
            | Threaded::Reopened(id)
            | Threaded::AddedToResolved(id)
            | Threaded::CaseFull(id) => id,
            other => {
                return Err(ServiceError::Conflict(format!(
                    "post {post_id} could not be threaded into a case ({other:?})"
                )));
            }
        };
        let decision = Decision::Case {
            case_id: case_id.clone(),
        };
        let (entry, decided) = self.settle(who, post_id, decision).await?;
        if entry.decided.as_ref().is_some_and(|d| d != &decided) {
            tracing::warn!(%post_id, %case_id, "triage: another decision won the race; the case stands");
        }
        tracing::info!(%post_id, %case_id, agent_id = %who.agent_id, "triage post turned into a case");
        Ok(Promoted {
            case: self.case(&case_id).await?,
            entry,
            now: true,
        })
    }

    /// Confirms a listed post needs nothing (labels it not actionable). Dismissing it again
    /// answers the first dismissal; a post turned into a case cannot be dismissed (409).
    pub async fn dismiss(&self, who: &Principal, post_id: &PostId) -> Result<TriageEntry, ServiceError> {
        self.require_triage(who).await?;
        let entry = self.listed(post_id).await?;
        match &entry.decided {
            Some(Decided {
                decision: Decision::Dismissed,
                ..
            }) => return Ok(entry),
            Some(Decided {
                decision: Decision::Case { case_id },
                by,
                ..
            }) => {
                return Err(ServiceError::Conflict(format!(
                    "post {post_id} was turned into case {case_id} by {by}"
                )));
            }
            None => {}
        }
        let (entry, _) = self.settle(who, post_id, Decision::Dismissed).await?;
        tracing::info!(%post_id, agent_id = %who.agent_id, "triage post dismissed");
        Ok(entry)
    }

    /// Labels the post as the decision says (a case: actionable; dismissed: not), then records
    /// the decision. The label first: a retry after a crash in between labels again (the latest
    /// label wins, same content), never not at all. Answers the entry as stored (whichever
    /// decision won) and the decision this call made.
    async fn settle(
        &self,
        who: &Principal,
        post_id: &PostId,
        decision: Decision,
    ) -> Result<(TriageEntry, Decided), ServiceError> {
        let (actionable, origin) = match decision {
            Decision::Case { .. } => (true, LabelOrigin::TriageCase),
            Decision::Dismissed => (false, LabelOrigin::TriageDismissed),
        };
        let at = self.clock.now();
        let label = Label {
            post_id: post_id.clone(),
            fields: LabelFields {
                actionable: Some(actionable),
                ..LabelFields::default()
            },
            by: who.agent_id.clone(),
            at,
            origin,
        };
        self.labels.append_label(&label).await?;
        let decided = Decided {
            decision,
            by: who.agent_id.clone(),
            at,
        };
        let entry = self
            .triage
            .decide_triage(post_id, &decided)
            .await?
            .ok_or_else(|| not_listed(post_id))?;
        Ok((entry, decided))
    }

    /// Records a person's labels of a post. Supervisors any post; agents the posts of the active
    /// cases they hold, and (opted in) posts on the triage list.
    pub async fn label(&self, who: &Principal, post_id: &PostId, fields: LabelFields) -> Result<Label, ServiceError> {
        if fields.is_empty() {
            return Err(ServiceError::Invalid(
                "label at least one of actionable, spam, sentiment, language, urgent".into(),
            ));
        }
        if self.posts.get(post_id).await?.is_none() {
            return Err(ServiceError::NotFound(format!("post {post_id}")));
        }
        if !self.may_label(who, post_id).await? {
            return Err(ServiceError::Forbidden(format!("post {post_id} is not yours to label")));
        }
        let label = Label {
            post_id: post_id.clone(),
            fields,
            by: who.agent_id.clone(),
            at: self.clock.now(),
            origin: LabelOrigin::Api,
        };
        self.labels.append_label(&label).await?;
        tracing::info!(%post_id, agent_id = %who.agent_id, "post labelled");
        Ok(label)
    }

    async fn may_label(&self, who: &Principal, post_id: &PostId) -> Result<bool, ServiceError> {
        if who.is_supervisor() {
            return Ok(true);
        }
        // An agent holds a handful of cases: one indexed list answers.
        let held = self
            .cases
            .list(&CaseQuery {
                assignee: Some(who.agent_id.clone()),
                ..CaseQuery::default()
            })
            .await?;
        if held
            .iter()
            .any(|c| c.status.is_active() && c.assignee.as_ref() == Some(&who.agent_id) && c.contains(post_id))
        {
            return Ok(true);
        }
        Ok(self.may_triage(who).await? && self.triage.triage_entry(post_id).await?.is_some())
    }

    /// The labels given since `since` (all without it), folded into one eval-set line per post
    /// (see [`crate::triage::corrections`]). Supervisors.
    pub async fn corrections(
        &self,
        who: &Principal,
        since: Option<Timestamp>,
    ) -> Result<Vec<Correction>, ServiceError> {
        if !who.is_supervisor() {
            return Err(ServiceError::Forbidden("label exports are for supervisors".into()));
        }
        export(self.labels.as_ref(), self.posts.as_ref(), since).await
    }
}

/// The corrections export from the stores themselves (the API's and `care labels export`'s).
pub async fn export(
    labels: &dyn LabelStore,
    posts: &dyn PostStore,
    since: Option<Timestamp>,
) -> Result<Vec<Correction>, ServiceError> {
    let labels = labels.labels_since(since, MAX_EXPORT_LABELS + 1).await?;
    if labels.len() > MAX_EXPORT_LABELS {
        return Err(ServiceError::Invalid(format!(
            "more than {MAX_EXPORT_LABELS} labels: export a later part with `since`"
        )));
    }
    let mut ids: Vec<PostId> = labels.iter().map(|l| l.post_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let posts = posts.get_many(&ids).await?;
    Ok(crate::triage::corrections(&labels, &posts))
}

fn not_listed(post_id: &PostId) -> ServiceError {
    ServiceError::NotFound(format!("post {post_id} is not on the triage list"))
}

fn dismissed(post_id: &PostId, done: &Decided) -> ServiceError {
    ServiceError::Conflict(format!("post {post_id} was dismissed by {} at {}", done.by, done.at))
}
