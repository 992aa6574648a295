//! `[retention]` on DynamoDB (moto): the dated items carry `expires_at` in epoch seconds as the
//! domain's rules say, a reopened case loses it, and the posts and cases tables have TTL on that
//! attribute. moto never expires items: the expiry itself is the domain's unit tests and the
//! memory sweep's (`shared/memory/tests/retention_sweep.rs`).
//!
//! Needs moto: `SOCIALCARE_MOTO_URL=$(scripts/moto.sh url) cargo test -p socialcare-aws`.

use aws_sdk_dynamodb::types::{AttributeValue, TimeToLiveStatus};
use jiff::{SignedDuration, Timestamp};
use socialcare_aws::{AwsStore, Clients, TableNames, emulator_config, ensure_tables};
use socialcare_domain::deletion::{DeletionRequest, code_from};
use socialcare_domain::ports::{CaseStore, DeletionStore, LabelStore, LoadChange, PostStore};
use socialcare_domain::retention::RetentionPolicy;
use socialcare_domain::triage::{Label, LabelFields, LabelOrigin};
use socialcare_domain::{AgentId, CaseStatus};
use socialcare_testkit::sample;
use std::collections::HashMap;

fn day(n: i64) -> Timestamp {
    sample::base() + SignedDuration::from_hours(24 * n)
}

async fn item(store: &AwsStore, table: &str, pk: &str) -> anyhow::Result<HashMap<String, AttributeValue>> {
    let out = store
        .client()
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(pk.to_string()))
        .send()
        .await?;
    out.item.ok_or_else(|| anyhow::anyhow!("no item {pk} in {table}"))
}

fn expires_at(item: &HashMap<String, AttributeValue>) -> Option<i64> {
    match item.get("expires_at") {
        Some(AttributeValue::N(n)) => n.parse().ok(),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dated_items_carry_expires_at_and_a_reopen_removes_it() -> anyhow::Result<()> {
    let url = match std::env::var("SOCIALCARE_MOTO_URL") {
        Ok(url) if !url.is_empty() => url,
        _ if std::env::var("SOCIALCARE_SKIP_MOTO").as_deref() == Ok("1") => return Ok(()),
        _ => anyhow::bail!("SOCIALCARE_MOTO_URL is not set: start moto with scripts/moto.sh start"),
    };
    let clients = Clients::new(&emulator_config(&url).await);
    let tables = TableNames::with_prefix(&format!("sc-{}-retention-", sample::tag()));
    ensure_tables(&clients.dynamodb, &tables).await?;
    let policy = RetentionPolicy {
        chatter_days: 3,
        case_posts_days: 40,
        resolved_cases_days: 20,
        corrections_days: 60,
        audit_days: 90,
    };
    let store = AwsStore::new(clients.dynamodb.clone(), tables.clone()).with_retention(policy);

    for table in [&tables.posts, &tables.cases] {
        let ttl = clients
            .dynamodb
            .describe_time_to_live()
            .table_name(table)
            .send()
            .await?;
        let d = ttl.time_to_live_description;
        assert_eq!(
            d.as_ref().and_then(|d| d.attribute_name()),
            Some("expires_at"),
            "{table}: TTL on expires_at"
        );
        assert_eq!(
            d.and_then(|d| d.time_to_live_status).as_ref(),
            Some(&TimeToLiveStatus::Enabled)
        );
    }

    let chatter = sample::post("generic:forum:ret-chatter", "generic:forum:u1", day(0))?;
    let mut asked = sample::post("generic:forum:ret-asked", "generic:forum:u1", day(0))?;
    asked.classification = Some(sample::classification(true));
    store.insert(&chatter).await?;
    store.put(&asked).await?;
    let posts = &tables.posts;
    assert_eq!(
        expires_at(&item(&store, posts, chatter.id.as_str()).await?),
        Some(day(3).as_second())
    );
    assert_eq!(
        expires_at(&item(&store, posts, asked.id.as_str()).await?),
        Some(day(40).as_second())
    );

    // A case: no expiry while active, dated on resolution, undated again when it reopens.
    let mut case = sample::case("case-ret", "cus-ret", day(0))?;
    store.create(&case).await?;
    let pk = format!("case#{}", case.id);
    assert_eq!(
        expires_at(&item(&store, &tables.cases, &pk).await?),
        None,
        "active: no expiry"
    );
    case.status = CaseStatus::Resolved;
    case.resolved_at = Some(day(2));
    case.version += 1;
    store.save(&case, case.version - 1, LoadChange::None).await?;
    assert_eq!(
        expires_at(&item(&store, &tables.cases, &pk).await?),
        Some(day(22).as_second())
    );
    case.status = CaseStatus::Open;
    case.resolved_at = None;
    case.version += 1;
    store.save(&case, case.version - 1, LoadChange::None).await?;
    assert_eq!(
        expires_at(&item(&store, &tables.cases, &pk).await?),
        None,
        "reopened: no expiry"
    );

    // A label (corrections) and a deletion request (audit).
    let label = Label {
        post_id: asked.id.clone(),
        fields: LabelFields {
            spam: Some(false),
            ..LabelFields::default()
        },
        by: AgentId::parse("ana")?,
        at: day(1),
        origin: LabelOrigin::Api,
    };
    store.append_label(&label).await?;
    let scan = clients.dynamodb.scan().table_name(posts).send().await?;
    let label_item = scan
        .items()
        .iter()
        .find(|i| matches!(i.get("pk"), Some(AttributeValue::S(pk)) if pk.starts_with("label#")))
        .ok_or_else(|| anyhow::anyhow!("no label item"))?;
    assert_eq!(expires_at(label_item), Some(day(61).as_second()));
    let code = code_from([3; 16]);
    store
        .record_deletion(&DeletionRequest::received(code.clone(), "meta", day(0)))
        .await?;
    let request = item(&store, posts, &format!("deletion#{code}")).await?;
    assert_eq!(expires_at(&request), Some(day(90).as_second()));

    // Without a policy nothing is dated (the adapters' default).
    let undated = AwsStore::new(clients.dynamodb.clone(), tables.clone());
    let other = sample::post("generic:forum:ret-undated", "generic:forum:u2", day(0))?;
    undated.insert(&other).await?;
    assert_eq!(expires_at(&item(&undated, posts, other.id.as_str()).await?), None);
    Ok(())
}
