//! `MemoryStore`: every table port over one mutex-guarded state.

use async_trait::async_trait;
use jiff::Timestamp;
use socialcare_domain::ports::{
    AgentStore, AlertQuery, AlertStore, CaseQuery, CaseStore, CustomerStore, Dedupe, IdentityIndex, LoadChange, Parked,
    ParkingLot, PostStore, Seen, TimerStore,
};
use socialcare_domain::{
    Agent, AgentId, Alert, AuthorId, Case, CaseId, Channel, Customer, CustomerId, Identifier, Identity, PortError,
    PortResult, Post, PostId, Presence, Timer, customer::MergeRecord,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

#[derive(Default, Debug)]
struct State {
    posts: HashMap<PostId, Post>,
    /// author → the posts they wrote, in the order stored (deletion requests, erasure).
    by_author: HashMap<AuthorId, Vec<PostId>>,
    /// (channel, account, platform id) → the first post that claimed it.
    platform_ids: HashMap<(Channel, String, String), PostId>,
    /// (channel, account, parent platform id) → the posts that arrived before their parent.
    waiting: HashMap<(Channel, String, String), Vec<PostId>>,
    customers: HashMap<CustomerId, Customer>,
    authors: HashMap<AuthorId, CustomerId>,
    /// identifier → the customers that wrote it, each with the author and time of its link.
    identifiers: HashMap<Identifier, Vec<(CustomerId, AuthorId, Timestamp)>>,
    /// customer → the identifiers it has written (the customer's side of the index).
    written: HashMap<CustomerId, std::collections::BTreeSet<Identifier>>,
    merges: BTreeMap<String, MergeRecord>,
    names: HashMap<String, std::collections::BTreeSet<CustomerId>>,
    cases: HashMap<CaseId, Case>,
    /// customer → its cases (every status): a customer's cases without a scan of all of them.
    by_customer: HashMap<CustomerId, std::collections::BTreeSet<CaseId>>,
    active: HashMap<CustomerId, CaseId>,
    agents: BTreeMap<AgentId, Agent>,
    /// key → (timer, settled)
    timers: HashMap<String, (Timer, bool)>,
    /// The armed (unsettled) timers by (due time, key): the ticker's due list without a scan
    /// of every timer ever armed.
    armed: std::collections::BTreeSet<(Timestamp, String)>,
    alerts: HashMap<String, Alert>,
    parked: Vec<Parked>,
}

impl State {
    fn index_author(&mut self, post: &Post) {
        self.by_author
            .entry(post.author.id.clone())
            .or_default()
            .push(post.id.clone());
    }

    /// Stores a case and keeps the by-customer index in step (a move changes its customer).
    fn put_case(&mut self, case: &Case) {
        if let Some(old) = self.cases.insert(case.id.clone(), case.clone())
            && old.customer_id != case.customer_id
            && let Some(ids) = self.by_customer.get_mut(&old.customer_id)
        {
            ids.remove(&case.id);
            if ids.is_empty() {
                self.by_customer.remove(&old.customer_id);
            }
        }
        self.by_customer
            .entry(case.customer_id.clone())
            .or_default()
            .insert(case.id.clone());
    }
}

#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    /// Webhook ids seen, under a lock of their own: the webhook's answer never waits for the
    /// pipeline's writes to the rest of the state.
    dedupe: Mutex<HashMap<String, (String, Timestamp)>>,
    /// The triage list and the labels (`crate::triage`), apart from the pipeline's state.
    pub(crate) triage: Mutex<crate::triage::TriageState>,
    /// The report rows (`crate::reports`), apart from the pipeline's state.
    pub(crate) reports: Mutex<crate::reports::ReportState>,
    /// Channel health records and their alerts (`crate::channels`).
    pub(crate) channels: Mutex<crate::channels::ChannelState>,
    /// Platform deletion requests (`crate::deletions`).
    pub(crate) deletions: Mutex<crate::deletions::DeletionState>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// The posts and cases part of [`MemoryStore::sweep`] (`crate::retention`).
    pub(crate) fn sweep_pipeline(
        &self,
        policy: &socialcare_domain::retention::RetentionPolicy,
        now: Timestamp,
    ) -> PortResult<crate::retention::Swept> {
        let mut state = self.lock()?;
        let expired: Vec<PostId> = state
            .posts
            .values()
            .filter(|p| policy.post_expiry(p) <= now)
            .map(|p| p.id.clone())
            .collect();
        for id in &expired {
            if let Some(post) = state.posts.remove(id)
                && let Some(ids) = state.by_author.get_mut(&post.author.id)
            {
                ids.retain(|i| i != id);
                if ids.is_empty() {
                    state.by_author.remove(&post.author.id);
                }
            }
        }
        let old_cases: Vec<Case> = state
            .cases
            .values()
            .filter(|c| policy.case_expiry(c).is_some_and(|at| at <= now))
            .cloned()
            .collect();
        for case in &old_cases {
            state.cases.remove(&case.id);
            if let Some(ids) = state.by_customer.get_mut(&case.customer_id) {
                ids.remove(&case.id);
                if ids.is_empty() {
                    state.by_customer.remove(&case.customer_id);
                }
            }
            // Only inactive cases expire: no active pointer names them, unless it went stale.
            if state.active.get(&case.customer_id) == Some(&case.id) {
                state.active.remove(&case.customer_id);
            }
        }
        Ok(crate::retention::Swept {
            posts: expired.len(),
            cases: old_cases.len(),
            ..Default::default()
        })
    }

    fn dedupe(&self) -> PortResult<MutexGuard<'_, HashMap<String, (String, Timestamp)>>> {
        self.dedupe
            .lock()
            .map_err(|_| PortError::Unavailable("memory dedupe poisoned by a panic".into()))
    }

    /// Every record the store holds, as text (Rust's debug form of every map, the dedupe
    /// records, the triage list, the labels and the report rows): what a test searches to prove
    /// that an erased value is nowhere.
    pub fn debug_dump(&self) -> PortResult<String> {
        let state = format!("{:?}", *self.lock()?);
        let dedupe = format!("{:?}", *self.dedupe()?);
        let triage = format!(
            "{:?}",
            *self
                .triage
                .lock()
                .map_err(|_| PortError::Unavailable("memory triage poisoned by a panic".into()))?
        );
        let reports = format!(
            "{:?}",
            *self
                .reports
                .lock()
                .map_err(|_| PortError::Unavailable("memory reports poisoned by a panic".into()))?
        );
        Ok([state, dedupe, triage, reports].join("\n"))
    }

    fn lock(&self) -> PortResult<MutexGuard<'_, State>> {
        // A poisoned lock means a panic mid-write elsewhere: the state may be torn, so refuse.
        self.state
            .lock()
            .map_err(|_| PortError::Unavailable("memory store poisoned by a panic".into()))
    }
}

