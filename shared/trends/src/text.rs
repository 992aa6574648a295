//! From a post's text to the words that carry its topic: lower-cased, links, mentions and our
//! own handles dropped, stop words removed, each word stemmed in the post's language (Snowball,
//! `rust-stemmers`: en, es, pt, fr, de), then word n-grams (1..=3) as key phrases, hashed.

use crate::stopwords;
use rust_stemmers::{Algorithm, Stemmer};
use std::collections::HashSet;

/// The languages with a stemmer and a stop-word list; any other language is treated as English.
pub const LANGUAGES: [&str; 5] = ["en", "es", "pt", "fr", "de"];

fn slot(language: &str) -> usize {
    LANGUAGES.iter().position(|l| *l == language).unwrap_or(0)
}

/// One kept word: its stem (what is counted) and how it was written (what people read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub stem: String,
    pub surface: String,
}

/// Words of one language, reusable across posts (holds the stemmers and stop-word sets).
pub struct Analyzer {
    stemmers: Vec<Stemmer>,
    stop: Vec<HashSet<&'static str>>,
    ignore: HashSet<String>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer").field("ignore", &self.ignore).finish()
    }
}

impl Analyzer {
    /// `ignore`: our handles and brand words (`@` optional, any case), never part of a phrase.
    pub fn new(ignore: &[String]) -> Self {
        let algorithms = [
            Algorithm::English,
            Algorithm::Spanish,
            Algorithm::Portuguese,
            Algorithm::French,
            Algorithm::German,
        ];
        Self {
            stemmers: algorithms.into_iter().map(Stemmer::create).collect(),
            stop: LANGUAGES
                .iter()
                .map(|l| stopwords::list(l).iter().chain(stopwords::SOCIAL).copied().collect())
                .collect(),
            ignore: ignore
                .iter()
                .map(|h| h.trim().trim_start_matches('@').to_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
        }
    }

    /// The stem of one lower-case word in `language`.
    pub fn stem(&self, language: &str, word: &str) -> String {
        self.stemmers[slot(language)].stem(word).into_owned()
    }

    /// The kept words of `text`, in order.
    pub fn words(&self, language: &str, text: &str) -> Vec<Word> {
        let lang = slot(language);
        let mut out = Vec::new();
        for raw in text.split_whitespace() {
            if raw.starts_with('@') || raw.contains("://") || raw.starts_with("www.") {
                continue;
            }
            let lower = raw.to_lowercase().replace('’', "'");
            for piece in lower.split(|c: char| !(c.is_alphanumeric() || c == '\'')) {
                let mut word = piece.trim_matches('\'');
                // French elision: l'imprimante, d'encre, qu'il.
                if lang == 3
                    && let Some((head, tail)) = word.split_once('\'')
                    && head.len() <= 2
                {
                    word = tail;
                }
                if word.chars().count() < 2
                    || word.chars().all(|c| c.is_ascii_digit())
                    || self.stop[lang].contains(word)
                    || self.ignore.contains(word)
                {
                    continue;
                }
                out.push(Word {
                    stem: self.stemmers[lang].stem(word).into_owned(),
                    surface: word.to_string(),
                });
            }
        }
        out
    }
}

/// A 64-bit FNV-1a hash: fast on short keys, stable across processes and versions (the sketch's
/// cells are persisted by it).
pub fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// One key phrase of a post: its hash and the words that make it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    pub hash: u64,
    /// Stems joined by spaces, prefixed with the language (`en:batteri drain`).
    pub key: String,
    /// The words as written (`battery drain`).
    pub label: String,
}

/// The distinct 1..=`max` word n-grams of `words` (a phrase said twice in a post counts once).
pub fn phrases(language: &str, words: &[Word], max: usize) -> Vec<Phrase> {
    let mut out: Vec<Phrase> = Vec::new();
    let mut seen = HashSet::new();
    for n in 1..=max.clamp(1, 3) {
        for w in words.windows(n) {
            let mut key = String::with_capacity(3 + w.iter().map(|x| x.stem.len() + 1).sum::<usize>());
            key.push_str(language);
            key.push(':');
            for (i, x) in w.iter().enumerate() {
                if i > 0 {
                    key.push(' ');
                }
                key.push_str(&x.stem);
            }
            let h = hash(key.as_bytes());
            if seen.insert(h) {
                let label = w.iter().map(|x| x.surface.as_str()).collect::<Vec<_>>().join(" ");
                out.push(Phrase { hash: h, key, label });
            }
        }
    }
    out
}

/// The text as a duplicate detector sees it: letters and digits only, lower case, links and
/// mentions dropped (a retweet storm of one text hashes to one value).
pub fn text_fingerprint(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for raw in text.split_whitespace() {
        if raw.starts_with('@') || raw.contains("://") || raw.eq_ignore_ascii_case("rt") {
            continue;
        }
        for c in raw.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        h ^= u64::from(b' ');
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(a: &Analyzer, lang: &str, text: &str) -> Vec<String> {
        a.words(lang, text).into_iter().map(|w| w.stem).collect()
    }

    #[test]
    fn english_is_lowered_stopped_and_stemmed_and_handles_and_links_dropped() {
        let a = Analyzer::new(&["@AcmeCare".to_string(), "acme".to_string()]);
        assert_eq!(
            stems(
                &a,
                "en",
                "@AcmeCare My ACME printers keep jamming!! https://t.co/x #PaperJam"
            ),
            vec!["printer", "keep", "jam", "paperjam"]
        );
    }

    #[test]
    fn each_language_has_its_stemmer_and_stop_words() {
        let a = Analyzer::new(&[]);
        assert_eq!(
            stems(&a, "es", "La batería de mi portátil no carga"),
            vec!["bat", "portatil", "carg"]
        );
        assert_eq!(
            stems(&a, "de", "Der Drucker druckt nicht mehr"),
            vec!["druck", "druckt", "mehr"]
        );
        assert_eq!(stems(&a, "pt", "A impressora não imprime"), vec!["impressor", "imprim"]);
        assert_eq!(stems(&a, "fr", "L'imprimante ne marche pas"), vec!["imprim", "march"]);
    }

    #[test]
    fn phrases_are_one_to_three_words_and_distinct() {
        let a = Analyzer::new(&[]);
        let words = a.words("en", "battery drain battery drain fast");
        let p = phrases("en", &words, 3);
        let keys: Vec<&str> = p.iter().map(|p| p.key.as_str()).collect();
        assert!(keys.contains(&"en:batteri"));
        assert!(keys.contains(&"en:batteri drain"));
        assert!(keys.contains(&"en:drain batteri drain"));
        assert_eq!(keys.iter().filter(|k| **k == "en:batteri drain").count(), 1);
        assert!(p.iter().any(|p| p.label == "battery drain fast"));
        assert!(phrases("en", &words, 1).iter().all(|p| !p.key.contains(' ')));
    }

    #[test]
    fn a_retweet_of_a_text_has_its_fingerprint() {
        let a = text_fingerprint("Printer is on FIRE 🔥 https://t.co/abc");
        assert_eq!(a, text_fingerprint("RT @someone: printer is on fire 🔥"));
        assert_ne!(a, text_fingerprint("printer is on fire again"));
    }
}
