//! The BOLA matrix (issue 14): every operation of the OpenAPI document, walked as agent A, agent
//! B, a supervisor, a demoted supervisor, and callers who must be refused (no token, expired,
//! signed with another key, `alg: none`, living over the cap, naming no agent, a forged role
//! claim), against objects owned by A, by B and by nobody. Who may get a 2xx is the operation's
//! `x-access` in the document; any other 2xx, any 5xx, and anything but 401 for a refused token
//! fails the test. The route list comes from the document, so a new route is walked the day it
//! is added (and one without `x-access` fails).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use socialcare_domain::{AgentId, Role};
use socialcare_system_tests::{JWT_SECRET, TestStack, case_with_post, created};
use std::time::Duration;

const CONFIG: &str = r#"
[service]
languages = ["en", "es", "pt", "fr", "de"]
default_language = "en"

[[sources]]
name = "forum"
secret_env = "FORUM_SECRET"

[[agents]]
id = "ana"
languages = ["pt"]
capacity = 5

[[agents]]
id = "ben"
languages = ["en"]
capacity = 5

[[agents]]
id = "sam"
languages = ["en"]
capacity = 0
role = "supervisor"

[[agents]]
id = "dora"
languages = ["de"]
capacity = 0
role = "supervisor"

[sla.first_response]
P1 = 3600
P2 = 3600
P3 = 3600
P4 = 3600
"#;

/// Who the caller is to the deployment, once its token is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effective {
    A,
    B,
    Supervisor,
    /// An agent with nothing of its own (the demoted supervisor).
    Nobody,
    /// Must be refused with 401.
    Refused,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    A,
    B,
    Nobody,
}

fn raw_token(secret: &[u8], sub: &str, role: &str, iat: i64, exp: i64) -> String {
    let claims = json!({"sub": sub, "role": role, "iss": "socialcare", "iat": iat, "exp": exp});
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .unwrap_or_default()
}

/// The callers: (name, Authorization header or none, who the deployment must take them for).
fn callers() -> Vec<(&'static str, Option<String>, Effective)> {
    let now = Timestamp::now().as_second();
    let bearer = |t: String| Some(format!("Bearer {t}"));
    let good = |sub: &str, role: Role| bearer(TestStack::token(sub, role));
    let alg_none = {
        let header = B64URL.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let claims = B64URL.encode(
            json!({"sub": "sam", "role": "supervisor", "iss": "socialcare", "iat": now, "exp": now + 600}).to_string(),
        );
        bearer(format!("{header}.{claims}."))
    };
    let expired = socialcare_kit::auth::mint(
        JWT_SECRET,
        &AgentId::parse("sam").unwrap_or_else(|_| unreachable!()),
        Role::Supervisor,
        Timestamp::now() - SignedDuration::from_hours(2),
        3600,
    )
    .unwrap_or_default();
    vec![
        ("no token", None, Effective::Refused),
        (
            "not bearer",
            Some(TestStack::token("sam", Role::Supervisor)),
            Effective::Refused,
        ),
        ("expired", bearer(expired), Effective::Refused),
        (
            "another key",
            bearer(raw_token(
                b"another-key-that-is-also-32-bytes-long!",
                "sam",
                "supervisor",
                now,
                now + 600,
            )),
            Effective::Refused,
        ),
        ("alg none", alg_none, Effective::Refused),
        (
            "over 12 h",
            bearer(raw_token(JWT_SECRET, "sam", "supervisor", now, now + 13 * 3600)),
            Effective::Refused,
        ),
        ("unknown subject", good("ghost", Role::Supervisor), Effective::Refused),
        ("demoted supervisor", good("dora", Role::Supervisor), Effective::Nobody),
        ("agent B", good("ben", Role::Agent), Effective::B),
        (
            "agent A claiming supervisor",
            good("ana", Role::Supervisor),
            Effective::A,
        ),
        ("agent A", good("ana", Role::Agent), Effective::A),
        ("supervisor", good("sam", Role::Supervisor), Effective::Supervisor),
    ]
}

/// Whether `who` may get a 2xx from an operation of `access` on `owner`'s object.
fn may(access: &str, who: Effective, owner: Owner) -> bool {
    let owns = matches!((who, owner), (Effective::A, Owner::A) | (Effective::B, Owner::B));
    match access {
        "public" => true,
        _ if who == Effective::Refused => false,
        "any" => true,
        "supervisor" | "both-sides" => who == Effective::Supervisor,
        "self" | "assignee" | "assignee-only" | "case-reader" | "customer-holder" | "merge-party" => {
            who == Effective::Supervisor || owns
        }
        other => panic!("x-access `{other}` is not one the matrix knows: teach it here"),
    }
}

