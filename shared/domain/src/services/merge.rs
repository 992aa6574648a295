//! Merge and split of customers: a person confirms that two customers are one (or that a merge
//! was wrong). Never automatic: fuzzy matches only suggest a merge.
//!
//! **The merge rule.** The source customer's authors, identifiers and cases move to the target;
//! the source stays as a tombstone pointing at the target. When both have an active case, the
//! newer one is folded into the older one ([`Case::fold_in`]: posts and history kept, the more
//! urgent priority, the earlier running deadline per SLA target) and closed; its assignee's load
//! is released, and the older case, if nobody had it, goes to that assignee.
//!
//! **The split** gives both customers back as they were: the source's customer, authors,
//! identifiers and cases, the folded case as it was (re-assigned when its agent has room), and
//! the older case without the folded posts (restored whole when nothing happened to it since).
//! What happened after the merge stays where it happened: a post the source's author wrote in
//! between joined the target's case and stays there.
//!
//! A merge is recorded before it starts (`Started`), and every step is idempotent, so a merge
//! interrupted by a crash is finished by asking for it again. The records are the audit trail.

use super::MAX_CONFLICT_RETRIES;
use crate::case::{Actor, Case};
use crate::customer::merge::Fold;
use crate::customer::{Customer, Evidence, Identity, MergeRecord, MergeState};
use crate::error::{PortError, ServiceError};
use crate::events::Envelope;
use crate::ids::{AgentId, CaseId, CustomerId};
use crate::ports::{CaseQuery, CaseStore, Clock, CustomerStore, LoadChange, Publisher};
use std::sync::Arc;

pub struct MergeService {
    customers: Arc<dyn CustomerStore>,
    cases: Arc<dyn CaseStore>,
    publisher: Arc<dyn Publisher>,
    clock: Arc<dyn Clock>,
}

fn conflict(what: String) -> ServiceError {
    ServiceError::Conflict(format!("{what} kept changing during the merge; ask again"))
}

