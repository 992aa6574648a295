//! Errors that ports and services return, classified so that the edge knows what to do.

/// What the edge should do with a failed message or request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// A passing fault: let the queue redeliver (or answer 5xx so the platform resends).
    Retry,
    /// It can never succeed: park it with this reason, do not retry.
    Drop(String),
    /// A bug or broken setup: fail loudly.
    Fatal,
}

/// Errors of the ports (storage, queues, sinks).
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// A conditional write lost: someone else changed the record first.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// The backend is throttling or unreachable; try again.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The stored data or request cannot be used, ever.
    #[error("invalid: {0}")]
    Invalid(String),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl PortError {
    pub fn disposition(&self) -> Disposition {
        match self {
            PortError::Conflict(_) | PortError::Unavailable(_) => Disposition::Retry,
            PortError::NotFound(m) | PortError::Invalid(m) => Disposition::Drop(m.clone()),
            PortError::Unknown(_) => Disposition::Fatal,
        }
    }
}

/// Errors of the services (use cases), per the edge's needs.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("not found: {0}")]
    NotFound(String),
    /// The caller may not do this (authenticated, but not allowed on this object).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The request contradicts the object's state (e.g. resolving a resolved case).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The input can never be processed.
    #[error("invalid: {0}")]
    Invalid(String),
    #[error(transparent)]
    Port(#[from] PortError),
}

impl ServiceError {
    pub fn disposition(&self) -> Disposition {
        match self {
            ServiceError::NotFound(m) | ServiceError::Invalid(m) | ServiceError::Forbidden(m) => {
                Disposition::Drop(m.clone())
            }
            ServiceError::Conflict(_) => Disposition::Retry,
            ServiceError::Port(p) => p.disposition(),
        }
    }
}

pub type PortResult<T> = Result<T, PortError>;
