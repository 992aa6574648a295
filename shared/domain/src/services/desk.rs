//! The agents' desk: what the agent API does, with authorization per object.

use super::MAX_CONFLICT_RETRIES;
use super::route::RouteService;
use crate::agent::{Agent, Role};
use crate::case::{Case, CaseRuleError};
use crate::customer::Customer;
use crate::error::{PortError, ServiceError};
use crate::events::{Envelope, Event, ReplyRequested};
use crate::ids::{AgentId, AuthorId, CaseId, PostId, stable_hash};
use crate::ports::{
    AgentStore, AlertQuery, AlertStore, CaseCursor, CaseQuery, CaseStore, Clock, CustomerStore, LoadChange, PostStore,
    Publisher,
};
use crate::post::{Author, Delivery, Direction, Post};
use crate::sla::Alert;
use std::sync::Arc;

mod identity;
mod lists;
mod replies;
mod routing;

pub use identity::MAX_REASON_CHARS;

/// Cases one list request reads from the store at most (see [`Desk::list_cases`]).
pub const MAX_LIST_READ: usize = 1000;

/// A page of cases and where the next one starts (None: the list ends here).
#[derive(Debug, Clone)]
pub struct CasePage {
    pub cases: Vec<Case>,
    pub next: Option<CaseCursor>,
}

/// Who is calling, as the token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub agent_id: AgentId,
    pub role: Role,
}

impl Principal {
    pub fn is_supervisor(&self) -> bool {
        self.role == Role::Supervisor
    }
}

/// A case with its thread and customer, as an agent reads it.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub case: Case,
    pub posts: Vec<Post>,
    pub customer: Option<Customer>,
    /// The customer's other cases, newest first.
    pub previous: Vec<Case>,
    /// Customers who may be the same person (similar name, an identifier with a typo): for the
    /// agent to confirm with a merge, never merged automatically.
    pub suggestions: Vec<super::suggest::Suggestion>,
}

/// A customer's whole story: identities, every case, every post across channels.
#[derive(Debug, Clone)]
pub struct CustomerHistory {
    pub customer: Customer,
    pub cases: Vec<Case>,
    pub posts: Vec<Post>,
    /// The merges the customer took part in, oldest first (split ones included): the audit trail.
    pub merges: Vec<crate::customer::MergeRecord>,
    /// The customer asked for, when it was merged into `customer` (its id still leads here).
    pub merged_from: Option<crate::ids::CustomerId>,
    /// Older posts left out: the history holds the newest [`MAX_HISTORY_POSTS`].
    pub posts_omitted: usize,
}

/// The most posts a customer's history reads and shows (the newest; a bot or a flood has
/// thousands, and every one is a read).
pub const MAX_HISTORY_POSTS: usize = 500;
/// The most cases a customer's history lists (the newest).
pub const MAX_HISTORY_CASES: usize = 200;

/// One queue as a supervisor sees it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QueueView {
    pub queue: String,
    pub waiting: usize,
    /// Seconds the oldest waiting case has waited.
    pub oldest_wait_secs: i64,
    /// Waiting cases per priority, P1 first.
    pub by_priority: std::collections::BTreeMap<crate::channel::Priority, usize>,
}

/// The longest reply accepted (X allows far less; generic sources and Messenger more).
pub const MAX_REPLY_CHARS: usize = 10_000;

pub struct Desk {
    cases: Arc<dyn CaseStore>,
    posts: Arc<dyn PostStore>,
    customers: Arc<dyn CustomerStore>,
    agents: Arc<dyn AgentStore>,
    alerts: Arc<dyn AlertStore>,
    publisher: Arc<dyn Publisher>,
    router: Arc<RouteService>,
    clock: Arc<dyn Clock>,
}

fn rule_error(e: CaseRuleError) -> ServiceError {
    match e {
        CaseRuleError::NotAssignee => ServiceError::Forbidden(e.to_string()),
        CaseRuleError::WrongStatus(_) | CaseRuleError::AlreadyAssigned => ServiceError::Conflict(e.to_string()),
    }
}

/// The most cases one agent may hold at once (a guard against a typo in the API).
pub const MAX_AGENT_CAPACITY: u32 = 1_000;

