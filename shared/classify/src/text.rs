//! Text preparation: strips invisible and control characters, folds case and accents, splits
//! a post into word tokens, and pulls out what the rules look at beside the words (links,
//! mentions, hashtags, emoji, emoticons, punctuation, capitals, money, phone numbers).
//!
//! Everything here is total: any `&str` gives an [`Analyzed`], and the work is bounded by
//! [`MAX_ANALYZED_CHARS`] whatever the input length.

use crate::lexicon::emoji;

/// Longest prefix of a post that is analysed; a longer text is cut here (posts on the
/// supported channels are far shorter, and the bound keeps a hostile input cheap).
pub const MAX_ANALYZED_CHARS: usize = 2_000;

/// Appends `c` lower-cased and folded to plain ASCII where it is a Latin letter with a
/// diacritic, so that `Müll`, `mull`, `Mull` and `MÜLL` meet (German umlauts become `ae`,
/// `oe`, `ue`, as Germans type them without the umlaut; `ß` becomes `ss`).
pub(crate) fn fold_char_into(c: char, out: &mut String) {
    for lc in c.to_lowercase() {
        match lc {
            'à' | 'á' | 'â' | 'ã' | 'å' | 'ā' => out.push('a'),
            'ä' | 'æ' => out.push_str("ae"),
            'ç' | 'ć' | 'č' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ñ' | 'ń' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ø' => out.push('o'),
            'ö' | 'œ' => out.push_str("oe"),
            'ù' | 'ú' | 'û' => out.push('u'),
            'ü' => out.push_str("ue"),
            'ý' | 'ÿ' => out.push('y'),
            'ß' => out.push_str("ss"),
            '’' | '‘' | '`' | '´' => out.push('\''),
            other => out.push(other),
        }
    }
}

/// Lower-cases and folds a whole string (see [`fold_char_into`]).
pub(crate) fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        fold_char_into(c, &mut out);
    }
    out
}

/// Characters that change nothing visible but can hide words from the rules or reorder text:
/// zero-width spaces and joiners, bidirectional controls (RTL overrides), soft hyphens, BOMs.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
        | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// The text with invisible characters removed, control characters turned into spaces, and
/// cut at [`MAX_ANALYZED_CHARS`]. The bool says whether it was cut.
pub fn sanitize(text: &str) -> (String, bool) {
    let mut out = String::with_capacity(text.len().min(MAX_ANALYZED_CHARS * 4));
    let mut count = 0usize;
    for c in text.chars() {
        if is_invisible(c) || c == '\u{FE0F}' || c == '\u{FE0E}' {
            continue;
        }
        if count >= MAX_ANALYZED_CHARS {
            return (out, true);
        }
        count += 1;
        if c.is_control() || c == '\u{FFFD}' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    (out, false)
}

/// One word of a post, folded (`won't` → `wont`, `l'écran` → `l` + `ecran`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub text: String,
    /// Written in capitals (three letters or more): emphasis.
    pub caps: bool,
    /// Clause number: punctuation (`.,;:!?`) starts a new clause; negation does not cross it.
    pub clause: u16,
    /// Came from a hashtag (`#fail` → `fail`).
    pub hashtag: bool,
}

impl Token {
    pub fn is_number(&self) -> bool {
        !self.text.is_empty() && self.text.bytes().all(|b| b.is_ascii_digit())
    }
}

/// A post taken apart for the rules.
#[derive(Debug, Clone, Default)]
pub(crate) struct Analyzed {
    pub tokens: Vec<Token>,
    /// The text for language detection: no links, mentions, hashtags or emoji.
    pub clean: String,
    /// Words (with at least one letter) in `clean`.
    pub words: usize,
    /// Letters in `clean`, and how many of them are Latin script.
    pub letters: usize,
    pub latin_letters: usize,
    /// Link hosts, lower case, without `www.`.
    pub hosts: Vec<String>,
    /// Mentioned handles, lower case, without `@`.
    pub mentions: Vec<String>,
    pub hashtags: usize,
    /// Sum of the sentiment weights of emoji and emoticons, and how many there were.
    pub emoji_score: f32,
    pub emoji_count: usize,
    /// Sarcasm markers among the emoji (🙄 🙃 🤡).
    pub sarcasm_emoji: usize,
    /// Promotional emoji (👉 🤑 💰 🎁 ...).
    pub promo_emoji: usize,
    pub exclamations: usize,
    pub max_exclamation_run: usize,
    pub questions: usize,
    pub max_question_run: usize,
    pub money: usize,
    pub phones: usize,
    pub truncated: bool,
}

impl Analyzed {
    /// Words written in capitals.
    pub fn caps_words(&self) -> usize {
        self.tokens.iter().filter(|t| t.caps).count()
    }
}

const KNOWN_TLDS: &[&str] = &[
    "com", "net", "org", "biz", "info", "io", "me", "ly", "co", "win", "xyz", "top", "click", "link", "shop", "store",
    "online", "site", "example", "br", "es", "fr", "de", "pt", "uk", "us", "gl", "gg", "to",
];

