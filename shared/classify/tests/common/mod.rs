//! What the classifier's tests and bench share: the default classifier, built once, and a post
//! on our X account with the given text.
#![allow(dead_code)]

use jiff::Timestamp;
use socialcare_classify::{ClassifyConfig, RuleClassifier};
use socialcare_domain::{Author, AuthorId, Channel, Direction, Post, PostId};
use std::sync::OnceLock;

pub fn classifier() -> &'static RuleClassifier {
    static C: OnceLock<RuleClassifier> = OnceLock::new();
    C.get_or_init(|| RuleClassifier::new(ClassifyConfig::default()).unwrap_or_else(|e| panic!("{e}")))
}

pub fn post(text: &str, followers: Option<u64>) -> Post {
    Post {
        id: PostId::parse("x:acmehelp:1").unwrap_or_else(|e| panic!("{e}")),
        channel: Channel::X,
        account: "AcmeHelp".into(),
        platform_id: "1".into(),
        conversation_id: None,
        parent_id: None,
        author: Author {
            id: AuthorId::parse("x:42").unwrap_or_else(|e| panic!("{e}")),
            handle: "someone".into(),
            name: None,
            followers,
            verified: None,
            following: None,
            joined_at: None,
        },
        text: text.into(),
        created_at: Timestamp::UNIX_EPOCH,
        received_at: Timestamp::UNIX_EPOCH,
        private: false,
        direction: Direction::Inbound,
        edits: vec![],
        deleted: false,
        classification: None,
        delivery: None,
        attachments: vec![],
        recipient: None,
    }
}
