//! Identity: which customer a post's author belongs to, on deterministic evidence only.
//!
//! A known author keeps its customer. An author without one who asks for help is linked to an
//! existing customer when the post names an identifier (email, phone, order or serial number)
//! that exactly one customer has written before; otherwise a new customer is created for it.
//! The identifiers a customer writes are recorded to them (one conditional write each, none
//! when the text has none). An identifier more customers than the cap have written is shared
//! (a shop's address, a default serial): it links nobody, and the decision says so.

use crate::customer::{Customer, Evidence, Identifier, IdentifierRules, Identity, SYSTEM_ACTOR};
use crate::error::ServiceError;
use crate::ids::CustomerId;
use crate::ports::CustomerStore;
use crate::post::Post;
use std::sync::Arc;

/// How the author's customer was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// The author was linked to this customer before.
    Known,
    /// A new customer was created for the author.
    Created,
    /// The author was linked to the one existing customer that had written `identifier`.
    SharedIdentifier(Identifier),
}

/// What identity resolution decided for one post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkDecision {
    pub customer: CustomerId,
    pub link: Link,
    /// Identifiers in the post held by more customers than the cap: never used to link.
    pub shared: Vec<Identifier>,
    /// Identifiers in the post held by several (but not too many) customers, or pointing at
    /// different customers: not used to link.
    pub ambiguous: Vec<Identifier>,
}

pub struct IdentityService {
    customers: Arc<dyn CustomerStore>,
    rules: IdentifierRules,
}

impl IdentityService {
    pub fn new(customers: Arc<dyn CustomerStore>, rules: IdentifierRules) -> Self {
        Self { customers, rules }
    }

    /// The most customers one identifier may have and still link: more make it shared.
    fn cap(&self) -> usize {
        self.rules.max_customers_per_identifier
    }

    /// The customer of the post's author: the known one, one linked by a shared identifier, or
    /// (for an actionable post) a new one. None for an unknown author's post that needs no care:
    /// it is kept without a customer, and nothing is read or written for its identifiers.
    pub async fn resolve(&self, post: &Post, actionable: bool) -> Result<Option<LinkDecision>, ServiceError> {
        let spam = post.classification.as_ref().is_some_and(|c| c.spam);
        if let Some(customer) = self.customers.customer_of(&post.author.id).await? {
            if !spam {
                let found = self.rules.extract(&post.text);
                self.record(&found, &customer, post).await?;
            }
            return Ok(Some(LinkDecision {
                customer,
                link: Link::Known,
                shared: vec![],
                ambiguous: vec![],
            }));
        }
        if !actionable {
            return Ok(None);
        }
        let found = self.rules.extract(&post.text);
        let mut holders: Vec<(Identifier, Vec<CustomerId>)> = Vec::with_capacity(found.len());
        for identifier in found {
            let held = self.customers.customers_with(&identifier).await?;
            holders.push((identifier, held));
        }
        let (target, shared, ambiguous) = self.decide(&holders);
        let (customer, link) = match target {
            Some((identifier, customer)) => {
                let linked = self.link(post, &customer, &identifier).await?;
                if linked == customer {
                    (linked, Link::SharedIdentifier(identifier))
                } else {
                    // Someone else linked the author meanwhile (a concurrent post): theirs stands.
                    (linked, Link::Known)
                }
            }
            None => (self.create(post).await?, Link::Created),
        };
        let decision = LinkDecision {
            customer,
            link,
            shared,
            ambiguous,
        };
        let new: Vec<Identifier> = holders
            .into_iter()
            .filter(|(_, held)| held.len() <= self.cap() && !held.contains(&decision.customer))
            .map(|(identifier, _)| identifier)
            .collect();
        self.record(&new, &decision.customer, post).await?;
        if !decision.shared.is_empty() {
            let kinds: Vec<&str> = decision.shared.iter().map(|i| i.kind.as_str()).collect();
            tracing::warn!(
                post_id = %post.id,
                customer_id = %decision.customer,
                ?kinds,
                cap = self.cap(),
                "identifier shared by more customers than the cap: not used to link"
            );
        }
        match &decision.link {
            Link::SharedIdentifier(identifier) => tracing::info!(
                post_id = %post.id,
                customer_id = %decision.customer,
                identifier_kind = identifier.kind.as_str(),
                "author linked to an existing customer by a shared identifier"
            ),
            Link::Created | Link::Known => {}
        }
        Ok(Some(decision))
    }

