//! `ReportingCases` over the memory store: every case write keeps the case's report row, a save
//! that changes nothing a report shows writes no row, and a later change always lands.

use async_trait::async_trait;
use jiff::Timestamp;
use socialcare_domain::ports::{CaseStore, LoadChange, ReportStore};
use socialcare_domain::reports::ReportRow;
use socialcare_domain::services::reports::ReportingCases;
use socialcare_domain::{CaseId, PortResult, SlaPolicy};
use socialcare_memory::MemoryStore;
use socialcare_testkit::sample;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The memory store's rows, counting the writes.
struct Counted {
    inner: Arc<MemoryStore>,
    puts: AtomicUsize,
}

#[async_trait]
impl ReportStore for Counted {
    async fn put_report_row(&self, row: &ReportRow) -> PortResult<bool> {
        self.puts.fetch_add(1, Ordering::SeqCst);
        self.inner.put_report_row(row).await
    }
    async fn report_rows(&self, from: Timestamp, to: Timestamp) -> PortResult<Vec<Arc<ReportRow>>> {
        self.inner.report_rows(from, to).await
    }
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn rows_follow_the_saves_that_change_them() -> anyhow::Result<()> {
    let store = Arc::new(MemoryStore::new());
    let rows = Arc::new(Counted {
        inner: store.clone(),
        puts: AtomicUsize::new(0),
    });
    let policy = SlaPolicy::first_response_only(BTreeMap::new());
    let cases = ReportingCases::new(store.clone(), rows.clone(), policy.clone());
    let created = ts("2026-12-01T10:00:00Z");
    let day = (ts("2026-12-01T00:00:00Z"), ts("2026-12-02T00:00:00Z"));
    let case = sample::case("case-r1", "cus-r1", created)?;
    cases.create(&case).await?;
    assert_eq!(rows.puts.load(Ordering::SeqCst), 1, "a new case has its row");
    let id = CaseId::parse("case-r1")?;

    // A save that changes nothing a report shows (the routing explanation, `updated_at`).
    let mut c = cases.get(&id).await?.ok_or_else(|| anyhow::anyhow!("no case"))?;
    let expected = c.version;
    c.updated_at = ts("2026-12-01T10:01:00Z");
    c.routing.waiting_since = Some(c.updated_at);
    c.version += 1;
    cases.save(&c, expected, LoadChange::None).await?;
    assert_eq!(
        rows.puts.load(Ordering::SeqCst),
        1,
        "an unchanged row is not written again"
    );

    // The assignment changes the row: written, with the case's version.
    let mut c = cases.get(&id).await?.ok_or_else(|| anyhow::anyhow!("no case"))?;
    let expected = c.version;
    c.assign(&sample::agent_id("ana")?, ts("2026-12-01T10:02:00Z"))?;
    c.version += 1;
    cases.save(&c, expected, LoadChange::None).await?;
    assert_eq!(rows.puts.load(Ordering::SeqCst), 2);
    let stored = store.report_rows(day.0, day.1).await?;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].agent.as_ref().map(|a| a.as_str()), Some("ana"));
    assert_eq!(stored[0].version, c.version);

    // A store that never read the case cannot tell: it writes.
    let fresh = ReportingCases::new(store.clone(), rows.clone(), policy);
    let expected = c.version;
    c.version += 1;
    fresh.save(&c, expected, LoadChange::None).await?;
    assert_eq!(rows.puts.load(Ordering::SeqCst), 3);
    Ok(())
}
