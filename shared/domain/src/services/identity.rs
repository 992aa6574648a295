//! Identity: which customer a post's author belongs to, on evidence the platform vouches for.
//!
//! A known author keeps its customer. An author without one who asks for help gets a new
//! customer of its own, always. An identifier the post names (email, phone, order or serial
//! number) is a claim anyone can type, not proof: when another customer holds it, the new
//! customer's case shows that customer as a `same_identifier` suggestion, for an agent to
//! confirm with a merge; it never links by itself (else a stranger who writes someone's email
//! would land in their case and read it). The identifiers a customer writes are recorded to
//! them (one conditional write each, none when the text has none). An identifier more customers
//! than the cap have written is shared (a shop's address, a default serial): it is not indexed
//! further, and the decision says so.

use crate::customer::{Customer, Evidence, Identifier, IdentifierRules, Identity, SYSTEM_ACTOR};
use crate::error::ServiceError;
use crate::ids::{AuthorId, CustomerId};

/// How many erased customers of one author a new customer id steps over.
const MAX_ERASED_PREDECESSORS: usize = 16;
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
}

/// What identity resolution decided for one post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkDecision {
    pub customer: CustomerId,
    pub link: Link,
    /// Identifiers in the post held by more customers than the cap: not indexed further.
    pub shared: Vec<Identifier>,
    /// Identifiers in the post that other customers (up to the cap) hold already: suggestions
    /// on the case, never a link.
    pub suggested: Vec<Identifier>,
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

    /// The customer of the post's author: the known one, or (for an actionable post) a new one. None for an unknown author's post that needs no care:
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
                suggested: vec![],
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
        let customer = self.create(post).await?;
        // A concurrent post of the same author may have created the customer first: the same
        // one (its id is the author's), so the decision below holds for both.
        let link = Link::Created;
        let (mut shared, mut suggested) = (vec![], vec![]);
        for (identifier, held) in &holders {
            match held.len() {
                n if n > self.cap() => shared.push(identifier.clone()),
                _ if held.iter().any(|c| *c != customer) => suggested.push(identifier.clone()),
                _ => {}
            }
        }
        let decision = LinkDecision {
            customer,
            link,
            shared,
            suggested,
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
                "identifier shared by more customers than the cap: not indexed further"
            );
        }
        if !decision.suggested.is_empty() {
            let kinds: Vec<&str> = decision.suggested.iter().map(|i| i.kind.as_str()).collect();
            tracing::info!(
                post_id = %post.id,
                customer_id = %decision.customer,
                ?kinds,
                "identifier another customer holds: a suggestion on the case, not a link"
            );
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
        let (customer, _) = self.create_for(Customer::first_for(&new, at), author).await?;
        self.customers
            .link_identifier(identifier, &customer, author, at, self.cap() + 1)
            .await?;
        Ok(customer)
    }

    /// Creates the customer for the post's author (or finds the one a concurrent worker created).
    async fn create(&self, post: &Post) -> Result<CustomerId, ServiceError> {
        let customer = Customer::first_for(&post.author, post.received_at);
        let name = customer.display_name.clone();
        let (id, created) = self.create_for(customer, &post.author.id).await?;
        if created {
            // For the similar-name suggestions (an agent's to confirm, never a link).
            for key in crate::customer::similar::name_keys(&name) {
                self.customers.index_name(&key, &id).await?;
            }
        }
        Ok(id)
    }

    /// Creates `customer` for `author`'s first post, under the id derived from the author. When
    /// another worker created it first, or linked the author elsewhere meanwhile, the author's
    /// link says which. When the derived id is an erased customer's (the author's data was
    /// erased), the author is a new customer under a fresh id: the erased record never links
    /// again. True when this call created it.
    async fn create_for(&self, mut customer: Customer, author: &AuthorId) -> Result<(CustomerId, bool), ServiceError> {
        for _ in 0..MAX_ERASED_PREDECESSORS {
            if self.customers.create(&customer).await? {
                return Ok((customer.id, true));
            }
            if let Some(linked) = self.customers.customer_of(author).await? {
                return Ok((linked, false));
            }
            match self.customers.get(&customer.id).await? {
                Some(existing) if existing.is_erased() => {
                    customer.id = Customer::id_after_erasure(author, &existing.id);
                }
                _ => return Ok((customer.id, false)),
            }
        }
        Err(ServiceError::Conflict(format!(
            "author's customers were erased more than {MAX_ERASED_PREDECESSORS} times"
        )))
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
