//! The classify function: takes `post.received.v1`, attaches a classification, emits
//! `post.classified.v1`. Only this function links the classification models.

use socialcare_domain::services::classify::ClassifyService;
use socialcare_domain::{Envelope, Event, ServiceError};

pub async fn handle(service: &ClassifyService, envelope: Envelope) -> Result<(), ServiceError> {
    match envelope.event {
        Event::PostReceived(change) => service.handle(change).await,
        other => Err(ServiceError::Invalid(format!(
            "{} does not belong on the classify queue",
            other.type_name()
        ))),
    }
}
