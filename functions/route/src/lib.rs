//! The route function: takes `case.updated.v1`, starts the case's SLA clocks and assigns it to
//! the best eligible agent in one conditional write, or leaves it waiting in its queue.

use socialcare_domain::services::route::RouteService;
use socialcare_domain::{Envelope, Event, ServiceError};

pub async fn handle(service: &RouteService, envelope: Envelope) -> Result<(), ServiceError> {
    match envelope.event {
        Event::CaseUpdated(update) => service.on_case_updated(&update.case_id).await.map(|_| ()),
        other => Err(ServiceError::Invalid(format!(
            "{} does not belong on the route queue",
            other.type_name()
        ))),
    }
}
