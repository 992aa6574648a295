//! The sla function: the ticker. On AWS a schedule invokes it every minute and it ticks each
//! second of that minute, so a timer fires within about a second of its due time; locally
//! `care serve` ticks it in-process.

use socialcare_domain::ServiceError;
use socialcare_domain::services::sla::{SlaService, TickReport};
use std::time::Duration;

/// Ticks every `every` until `window` has passed; returns the sum of the reports.
pub async fn run_window(service: &SlaService, window: Duration, every: Duration) -> Result<TickReport, ServiceError> {
    let start = tokio::time::Instant::now();
    let mut total = TickReport::default();
    loop {
        let r = service.tick().await?;
        total.due += r.due;
        total.alerts += r.alerts;
        total.stale += r.stale;
        if start.elapsed() + every >= window {
            return Ok(total);
        }
        tokio::time::sleep(every).await;
    }
}
