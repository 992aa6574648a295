//! The outbound function: takes `reply.requested.v1` and delivers the reply to the customer's
//! channel. Passing failures go back to the queue; refusals are parked on the case.

use socialcare_domain::services::outbound::OutboundService;
use socialcare_domain::{Envelope, Event, ServiceError};

pub async fn handle(service: &OutboundService, envelope: Envelope) -> Result<(), ServiceError> {
    match envelope.event {
        Event::ReplyRequested(request) => service.deliver(&request).await.map(|_| ()),
        other => Err(ServiceError::Invalid(format!(
            "{} does not belong on the outbound queue",
            other.type_name()
        ))),
    }
}
