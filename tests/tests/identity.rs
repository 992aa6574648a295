//! Identity through HTTP: a supervisor merges two customers whose open cases fold into one,
//! reads the merged story under either id, and splits the merge; on the memory backend and on
//! DynamoDB/SQS (moto). The rules themselves are tested in shared/memory/tests/services.rs.

use serde_json::json;
use socialcare_domain::Role;
use socialcare_system_tests::{Backend, TestStack, case_with_post, config, created};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_and_split_through_the_api() -> anyhow::Result<()> {
    merge_and_split(Backend::Memory).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_and_split_on_the_aws_backend() -> anyhow::Result<()> {
    match Backend::moto()? {
        Some(backend) => merge_and_split(backend).await,
        None => Ok(()),
    }
}

async fn merge_and_split(backend: Backend) -> anyhow::Result<()> {
    let text = config("http://127.0.0.1:9/replies", 3600);
    let t = TestStack::start_on(backend, &text, "http://127.0.0.1:9/alerts", Default::default(), &[]).await?;
    let posts = [
        (
            "id-1",
            "u-puppy",
            "MagicPuppy123",
            "Please help me, my Acme router is broken",
        ),
        (
            "id-2",
            "u-tara",
            "Tara Jane Willis",
            "My Acme router keeps dropping the connection, please help",
        ),
    ];
    for (i, (id, author, handle, text)) in posts.iter().enumerate() {
        let (status, _) = t.webhook(&format!("w{i}"), &created(id, author, handle, text)).await?;
        assert_eq!(status, 200);
        t.wait_cases(Duration::from_secs(10), |cs| cs.len() == i + 1).await?;
    }
    let cases = t.wait_cases(Duration::from_secs(10), |cs| cs.len() == 2).await?;
    let of = |post: &str| case_with_post(&cases, post);
    let (older, newer) = (of("id-1"), of("id-2"));
    let target = older["customer_id"].as_str().unwrap_or_default().to_string();
    let source = newer["customer_id"].as_str().unwrap_or_default().to_string();
    assert!(!target.is_empty() && !source.is_empty() && target != source);

    // Bad input and the wrong caller get clear answers.
    let body = json!({"source": source, "target": target, "reason": "same person (order 4417-2290)"});
    assert_eq!(
        t.post("/v1/merges", "ana", Role::Agent, Some(body.clone())).await?.0,
        403
    );
    let (status, problem) = t
        .post(
            "/v1/merges",
            "sam",
            Role::Supervisor,
            Some(json!({"source": source, "into": target})),
        )
        .await?;
    assert_eq!(status, 400, "{problem}");
    let (status, _) = t
        .post(
            "/v1/merges",
            "sam",
            Role::Supervisor,
            Some(json!({"source": source, "target": source})),
        )
        .await?;
    assert_eq!(status, 422, "not into itself");
    let (status, _) = t
        .post(
            "/v1/merges",
            "sam",
            Role::Supervisor,
            Some(json!({"source": "cus-nobody", "target": target})),
        )
        .await?;
    assert_eq!(status, 404);
    assert_eq!(
        t.post("/v1/merges/mrg-nope/split", "sam", Role::Supervisor, None)
            .await?
            .0,
        404
    );

    // The merge: the newer case folds into the older one.
    let (status, merge) = t.post("/v1/merges", "sam", Role::Supervisor, Some(body)).await?;
    assert_eq!(status, 201, "{merge}");
    assert_eq!(merge["state"], "done");
    assert_eq!(merge["fold"]["kept"], older["id"]);
    assert_eq!(merge["fold"]["folded"], newer["id"]);
    let merge_id = merge["id"].as_str().unwrap_or_default().to_string();
    let (status, story) = t
        .get(&format!("/v1/customers/{source}"), "sam", Role::Supervisor)
        .await?;
    assert_eq!(status, 200);
    assert_eq!(story["id"], target.as_str(), "the old id leads to the survivor");
    assert_eq!(story["merged_from"], source.as_str());
    assert_eq!(story["identities"].as_array().map(Vec::len), Some(2));
    assert_eq!(story["posts"].as_array().map(Vec::len), Some(2));
    assert_eq!(story["merges"][0]["id"], merge_id.as_str());
    let (_, folded) = t
        .get(
            &format!("/v1/cases/{}", newer["id"].as_str().unwrap_or_default()),
            "sam",
            Role::Supervisor,
        )
        .await?;
    assert_eq!(folded["status"], "closed");
    let (_, kept) = t
        .get(
            &format!("/v1/cases/{}", older["id"].as_str().unwrap_or_default()),
            "sam",
            Role::Supervisor,
        )
        .await?;
    assert_eq!(kept["post_ids"].as_array().map(Vec::len), Some(2));
    let (status, record) = t
        .get(&format!("/v1/merges/{merge_id}"), "sam", Role::Supervisor)
        .await?;
    assert_eq!(
        (status, &record["reason"]),
        (200, &json!("same person (order 4417-2290)"))
    );
    assert_eq!(
        t.get(&format!("/v1/merges/{merge_id}"), "ana", Role::Agent).await?.0,
        404
    );

    // The split: both customers and cases back.
    let (status, split) = t
        .post(&format!("/v1/merges/{merge_id}/split"), "sam", Role::Supervisor, None)
        .await?;
    assert_eq!((status, &split["state"]), (200, &json!("undone")), "{split}");
    assert_eq!(split["undone_by"], "sam");
    let (_, story) = t
        .get(&format!("/v1/customers/{source}"), "sam", Role::Supervisor)
        .await?;
    assert_eq!(story["id"], source.as_str());
    assert!(story.get("merged_from").is_none());
    assert_eq!(story["identities"].as_array().map(Vec::len), Some(1));
    let cases = t
        .wait_cases(Duration::from_secs(10), |cs| {
            cs.len() == 2 && cs.iter().all(|c| c["status"] != "closed")
        })
        .await?;
    for c in &cases {
        assert_eq!(c["post_ids"].as_array().map(Vec::len), Some(1), "{c}");
    }
    assert_eq!(
        t.post(&format!("/v1/merges/{merge_id}/split"), "sam", Role::Supervisor, None)
            .await?
            .0,
        409
    );

    // Merged again, then one handle detached: it is a customer of its own.
    let body = json!({"source": source, "target": target});
    assert_eq!(t.post("/v1/merges", "sam", Role::Supervisor, Some(body)).await?.0, 201);
    let detach = |author: &str| json!({ "author_id": author });
    let path = format!("/v1/customers/{target}/detach");
    assert_eq!(
        t.post(&path, "ana", Role::Agent, Some(detach("generic:forum:u-tara")))
            .await?
            .0,
        403
    );
    assert_eq!(
        t.post(&path, "sam", Role::Supervisor, Some(json!({"author": "x"})))
            .await?
            .0,
        400
    );
    assert_eq!(
        t.post(&path, "sam", Role::Supervisor, Some(detach("generic:forum:nobody")))
            .await?
            .0,
        404
    );
    let (status, own) = t
        .post(&path, "sam", Role::Supervisor, Some(detach("generic:forum:u-tara")))
        .await?;
    assert_eq!(status, 201, "{own}");
    assert_eq!(own["identities"][0]["evidence"]["kind"], "detached");
    assert_eq!(own["identities"][0]["actor"], "sam");
    let (_, story) = t
        .get(&format!("/v1/customers/{target}"), "sam", Role::Supervisor)
        .await?;
    assert_eq!(story["identities"].as_array().map(Vec::len), Some(1));
    let (status, _) = t
        .post(&path, "sam", Role::Supervisor, Some(detach("generic:forum:u-puppy")))
        .await?;
    assert_eq!(status, 409, "the only author stays");
    Ok(())
}
