//! `Publisher` + `QueueReceiver`: round trip, delete, redelivery after the visibility timeout
//! with a growing receive count, FIFO order per group and FIFO deduplication by envelope id,
//! and `publish_all` (one result per envelope, order per group kept).

use crate::sample::{at, case_id, post, tag};
use anyhow::ensure;
use socialcare_domain::ports::{Publisher, QueueReceiver, Received};
use socialcare_domain::{CaseUpdated, Envelope, Event, PostChange};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Queues of their own for the suite: the standard `cases` stream and the FIFO `classified`
/// stream, both fed by `publisher`, with a short visibility timeout.
pub struct QueueSetup {
    pub publisher: Arc<dyn Publisher>,
    pub cases: Arc<dyn QueueReceiver>,
    pub classified: Arc<dyn QueueReceiver>,
    pub visibility: Duration,
}

/// Receives until `want` messages arrived or `patience` ran out; deletes as it goes if asked.
async fn collect(
    q: &dyn QueueReceiver,
    want: usize,
    patience: Duration,
    delete: bool,
) -> anyhow::Result<Vec<Received>> {
    let deadline = Instant::now() + patience;
    let mut got = Vec::new();
    while got.len() < want && Instant::now() < deadline {
        let batch = q.receive(10, Duration::from_secs(1)).await?;
        if delete && !batch.is_empty() {
            let receipts: Vec<String> = batch.iter().map(|m| m.receipt.clone()).collect();
            q.delete(&receipts).await?;
        }
        got.extend(batch);
    }
    Ok(got)
}

fn case_event(t: &str, i: usize) -> anyhow::Result<Envelope> {
    Ok(Envelope::new(
        Event::CaseUpdated(CaseUpdated {
            case_id: case_id(&format!("case-{t}-{i}"))?,
            version: 1,
            reason: "opened".into(),
        }),
        at(0),
    ))
}

pub async fn queue_contract(setup: QueueSetup) -> anyhow::Result<()> {
    let t = tag();
    let QueueSetup {
        publisher,
        cases,
        classified,
        visibility,
    } = setup;
    let patience = Duration::from_secs(15);

    // Round trip on a standard queue.
    let sent: Vec<Envelope> = (0..3).map(|i| case_event(&t, i)).collect::<anyhow::Result<_>>()?;
    for e in &sent {
        publisher.publish(e).await?;
    }
    let got = collect(&*cases, 3, patience, false).await?;
    ensure!(got.len() == 3, "received {} of 3", got.len());
    let mut bodies: Vec<Envelope> = got
        .iter()
        .map(|m| serde_json::from_str(&m.body))
        .collect::<Result<_, _>>()?;
    bodies.sort_by(|a, b| a.id.cmp(&b.id));
    let mut expected = sent.clone();
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    ensure!(bodies == expected, "bodies are the envelopes sent");
    ensure!(got.iter().all(|m| m.receive_count == 1), "first delivery counts 1");
    ensure!(got.iter().all(|m| m.group.is_none()), "no group on a standard queue");
    ensure!(got.iter().all(|m| !m.receipt.is_empty() && !m.message_id.is_empty()));
    cases
        .delete(&got.iter().map(|m| m.receipt.clone()).collect::<Vec<_>>())
        .await?;

    // Not deleted → back after the visibility timeout, counted.
    let once = case_event(&t, 9)?;
    publisher.publish(&once).await?;
    let first = collect(&*cases, 1, patience, false).await?;
    ensure!(first.len() == 1, "the redelivery probe arrived");
    ensure!(
        cases.receive(10, Duration::ZERO).await?.is_empty(),
        "in flight: invisible, and deleted messages do not come back"
    );
    tokio::time::sleep(visibility + Duration::from_millis(300)).await;
    let again = collect(&*cases, 1, patience, false).await?;
    ensure!(again.len() == 1, "redelivered after the visibility timeout");
    ensure!(again[0].message_id == first[0].message_id, "the same message");
    ensure!(
        again[0].receive_count == 2,
        "receive count 2, got {}",
        again[0].receive_count
    );
    cases.delete(&[again[0].receipt.clone()]).await?;
    tokio::time::sleep(visibility + Duration::from_millis(300)).await;
    ensure!(
        cases.receive(10, Duration::from_secs(1)).await?.is_empty(),
        "deleted for good"
    );

    // FIFO: order per group, dedup by envelope id.
    let (a, b) = (format!("generic:forum:{t}-a"), format!("generic:forum:{t}-b"));
    let plan = [(&a, 1), (&b, 1), (&a, 2), (&a, 3), (&b, 2), (&a, 4)];
    let mut envelopes = Vec::new();
    for (author, n) in plan {
        let p = post(&format!("{author}-post-{n}"), author, at(n))?;
        envelopes.push(Envelope::new(
            Event::PostClassified(PostChange::Created { post: Box::new(p) }),
            at(n),
        ));
    }
    for e in &envelopes {
        publisher.publish(e).await?;
    }
    publisher.publish(&envelopes[2]).await?;
    let got = collect(&*classified, envelopes.len(), patience, true).await?;
    // Anything beyond the six would be the duplicate: give it a moment to show up.
    let extra = classified.receive(10, Duration::from_secs(1)).await?;
    ensure!(
        extra.is_empty() && got.len() == 6,
        "six distinct messages, the resend dropped"
    );
    let mut per_group: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in &got {
        let e: Envelope = serde_json::from_str(&m.body)?;
        ensure!(
            m.group.as_deref() == Some(e.event.group().as_str()),
            "group is the author"
        );
        per_group.entry(e.event.group()).or_default().push(e.id);
    }
    let mut want: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in &envelopes {
        want.entry(e.event.group()).or_default().push(e.id.clone());
    }
    ensure!(per_group == want, "each author's posts in the order sent");

    // publish_all: one result per envelope; 13 FIFO posts of two authors and 12 case events in
    // one call arrive complete, each author's posts in the order given.
    let (c, d) = (format!("generic:forum:{t}-c"), format!("generic:forum:{t}-d"));
    let mut mixed = Vec::new();
    let mut fifo = Vec::new();
    for n in 0..25_i64 {
        if n % 2 == 0 {
            let author = if n % 4 == 0 { &c } else { &d };
            let p = post(&format!("{author}-all-{n}"), author, at(n))?;
            let e = Envelope::new(Event::PostClassified(PostChange::Created { post: Box::new(p) }), at(n));
            fifo.push(e.clone());
            mixed.push(e);
        } else {
            mixed.push(case_event(&format!("{t}-all"), usize::try_from(n)?)?);
        }
    }
    let results = publisher.publish_all(&mixed).await;
    ensure!(results.len() == mixed.len(), "one result per envelope");
    for r in results {
        r?;
    }
    let got = collect(&*classified, fifo.len(), patience, true).await?;
    ensure!(
        got.len() == fifo.len(),
        "received {} of {} FIFO messages",
        got.len(),
        fifo.len()
    );
    let mut per_group: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in &got {
        let e: Envelope = serde_json::from_str(&m.body)?;
        per_group.entry(e.event.group()).or_default().push(e.id);
    }
    let mut want: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in &fifo {
        want.entry(e.event.group()).or_default().push(e.id.clone());
    }
    ensure!(per_group == want, "publish_all keeps each author's order");
    let standard = collect(&*cases, 12, patience, true).await?;
    ensure!(standard.len() == 12, "received {} of 12 case events", standard.len());
    Ok(())
}