#[async_trait]
impl Dedupe for MemoryStore {
    async fn check(&self, key: &str, fingerprint: &str, now: Timestamp) -> PortResult<Seen> {
        let seen = self.dedupe()?;
        Ok(match seen.get(key) {
            Some((_, expires)) if *expires <= now => Seen::New,
            Some((fp, _)) if fp == fingerprint => Seen::Duplicate,
            Some(_) => Seen::Conflict,
            None => Seen::New,
        })
    }

    async fn remember(&self, key: &str, fingerprint: &str, expires_at: Timestamp) -> PortResult<()> {
        let mut seen = self.dedupe()?;
        let now = Timestamp::now();
        let live = seen.get(key).is_some_and(|(_, exp)| *exp > now);
        if !live {
            seen.insert(key.to_string(), (fingerprint.to_string(), expires_at));
        }
        Ok(())
    }
}

#[async_trait]
impl PostStore for MemoryStore {
    async fn insert(&self, post: &Post) -> PortResult<bool> {
        let mut state = self.lock()?;
        if state.posts.contains_key(&post.id) {
            return Ok(false);
        }
        state.posts.insert(post.id.clone(), post.clone());
        state.index_author(post);
        Ok(true)
    }
    async fn put(&self, post: &Post) -> PortResult<()> {
        let mut state = self.lock()?;
        match state.posts.insert(post.id.clone(), post.clone()) {
            None => state.index_author(post),
            // A rewrite under another author (an erasure's pseudonym) moves its index entry, as
            // DynamoDB's `by_author` index moves with the attribute.
            Some(old) if old.author.id != post.author.id => {
                if let Some(ids) = state.by_author.get_mut(&old.author.id) {
                    ids.retain(|i| i != &post.id);
                    if ids.is_empty() {
                        state.by_author.remove(&old.author.id);
                    }
                }
                state.index_author(post);
            }
            Some(_) => {}
        }
        Ok(())
    }
    async fn posts_by_author(&self, author: &AuthorId) -> PortResult<Vec<PostId>> {
        let state = self.lock()?;
        let mut ids: Vec<(Timestamp, PostId)> = state
            .by_author
            .get(author)
            .into_iter()
            .flatten()
            .filter_map(|id| {
                state
                    .posts
                    .get(id)
                    .filter(|p| &p.author.id == author)
                    .map(|p| (p.created_at, id.clone()))
            })
            .collect();
        ids.sort();
        Ok(ids.into_iter().map(|(_, id)| id).collect())
    }
    async fn remember_platform_id(&self, post: &Post) -> PortResult<Vec<PostId>> {
        let mut state = self.lock()?;
        if post.platform_id.is_empty() {
            return Ok(vec![]);
        }
        let key = (post.channel, post.account.clone(), post.platform_id.clone());
        state.platform_ids.entry(key.clone()).or_insert_with(|| post.id.clone());
        Ok(state.waiting.remove(&key).unwrap_or_default())
    }
    async fn await_parent(&self, post: &Post) -> PortResult<bool> {
        let Some(parent) = post.parent_id.clone() else {
            return Ok(false);
        };
        let mut state = self.lock()?;
        let key = (post.channel, post.account.clone(), parent);
        if state.platform_ids.contains_key(&key) {
            return Ok(false);
        }
        let waiting = state.waiting.entry(key).or_default();
        if !waiting.contains(&post.id) && waiting.len() < socialcare_domain::ports::MAX_WAITING_CHILDREN {
            waiting.push(post.id.clone());
        }
        Ok(true)
    }
    async fn find_by_platform_id(
        &self,
        channel: Channel,
        account: &str,
        platform_id: &str,
    ) -> PortResult<Option<PostId>> {
        let key = (channel, account.to_string(), platform_id.to_string());
        Ok(self.lock()?.platform_ids.get(&key).cloned())
    }
    async fn get(&self, id: &PostId) -> PortResult<Option<Post>> {
        Ok(self.lock()?.posts.get(id).cloned())
    }
    async fn get_many(&self, ids: &[PostId]) -> PortResult<Vec<Post>> {
        let state = self.lock()?;
        Ok(ids.iter().filter_map(|id| state.posts.get(id).cloned()).collect())
    }
}

