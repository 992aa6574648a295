//! The thread function: takes `post.classified.v1` from a FIFO queue grouped by author, so one
//! customer's posts are applied in the order they were written; emits `case.updated.v1`.

use socialcare_domain::services::thread::ThreadService;
use socialcare_domain::{Envelope, Event, ServiceError};

pub async fn handle(service: &ThreadService, envelope: Envelope) -> Result<(), ServiceError> {
    match envelope.event {
        Event::PostClassified(change) => service.apply(change).await.map(|_| ()),
        other => Err(ServiceError::Invalid(format!(
            "{} does not belong on the thread queue",
            other.type_name()
        ))),
    }
}
