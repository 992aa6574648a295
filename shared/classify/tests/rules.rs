//! The classifier through its public API: priorities with reasons, spam from duplicates and
//! bot-like authors, product skills, configuration errors, and each language's basics.

use jiff::{Timestamp, ToSpan};
use socialcare_classify::{
    ClassifyConfig, ClassifyError, Context, DuplicateTextTracker, KeywordLists, RULES_VERSION, RuleClassifier,
};
use socialcare_domain::ports::Classifier;
use socialcare_domain::{Intent, Priority, Sentiment};

mod common;
use common::{classifier, post};

#[test]
fn outage_from_an_influencer_is_p1_with_reasons() {
    let c = classifier().classify(&post(
        "Acme Fiber is down again, no internet since 6am. Terrible.",
        Some(12_000),
    ));
    assert_eq!(c.priority, Priority::P1);
    assert!(c.urgent && c.actionable);
    let last = c.reasons.last().cloned().unwrap_or_default();
    assert!(
        last.starts_with("very negative + outage term + 12k followers → P1"),
        "{last}"
    );
    assert!(c.model_version.starts_with(RULES_VERSION), "{}", c.model_version);
}

#[test]
fn priority_grows_with_influence_vip_and_waiting() {
    let text = "My Acme Watch stopped syncing after the update";
    let plain = classifier().classify(&post(text, Some(50)));
    assert_eq!(plain.priority, Priority::P3);
    let config = ClassifyConfig {
        vip_authors: vec!["@someone".into()],
        ..ClassifyConfig::default()
    };
    let vip = RuleClassifier::new(config).unwrap_or_else(|e| panic!("{e}"));
    let c = vip.classify(&post(text, Some(50)));
    assert!(c.priority < Priority::P3, "{c:?}");
    assert!(c.reasons.iter().any(|r| r.contains("VIP")));
    assert!(c.model_version.starts_with(&format!("{RULES_VERSION}+cfg.")));
    let ctx = Context {
        now: Some(Timestamp::UNIX_EPOCH + 13.hours()),
        ..Context::default()
    };
    let waited = classifier().classify_with(&post(text, Some(50)), &ctx);
    assert!(waited.priority < Priority::P3, "{waited:?}");
    assert!(
        waited.reasons.iter().any(|r| r.contains("waited 13h")),
        "{:?}",
        waited.reasons
    );
}

#[test]
fn praise_and_chatter_are_not_actionable() {
    for text in [
        "Shoutout to @AcmeHelp, fixed my billing in 5 minutes. Great service!",
        "Watching the Acme keynote tonight",
        "Das Update lief reibungslos, danke Acme 👍",
    ] {
        let c = classifier().classify(&post(text, None));
        assert!(!c.actionable, "{text}: {c:?}");
        assert_eq!(c.priority, Priority::P4);
    }
}

#[test]
fn each_language_finds_faults() {
    for (text, lang) in [
        ("My Acme Book won't turn on since this morning", "en"),
        ("Mi portátil Acme no enciende desde esta mañana", "es"),
        ("Meu notebook Acme não liga desde hoje de manhã", "pt"),
        ("Mon ordinateur Acme ne s'allume plus depuis ce matin", "fr"),
        ("Mein Acme Laptop geht seit heute Morgen nicht mehr an", "de"),
    ] {
        let c = classifier().classify(&post(text, None));
        assert_eq!(c.language.as_ref().map(|l| l.as_str()), Some(lang), "{text}");
        assert_eq!(c.intent, Intent::Problem, "{text}: {:?}", c.reasons);
        assert_eq!(c.sentiment, Sentiment::Negative, "{text}: {:?}", c.reasons);
    }
}

#[test]
fn same_text_from_many_authors_is_spam() {
    let text = "Limited stock of the new Acme watch, order yours today at our shop";
    let mut tracker = DuplicateTextTracker::new(100);
    let mut ctx = Context::default();
    for author in ["x:1", "x:2", "x:3", "x:4"] {
        ctx.duplicate_authors = tracker.observe(text, author);
    }
    assert!(!classifier().classify(&post(text, Some(400))).spam);
    let c = classifier().classify_with(&post(text, Some(400)), &ctx);
    assert!(c.spam, "{:?}", c.reasons);
    assert!(c.reasons.iter().any(|r| r.contains("same text from 4 authors")));
}

#[test]
fn bot_like_author_tips_a_promotion_into_spam() {
    let text = "Great deals on phone cases http://cases.example";
    let young = Context {
        author_following: Some(4_000),
        author_created_at: Some(Timestamp::UNIX_EPOCH - 2.hours()),
        ..Context::default()
    };
    assert!(!classifier().classify(&post(text, Some(100))).spam);
    assert!(classifier().classify_with(&post(text, Some(3)), &young).spam);
    // The same signals as the X parser puts them on the author reach the rules through the port.
    let mut from_x = post(text, Some(3));
    from_x.author.following = Some(4_000);
    from_x.author.joined_at = Some(Timestamp::UNIX_EPOCH - 2.hours());
    let c = classifier().classify(&from_x);
    assert!(c.spam, "{:?}", c.reasons);
}

#[test]
fn skills_come_from_products_and_aliases() {
    let c = classifier();
    assert_eq!(
        c.skills_for("my Acme Book Pro and my P20 are both broken"),
        ["laptops", "phones"]
    );
    assert_eq!(c.skills_for("@AcmeAir lost my bag"), ["airline"]);
    assert!(c.skills_for("hello").is_empty());
}

