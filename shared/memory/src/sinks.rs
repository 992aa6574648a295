//! The in-process bus (events to their queues) and an alert sink that keeps what it got.

use crate::queue::MemoryQueue;
use async_trait::async_trait;
use socialcare_domain::health::ChannelAlert;
use socialcare_domain::ports::{AlertSink, ChannelAlertSink, Publisher};
use socialcare_domain::{Alert, Envelope, PortError, PortResult, Stream};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Routes each event to the queue of its stream, with its group and dedup id on FIFO queues.
#[derive(Default)]
pub struct MemoryBus {
    queues: BTreeMap<Stream, Arc<MemoryQueue>>,
}

impl MemoryBus {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn with(mut self, stream: Stream, queue: Arc<MemoryQueue>) -> Self {
        self.queues.insert(stream, queue);
        self
    }
    pub fn queue(&self, stream: Stream) -> Option<&Arc<MemoryQueue>> {
        self.queues.get(&stream)
    }
}

#[async_trait]
impl Publisher for MemoryBus {
    async fn publish(&self, envelope: &Envelope) -> PortResult<()> {
        let stream = envelope.event.stream();
        let queue = self
            .queues
            .get(&stream)
            .ok_or_else(|| PortError::Invalid(format!("no queue for stream {}", stream.as_str())))?;
        let body = serde_json::to_string(envelope).map_err(|e| PortError::Invalid(e.to_string()))?;
        let (group, dedup) = if queue.is_fifo() {
            (Some(envelope.event.group()), Some(envelope.id.clone()))
        } else {
            (None, None)
        };
        queue.send(body, group, dedup)?;
        Ok(())
    }
}

/// Keeps every alert it is given (tests, and the local console's view).
#[derive(Default)]
pub struct RecordingAlertSink {
    alerts: Mutex<Vec<Alert>>,
    channel_alerts: Mutex<Vec<ChannelAlert>>,
}

impl RecordingAlertSink {
    pub fn new() -> Self {
        Self::default()
    }
    /// The `channel.alert.v1` alerts published here.
    pub fn channel_alerts(&self) -> Vec<ChannelAlert> {
        self.channel_alerts.lock().map(|a| a.clone()).unwrap_or_default()
    }
    pub fn alerts(&self) -> Vec<Alert> {
        self.alerts.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl AlertSink for RecordingAlertSink {
    async fn publish(&self, alert: &Alert) -> PortResult<()> {
        self.alerts
            .lock()
            .map_err(|_| PortError::Unavailable("alert sink poisoned".into()))?
            .push(alert.clone());
        Ok(())
    }
}

#[async_trait]
impl ChannelAlertSink for RecordingAlertSink {
    async fn publish_channel(&self, alert: &ChannelAlert) -> PortResult<()> {
        self.channel_alerts
            .lock()
            .map_err(|_| PortError::Unavailable("alert sink poisoned".into()))?
            .push(alert.clone());
        Ok(())
    }
}
