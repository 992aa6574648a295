//! Data-subject requests (supervisors only): export everything held about a customer, or erase
//! their personal data everywhere it is kept.
//!
//! **Who is "the customer".** A customer merged into another is the same person: asking by
//! either id answers for the customer that stayed, together with every customer merged into it
//! (and still merged). A merge that was split is two people again: only the asked side counts.
//!
//! **What is found.** The customers' records (identities with their evidence, identifiers), the
//! cases of the customer that stayed (every status), the posts on those cases (the customer's,
//! with their classification, and our replies), the SLA alerts of those cases, triage entries
//! and people's labels (corrections) of those posts, and the merge records naming the
//! customers. A post of the author that never joined a case (chatter kept for analytics, an
//! unsure post still in triage) is linked to no customer and is not found (see
//! docs/PRIVACY.md).
//!
//! The erasure's steps are in [`erase`].

use crate::case::Case;
use crate::customer::{Customer, MergeRecord, MergeState};
use crate::error::ServiceError;
use crate::ids::{AgentId, CustomerId, PostId};
use crate::ports::{
    AlertStore, CaseQuery, CaseStore, Clock, CustomerStore, Eraser, IdentityIndex, LabelStore, ParkingLot, PostStore,
    TriageStore,
};
use crate::post::{Direction, Post};
use crate::services::desk::Principal;
use crate::sla::{Alert, Level};
use crate::triage::{Label, TriageEntry};
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;

pub mod erase;

/// The most merge hops followed from the asked customer to the one that stayed.
const MAX_MERGE_HOPS: usize = 8;
/// The most labels an export reads to find the corrections of the customer's posts.
pub const MAX_EXPORT_LABELS: usize = 100_000;

/// Every port a data-subject request reads or cleans.
#[derive(Clone)]
pub struct PrivacyPorts {
    pub customers: Arc<dyn CustomerStore>,
    pub index: Arc<dyn IdentityIndex>,
    pub posts: Arc<dyn PostStore>,
    pub cases: Arc<dyn CaseStore>,
    pub alerts: Arc<dyn AlertStore>,
    pub triage: Arc<dyn TriageStore>,
    pub labels: Arc<dyn LabelStore>,
    pub parking: Arc<dyn ParkingLot>,
    /// Other stores holding references to posts and authors (trend alerts).
    pub erasers: Vec<Arc<dyn Eraser>>,
    pub clock: Arc<dyn Clock>,
}

pub struct PrivacyService {
    ports: PrivacyPorts,
}

/// Everything held about a customer, as one document (`GET /v1/customers/{id}/export`).
#[derive(Debug, Clone, Serialize)]
pub struct CustomerExport {
    /// The id asked for.
    pub asked_for: CustomerId,
    /// Set when `asked_for` was merged into another customer: this export is of that one
    /// (`customer`), the person `asked_for` is part of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<CustomerId>,
    pub exported_at: Timestamp,
    pub exported_by: AgentId,
    /// The customer: identities (handles on each channel) with their evidence, identifiers,
    /// and the erasure record if it was erased.
    pub customer: Customer,
    /// The customers merged into it (tombstones pointing at it, with their own records).
    pub merged_customers: Vec<Customer>,
    /// Every case, oldest first, with its history and SLA clocks.
    pub cases: Vec<Case>,
    /// The customer's posts on those cases across channels, oldest first, with classification.
    pub posts: Vec<Post>,
    /// Our replies on those cases, oldest first, with their delivery.
    pub replies: Vec<Post>,
    /// SLA alerts raised on those cases.
    pub alerts: Vec<Alert>,
    /// Triage entries of the posts (an unsure post and what a person decided).
    pub triage: Vec<TriageEntry>,
    /// People's corrections (labels) of the posts' classification.
    pub corrections: Vec<Label>,
    /// Merge and split records naming the customers (oldest first).
    pub merges: Vec<MergeRecord>,
}

/// The customer a request is about, as stored now.
pub(crate) struct Scope {
    pub asked_for: CustomerId,
    /// The customer that stayed (the asked one when it was never merged away).
    pub survivor: Customer,
    /// Customers merged into the survivor (directly or through one another), still merged.
    pub merged: Vec<Customer>,
    /// The survivor's cases (every status), oldest first.
    pub cases: Vec<Case>,
    /// The posts on those cases, in case order, each once.
    pub post_ids: Vec<PostId>,
}

impl Scope {
    pub fn customers(&self) -> impl Iterator<Item = &Customer> {
        std::iter::once(&self.survivor).chain(self.merged.iter())
    }

    pub fn customer_ids(&self) -> BTreeSet<CustomerId> {
        self.customers().map(|c| c.id.clone()).collect()
    }
}

impl PrivacyService {
    pub fn new(ports: PrivacyPorts) -> Self {
        Self { ports }
    }

