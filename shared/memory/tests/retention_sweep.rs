//! `care serve`'s retention sweep on the memory store, on a driven clock: each kind of record
//! goes exactly when its `[retention]` days are up, and not a second before; an active case
//! never goes; report rows are not the sweep's.

use jiff::{SignedDuration, Timestamp};
use socialcare_domain::deletion::{DeletionRequest, code_from};
use socialcare_domain::ports::{CaseStore, DeletionStore, LabelStore, PostStore};
use socialcare_domain::retention::RetentionPolicy;
use socialcare_domain::triage::{Label, LabelFields, LabelOrigin};
use socialcare_domain::{AgentId, CaseStatus};
use socialcare_memory::{MemoryStore, Swept};
use socialcare_testkit::sample::{author_id, base, case, classification, post};

fn day(n: i64) -> Timestamp {
    base() + SignedDuration::from_hours(24 * n)
}

#[tokio::test]
async fn the_sweep_removes_exactly_what_has_expired() -> anyhow::Result<()> {
    let store = MemoryStore::new();
    let policy = RetentionPolicy {
        chatter_days: 1,
        case_posts_days: 10,
        resolved_cases_days: 5,
        corrections_days: 20,
        audit_days: 30,
    };
    let chatter = post("generic:forum:chatter", "generic:forum:u1", day(0))?;
    let mut asked = post("generic:forum:asked", "generic:forum:u1", day(0))?;
    asked.classification = Some(classification(true));
    store.insert(&chatter).await?;
    store.insert(&asked).await?;
    let mut resolved = case("case-resolved", "cus-1", day(0))?;
    resolved.status = CaseStatus::Resolved;
    resolved.resolved_at = Some(day(0));
    let active = case("case-active", "cus-2", day(0))?;
    store.create(&active).await?;
    store.create(&case("case-resolved", "cus-1", day(0))?).await?;
    resolved.version += 1;
    store
        .save(
            &resolved,
            resolved.version - 1,
            socialcare_domain::ports::LoadChange::None,
        )
        .await?;
    let label = Label {
        post_id: asked.id.clone(),
        fields: LabelFields {
            actionable: Some(true),
            ..LabelFields::default()
        },
        by: AgentId::parse("ana")?,
        at: day(0),
        origin: LabelOrigin::Api,
    };
    store.append_label(&label).await?;
    let code = code_from([9; 16]);
    store
        .record_deletion(&DeletionRequest::received(code.clone(), "meta", day(0)))
        .await?;

    let second = SignedDuration::from_secs(1);
    let sweep = |at: Timestamp| store.sweep(&policy, at);
    assert_eq!(sweep(day(1) - second)?, Swept::default(), "nothing before its time");
    assert_eq!(
        sweep(day(1))?,
        Swept {
            posts: 1,
            ..Swept::default()
        },
        "chatter after a day"
    );
    assert!(PostStore::get(&store, &chatter.id).await?.is_none() && PostStore::get(&store, &asked.id).await?.is_some());
    assert_eq!(
        store.posts_by_author(&author_id("generic:forum:u1")?).await?,
        vec![asked.id.clone()],
        "the author index forgets a swept post"
    );
    assert_eq!(
        sweep(day(5))?,
        Swept {
            cases: 1,
            ..Swept::default()
        },
        "the resolved case after 5 days"
    );
    assert!(CaseStore::get(&store, &resolved.id).await?.is_none());
    assert!(
        CaseStore::get(&store, &active.id).await?.is_some(),
        "an active case stays"
    );
    assert_eq!(
        sweep(day(10))?,
        Swept {
            posts: 1,
            ..Swept::default()
        },
        "the case post after 10 days"
    );
    assert_eq!(
        sweep(day(20))?,
        Swept {
            labels: 1,
            ..Swept::default()
        },
        "the label after 20 days"
    );
    assert!(store.labels_since(None, 10).await?.is_empty());
    assert_eq!(
        sweep(day(30))?,
        Swept {
            deletion_requests: 1,
            ..Swept::default()
        },
        "the deletion request after 30 days"
    );
    assert!(store.deletion(&code).await?.is_none());
    assert_eq!(sweep(day(3650))?.total(), 0);
    assert!(
        CaseStore::get(&store, &active.id).await?.is_some(),
        "an active case never expires"
    );
    Ok(())
}