    /// The author told the platform who they are to the brand (`identifier`, an account id):
    /// an author without a customer joins the one customer that has that id (or gets a new
    /// customer holding it); a known author's customer records it. Two customers holding one
    /// account id are never merged here: the case shows it as a suggestion for an agent.
    pub async fn link_account(
        &self,
        author: &crate::ids::AuthorId,
        channel: crate::channel::Channel,
        identifier: &Identifier,
        via: &str,
        at: jiff::Timestamp,
    ) -> Result<CustomerId, ServiceError> {
        if let Some(customer) = self.customers.customer_of(author).await? {
            self.customers
                .link_identifier(identifier, &customer, author, at, self.cap() + 1)
                .await?;
            return Ok(customer);
        }
        let holders = self.customers.customers_with(identifier).await?;
        let handle = author
            .as_str()
            .rsplit(':')
            .next()
            .unwrap_or(author.as_str())
            .to_string();
        if let [holder] = holders.as_slice() {
            let identity = Identity {
                author_id: author.clone(),
                handle: handle.clone(),
                evidence: Evidence::LinkedAccount {
                    identifier: identifier.to_string(),
                    via: via.to_string(),
                },
                linked_at: at,
                actor: SYSTEM_ACTOR.into(),
            };
            if self.customers.add_identity(holder, &identity).await? {
                tracing::info!(customer_id = %holder, via, channel = channel.as_str(), "author linked to a customer by the brand's account id");
                return Ok(holder.clone());
            }
        }
        let new = crate::post::Author {
            id: author.clone(),
            handle,
            name: None,
            followers: None,
            verified: None,
            following: None,
            joined_at: None,
        };
        let customer = Customer::first_for(&new, at);
        let customer = if self.customers.create(&customer).await? {
            customer.id
        } else {
            self.customers.customer_of(author).await?.unwrap_or(customer.id)
        };
        self.customers
            .link_identifier(identifier, &customer, author, at, self.cap() + 1)
            .await?;
        Ok(customer)
    }

    /// Pure: the (identifier, customer) to link by, and the identifiers left out as shared and
    /// as ambiguous. Links only when the identifiers held by exactly one customer all name the
    /// same one.
    #[allow(clippy::type_complexity)]
    fn decide(
        &self,
        holders: &[(Identifier, Vec<CustomerId>)],
    ) -> (Option<(Identifier, CustomerId)>, Vec<Identifier>, Vec<Identifier>) {
        let mut shared = vec![];
        let mut ambiguous = vec![];
        let mut single: Vec<(&Identifier, &CustomerId)> = vec![];
        for (identifier, held) in holders {
            match held.as_slice() {
                [] => {}
                [one] => single.push((identifier, one)),
                many if many.len() > self.cap() => shared.push(identifier.clone()),
                _ => ambiguous.push(identifier.clone()),
            }
        }
        let target = match single.first() {
            Some((identifier, customer)) if single.iter().all(|(_, c)| c == customer) => {
                Some(((*identifier).clone(), (*customer).clone()))
            }
            Some(_) => {
                ambiguous.extend(single.iter().map(|(i, _)| (*i).clone()));
                None
            }
            None => None,
        };
        (target, shared, ambiguous)
    }

    /// Links the post's author to `customer`; the customer the author ends up with.
    async fn link(
        &self,
        post: &Post,
        customer: &CustomerId,
        identifier: &Identifier,
    ) -> Result<CustomerId, ServiceError> {
        let identity = Identity {
            author_id: post.author.id.clone(),
            handle: post.author.handle.clone(),
            evidence: Evidence::SharedIdentifier {
                identifier: identifier.to_string(),
            },
            linked_at: post.received_at,
            actor: SYSTEM_ACTOR.into(),
        };
        if self.customers.add_identity(customer, &identity).await? {
            return Ok(customer.clone());
        }
        self.customers
            .customer_of(&post.author.id)
            .await?
            .ok_or_else(|| ServiceError::Conflict(format!("author {} was neither linked nor free", post.author.id)))
    }

    /// Creates the customer for the post's author (or finds the one a concurrent worker created).
    async fn create(&self, post: &Post) -> Result<CustomerId, ServiceError> {
        let customer = Customer::first_for(&post.author, post.received_at);
        if self.customers.create(&customer).await? {
            // For the similar-name suggestions (an agent's to confirm, never a link).
            for key in crate::customer::similar::name_keys(&customer.display_name) {
                self.customers.index_name(&key, &customer.id).await?;
            }
            return Ok(customer.id);
        }
        // Another worker created the same (deterministic) customer first, or linked the author
        // elsewhere meanwhile: the author's link says which.
        Ok(self
            .customers
            .customer_of(&post.author.id)
            .await?
            .unwrap_or(customer.id))
    }

    /// Records each identifier to `customer`: one conditional write each, a no-op when recorded.
    async fn record(&self, identifiers: &[Identifier], customer: &CustomerId, post: &Post) -> Result<(), ServiceError> {
        for identifier in identifiers {
            self.customers
                .link_identifier(identifier, customer, &post.author.id, post.received_at, self.cap() + 1)
                .await?;
        }
        Ok(())
    }
}