    fn supervisors_only(who: &Principal, what: &str) -> Result<(), ServiceError> {
        if who.is_supervisor() {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!("{what} is for supervisors")))
        }
    }

    /// The customer asked for, the one that stayed, those merged into it, its cases and posts.
    pub(crate) async fn scope(&self, id: &CustomerId) -> Result<Scope, ServiceError> {
        let not_found = || ServiceError::NotFound(format!("customer {id}"));
        let p = &self.ports;
        let mut survivor = p.customers.get(id).await?.ok_or_else(not_found)?;
        let mut hops = 0;
        while let Some(into) = survivor.merged_into.clone() {
            hops += 1;
            survivor = match p.customers.get(&into).await? {
                Some(c) if hops <= MAX_MERGE_HOPS => c,
                _ => return Err(not_found()),
            };
        }
        // Customers merged into the survivor, and into those (a chain of merges), still merged.
        let mut merged: Vec<Customer> = vec![];
        let mut seen: BTreeSet<CustomerId> = BTreeSet::from([survivor.id.clone()]);
        let mut frontier = vec![survivor.id.clone()];
        while let Some(target) = frontier.pop() {
            for m in p.customers.merges_of(&target).await? {
                if m.target != target || m.state == MergeState::Undone || !seen.insert(m.source.clone()) {
                    continue;
                }
                if let Some(source) = p.customers.get(&m.source).await?
                    && source.merged_into.as_ref() == Some(&target)
                {
                    frontier.push(source.id.clone());
                    merged.push(source);
                }
            }
        }
        let mut cases: Vec<Case> = vec![];
        for customer in std::iter::once(&survivor).chain(merged.iter()) {
            let listed = p
                .cases
                .list(&CaseQuery {
                    customer: Some(customer.id.clone()),
                    ..CaseQuery::default()
                })
                .await?;
            // The pointer is read strongly; the list (an index on AWS) may lag a moment behind.
            let active = match p.cases.active_case_of(&customer.id).await? {
                Some(case) => p.cases.get(&case).await?,
                None => None,
            };
            for case in listed.into_iter().chain(active) {
                if !cases.iter().any(|c| c.id == case.id) {
                    cases.push(case);
                }
            }
        }
        cases.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let mut seen_posts = BTreeSet::new();
        let mut post_ids: Vec<PostId> = cases
            .iter()
            .flat_map(|c| c.posts.iter())
            .filter(|p| seen_posts.insert((*p).clone()))
            .cloned()
            .collect();
        // And every post of their handles that joined no case (chatter, a post left for
        // triage), through the posts' author index.
        for customer in std::iter::once(&survivor).chain(merged.iter()) {
            for identity in &customer.identities {
                for post in p.posts.posts_by_author(&identity.author_id).await? {
                    if seen_posts.insert(post.clone()) {
                        post_ids.push(post);
                    }
                }
            }
        }
        Ok(Scope {
            asked_for: id.clone(),
            survivor,
            merged,
            cases,
            post_ids,
        })
    }

    /// Everything held about the customer (see the module doc), for a supervisor. Audited: the
    /// log names the supervisor and the customer id (a pseudonymous hash), nothing they wrote.
    pub async fn export(&self, who: &Principal, id: &CustomerId) -> Result<CustomerExport, ServiceError> {
        Self::supervisors_only(who, "exporting a customer's data")?;
        let p = &self.ports;
        let scope = self.scope(id).await?;
        let mut posts = p.posts.get_many(&scope.post_ids).await?;
        posts.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let (replies, posts): (Vec<Post>, Vec<Post>) =
            posts.into_iter().partition(|p| p.direction == Direction::Outbound);
        let mut alerts = vec![];
        for case in &scope.cases {
            let mut keys = BTreeSet::new();
            for clock in &case.sla {
                for level in [Level::Warning, Level::Breach, Level::Escalation2, Level::Escalation3] {
                    keys.insert(Alert::key_for(&case.id, clock.target, clock.cycle, level));
                }
            }
            for key in keys {
                alerts.extend(p.alerts.get(&key).await?);
            }
        }
        let mut triage = vec![];
        for post in &posts {
            triage.extend(p.triage.triage_entry(&post.id).await?);
        }
        let ids: BTreeSet<&PostId> = posts.iter().map(|p| &p.id).collect();
        let corrections: Vec<Label> = p
            .labels
            .labels_since(None, MAX_EXPORT_LABELS)
            .await?
            .into_iter()
            .filter(|l| ids.contains(&l.post_id))
            .collect();
        let mut merges: Vec<MergeRecord> = vec![];
        for customer in scope.customers() {
            for m in p.customers.merges_of(&customer.id).await? {
                if !merges.iter().any(|x| x.id == m.id) {
                    merges.push(m);
                }
            }
        }
        merges.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
        tracing::info!(
            customer_id = %scope.survivor.id,
            asked_for = %id,
            by = %who.agent_id,
            cases = scope.cases.len(),
            posts = posts.len(),
            "customer data exported"
        );
        let merged_into = (scope.survivor.id != scope.asked_for).then(|| scope.survivor.id.clone());
        Ok(CustomerExport {
            asked_for: scope.asked_for,
            merged_into,
            exported_at: p.clock.now(),
            exported_by: who.agent_id.clone(),
            customer: scope.survivor,
            merged_customers: scope.merged,
            cases: scope.cases,
            posts,
            replies,
            alerts,
            triage,
            corrections,
            merges,
        })
    }
}