/// The objects of one run: A's and B's cases, customers and merges.
struct World {
    case: [String; 2],
    customer: [String; 2],
    merge: [String; 2],
}

async fn world(t: &TestStack) -> anyhow::Result<World> {
    // The demoted supervisor: its old tokens must give it an agent's rights only.
    let (status, body) = t
        .http_put(
            "/v1/agents/dora",
            "sam",
            Role::Supervisor,
            json!({"languages": ["de"], "capacity": 0, "role": "agent"}),
        )
        .await?;
    anyhow::ensure!(status == 200, "demote: {status} {body}");
    let pt = "Olá, meu pedido ainda não chegou e já se passaram duas semanas. Vocês podem verificar, por favor?";
    let en = "My Acme laptop died the night before my exam and nobody answers. Can you please help me repair it?";
    for (i, (author, text)) in [("u-a1", pt), ("u-a2", pt), ("u-b1", en), ("u-b2", en)]
        .iter()
        .enumerate()
    {
        let (status, body) = t
            .webhook(&format!("w-{i}"), &created(&format!("p-{i}"), author, author, text))
            .await?;
        anyhow::ensure!(status == 200, "{status} {body}");
        t.wait_cases(Duration::from_secs(15), |cs| {
            cs.len() == i + 1 && cs.iter().all(|c| !c["assignee"].is_null())
        })
        .await?;
    }
    let cases = t.wait_cases(Duration::from_secs(15), |cs| cs.len() == 4).await?;
    let of = |post: &str| case_with_post(&cases, post);
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let (a1, a2, b1, b2) = (of("p-0"), of("p-1"), of("p-2"), of("p-3"));
    anyhow::ensure!(a1["assignee"] == "ana" && b1["assignee"] == "ben", "{cases:#?}");
    // The supervisor merges each agent's two customers: a merge record per side.
    let mut merge = vec![];
    for (source, target) in [(&a2, &a1), (&b2, &b1)] {
        let body = json!({"source": s(&source["customer_id"]), "target": s(&target["customer_id"])});
        let (status, record) = t.post("/v1/merges", "sam", Role::Supervisor, Some(body)).await?;
        anyhow::ensure!(status == 201, "merge: {status} {record}");
        merge.push(s(&record["id"]));
    }
    Ok(World {
        case: [s(&a1["id"]), s(&b1["id"])],
        customer: [s(&a1["customer_id"]), s(&b1["customer_id"])],
        merge: [merge[0].clone(), merge[1].clone()],
    })
}

