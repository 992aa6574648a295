//! Bad and odd input through the front door: whatever the text, a classification comes back
//! (low confidence when there is nothing to go on), never a panic.

use proptest::prelude::*;
use socialcare_classify::Context;
use socialcare_domain::ports::Classifier;
use socialcare_domain::{Classification, Intent, Priority};

mod common;
use common::{classifier, post};

fn classify(text: &str) -> Classification {
    classifier().classify(&post(text, None))
}

fn well_formed(c: &Classification) {
    assert!((0.0..=1.0).contains(&c.language_confidence), "{c:?}");
    assert!(
        c.sentiment_score.is_finite() && (-1.0..=1.0).contains(&c.sentiment_score),
        "{c:?}"
    );
    assert!(!c.reasons.is_empty());
    assert!(!c.model_version.is_empty());
    assert!(!(c.spam && c.actionable), "{c:?}");
    if !c.actionable {
        assert_eq!(c.priority, Priority::P4, "{c:?}");
    }
}

#[test]
fn empty_text() {
    for text in ["", " ", "\n\t", "\u{200B}\u{200B}"] {
        let c = classify(text);
        well_formed(&c);
        assert!(c.language_confidence <= 0.3, "{c:?}");
        assert!(!c.actionable && !c.spam && !c.urgent);
        assert_eq!(c.intent, Intent::Other);
    }
}

#[test]
fn emoji_only() {
    let angry = classify("😡😡😡");
    well_formed(&angry);
    assert!(angry.language_confidence <= 0.3);
    assert!(angry.sentiment_score < 0.0);
    let happy = classify("😍🔥👍");
    assert!(happy.sentiment_score > 0.0);
    well_formed(&classify("👨‍👩‍👧‍👦🏳️‍🌈🇧🇷"));
}

#[test]
fn ten_thousand_characters() {
    let long = "my acme phone is broken and nobody helps ".repeat(250);
    assert!(long.chars().count() >= 10_000);
    let c = classify(&long);
    well_formed(&c);
    assert!(c.actionable);
    assert!(c.reasons.iter().any(|r| r.contains("text cut")), "{:?}", c.reasons);
    well_formed(&classify(&"a".repeat(10_000)));
    well_formed(&classify(&"🔥".repeat(10_000)));
    well_formed(&classify(&"!?".repeat(5_000)));
}

#[test]
fn zero_width_and_bidi_controls_do_not_hide_words() {
    let c = classify("my la\u{200B}ptop is bro\u{200D}ken and won\u{2060}'t turn on");
    well_formed(&c);
    assert!(c.actionable, "{c:?}");
    let c = classify("\u{202E}my phone caught fire\u{202C} \u{2067}help\u{2069}");
    well_formed(&c);
    assert!(c.urgent, "{c:?}");
}

#[test]
fn odd_unicode() {
    for text in [
        "\u{FFFD}\u{FFFD} broken \u{FFFF}",
        "Z\u{0338}\u{0322}\u{0349}\u{0323}\u{0313}\u{0313}\u{0345}algo text",
        "\u{0000}\u{0001}\u{007F} nul and controls",
        "\u{E000}\u{F8FF} private use",
        "\u{1F600}\u{FE0F}\u{20E3}",
        "@ # http:// www. :) :( <3 ¿¡",
        "@@@@ #### ////",
    ] {
        well_formed(&classify(text));
    }
}

#[test]
fn language_outside_the_list_gets_low_confidence() {
    for text in [
        "こんにちは、私の電話が壊れました。助けてください。",
        "Мой телефон сломался, помогите пожалуйста",
        "هاتفي لا يعمل منذ أمس، أرجو المساعدة",
        "我的手机坏了，请帮帮我",
    ] {
        let c = classify(text);
        well_formed(&c);
        assert!(c.language_confidence <= 0.3, "{text}: {c:?}");
        assert!(
            c.reasons[0].contains("fallback") || c.reasons[0].contains("language"),
            "{:?}",
            c.reasons
        );
    }
}

#[test]
fn abstention_falls_back_to_context_then_account() {
    let c = classifier().classify_with(&post("ok", None), &Context::default());
    assert!(c.language_confidence <= 0.3);
    let ctx = Context {
        previous_language: socialcare_domain::Language::parse("de").ok(),
        ..Context::default()
    };
    let c = classifier().classify_with(&post("ok", None), &ctx);
    assert_eq!(c.language.as_ref().map(|l| l.as_str()), Some("de"));
    assert!(c.reasons[0].contains("previous language"), "{:?}", c.reasons);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_text_classifies_without_panic(text in any::<String>(), followers in proptest::option::of(any::<u64>())) {
        let c = classifier().classify(&post(&text, followers));
        well_formed(&c);
        prop_assert_eq!(&c, &classifier().classify(&post(&text, followers)), "deterministic");
    }

    #[test]
    fn noisy_words_classify_without_panic(
        words in proptest::collection::vec(
            prop_oneof![
                Just("broken".to_string()), Just("NOT".to_string()), Just("no".to_string()), Just("pas".to_string()),
                Just("nicht".to_string()), Just("😡".to_string()), Just("!!!".to_string()), Just("http://bit.ly/x".to_string()),
                Just("@AcmeHelp".to_string()), Just("#fail".to_string()), Just("5".to_string()), Just("times".to_string()),
                Just("\u{200B}".to_string()), Just("\u{202E}".to_string()), "[a-zà-ÿ]{1,12}", "\\PC{1,6}",
            ],
            0..60,
        )
    ) {
        let text = words.join(" ");
        well_formed(&classifier().classify(&post(&text, Some(3))));
    }
}