#[async_trait]
impl CustomerStore for MemoryStore {
    async fn get(&self, id: &CustomerId) -> PortResult<Option<Customer>> {
        let state = self.lock()?;
        Ok(state.customers.get(id).map(|c| {
            let mut c = c.clone();
            c.identifiers = state
                .written
                .get(id)
                .map(|w| w.iter().cloned().collect())
                .unwrap_or_default();
            c
        }))
    }
    async fn customer_of(&self, author: &AuthorId) -> PortResult<Option<CustomerId>> {
        Ok(self.lock()?.authors.get(author).cloned())
    }
    async fn create(&self, customer: &Customer) -> PortResult<bool> {
        let mut state = self.lock()?;
        if state.customers.contains_key(&customer.id) {
            return Ok(false);
        }
        for identity in &customer.identities {
            state
                .authors
                .entry(identity.author_id.clone())
                .or_insert_with(|| customer.id.clone());
        }
        state.customers.insert(customer.id.clone(), customer.clone());
        Ok(true)
    }
    async fn add_identity(&self, customer: &CustomerId, identity: &Identity) -> PortResult<bool> {
        let mut state = self.lock()?;
        if !state.customers.contains_key(customer) {
            return Err(PortError::NotFound(format!("customer {customer}")));
        }
        if state.authors.contains_key(&identity.author_id) {
            return Ok(false);
        }
        state.authors.insert(identity.author_id.clone(), customer.clone());
        if let Some(c) = state.customers.get_mut(customer) {
            c.identities.push(identity.clone());
        }
        Ok(true)
    }
    async fn customers_with(&self, identifier: &Identifier) -> PortResult<Vec<CustomerId>> {
        let state = self.lock()?;
        let mut ids: Vec<CustomerId> = state
            .identifiers
            .get(identifier)
            .map(|links| links.iter().map(|(c, _, _)| c.clone()).collect())
            .unwrap_or_default();
        ids.sort();
        Ok(ids)
    }
    async fn link_identifier(
        &self,
        identifier: &Identifier,
        customer: &CustomerId,
        author: &AuthorId,
        at: Timestamp,
        max_customers: usize,
    ) -> PortResult<bool> {
        let mut state = self.lock()?;
        if state.customers.contains_key(customer) {
            state
                .written
                .entry(customer.clone())
                .or_default()
                .insert(identifier.clone());
        }
        let links = state.identifiers.entry(identifier.clone()).or_default();
        if links.len() >= max_customers || links.iter().any(|(c, _, _)| c == customer) {
            return Ok(false);
        }
        links.push((customer.clone(), author.clone(), at));
        Ok(true)
    }

