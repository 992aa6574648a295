//! The sla function: the ticker. On AWS a schedule invokes it every minute and it ticks each
//! second of that minute, so a timer fires within about a second of its due time; locally
//! `care serve` ticks it in-process. Once a minute it also returns to the queue the unanswered
//! cases of agents offline for longer than the routing grace, and checks each channel's
//! health (silence, and one `channel.alert.v1` per open incident) ([`run_minute`]).

use socialcare_domain::ServiceError;
use socialcare_domain::services::channels::ChannelHealthService;
use socialcare_domain::services::route::RouteService;
use socialcare_domain::services::sla::{SlaService, TickReport};
use std::time::Duration;

/// What one scheduled invocation did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MinuteReport {
    #[serde(flatten)]
    pub ticks: TickReport,
    /// Cases of agents offline past the grace, returned to the queue and routed again.
    pub returned_offline: usize,
    /// Channel alerts raised this minute.
    pub channel_alerts: usize,
}

/// One scheduled invocation: the offline-grace sweep and the channel health check once (a
/// failure of either is logged and tried again next minute: the SLA ticks matter more), then
/// [`run_window`].
pub async fn run_minute(
    sla: &SlaService,
    route: &RouteService,
    channels: Option<&ChannelHealthService>,
    window: Duration,
    every: Duration,
) -> Result<MinuteReport, ServiceError> {
    let returned_offline = match route.return_after_grace().await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "offline grace sweep failed; the next minute retries");
            0
        }
    };
    let channel_alerts = match channels {
        Some(c) => match c.check().await {
            Ok(r) => r.alerts,
            Err(e) => {
                tracing::warn!(error = %e, "channel health check failed; the next minute retries");
                0
            }
        },
        None => 0,
    };
    let ticks = run_window(sla, window, every).await?;
    Ok(MinuteReport {
        ticks,
        returned_offline,
        channel_alerts,
    })
}

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
