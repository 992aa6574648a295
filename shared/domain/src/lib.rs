//! socialcare's domain: the model (posts, customers, cases, agents, SLA), the rules, the ports
//! (async traits for every table, queue, sink and the clock) and one service per stage.
//!
//! Pure: it must not depend on `aws-*`, `lambda_*`, HTTP, or tokio's runtime. Time is an input
//! (the [`ports::Clock`]), and every rule is a function of (state, input, settings, now).

pub mod agent;
pub mod calendar;
pub mod case;
pub mod channel;
pub mod customer;
pub mod deletion;
pub mod error;
pub mod events;
pub mod health;
pub mod ids;
pub mod metrics;
pub mod ports;
pub mod post;
pub mod reports;
pub mod retention;
pub mod routing;
pub mod services;
pub mod settings;
pub mod sla;
pub mod triage;

pub use agent::{Agent, Presence, Role};
pub use case::{Actor, Case, CaseEvent, CaseEventKind, CaseStatus};
pub use channel::{Channel, Language, Priority};
pub use customer::{Customer, Evidence, Identifier, IdentifierKind, IdentifierRules, Identity};
pub use error::{Disposition, PortError, PortResult, ServiceError};
pub use events::{CaseUpdated, Envelope, Event, PostChange, ReplyRequested, Stream};
pub use ids::{AgentId, AuthorId, CaseId, CustomerId, IdError, PostId};
pub use post::{Attachment, Author, Classification, Delivery, Direction, Intent, Post, PostContext, Sentiment};
pub use settings::{AlertWebhook, GenericSource, Settings};
pub use sla::{Alert, Level, SlaClock, SlaPolicy, Target, Timer};