    async fn customers_with_any(&self, identifiers: &[Identifier]) -> PortResult<Vec<(Identifier, Vec<CustomerId>)>> {
        let mut out = vec![];
        for identifier in identifiers {
            let held = self.customers_with(identifier).await?;
            if !held.is_empty() {
                out.push((identifier.clone(), held));
            }
        }
        Ok(out)
    }

    async fn index_name(&self, key: &str, customer: &CustomerId) -> PortResult<()> {
        let mut state = self.lock()?;
        let held = state.names.entry(key.to_string()).or_default();
        if held.len() < socialcare_domain::ports::MAX_CUSTOMERS_PER_NAME {
            held.insert(customer.clone());
        }
        Ok(())
    }

    async fn customers_named(&self, key: &str) -> PortResult<Vec<CustomerId>> {
        let state = self.lock()?;
        Ok(state
            .names
            .get(key)
            .map(|n| n.iter().cloned().collect())
            .unwrap_or_default())
    }

    async fn replace(&self, customer: &Customer, expected_version: u64) -> PortResult<bool> {
        if customer.version != expected_version + 1 {
            return Err(PortError::Invalid(format!(
                "customer {} must be written at version {}",
                customer.id,
                expected_version + 1
            )));
        }
        let mut state = self.lock()?;
        let Some(stored) = state.customers.get(&customer.id) else {
            return Err(PortError::NotFound(format!("customer {}", customer.id)));
        };
        if stored.version != expected_version {
            return Ok(false);
        }
        let mut doc = customer.clone();
        let written = std::mem::take(&mut doc.identifiers);
        state.customers.insert(customer.id.clone(), doc);
        state.written.insert(customer.id.clone(), written.into_iter().collect());
        Ok(true)
    }