/// The host of `chunk` when it is a link (`https://…`, `www.…`, `bit.ly/…`, `shop.biz`).
fn link_host(chunk: &str) -> Option<String> {
    let lower = chunk.to_ascii_lowercase();
    let rest = if let Some(r) = lower.strip_prefix("https://") {
        r
    } else if let Some(r) = lower.strip_prefix("http://") {
        r
    } else {
        lower.as_str()
    };
    let explicit = rest.len() != lower.len() || rest.starts_with("www.");
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = rest[..host_end].trim_end_matches(['.', ',', ')', '!', ';', ':']);
    let host = host.strip_prefix("www.").unwrap_or(host);
    let mut labels = host.split('.');
    let first = labels.next()?;
    let labels: Vec<&str> = labels.collect();
    let tld = labels.last()?;
    let host_chars_ok = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if first.is_empty() || !host_chars_ok || labels.iter().any(|l| l.is_empty()) {
        return None;
    }
    let tld_ok = tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_lowercase());
    let has_path = host_end < rest.len();
    if explicit || (tld_ok && (has_path || KNOWN_TLDS.contains(tld))) {
        Some(host.to_string())
    } else {
        None
    }
}

const EMOTICONS: &[(&str, f32)] = &[
    (":)", 2.0),
    (":-)", 2.0),
    (":D", 2.5),
    (":-D", 2.5),
    ("=)", 2.0),
    (";)", 1.5),
    (";-)", 1.5),
    ("<3", 2.5),
    (":P", 1.0),
    ("xD", 1.5),
    ("XD", 1.5),
    (":(", -2.0),
    (":-(", -2.0),
    (":'(", -2.5),
    (":/", -1.0),
    (":-/", -1.0),
    ("-_-", -1.5),
    (">:(", -3.0),
    ("D:", -1.5),
    (":@", -2.5),
];

fn emoticon(chunk: &str) -> Option<f32> {
    let trimmed = chunk.trim_end_matches(['.', ',', '!']);
    EMOTICONS
        .iter()
        .find(|(e, _)| {
            trimmed == *e
                || (trimmed.len() > e.len() + 1 && trimmed.ends_with(e) && e.len() >= 2 && !e.starts_with('D'))
        })
        .map(|(_, w)| *w)
}

/// Takes `text` apart. Pure, total, bounded.
pub(crate) fn analyze(text: &str) -> Analyzed {
    let (text, truncated) = sanitize(text);
    let mut a = Analyzed {
        truncated,
        ..Analyzed::default()
    };
    let mut clause: u16 = 0;
    let mut clean = String::with_capacity(text.len());
    for chunk in text.split_whitespace() {
        if let Some(w) = emoticon(chunk) {
            a.emoji_score += w;
            a.emoji_count += 1;
            continue;
        }
        let trimmed = chunk.trim_matches(|c: char| matches!(c, '(' | ')' | '"' | '\'' | ',' | '«' | '»' | '“' | '”'));
        if let Some(handle) = trimmed.strip_prefix('@') {
            let handle: String = handle
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
                .collect::<String>()
                .trim_end_matches('.')
                .to_lowercase();
            if !handle.is_empty() {
                a.mentions.push(handle);
                continue;
            }
        }
        if let Some(tag) = trimmed.strip_prefix('#') {
            let body: String = tag.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !body.is_empty() {
                a.hashtags += 1;
                a.tokens.push(Token {
                    text: fold(&body),
                    caps: false,
                    clause,
                    hashtag: true,
                });
                continue;
            }
        }
        if let Some(host) = link_host(trimmed) {
            a.hosts.push(host);
            continue;
        }
        if is_phone(trimmed) {
            a.phones += 1;
            continue;
        }
        if is_money(trimmed) {
            a.money += 1;
        }
        if !clean.is_empty() {
            clean.push(' ');
        }
        let clean_start = clean.len();
        split_words(chunk, &mut a, &mut clause, &mut clean);
        let kept = &clean[clean_start..];
        if kept.chars().any(char::is_alphabetic) {
            a.words += 1;
        }
    }
    a.clean = clean;
    a
}

fn is_phone(chunk: &str) -> bool {
    chunk.len() >= 3 && chunk.starts_with('+') && chunk[1..].bytes().all(|b| b.is_ascii_digit())
}

fn is_money(chunk: &str) -> bool {
    let has_digit = chunk.bytes().any(|b| b.is_ascii_digit());
    has_digit && chunk.contains(['$', '€', '£'])
}