/// The path and body of `method path` on `owner`'s object.
fn request(w: &World, path: &str, owner: Owner) -> (String, Option<Value>) {
    let i = match owner {
        Owner::A => 0,
        Owner::B => 1,
        Owner::Nobody => 2,
    };
    let pick = |objects: &[String; 2], nobody: &str| objects.get(i).cloned().unwrap_or_else(|| nobody.to_string());
    let agent = ["ana", "ben", "nobody-agent"][i];
    let id = if path.starts_with("/v1/cases/") {
        pick(&w.case, "case-00000000000000000000000000000000")
    } else if path.starts_with("/v1/customers/") {
        pick(&w.customer, "cus-00000000000000000000000000000000")
    } else if path.starts_with("/v1/merges/") {
        pick(&w.merge, "mrg-nobody")
    } else if path.starts_with("/v1/agents/") {
        agent.to_string()
    } else {
        "case-nobody%23first_response%231".to_string()
    };
    // Channel health: the test stack's generic source is a known account; an agent's is not.
    let concrete = path
        .replace("{id}", &id)
        .replace("{platform}", "generic")
        .replace("{account}", ["forum", "forum", "no-such-source"][i]);
    let author = ["generic:forum:u-a2", "generic:forum:u-b2", "generic:forum:u-nobody"][i];
    let body = match path {
        "/v1/cases/{id}/replies" => Some(json!({"text": "We are on it"})),
        "/v1/cases/{id}/pending" => Some(json!({"reason": "waiting for the order number"})),
        "/v1/cases/{id}/transfer" => Some(json!({"queue": "general"})),
        "/v1/cases/{id}/assign" => Some(json!({"agent_id": if i == 1 { "ben" } else { "ana" }})),
        "/v1/agents/{id}" => Some(json!({"languages": ["en"], "capacity": 3})),
        "/v1/agents/{id}/presence" => Some(json!({"presence": "away"})),
        "/v1/customers/{id}/detach" => Some(json!({"author_id": author})),
        "/v1/merges" => {
            let (a, b) = (w.customer[0].clone(), w.customer[1].clone());
            Some(match owner {
                Owner::A => json!({"source": b, "target": a}),
                Owner::B => json!({"source": a, "target": b}),
                Owner::Nobody => json!({"source": "cus-00000000000000000000000000000000", "target": a}),
            })
        }
        _ => None,
    };
    (concrete, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_answers_only_whom_the_document_names() -> anyhow::Result<()> {
    let doc: Value = serde_json::from_str(fn_agent_api::OPENAPI)?;
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    anyhow::ensure!(paths.len() >= 20, "the document lists {} paths", paths.len());
    let mut violations = vec![];
    let mut calls = 0;
    let mut twos = 0;
    for (path, ops) in &paths {
        for (method, op) in ops.as_object().cloned().unwrap_or_default() {
            let Some(access) = op["x-access"].as_str() else {
                violations.push(format!("{method} {path}: no x-access in the document"));
                continue;
            };
            // A fresh stack per operation: what one caller changes never decides another's answer.
            let t = TestStack::start(CONFIG).await?;
            let w = world(&t).await?;
            let owners = if path.contains("{id}") || path == "/v1/merges" {
                vec![Owner::Nobody, Owner::B, Owner::A]
            } else {
                vec![Owner::Nobody]
            };
            // Everyone else first, the supervisor last: allowed calls change state.
            for (name, header, who) in callers() {
                for owner in &owners {
                    let (url, body) = request(&w, path, *owner);
                    let mut req = match method.as_str() {
                        "get" => t.http.get(t.url(&url)),
                        "put" => t.http.put(t.url(&url)),
                        _ => t.http.post(t.url(&url)),
                    };
                    if let Some(h) = &header {
                        req = req.header("authorization", h);
                    }
                    if let Some(b) = &body {
                        req = req.json(b);
                    }
                    let status = req.send().await?.status().as_u16();
                    calls += 1;
                    let ok = (200..300).contains(&status);
                    twos += usize::from(ok);
                    let what = format!(
                        "{} {url} as {name} on {owner:?}'s object: {status}",
                        method.to_uppercase()
                    );
                    if status >= 500 {
                        violations.push(format!("{what} (a server error)"));
                    } else if who == Effective::Refused && access != "public" && status != 401 {
                        violations.push(format!("{what} (expected 401)"));
                    } else if ok && !may(access, who, *owner) {
                        violations.push(format!("{what} (x-access {access}: not theirs)"));
                    }
                }
            }
            t.stack.stop();
        }
    }
    eprintln!(
        "BOLA matrix: {calls} calls, {twos} answered 2xx where the document allows, {} violations",
        violations.len()
    );
    anyhow::ensure!(violations.is_empty(), "unexpected answers:\n{}", violations.join("\n"));
    anyhow::ensure!(
        twos > 20,
        "the matrix exercised too few allowed calls ({twos}): the fixtures are off"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_ends_an_agents_sessions_and_a_demotion_takes_effect_at_once() -> anyhow::Result<()> {
    let t = TestStack::start(CONFIG).await?;
    let get = |token: String| {
        let req = t.http.get(t.url("/v1/me")).bearer_auth(token);
        async move { anyhow::Ok(req.send().await?.status().as_u16()) }
    };
    let old = TestStack::token("ben", Role::Agent);
    assert_eq!(get(old.clone()).await?, 200);
    // Only supervisors end sessions; an agent's own attempt changes nothing.
    let (status, _) = t
        .post("/v1/agents/ben/sessions/revoke", "ana", Role::Agent, None)
        .await?;
    assert_eq!(status, 403);
    assert_eq!(get(old.clone()).await?, 200);
    let (status, agent) = t
        .post("/v1/agents/ben/sessions/revoke", "sam", Role::Supervisor, None)
        .await?;
    assert_eq!(status, 200, "{agent}");
    assert!(agent["tokens_valid_after"].is_string(), "{agent}");
    assert_eq!(get(old).await?, 401, "a token issued before is refused");
    // Tokens carry whole seconds: one issued in a later second works again.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(get(TestStack::token("ben", Role::Agent)).await?, 200);
    let (status, _) = t
        .post("/v1/agents/nobody-agent/sessions/revoke", "sam", Role::Supervisor, None)
        .await?;
    assert_eq!(status, 404);

    // Demoting a supervisor: its existing token lists no alerts from the next call on.
    let dora = TestStack::token("dora", Role::Supervisor);
    let alerts = |token: String| {
        let req = t.http.get(t.url("/v1/alerts")).bearer_auth(token);
        async move { anyhow::Ok(req.send().await?.status().as_u16()) }
    };
    assert_eq!(alerts(dora.clone()).await?, 200);
    let (status, _) = t
        .http_put(
            "/v1/agents/dora",
            "sam",
            Role::Supervisor,
            json!({"languages": ["de"], "capacity": 0, "role": "agent"}),
        )
        .await?;
    assert_eq!(status, 200);
    assert_eq!(alerts(dora).await?, 403);
    t.stack.stop();
    Ok(())
}