    async fn relink_author(&self, author: &AuthorId, from: &CustomerId, to: &CustomerId) -> PortResult<bool> {
        let mut state = self.lock()?;
        match state.authors.get_mut(author) {
            Some(current) if current == from => {
                *current = to.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn relink_identifier(
        &self,
        identifier: &Identifier,
        from: Option<&CustomerId>,
        to: &CustomerId,
    ) -> PortResult<()> {
        let mut state = self.lock()?;
        let links = state.identifiers.entry(identifier.clone()).or_default();
        let moved = from.and_then(|f| links.iter().position(|(c, _, _)| c == f));
        let holds = links.iter().any(|(c, _, _)| c == to);
        match moved {
            Some(i) if holds => {
                links.remove(i);
            }
            Some(i) => links[i].0 = to.clone(),
            None if !holds => {
                let (author, at) = links.first().map(|(_, a, t)| (a.clone(), *t)).unwrap_or_else(|| {
                    (
                        AuthorId::parse("unknown").unwrap_or_else(|_| unreachable!()),
                        Timestamp::UNIX_EPOCH,
                    )
                });
                links.push((to.clone(), author, at));
            }
            None => {}
        }
        Ok(())
    }

    async fn record_merge(&self, merge: &MergeRecord) -> PortResult<bool> {
        let mut state = self.lock()?;
        if state.merges.contains_key(&merge.id) {
            return Ok(false);
        }
        state.merges.insert(merge.id.clone(), merge.clone());
        Ok(true)
    }

    async fn save_merge(&self, merge: &MergeRecord) -> PortResult<()> {
        self.lock()?.merges.insert(merge.id.clone(), merge.clone());
        Ok(())
    }

    async fn merge(&self, id: &str) -> PortResult<Option<MergeRecord>> {
        Ok(self.lock()?.merges.get(id).cloned())
    }

    async fn merges_of(&self, customer: &CustomerId) -> PortResult<Vec<MergeRecord>> {
        let state = self.lock()?;
        let mut out: Vec<MergeRecord> = state
            .merges
            .values()
            .filter(|m| m.involves(customer))
            .cloned()
            .collect();
        out.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }
}

fn matches(case: &Case, q: &CaseQuery) -> bool {
    (q.statuses.is_empty() || q.statuses.contains(&case.status))
        && q.assignee.as_ref().is_none_or(|a| case.assignee.as_ref() == Some(a))
        && (!q.waiting || case.is_waiting())
        && q.customer.as_ref().is_none_or(|c| &case.customer_id == c)
}

#[async_trait]
impl CaseStore for MemoryStore {
    async fn get(&self, id: &CaseId) -> PortResult<Option<Case>> {
        Ok(self.lock()?.cases.get(id).cloned())
    }

    async fn active_case_of(&self, customer: &CustomerId) -> PortResult<Option<CaseId>> {
        Ok(self.lock()?.active.get(customer).cloned())
    }

    async fn create(&self, case: &Case) -> PortResult<()> {
        let mut state = self.lock()?;
        if state.cases.contains_key(&case.id) {
            return Err(PortError::Conflict(format!("case {} exists", case.id)));
        }
        if case.status.is_active() {
            if let Some(other) = state.active.get(&case.customer_id) {
                return Err(PortError::Conflict(format!(
                    "customer {} has active case {other}",
                    case.customer_id
                )));
            }
            state.active.insert(case.customer_id.clone(), case.id.clone());
        }
        state.put_case(case);
        Ok(())
    }

    async fn save(&self, case: &Case, expected_version: u64, load: LoadChange) -> PortResult<()> {
        let mut state = self.lock()?;
        let stored = state
            .cases
            .get(&case.id)
            .ok_or_else(|| PortError::NotFound(format!("case {}", case.id)))?;
        if stored.version != expected_version {
            return Err(PortError::Conflict(format!(
                "case {} is at version {}, not {expected_version}",
                case.id, stored.version
            )));
        }
        if case.version != expected_version + 1 {
            return Err(PortError::Invalid(format!(
                "case {} must be saved at version {}",
                case.id,
                expected_version + 1
            )));
        }
        // Check every condition before writing anything: all or nothing, as a transaction.
        let pointer = state.active.get(&case.customer_id).cloned();
        if case.status.is_active() && pointer.as_ref().is_some_and(|p| p != &case.id) {
            return Err(PortError::Conflict(format!(
                "customer {} has another active case",
                case.customer_id
            )));
        }
        match &load {
            LoadChange::None => {}
            LoadChange::Take(agent) => {
                let a = state
                    .agents
                    .get(agent)
                    .ok_or_else(|| PortError::NotFound(format!("agent {agent}")))?;
                if a.load >= a.capacity {
                    return Err(PortError::Conflict(format!("agent {agent} is at capacity")));
                }
                if !a.has_channel_room(case.channel) {
                    return Err(PortError::Conflict(format!(
                        "agent {agent} is at capacity for {}",
                        case.channel.as_str()
                    )));
                }
            }
            LoadChange::Release(agent) => {
                if !state.agents.contains_key(agent) {
                    return Err(PortError::NotFound(format!("agent {agent}")));
                }
            }
        }
        match load {
            LoadChange::None => {}
            LoadChange::Take(agent) => {
                if let Some(a) = state.agents.get_mut(&agent) {
                    a.take_load(case.channel);
                }
            }
            LoadChange::Release(agent) => {
                if let Some(a) = state.agents.get_mut(&agent) {
                    a.release_load(case.channel);
                }
            }
        }
        if case.status.is_active() {
            state.active.insert(case.customer_id.clone(), case.id.clone());
        } else if pointer.as_ref() == Some(&case.id) {
            state.active.remove(&case.customer_id);
        }
        state.put_case(case);
        Ok(())
    }

    async fn move_case(&self, case: &Case, expected_version: u64, from: &CustomerId) -> PortResult<()> {
        let mut state = self.lock()?;
        let stored = state
            .cases
            .get(&case.id)
            .ok_or_else(|| PortError::NotFound(format!("case {}", case.id)))?;
        if stored.version != expected_version || &stored.customer_id != from {
            return Err(PortError::Conflict(format!("case {} moved meanwhile", case.id)));
        }
        if case.version != expected_version + 1 || stored.status.is_active() != case.status.is_active() {
            return Err(PortError::Invalid(format!(
                "case {} must be moved at version {} without a change of activeness",
                case.id,
                expected_version + 1
            )));
        }
        if case.status.is_active() {
            if state.active.get(&case.customer_id).is_some_and(|p| p != &case.id) {
                return Err(PortError::Conflict(format!(
                    "customer {} has another active case",
                    case.customer_id
                )));
            }
            if state.active.get(from) == Some(&case.id) {
                state.active.remove(from);
            }
            state.active.insert(case.customer_id.clone(), case.id.clone());
        }
        state.put_case(case);
        Ok(())
    }

    async fn waiting_cases(&self) -> PortResult<Vec<socialcare_domain::ports::WaitingCase>> {
        let state = self.lock()?;
        Ok(state
            .cases
            .values()
            .filter(|c| c.is_waiting())
            .map(socialcare_domain::ports::WaitingCase::of)
            .collect())
    }

    async fn list(&self, query: &CaseQuery) -> PortResult<Vec<Case>> {
        let state = self.lock()?;
        let mut out: Vec<Case> = match &query.customer {
            // One customer's cases through the index, as DynamoDB's by-customer index.
            Some(customer) => state
                .by_customer
                .get(customer)
                .into_iter()
                .flatten()
                .filter_map(|id| state.cases.get(id))
                .filter(|c| matches(c, query))
                .filter(|c| query.after.as_ref().is_none_or(|a| a.precedes(c, query.newest_first)))
                .cloned()
                .collect(),
            None => state
                .cases
                .values()
                .filter(|c| matches(c, query))
                .filter(|c| query.after.as_ref().is_none_or(|a| a.precedes(c, query.newest_first)))
                .cloned()
                .collect(),
        };
        out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
        if query.newest_first {
            out.reverse();
        }
        if let Some(limit) = query.limit {
            out.truncate(limit);
        }
        Ok(out)
    }
}

#[async_trait]
impl AgentStore for MemoryStore {
    async fn get(&self, id: &AgentId) -> PortResult<Option<Agent>> {
        Ok(self.lock()?.agents.get(id).cloned())
    }
    async fn list(&self) -> PortResult<Vec<Agent>> {
        Ok(self.lock()?.agents.values().cloned().collect())
    }
    async fn seed(&self, agent: &Agent) -> PortResult<()> {
        self.lock()?
            .agents
            .entry(agent.id.clone())
            .or_insert_with(|| agent.clone());
        Ok(())
    }
    async fn save_profile(&self, agent: &Agent) -> PortResult<bool> {
        let mut state = self.lock()?;
        match state.agents.get_mut(&agent.id) {
            Some(stored) => {
                let (load, presence, last) = (stored.load, stored.presence, stored.last_assigned_at);
                let valid_after = stored.tokens_valid_after;
                let channel_load = std::mem::take(&mut stored.channel_load);
                *stored = agent.clone();
                stored.tokens_valid_after = valid_after;
                stored.load = load;
                stored.channel_load = channel_load;
                stored.presence = presence;
                stored.last_assigned_at = last;
                Ok(false)
            }
            None => {
                let mut fresh = agent.clone();
                fresh.tokens_valid_after = None;
                state.agents.insert(agent.id.clone(), fresh);
                Ok(true)
            }
        }
    }
    async fn revoke_sessions(&self, id: &AgentId, at: Timestamp) -> PortResult<()> {
        let mut state = self.lock()?;
        let agent = state
            .agents
            .get_mut(id)
            .ok_or_else(|| PortError::NotFound(format!("agent {id}")))?;
        agent.tokens_valid_after = Some(agent.tokens_valid_after.map_or(at, |t| t.max(at)));
        Ok(())
    }
    async fn set_presence(&self, id: &AgentId, presence: Presence) -> PortResult<()> {
        let mut state = self.lock()?;
        let agent = state
            .agents
            .get_mut(id)
            .ok_or_else(|| PortError::NotFound(format!("agent {id}")))?;
        agent.presence = presence;
        Ok(())
    }
    async fn touch_assigned(&self, id: &AgentId, at: Timestamp) -> PortResult<()> {
        let mut state = self.lock()?;
        if let Some(agent) = state.agents.get_mut(id) {
            agent.last_assigned_at = Some(agent.last_assigned_at.map_or(at, |t| t.max(at)));
        }
        Ok(())
    }
}

#[async_trait]
impl TimerStore for MemoryStore {
    async fn arm(&self, timer: &Timer) -> PortResult<()> {
        let mut state = self.lock()?;
        let key = timer.key();
        if !state.timers.contains_key(&key) {
            state.armed.insert((timer.due_at, key.clone()));
            state.timers.insert(key, (timer.clone(), false));
        }
        Ok(())
    }
    async fn due(&self, until: Timestamp, limit: usize) -> PortResult<Vec<Timer>> {
        let state = self.lock()?;
        Ok(state
            .armed
            .iter()
            .take_while(|(at, _)| *at <= until)
            .filter_map(|(_, key)| state.timers.get(key).map(|(t, _)| t.clone()))
            .take(limit)
            .collect())
    }
    async fn settle(&self, key: &str) -> PortResult<bool> {
        let mut state = self.lock()?;
        match state.timers.get_mut(key) {
            Some((timer, settled)) if !*settled => {
                *settled = true;
                let entry = (timer.due_at, key.to_string());
                state.armed.remove(&entry);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[async_trait]
impl AlertStore for MemoryStore {
    async fn record(&self, alert: &Alert) -> PortResult<bool> {
        let mut state = self.lock()?;
        if state.alerts.contains_key(&alert.id) {
            return Ok(false);
        }
        state.alerts.insert(alert.id.clone(), alert.clone());
        Ok(true)
    }
    async fn get(&self, id: &str) -> PortResult<Option<Alert>> {
        Ok(self.lock()?.alerts.get(id).cloned())
    }
    async fn mark_delivered(&self, id: &str) -> PortResult<()> {
        let mut state = self.lock()?;
        let alert = state
            .alerts
            .get_mut(id)
            .ok_or_else(|| PortError::NotFound(format!("alert {id}")))?;
        alert.delivered = true;
        Ok(())
    }
    async fn acknowledge(&self, id: &str, by: &AgentId, at: Timestamp) -> PortResult<Option<Alert>> {
        let mut state = self.lock()?;
        let Some(alert) = state.alerts.get_mut(id) else {
            return Ok(None);
        };
        if alert.acknowledged_by.is_none() {
            alert.acknowledged_by = Some(by.clone());
            alert.acknowledged_at = Some(at);
        }
        Ok(Some(alert.clone()))
    }
    async fn list(&self, q: &AlertQuery) -> PortResult<Vec<Alert>> {
        let state = self.lock()?;
        let mut out: Vec<Alert> = state
            .alerts
            .values()
            .filter(|a| q.level.is_none_or(|l| a.level == l))
            .filter(|a| q.queue.as_ref().is_none_or(|qq| &a.queue == qq))
            .filter(|a| q.since.is_none_or(|s| a.fired_at >= s))
            .cloned()
            .collect();
        out.sort_by(|a, b| b.fired_at.cmp(&a.fired_at).then_with(|| a.id.cmp(&b.id)));
        if let Some(limit) = q.limit {
            out.truncate(limit);
        }
        Ok(out)
    }
}

#[async_trait]
impl ParkingLot for MemoryStore {
    async fn park(&self, parked: &Parked) -> PortResult<()> {
        let mut state = self.lock()?;
        let known = state
            .parked
            .iter()
            .any(|p| p.source == parked.source && p.message_id == parked.message_id);
        if !known {
            state.parked.push(parked.clone());
        }
        Ok(())
    }
    async fn list(&self, limit: usize) -> PortResult<Vec<Parked>> {
        let state = self.lock()?;
        Ok(state.parked.iter().rev().take(limit).cloned().collect())
    }
    async fn remove(&self, source: &str, message_id: &str) -> PortResult<bool> {
        let mut state = self.lock()?;
        let before = state.parked.len();
        state
            .parked
            .retain(|p| !(p.source == source && p.message_id == message_id));
        Ok(state.parked.len() < before)
    }
}

/// A scan of the cases: the memory backend keeps report rows instead (`ReportStore`); this is
/// here so the port's contract runs on both backends.
#[async_trait]
impl socialcare_domain::ports::CasesCreated for MemoryStore {
    async fn cases_created(&self, from: Timestamp, to: Timestamp) -> PortResult<Vec<Case>> {
        let state = self.lock()?;
        let mut out: Vec<Case> = state
            .cases
            .values()
            .filter(|c| c.created_at >= from && c.created_at < to)
            .cloned()
            .collect();
        out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }
}

#[async_trait]
impl IdentityIndex for MemoryStore {
    async fn unlink_author(&self, author: &AuthorId, customer: &CustomerId) -> PortResult<bool> {
        let mut state = self.lock()?;
        if state.authors.get(author) == Some(customer) {
            state.authors.remove(author);
            return Ok(true);
        }
        Ok(false)
    }

    async fn unlink_identifier(&self, identifier: &Identifier, customer: &CustomerId) -> PortResult<bool> {
        let mut state = self.lock()?;
        let mut found = false;
        if let Some(links) = state.identifiers.get_mut(identifier) {
            let before = links.len();
            links.retain(|(c, _, _)| c != customer);
            found = links.len() < before;
            if links.is_empty() {
                state.identifiers.remove(identifier);
            }
        }
        Ok(found)
    }

    async fn unindex_name(&self, key: &str, customer: &CustomerId) -> PortResult<bool> {
        let mut state = self.lock()?;
        let Some(held) = state.names.get_mut(key) else {
            return Ok(false);
        };
        let found = held.remove(customer);
        if held.is_empty() {
            state.names.remove(key);
        }
        Ok(found)
    }
}