#[test]
fn extra_keywords_extend_the_builtin_lists() {
    let text = "the screen shows a bluescreen on every boot";
    assert_ne!(classifier().classify(&post(text, None)).intent, Intent::Problem);
    let mut config = ClassifyConfig::default();
    config.keywords.insert(
        "en".into(),
        KeywordLists {
            problem: vec!["bluescreen".into()],
            ..KeywordLists::default()
        },
    );
    let c = RuleClassifier::new(config).unwrap_or_else(|e| panic!("{e}"));
    let r = c.classify(&post(text, None));
    assert_eq!(r.intent, Intent::Problem, "{:?}", r.reasons);
}

#[test]
fn invalid_configuration_names_the_key() {
    let mut config = ClassifyConfig::default();
    config.products[2].skill = String::new();
    let err = RuleClassifier::new(config).err();
    let Some(ClassifyError::Invalid(errors)) = err else {
        panic!("expected an invalid configuration")
    };
    assert_eq!(errors[0].key, "classify.products[2].skill");
    let text = ClassifyError::Invalid(errors).to_string();
    assert!(text.contains("classify.products[2].skill"), "{text}");
}

#[test]
fn the_function_classifier_counts_the_same_text_from_many_authors_as_spam() {
    use socialcare_classify::TrackingClassifier;
    use socialcare_domain::{AuthorId, PostContext};
    let rules = RuleClassifier::new(ClassifyConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    let tracking = TrackingClassifier::new(rules, 100);
    let text = "Loving my new sneakers from the summer sale, check my profile for details";
    let by = |n: u32| {
        let mut p = post(text, Some(300));
        p.author.id = AuthorId::parse(format!("x:{n}")).unwrap_or_else(|e| panic!("{e}"));
        p
    };
    assert!(!tracking.classify_in(&by(1), &PostContext::default()).spam);
    assert!(!tracking.classify_in(&by(2), &PostContext::default()).spam);
    let third = tracking.classify_in(&by(3), &PostContext::default());
    assert!(third.spam, "{:?}", third.reasons);
    assert!(
        third.reasons.iter().any(|r| r.contains("same text from 3 authors")),
        "{:?}",
        third.reasons
    );
}

#[test]
fn customers_asking_after_their_own_orders_are_cases_not_spam() {
    use socialcare_classify::TrackingClassifier;
    use socialcare_domain::{AuthorId, PostContext};
    let rules = RuleClassifier::new(ClassifyConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    let tracking = TrackingClassifier::new(rules, 100);
    for n in 0..10u32 {
        let mut p = post(
            &format!("where is my order {}? it was due yesterday", 4_810_230 + n * 17),
            Some(150),
        );
        p.author.id = AuthorId::parse(format!("x:{}", 700 + n)).unwrap_or_else(|e| panic!("{e}"));
        let c = tracking.classify_in(&p, &PostContext::default());
        assert!(!c.spam && c.actionable, "customer {n}: {:?}", c.reasons);
    }
    // The very same words from many customers during an incident: a signal, still no spam.
    for n in 0..5u32 {
        let mut p = post("my monitor flickers since the update, any fix?", Some(90));
        p.author.id = AuthorId::parse(format!("x:{}", 900 + n)).unwrap_or_else(|e| panic!("{e}"));
        let c = tracking.classify_in(&p, &PostContext::default());
        assert!(!c.spam && c.actionable, "customer {n}: {:?}", c.reasons);
    }
}

#[test]
fn safety_is_p1_in_every_language_whatever_the_tone() {
    let posts = [
        "my Acme phone started smoking while charging last night",
        "la batería de mi portátil se hinchó y salió humo",
        "a bateria do meu celular estufou e saiu fumaça, ainda bem que vi",
        "mon téléphone a pris feu pendant la charge",
        "Mein Akku ist aufgebläht und wurde extrem heiß, es kam Rauch raus",
        "lol my charger literally caught fire haha 😂",
    ];
    for text in posts {
        let c = classifier().classify(&post(text, Some(10)));
        assert!(c.actionable && c.urgent, "{text}: {:?}", c.reasons);
        assert_eq!(c.priority, Priority::P1, "{text}: {:?}", c.reasons);
    }
}

#[test]
fn an_outage_for_many_is_p1_and_for_one_is_not_forced() {
    let many = classifier().classify(&post(
        "the whole office has no internet since 9am, nobody can work",
        Some(10),
    ));
    assert_eq!(many.priority, Priority::P1, "{:?}", many.reasons);
    assert!(
        many.reasons.iter().any(|r| r.contains("outage for many")),
        "{:?}",
        many.reasons
    );
}

#[test]
fn the_model_shows_its_part_and_version() {
    let c = classifier().classify(&post(
        "@AcmeHelp my Acme Book will not turn on again, I want a replacement",
        None,
    ));
    assert!(c.actionable, "{:?}", c.reasons);
    assert!(c.model_version.contains("+model-"), "{}", c.model_version);
    assert!(c.actionable_confidence.is_some_and(|p| p > 0.5));
    assert!(
        c.reasons.iter().any(|r| r.starts_with("model: actionable ")),
        "{:?}",
        c.reasons
    );
    let rules_only = RuleClassifier::new(ClassifyConfig {
        model: socialcare_classify::ModelConfig {
            enabled: false,
            ..Default::default()
        },
        ..ClassifyConfig::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let r = rules_only.classify(&post("my laptop is broken", None));
    assert!(r.actionable_confidence.is_none() && !r.model_version.contains("model-"));
}