impl Desk {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cases: Arc<dyn CaseStore>,
        posts: Arc<dyn PostStore>,
        customers: Arc<dyn CustomerStore>,
        agents: Arc<dyn AgentStore>,
        alerts: Arc<dyn AlertStore>,
        publisher: Arc<dyn Publisher>,
        router: Arc<RouteService>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            cases,
            posts,
            customers,
            agents,
            alerts,
            publisher,
            router,
            clock,
        }
    }

    /// Who a verified token's caller is to the deployment: the subject must be a stored agent,
    /// the role is the lesser of the token's and the stored one (a demoted supervisor's old token
    /// is an agent's; a forged role claim gains nothing), and a token issued at or before the
    /// agent's sessions were ended is refused. `Ok(Err(reason))`: answer 401 with the reason.
    pub async fn authenticate(
        &self,
        claimed: &Principal,
        issued_at: jiff::Timestamp,
    ) -> Result<Result<Principal, &'static str>, ServiceError> {
        let Some(agent) = self.agents.get(&claimed.agent_id).await? else {
            return Ok(Err("the token names no agent of this deployment"));
        };
        if agent.tokens_valid_after.is_some_and(|after| issued_at <= after) {
            return Ok(Err("the agent's sessions were ended after this token was issued"));
        }
        let role = if claimed.role == Role::Supervisor && agent.role == Role::Supervisor {
            Role::Supervisor
        } else {
            Role::Agent
        };
        Ok(Ok(Principal {
            agent_id: agent.id,
            role,
        }))
    }

    /// Ends `agent`'s sessions now (supervisors): every token issued until now is refused.
    pub async fn revoke_sessions(&self, who: &Principal, agent: &AgentId) -> Result<Agent, ServiceError> {
        if !who.is_supervisor() {
            return Err(ServiceError::Forbidden("ending sessions is for supervisors".into()));
        }
        let now = self.clock.now();
        match self.agents.revoke_sessions(agent, now).await {
            Err(PortError::NotFound(_)) => return Err(ServiceError::NotFound(format!("agent {agent}"))),
            other => other?,
        }
        tracing::info!(agent_id = %agent, by = %who.agent_id, "agent's sessions ended");
        self.agents
            .get(agent)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("agent {agent}")))
    }

    async fn agent(&self, who: &Principal) -> Result<Agent, ServiceError> {
        self.agents
            .get(&who.agent_id)
            .await?
            .ok_or_else(|| ServiceError::Forbidden(format!("{} is not a known agent", who.agent_id)))
    }

    /// Whether `who` may read `case`: supervisors all; agents their own cases and the waiting
    /// cases they could take.
    /// The case an action is about: 404 when it does not exist, 403 when it is there but not the
    /// caller's to act on (another agent's case, or a waiting case they may not take).
    pub(crate) fn acted_on(
        who: &Principal,
        agent: Option<&Agent>,
        case: Option<Case>,
        id: &CaseId,
    ) -> Result<Case, ServiceError> {
        match case {
            None => Err(ServiceError::NotFound(format!("case {id}"))),
            Some(c) if Self::may_read(who, agent, &c) => Ok(c),
            Some(_) => Err(ServiceError::Forbidden(format!("case {id} is not yours to act on"))),
        }
    }

    fn may_read(who: &Principal, agent: Option<&Agent>, case: &Case) -> bool {
        who.is_supervisor()
            || case.assignee.as_ref() == Some(&who.agent_id)
            || (case.is_waiting() && agent.is_some_and(|a| a.speaks(case.language.as_ref())))
    }

    /// A page of the cases the caller may read. The queue (`waiting`) comes in claim order
    /// (priority, then the longest wait) from at most [`MAX_LIST_READ`] waiting cases; every
    /// other list newest case first, `query.limit` at a time, from `query.after` on, with where
    /// the next page starts. The store stops at the page's size (on DynamoDB an index query of
    /// O(limit) keys); when the caller's visibility drops cases, further store pages are read, at
    /// most [`MAX_LIST_READ`] cases in all, and the page ends where reading stopped.
    pub async fn list_cases(&self, who: &Principal, mut query: CaseQuery) -> Result<CasePage, ServiceError> {
        let agent = self.agents.get(&who.agent_id).await?;
        if !who.is_supervisor() && query.assignee.as_ref().is_some_and(|a| a != &who.agent_id) {
            return Err(ServiceError::Forbidden("agents list only their own cases".into()));
        }
        let limit = query.limit.take().unwrap_or(usize::MAX);
        if query.waiting {
            query.newest_first = false;
            query.after = None;
            query.limit = Some(MAX_LIST_READ);
            let mut cases = self.cases.list(&query).await?;
            cases.retain(|c| Self::may_read(who, agent.as_ref(), c));
            cases.sort_by_key(|c| (c.priority, c.created_at));
            cases.truncate(limit);
            return Ok(CasePage { cases, next: None });
        }
        query.newest_first = true;
        let page = limit.clamp(1, MAX_LIST_READ);
        query.limit = Some(page);
        let mut cases = Vec::new();
        let mut read = 0;
        loop {
            let batch = self.cases.list(&query).await?;
            read += batch.len();
            let more = batch.len() == page;
            let last = batch.last().map(CaseCursor::of);
            let n = batch.len();
            for (i, case) in batch.into_iter().enumerate() {
                if !Self::may_read(who, agent.as_ref(), &case) {
                    continue;
                }
                cases.push(case);
                if cases.len() == limit {
                    let rest = more || i + 1 < n;
                    let next = rest.then(|| cases.last().map(CaseCursor::of)).flatten();
                    return Ok(CasePage { cases, next });
                }
            }
            if !more {
                return Ok(CasePage { cases, next: None });
            }
            if read >= MAX_LIST_READ {
                return Ok(CasePage { cases, next: last });
            }
            query.after = last;
        }
    }

    /// The version of a case the caller may act on (a reply's `If-Match`): one read of the case.
    pub async fn case_version(&self, who: &Principal, id: &CaseId) -> Result<u64, ServiceError> {
        let agent = self.agents.get(&who.agent_id).await?;
        Ok(Self::acted_on(who, agent.as_ref(), self.cases.get(id).await?, id)?.version)
    }

    /// A case another agent has answers 404, like one that does not exist: no probing.
    pub async fn get_case(&self, who: &Principal, id: &CaseId) -> Result<CaseView, ServiceError> {
        let agent = self.agents.get(&who.agent_id).await?;
        let case = self
            .cases
            .get(id)
            .await?
            .filter(|c| Self::may_read(who, agent.as_ref(), c))
            .ok_or_else(|| ServiceError::NotFound(format!("case {id}")))?;
        let posts = self.posts.get_many(&case.posts).await?;
        let customer = self.customers.get(&case.customer_id).await?;
        let mut previous = self
            .cases
            .list(&CaseQuery {
                customer: Some(case.customer_id.clone()),
                ..CaseQuery::default()
            })
            .await?;
        previous.retain(|c| c.id != case.id);
        previous.sort_by_key(|c| std::cmp::Reverse(c.created_at));
        let suggestions = match &customer {
            Some(c) if case.status.is_active() => {
                super::suggest::SuggestionService::new(self.customers.clone())
                    .for_customer(c, case.created_at)
                    .await?
            }
            _ => vec![],
        };
        Ok(CaseView {
            case,
            posts,
            customer,
            previous,
            suggestions,
        })
    }

    /// A customer's history. Supervisors, and agents who hold one of the customer's active cases.
    pub async fn customer(
        &self,
        who: &Principal,
        id: &crate::ids::CustomerId,
    ) -> Result<CustomerHistory, ServiceError> {
        let mut customer = self
            .customers
            .get(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("customer {id}")))?;
        // A merged customer's id leads to the customer it was merged into.
        let mut hops = 0;
        while let Some(into) = customer.merged_into.clone() {
            hops += 1;
            customer = match self.customers.get(&into).await? {
                Some(c) if hops <= 8 => c,
                _ => return Err(ServiceError::NotFound(format!("customer {id}"))),
            };
        }
        let merged_from = (&customer.id != id).then(|| id.clone());
        let id = &customer.id.clone();
        let mut cases = self
            .cases
            .list(&CaseQuery {
                customer: Some(id.clone()),
                ..CaseQuery::default()
            })
            .await?;
        let allowed = who.is_supervisor()
            || cases
                .iter()
                .any(|c| c.status.is_active() && c.assignee.as_ref() == Some(&who.agent_id));
        if !allowed {
            return Err(ServiceError::NotFound(format!("customer {id}")));
        }
        cases.sort_by_key(|c| c.created_at);
        if cases.len() > MAX_HISTORY_CASES {
            cases.drain(..cases.len() - MAX_HISTORY_CASES);
        }
        // The newest posts: a case's thread is in time order, and cases by creation.
        let mut ids: Vec<PostId> = cases.iter().flat_map(|c| c.posts.iter().cloned()).collect();
        ids.dedup();
        let posts_omitted = ids.len().saturating_sub(MAX_HISTORY_POSTS);
        ids.drain(..posts_omitted);
        let mut posts = self.posts.get_many(&ids).await?;
        posts.sort_by_key(|p| p.created_at);
        posts.dedup_by(|a, b| a.id == b.id);
        let merges = self.customers.merges_of(id).await?;
        Ok(CustomerHistory {
            customer,
            cases,
            posts,
            merges,
            merged_from,
            posts_omitted,
        })
    }

    /// Waiting cases per queue (supervisors).
    pub async fn queues(&self, who: &Principal) -> Result<Vec<QueueView>, ServiceError> {
        if !who.is_supervisor() {
            return Err(ServiceError::Forbidden("queues are for supervisors".into()));
        }
        let now = self.clock.now();
        let waiting = self.cases.waiting_cases().await?;
        let mut views: std::collections::BTreeMap<String, QueueView> = std::collections::BTreeMap::new();
        for c in &waiting {
            let v = views.entry(c.queue.clone()).or_insert_with(|| QueueView {
                queue: c.queue.clone(),
                waiting: 0,
                oldest_wait_secs: 0,
                by_priority: crate::channel::Priority::ALL.iter().map(|p| (*p, 0)).collect(),
            });
            v.waiting += 1;
            v.oldest_wait_secs = v.oldest_wait_secs.max(now.duration_since(c.created_at).as_secs());
            *v.by_priority.entry(c.priority).or_insert(0) += 1;
        }
        Ok(views.into_values().collect())
    }

    /// Sets an agent's presence (the agent itself, or a supervisor). Coming online pulls
    /// waiting cases up to the agent's capacity.
    pub async fn set_presence(
        &self,
        who: &Principal,
        agent: &AgentId,
        presence: crate::agent::Presence,
    ) -> Result<Agent, ServiceError> {
        if !who.is_supervisor() && &who.agent_id != agent {
            return Err(ServiceError::Forbidden("agents set only their own presence".into()));
        }
        self.agents
            .get(agent)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("agent {agent}")))?;
        self.agents.set_presence(agent, presence).await?;
        if presence == crate::agent::Presence::Offline {
            let marked = self.router.mark_owner_offline(agent).await?;
            tracing::info!(agent_id = %agent, marked, "agent offline: unanswered cases return after the grace period");
        }
        if presence == crate::agent::Presence::Online {
            while let Ok(Some(case)) = self.router.claim_for(agent).await {
                tracing::info!(case_id = %case.id, agent_id = %agent, "waiting case flowed to an agent coming online");
            }
        }
        self.agents
            .get(agent)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("agent {agent}")))
    }

    /// All cases in a time window (for metrics; supervisors).
    pub async fn cases_created_between(
        &self,
        who: &Principal,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<Vec<Case>, ServiceError> {
        if !who.is_supervisor() {
            return Err(ServiceError::Forbidden("metrics are for supervisors".into()));
        }
        let mut cases = self.cases.list(&CaseQuery::default()).await?;
        cases.retain(|c| c.created_at >= from && c.created_at < to);
        Ok(cases)
    }

    pub async fn claim(&self, who: &Principal) -> Result<Option<Case>, ServiceError> {
        self.agent(who).await?;
        self.router.claim_for(&who.agent_id).await
    }

    /// Stores the reply on the case (meeting the first-response target) and asks `outbound` to
    /// deliver it. `idempotency_key` makes a client's retry land on the same reply.
    pub async fn reply(
        &self,
        who: &Principal,
        case_id: &CaseId,
        text: &str,
        idempotency_key: Option<&str>,
    ) -> Result<Post, ServiceError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ServiceError::Invalid("reply text is empty".into()));
        }
        if text.chars().count() > MAX_REPLY_CHARS {
            return Err(ServiceError::Invalid(format!(
                "reply text is longer than {MAX_REPLY_CHARS} characters"
            )));
        }
        let agent = self.agent(who).await?;
        for _ in 0..MAX_CONFLICT_RETRIES {
            let mut case = Self::acted_on(who, Some(&agent), self.cases.get(case_id).await?, case_id)?;
            let key = idempotency_key.map_or_else(|| case.version.to_string(), str::to_string);
            let post_id = PostId::parse(format!("reply:{}:{}", case.id, stable_hash(&[agent.id.as_str(), &key])))
                .map_err(|e| ServiceError::Invalid(e.to_string()))?;
            let now = self.clock.now();
            let post = match self.posts.get(&post_id).await? {
                Some(existing) => existing,
                None => {
                    let post = Post {
                        id: post_id.clone(),
                        channel: case.channel,
                        account: case.account.clone(),
                        platform_id: post_id.to_string(),
                        conversation_id: None,
                        parent_id: None,
                        author: Author {
                            id: AuthorId::parse(format!("agent:{}", agent.id))
                                .map_err(|e| ServiceError::Invalid(e.to_string()))?,
                            handle: agent.name.clone(),
                            name: Some(agent.name.clone()),
                            followers: None,
                            verified: None,
                            following: None,
                            joined_at: None,
                        },
                        text: text.to_string(),
                        created_at: now,
                        received_at: now,
                        private: false,
                        direction: Direction::Outbound,
                        edits: vec![],
                        deleted: false,
                        classification: None,
                        delivery: Some(Delivery::Pending),
                        attachments: vec![],
                        recipient: None,
                    };
                    self.posts.insert(&post).await?;
                    post
                }
            };
            let expected = case.version;
            let added = case.add_agent_reply(&agent.id, &post_id, now).map_err(rule_error)?;
            if added {
                case.version += 1;
                match self.cases.save(&case, expected, LoadChange::None).await {
                    Ok(()) => {}
                    Err(PortError::Conflict(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            // Published on every (re)try: outbound skips a reply it has sent already.
            let request = ReplyRequested {
                case_id: case.id.clone(),
                post_id: post_id.clone(),
                agent_id: agent.id.clone(),
                in_reply_to: None,
            };
            self.publisher
                .publish(&Envelope::new(Event::ReplyRequested(request), now))
                .await?;
            tracing::info!(case_id = %case.id, post_id = %post_id, agent_id = %agent.id, "reply requested");
            return Ok(post);
        }
        Err(ServiceError::Conflict(format!("case {case_id} kept changing")))
    }

    /// Resolves the case and frees the agent's slot in the same write; a waiting case then flows
    /// to the agent.
    pub async fn resolve(&self, who: &Principal, case_id: &CaseId) -> Result<Case, ServiceError> {
        let agent = self.agent(who).await?;
        for _ in 0..MAX_CONFLICT_RETRIES {
            let mut case = Self::acted_on(who, Some(&agent), self.cases.get(case_id).await?, case_id)?;
            let expected = case.version;
            case.resolve(&who.agent_id, self.clock.now()).map_err(rule_error)?;
            case.version += 1;
            match self
                .cases
                .save(&case, expected, LoadChange::Release(who.agent_id.clone()))
                .await
            {
                Ok(()) => {
                    tracing::info!(case_id = %case.id, agent_id = %who.agent_id, "case resolved");
                    if let Err(e) = self.router.claim_for(&who.agent_id).await {
                        // The resolve stands; the waiting case is offered again on its next update.
                        tracing::warn!(agent_id = %who.agent_id, error = %e, "could not offer a waiting case");
                    }
                    return Ok(case);
                }
                Err(PortError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict(format!("case {case_id} kept changing")))
    }

    pub async fn alerts(&self, who: &Principal, query: &AlertQuery) -> Result<Vec<Alert>, ServiceError> {
        if !who.is_supervisor() {
            return Err(ServiceError::Forbidden("alerts are for supervisors".into()));
        }
        Ok(self.alerts.list(query).await?)
    }

    /// Creates an agent or replaces its profile (supervisors); its live state (load, presence,
    /// last assignment) is kept. Skills must be ones the routing configuration knows. Room that
    /// opens up (a higher capacity, new languages or skills) pulls waiting cases at once; a
    /// capacity under the current load takes no more cases until the load falls under it.
    /// Returns the agent as stored and whether it was created.
    pub async fn save_agent(&self, who: &Principal, agent: Agent) -> Result<(Agent, bool), ServiceError> {
        if !who.is_supervisor() {
            return Err(ServiceError::Forbidden("agents are managed by supervisors".into()));
        }
        if agent.languages.is_empty() {
            return Err(ServiceError::Invalid("languages: at least one".into()));
        }
        if agent.capacity > MAX_AGENT_CAPACITY {
            return Err(ServiceError::Invalid(format!("capacity: at most {MAX_AGENT_CAPACITY}")));
        }
        let known = &self.router.routing_policy().skills;
        if let Some(skill) = agent.skills.keys().find(|s| !known.contains(*s)) {
            return Err(ServiceError::Invalid(format!(
                "skills.{skill}: unknown skill (the configuration's [routing] skills list the known ones)"
            )));
        }
        let created = self.agents.save_profile(&agent).await?;
        tracing::info!(agent_id = %agent.id, created, "agent profile saved");
        let stored = self
            .agents
            .get(&agent.id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("agent {}", agent.id)))?;
        if stored.presence == crate::agent::Presence::Online {
            while let Ok(Some(case)) = self.router.claim_for(&agent.id).await {
                tracing::info!(case_id = %case.id, agent_id = %agent.id, "waiting case flowed to an agent with new room");
            }
        }
        let stored = self.agents.get(&agent.id).await?.unwrap_or(stored);
        Ok((stored, created))
    }

    pub async fn agents(&self, who: &Principal) -> Result<Vec<Agent>, ServiceError> {
        if !who.is_supervisor() {
            return Err(ServiceError::Forbidden("the agent list is for supervisors".into()));
        }
        Ok(self.agents.list().await?)
    }
}