/// Splits one whitespace-free chunk into word tokens and punctuation signals.
fn split_words(chunk: &str, a: &mut Analyzed, clause: &mut u16, clean: &mut String) {
    let chars: Vec<char> = chunk.chars().collect();
    let mut word = String::new();
    let mut raw_word = String::new();
    let mut excl_run = 0usize;
    let mut q_run = 0usize;
    let flush = |word: &mut String, raw: &mut String, a: &mut Analyzed, clause: u16| {
        if !word.is_empty() {
            let letters: Vec<char> = raw.chars().filter(|c| c.is_alphabetic()).collect();
            let caps = letters.len() >= 3 && letters.iter().all(|c| c.is_uppercase());
            a.tokens.push(Token {
                text: std::mem::take(word),
                caps,
                clause,
                hashtag: false,
            });
        }
        raw.clear();
    };
    for (i, &c) in chars.iter().enumerate() {
        if c == '!' {
            excl_run += 1;
            a.exclamations += 1;
            a.max_exclamation_run = a.max_exclamation_run.max(excl_run);
        } else {
            excl_run = 0;
        }
        if c == '?' || c == '¿' {
            q_run += if c == '?' { 1 } else { 0 };
            a.questions += 1;
            a.max_question_run = a.max_question_run.max(q_run);
        } else {
            q_run = 0;
        }
        if c.is_alphanumeric() {
            if c.is_alphabetic() {
                a.letters += 1;
                if is_latin(c) {
                    a.latin_letters += 1;
                }
            }
            clean.push(c);
            raw_word.push(c);
            fold_char_into(c, &mut word);
            continue;
        }
        if matches!(c, '\'' | '’' | '‘') && !word.is_empty() {
            clean.push(c);
            // English contractions keep their `t` (`don't` → `dont`); elsewhere the
            // apostrophe separates an elided article or pronoun (`l'écran`, `j'ai`).
            let next = chars.get(i + 1).copied();
            let after = chars.get(i + 2).copied();
            if matches!(next, Some('t' | 'T')) && after.is_none_or(|n| !n.is_alphanumeric()) {
                continue;
            }
            flush(&mut word, &mut raw_word, a, *clause);
            continue;
        }
        flush(&mut word, &mut raw_word, a, *clause);
        if let Some(w) = emoji::weight(c) {
            a.emoji_score += w;
            a.emoji_count += 1;
            if emoji::is_sarcasm(c) {
                a.sarcasm_emoji += 1;
            }
            if emoji::is_promo(c) {
                a.promo_emoji += 1;
            }
            continue;
        }
        if matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | '¿' | '¡' | '…' | '—' | '–') {
            *clause = clause.saturating_add(1);
        }
        if c.is_whitespace() || c == '-' || c == '/' {
            clean.push(' ');
        } else if !c.is_alphanumeric() && !is_symbol_like(c) {
            clean.push(c);
        }
    }
    flush(&mut word, &mut raw_word, a, *clause);
}

fn is_symbol_like(c: char) -> bool {
    // Emoji and pictographs carry no language; leave them out of the detector's text.
    (c as u32) >= 0x2190
}

fn is_latin(c: char) -> bool {
    c.is_ascii_alphabetic() || ('\u{00C0}'..='\u{024F}').contains(&c) || ('\u{1E00}'..='\u{1EFF}').contains(&c)
}

/// Words (with at least one letter) of `text` once links, mentions, hashtags and emoji are
/// left out: the measure behind "posts of three words or more" in the evaluation.
pub fn word_count(text: &str) -> usize {
    analyze(text).words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        analyze(text).tokens.into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn folds_accents_and_umlauts() {
        assert_eq!(fold("Müll ÉCRAN Straße não"), "muell ecran strasse nao");
    }

    #[test]
    fn contractions_and_elisions() {
        assert_eq!(words("I don't know"), ["i", "dont", "know"]);
        assert_eq!(words("l'écran n'est"), ["l", "ecran", "n", "est"]);
        assert_eq!(words("won’t turn on"), ["wont", "turn", "on"]);
    }

    #[test]
    fn links_mentions_hashtags_leave_the_clean_text() {
        let a = analyze("@AcmeHelp my phone http://bit.ly/x www.foo.biz #fail t.me/pump broke");
        assert_eq!(a.mentions, ["acmehelp"]);
        assert_eq!(a.hosts, ["bit.ly", "foo.biz", "t.me"]);
        assert_eq!(a.hashtags, 1);
        assert_eq!(a.clean, "my phone broke");
        assert_eq!(a.words, 3);
    }

    #[test]
    fn punctuation_caps_and_emoji() {
        let a = analyze("This is TERRIBLE!!! Why?? 😡 :(");
        assert_eq!(a.max_exclamation_run, 3);
        assert_eq!(a.max_question_run, 2);
        assert_eq!(a.caps_words(), 1);
        assert!(a.emoji_score < -3.0);
        assert_eq!(a.emoji_count, 2);
    }

    #[test]
    fn invisible_characters_are_dropped() {
        let (s, cut) = sanitize("bro\u{200B}ken \u{202E}phone\u{0007}");
        assert_eq!(s, "broken phone ");
        assert!(!cut);
        assert_eq!(words("bro\u{200B}ken"), ["broken"]);
    }

    #[test]
    fn long_text_is_cut() {
        let long = "a".repeat(MAX_ANALYZED_CHARS + 10);
        assert!(analyze(&long).truncated);
    }

    #[test]
    fn not_links() {
        for s in ["e.g.", "3.5", "ok.", "Mr.Smith"] {
            assert!(link_host(s).is_none(), "{s}");
        }
        assert_eq!(link_host("acme.com").as_deref(), Some("acme.com"));
    }
}