impl MergeService {
    pub fn new(
        customers: Arc<dyn CustomerStore>,
        cases: Arc<dyn CaseStore>,
        publisher: Arc<dyn Publisher>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            customers,
            cases,
            publisher,
            clock,
        }
    }

    async fn customer(&self, id: &CustomerId) -> Result<Customer, ServiceError> {
        self.customers
            .get(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("customer {id}")))
    }

    /// Merges `source` into `target` as `actor`. Asking again for a merge that was interrupted
    /// finishes it; asking again for one that is done answers its record.
    pub async fn merge(
        &self,
        source: &CustomerId,
        target: &CustomerId,
        actor: &AgentId,
        reason: Option<&str>,
    ) -> Result<MergeRecord, ServiceError> {
        if source == target {
            return Err(ServiceError::Invalid("a customer cannot be merged into itself".into()));
        }
        let s = self.customer(source).await?;
        let t = self.customer(target).await?;
        if let Some(erased) = [&s, &t].into_iter().find(|c| c.is_erased()) {
            return Err(ServiceError::Conflict(format!(
                "customer {} was erased: it takes part in no merge",
                erased.id
            )));
        }
        if let Some(into) = &t.merged_into {
            return Err(ServiceError::Conflict(format!(
                "customer {target} was merged into {into}: merge into {into} instead"
            )));
        }
        if let Some(into) = &s.merged_into {
            let pending = self
                .customers
                .merges_of(source)
                .await?
                .into_iter()
                .rev()
                .find(|m| &m.source == source && &m.target == into && m.state != MergeState::Undone);
            return match pending {
                Some(m) if into == target && m.state == MergeState::Started => self.carry_out(m).await,
                Some(m) if into == target => Ok(m),
                _ => Err(ServiceError::Conflict(format!(
                    "customer {source} was merged into {into}"
                ))),
            };
        }
        let mut cases_before = self
            .cases
            .list(&CaseQuery {
                customer: Some(source.clone()),
                ..CaseQuery::default()
            })
            .await?;
        // The pointers are read strongly; the list (an index on AWS) may lag a moment behind.
        let source_active = match self.cases.active_case_of(source).await? {
            Some(id) => self.cases.get(&id).await?,
            None => None,
        };
        let source_active = source_active.map(|case| {
            let id = case.id.clone();
            cases_before.retain(|c| c.id != id);
            cases_before.push(case);
            id
        });
        let target_active = match self.cases.active_case_of(target).await? {
            Some(id) => self.cases.get(&id).await?,
            None => None,
        };
        let fold = match (&source_active, &target_active) {
            (Some(a), Some(b)) => {
                let a = cases_before.iter().find(|c| &c.id == a).cloned();
                a.map(|a| {
                    let (older, newer) = if (a.created_at, &a.id) <= (b.created_at, &b.id) {
                        (a.id, b.id.clone())
                    } else {
                        (b.id.clone(), a.id)
                    };
                    Fold {
                        kept: older,
                        folded: newer,
                        kept_version_after: 0,
                    }
                })
            }
            _ => None,
        };
        cases_before.extend(target_active);
        let record = MergeRecord {
            id: MergeRecord::id_for(&s, &t),
            source: source.clone(),
            target: target.clone(),
            actor: actor.clone(),
            reason: reason.map(str::to_string),
            at: self.clock.now(),
            state: MergeState::Started,
            source_before: s,
            target_before: t,
            cases_before,
            fold,
            undone_by: None,
            undone_at: None,
        };
        if !self.customers.record_merge(&record).await? {
            let existing = self
                .customers
                .merge(&record.id)
                .await?
                .ok_or_else(|| ServiceError::Conflict(format!("merge {} vanished", record.id)))?;
            if existing.state != MergeState::Started {
                return Ok(existing);
            }
            return self.carry_out(existing).await;
        }
        self.carry_out(record).await
    }

    /// The merge's steps, each idempotent.
    async fn carry_out(&self, mut record: MergeRecord) -> Result<MergeRecord, ServiceError> {
        let (source, target) = (record.source.clone(), record.target.clone());
        let actor = Actor::Agent(record.actor.clone());
        let mut touched: Vec<Case> = vec![];
        if let Some(fold) = record.fold.clone() {
            let folded_before = record
                .case_before(&fold.folded)
                .cloned()
                .ok_or_else(|| ServiceError::Invalid(format!("merge {} lacks case {}", record.id, fold.folded)))?;
            let id = record.id.clone();
            // What the folded case holds when it closes (a post may have joined it since the
            // record was taken); the record's copy when it was closed before (a resumed merge).
            let mut open_state: Option<Case> = None;
            let folded = self
                .update_case(&fold.folded, |case| {
                    if !case.status.is_active() {
                        return None;
                    }
                    open_state = Some(case.clone());
                    let released = case.close_folded(&fold.kept, &id, actor.clone(), self.clock.now());
                    Some(released.map_or(LoadChange::None, LoadChange::Release))
                })
                .await?;
            let folded_before = open_state.unwrap_or(folded_before);
            let kept = self
                .update_case(&fold.kept, |case| {
                    if !case.fold_in(&folded_before, &id, actor.clone(), self.clock.now()) {
                        return None;
                    }
                    match (&case.assignee, &folded_before.assignee) {
                        (None, Some(agent)) if case.status.is_active() => {
                            case.assign(agent, self.clock.now()).ok()?;
                            Some(LoadChange::Take(agent.clone()))
                        }
                        _ => Some(LoadChange::None),
                    }
                })
                .await;
            let kept = match kept {
                Ok(kept) => kept,
                // The folded case's agent has no room after all: the kept case waits in its queue.
                Err(ServiceError::Port(PortError::Conflict(_))) if folded_before.assignee.is_some() => {
                    self.update_case(&fold.kept, |case| {
                        case.fold_in(&folded_before, &id, actor.clone(), self.clock.now())
                            .then_some(LoadChange::None)
                    })
                    .await?
                }
                Err(e) => return Err(e),
            };
            if let Some(f) = record.fold.as_mut() {
                f.kept_version_after = kept.version;
            }
            touched.extend([folded, kept]);
        }
        let moving: Vec<CaseId> = record
            .cases_before
            .iter()
            .filter(|c| c.customer_id == source)
            .map(|c| c.id.clone())
            .collect();
        for id in moving {
            if let Some(moved) = self.move_case(&id, &source, &target).await? {
                // The kept case's version once the merge is through: a split restores it whole
                // when nothing happened to it since.
                if let Some(f) = record.fold.as_mut().filter(|f| f.kept == moved.id) {
                    f.kept_version_after = moved.version;
                }
                touched.retain(|c| c.id != moved.id);
                touched.push(moved);
            }
        }
        for identity in &record.source_before.identities {
            self.customers
                .relink_author(&identity.author_id, &source, &target)
                .await?;
        }
        for identifier in &record.source_before.identifiers {
            self.customers
                .relink_identifier(identifier, Some(&source), &target)
                .await?;
        }
        let (id, at, who) = (record.id.clone(), record.at, record.actor.to_string());
        let moved_in: Vec<Identity> = record
            .source_before
            .identities
            .iter()
            .map(|i| Identity {
                author_id: i.author_id.clone(),
                handle: i.handle.clone(),
                evidence: Evidence::Merged {
                    merge_id: id.clone(),
                    from: source.clone(),
                },
                linked_at: at,
                actor: who.clone(),
            })
            .collect();
        let identifiers = record.source_before.identifiers.clone();
        self.update_customer(&target, |t| {
            let mut changed = false;
            for identity in &moved_in {
                if !t.has_author(&identity.author_id) {
                    t.identities.push(identity.clone());
                    changed = true;
                }
            }
            for identifier in &identifiers {
                if !t.identifiers.contains(identifier) {
                    t.identifiers.push(identifier.clone());
                    changed = true;
                }
            }
            t.identifiers.sort();
            changed
        })
        .await?;
        let into = target.clone();
        self.update_customer(&source, |s| {
            if s.merged_into.as_ref() == Some(&into) {
                return false;
            }
            s.merged_into = Some(into.clone());
            s.identities.clear();
            s.identifiers.clear();
            true
        })
        .await?;
        record.state = MergeState::Done;
        self.customers.save_merge(&record).await?;
        tracing::info!(merge_id = %record.id, source = %source, target = %target, folded = record.fold.is_some(), "customers merged");
        for case in &touched {
            self.announce(case, "merged").await?;
        }
        Ok(record)
    }

    /// Splits merge `id` as `actor`: both customers as they were before it.
    pub async fn split(&self, id: &str, actor: &AgentId) -> Result<MergeRecord, ServiceError> {
        let mut record = self
            .customers
            .merge(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("merge {id}")))?;
        match record.state {
            MergeState::Done => {}
            MergeState::Undone => return Err(ServiceError::Conflict(format!("merge {id} was split already"))),
            MergeState::Started => {
                return Err(ServiceError::Conflict(format!(
                    "merge {id} is not finished: ask for the merge again, then split it"
                )));
            }
        }
        let (source, target) = (record.source.clone(), record.target.clone());
        let t = self.customer(&target).await?;
        if t.is_erased() {
            return Err(ServiceError::Conflict(format!(
                "customer {target} was erased: its merges are not split"
            )));
        }
        if let Some(into) = &t.merged_into {
            return Err(ServiceError::Conflict(format!(
                "customer {target} was merged into {into} since: split that merge first"
            )));
        }
        let mut touched: Vec<Case> = vec![];
        let fold = record.fold.clone();
        let (kept_id, folded_id) = match &fold {
            Some(f) => (Some(f.kept.clone()), Some(f.folded.clone())),
            None => (None, None),
        };
        // The source's other cases go back.
        for before in record.cases_before.iter().filter(|c| c.customer_id == source) {
            if Some(&before.id) == kept_id.as_ref() || Some(&before.id) == folded_id.as_ref() {
                continue;
            }
            if let Some(moved) = self.move_case(&before.id, &target, &source).await? {
                touched.push(moved);
            }
        }
        if let Some(fold) = &fold {
            let kept_before = record
                .case_before(&fold.kept)
                .cloned()
                .ok_or_else(|| ServiceError::Invalid(format!("merge {id} lacks case {}", fold.kept)))?;
            let folded_before = record
                .case_before(&fold.folded)
                .cloned()
                .ok_or_else(|| ServiceError::Invalid(format!("merge {id} lacks case {}", fold.folded)))?;
            let now = self.clock.now();
            let kept = self
                .update_case(&fold.kept, |case| {
                    let unchanged = case.version == fold.kept_version_after;
                    let was = case.assignee.clone();
                    let mut restored = if unchanged {
                        let mut k = kept_before.clone();
                        k.customer_id = case.customer_id.clone();
                        k
                    } else {
                        let mut k = case.clone();
                        k.unfold(&folded_before, id);
                        k
                    };
                    restored.version = case.version;
                    restored.updated_at = now;
                    let load = match (&was, &restored.assignee) {
                        (None, None) => LoadChange::None,
                        (Some(a), Some(b)) if a == b => LoadChange::None,
                        (Some(a), None) => LoadChange::Release(a.clone()),
                        (None, Some(b)) => LoadChange::Take(b.clone()),
                        (Some(_), Some(_)) => {
                            restored.assignee = was.clone();
                            LoadChange::None
                        }
                    };
                    *case = restored;
                    Some(load)
                })
                .await?;
            touched.push(kept.clone());
            if kept_before.customer_id != kept.customer_id
                && let Some(moved) = self
                    .move_case(&fold.kept, &kept.customer_id, &kept_before.customer_id)
                    .await?
            {
                touched.retain(|c| c.id != moved.id);
                touched.push(moved);
            }
            let restore = |case: &mut Case, with_agent: bool| {
                if case.status.is_active() {
                    return None;
                }
                let version = case.version;
                *case = folded_before.clone();
                case.version = version;
                case.updated_at = now;
                if !with_agent {
                    case.assignee = None;
                }
                Some(match (&case.assignee, case.status.is_active()) {
                    (Some(agent), true) => LoadChange::Take(agent.clone()),
                    _ => LoadChange::None,
                })
            };
            let folded = match self.update_case(&fold.folded, |c| restore(c, true)).await {
                Ok(c) => c,
                // Its agent has no room now: the case goes back to its queue instead.
                Err(ServiceError::Port(PortError::Conflict(_))) if folded_before.assignee.is_some() => {
                    self.update_case(&fold.folded, |c| restore(c, false)).await?
                }
                Err(e) => return Err(e),
            };
            touched.push(folded);
        }
        for identity in &record.source_before.identities {
            self.customers
                .relink_author(&identity.author_id, &target, &source)
                .await?;
        }
        for identifier in &record.source_before.identifiers {
            let from = (!record.target_before.identifiers.contains(identifier)).then_some(&target);
            self.customers.relink_identifier(identifier, from, &source).await?;
        }
        let source_before = record.source_before.clone();
        self.update_customer(&source, |s| {
            if s.merged_into.is_none() {
                return false;
            }
            let version = s.version;
            *s = source_before.clone();
            s.version = version;
            true
        })
        .await?;
        let gone: Vec<_> = record
            .source_before
            .identifiers
            .iter()
            .filter(|i| !record.target_before.identifiers.contains(i))
            .cloned()
            .collect();
        self.update_customer(&target, |t| {
            let before = (t.identities.len(), t.identifiers.len());
            t.identities
                .retain(|i| !matches!(&i.evidence, Evidence::Merged { merge_id, .. } if merge_id == id));
            t.identifiers.retain(|i| !gone.contains(i));
            before != (t.identities.len(), t.identifiers.len())
        })
        .await?;
        record.state = MergeState::Undone;
        record.undone_by = Some(actor.clone());
        record.undone_at = Some(self.clock.now());
        self.customers.save_merge(&record).await?;
        tracing::info!(merge_id = %record.id, source = %source, target = %target, "merge split");
        for case in &touched {
            self.announce(case, "split").await?;
        }
        Ok(record)
    }

    /// Detaches `author` from `customer` (an automatic link that was wrong: a family's shared
    /// email, a typo'd order number): the author becomes a customer of its own (`Evidence::
    /// Detached`, by `actor`, now), and its later posts thread there. Its posts already on the
    /// customer's cases stay on them (they were answered there); identifiers stay with the
    /// customer. The customer's last author cannot be detached. Undone by merging it back.
    pub async fn detach(
        &self,
        customer: &CustomerId,
        author: &crate::ids::AuthorId,
        actor: &AgentId,
    ) -> Result<Customer, ServiceError> {
        let from = self.customer(customer).await?;
        if from.merged_into.is_some() {
            return Err(ServiceError::Conflict(format!("customer {customer} was merged away")));
        }
        let Some(identity) = from.identities.iter().find(|i| &i.author_id == author).cloned() else {
            return Err(ServiceError::NotFound(format!(
                "author {author} of customer {customer}"
            )));
        };
        if from.identities.len() == 1 {
            return Err(ServiceError::Conflict(format!(
                "author {author} is customer {customer}'s only author: nothing to detach it from"
            )));
        }
        let now = self.clock.now();
        let id = CustomerId::parse(format!(
            "cus-{}",
            crate::ids::stable_hash(&[author.as_str(), customer.as_str(), &from.version.to_string()])
        ))
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        let detached = Customer {
            id: id.clone(),
            display_name: identity.handle.clone(),
            identities: vec![Identity {
                evidence: Evidence::Detached { from: customer.clone() },
                linked_at: now,
                actor: actor.to_string(),
                ..identity
            }],
            created_at: now,
            version: 1,
            merged_into: None,
            identifiers: vec![],
            erasure: None,
        };
        // The new customer first, then the author's link, then the old customer's identity:
        // each step idempotent, so asking again after a crash finishes it.
        if self.customers.create(&detached).await? {
            for key in crate::customer::similar::name_keys(&detached.display_name) {
                self.customers.index_name(&key, &id).await?;
            }
        } else if self.customers.get(&id).await?.is_none() {
            return Err(ServiceError::Conflict(format!("customer {id} could not be created")));
        }
        self.customers.relink_author(author, customer, &id).await?;
        self.update_customer(customer, |c| {
            let before = c.identities.len();
            c.identities.retain(|i| &i.author_id != author);
            c.identities.len() != before
        })
        .await?;
        tracing::info!(customer_id = %customer, detached = %id, "author detached into a customer of its own");
        self.customer(&id).await
    }

    /// Applies `change` to the stored case and saves it (re-reading after a lost race);
    /// `change` answers the load change, or None when there is nothing to do.
    async fn update_case(
        &self,
        id: &CaseId,
        mut change: impl FnMut(&mut Case) -> Option<LoadChange>,
    ) -> Result<Case, ServiceError> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let mut case = self
                .cases
                .get(id)
                .await?
                .ok_or_else(|| ServiceError::NotFound(format!("case {id}")))?;
            let expected = case.version;
            let Some(load) = change(&mut case) else {
                return Ok(case);
            };
            case.version = expected + 1;
            match self.cases.save(&case, expected, load.clone()).await {
                Ok(()) => return Ok(case),
                // A lost race re-reads; an agent without room is the caller's to handle.
                Err(PortError::Conflict(_)) if self.cases.get(id).await?.is_some_and(|c| c.version != expected) => {
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(conflict(format!("case {id}")))
    }

    /// Moves case `id` from customer `from` to `to` (nothing when it is not `from`'s).
    async fn move_case(&self, id: &CaseId, from: &CustomerId, to: &CustomerId) -> Result<Option<Case>, ServiceError> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let Some(mut case) = self.cases.get(id).await? else {
                return Ok(None);
            };
            if &case.customer_id != from {
                return Ok(None);
            }
            let expected = case.version;
            case.customer_id = to.clone();
            case.version = expected + 1;
            match self.cases.move_case(&case, expected, from).await {
                Ok(()) => return Ok(Some(case)),
                Err(PortError::Conflict(_)) if self.cases.get(id).await?.is_some_and(|c| c.version != expected) => {
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(conflict(format!("case {id}")))
    }

    /// Applies `change` to the stored customer and rewrites it (re-reading after a lost race);
    /// `change` answers whether it changed anything.
    async fn update_customer(
        &self,
        id: &CustomerId,
        mut change: impl FnMut(&mut Customer) -> bool,
    ) -> Result<Customer, ServiceError> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let mut customer = self.customer(id).await?;
            let expected = customer.version;
            if !change(&mut customer) {
                return Ok(customer);
            }
            customer.version = expected + 1;
            if self.customers.replace(&customer, expected).await? {
                return Ok(customer);
            }
        }
        Err(conflict(format!("customer {id}")))
    }

    async fn announce(&self, case: &Case, reason: &str) -> Result<(), ServiceError> {
        let envelope = Envelope::case_updated(case, reason, self.clock.now());
        self.publisher.publish(&envelope).await?;
        Ok(())
    }

    pub async fn get(&self, id: &str) -> Result<Option<MergeRecord>, ServiceError> {
        Ok(self.customers.merge(id).await?)
    }
}
