//! Identifiers a customer writes (email, phone, order number, serial number): found in a post's
//! text by pure rules and normalised (lower-case email, E.164 phone, upper-case order and serial
//! numbers without separators), so that the same identifier written two ways is one key.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentifierKind {
    Email,
    Phone,
    Order,
    Serial,
    /// The brand's own id of the customer, passed by the platform: Messenger account linking's
    /// pass-through code, or a referral `ref` of the form `customer:<id>`. Never found in text.
    Account,
}

impl IdentifierKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierKind::Email => "email",
            IdentifierKind::Account => "account",
            IdentifierKind::Phone => "phone",
            IdentifierKind::Order => "order",
            IdentifierKind::Serial => "serial",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(Self::Email),
            "account" => Some(Self::Account),
            "phone" => Some(Self::Phone),
            "order" => Some(Self::Order),
            "serial" => Some(Self::Serial),
            _ => None,
        }
    }
}

/// A normalised identifier. Its key (`order:12345678`) names it in the index and in evidence.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Identifier {
    pub kind: IdentifierKind,
    pub value: String,
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.value)
    }
}

impl Identifier {
    /// Normalises a raw value of `kind`; None when it is not a valid one (a phone number that
    /// is not E.164, an email without a domain).
    pub fn normalise(kind: IdentifierKind, raw: &str) -> Option<Identifier> {
        let value = match kind {
            IdentifierKind::Email => {
                let v = raw.trim().trim_end_matches('.').to_lowercase();
                let (local, domain) = v.split_once('@')?;
                if local.is_empty() || !domain.contains('.') || domain.starts_with('.') || v.len() > 254 {
                    return None;
                }
                v
            }
            IdentifierKind::Phone => {
                let t = raw.trim();
                if !t.starts_with('+') {
                    return None;
                }
                let digits: String = t.chars().filter(char::is_ascii_digit).collect();
                if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
                    return None;
                }
                format!("+{digits}")
            }
            IdentifierKind::Account => {
                let v = raw.trim();
                let fine = |c: char| c.is_ascii_alphanumeric() || "._-:@".contains(c);
                if v.is_empty() || v.len() > 128 || !v.chars().all(fine) {
                    return None;
                }
                v.to_string()
            }
            IdentifierKind::Order | IdentifierKind::Serial => {
                let v: String = raw
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric())
                    .map(|c| c.to_ascii_uppercase())
                    .collect();
                if v.len() < 4 || v.len() > 40 {
                    return None;
                }
                v
            }
        };
        Some(Identifier { kind, value })
    }

    /// Parses a key `kind:value` (as written in the configuration's ignore list), normalised.
    pub fn parse_key(key: &str) -> Option<Identifier> {
        let (kind, value) = key.split_once(':')?;
        Identifier::normalise(IdentifierKind::parse(kind)?, value)
    }

    /// Every identifier of the same kind one typo away (a character deleted, replaced, inserted
    /// or two neighbours swapped), within the kind's alphabet, at most `limit`. Emails get
    /// deletions and swaps only: their alphabet is too large to replace and insert.
    pub fn one_typo_variants(&self, limit: usize) -> Vec<Identifier> {
        let chars: Vec<char> = self.value.chars().collect();
        if self.kind == IdentifierKind::Account {
            // Passed by the platform, never typed: no typos to suggest.
            return vec![];
        }
        let alphabet: Vec<char> = match self.kind {
            IdentifierKind::Email | IdentifierKind::Account => vec![],
            IdentifierKind::Phone => ('0'..='9').collect(),
            IdentifierKind::Order | IdentifierKind::Serial => {
                if chars.iter().all(char::is_ascii_digit) {
                    ('0'..='9').collect()
                } else {
                    ('0'..='9').chain('A'..='Z').collect()
                }
            }
        };
        // A phone's leading `+` is not part of the typo space.
        let start = usize::from(self.kind == IdentifierKind::Phone);
        let mut seen = std::collections::HashSet::new();
        let mut out: Vec<String> = Vec::new();
        let mut push = |v: Vec<char>| {
            let s: String = v.into_iter().collect();
            if s != self.value && seen.insert(s.clone()) {
                out.push(s);
            }
        };
        for i in start..chars.len().saturating_sub(1) {
            let mut v = chars.clone();
            v.swap(i, i + 1);
            push(v);
        }
        for i in start..chars.len() {
            let mut v = chars.clone();
            v.remove(i);
            push(v);
        }
        for i in start..chars.len() {
            for c in &alphabet {
                let mut v = chars.clone();
                v[i] = *c;
                push(v);
            }
        }
        for i in start..=chars.len() {
            for c in &alphabet {
                let mut v = chars.clone();
                v.insert(i, *c);
                push(v);
            }
        }
        out.into_iter()
            .filter_map(|v| Identifier::normalise(self.kind, &v))
            .filter(|i| i != self)
            .take(limit)
            .collect()
    }
}

/// How identifiers are found: the built-in email and E.164 phone rules, the configured
/// patterns (order and serial numbers), and the identifiers never to index (our own).
#[derive(Clone, Debug)]
pub struct IdentifierRules {
    patterns: Vec<(IdentifierKind, regex_lite::Regex)>,
    ignore: Vec<Identifier>,
    /// An identifier that more customers than this have written is shared (a shop's address, a
    /// default serial): it never links anyone.
    pub max_customers_per_identifier: usize,
}

const EMAIL: &str = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}";
const PHONE: &str = r"\+[0-9][0-9 ().-]{6,20}[0-9]";

/// The most identifiers taken from one post (a pasted list is not a customer's identity).
pub const MAX_PER_POST: usize = 8;

impl PartialEq for IdentifierRules {
    fn eq(&self, other: &Self) -> bool {
        self.max_customers_per_identifier == other.max_customers_per_identifier
            && self.ignore == other.ignore
            && self.patterns.len() == other.patterns.len()
            && self
                .patterns
                .iter()
                .zip(&other.patterns)
                .all(|((k1, r1), (k2, r2))| k1 == k2 && r1.as_str() == r2.as_str())
    }
}

/// The order-number pattern unless configured: "order" then digits, dashes allowed
/// (`order #12345678`, `Order No. 4417-2290`).
pub const DEFAULT_ORDER_PATTERN: &str = r"(?i)\border\s*(?:no\.?|number|nr\.?|#)?\s*:?\s*#?([0-9][0-9-]{4,14}[0-9])\b";
/// The serial-number pattern unless configured: "SN" or "serial (number)" then 8 to 20 letters
/// and digits (`SN: AB12CD34EF`).
pub const DEFAULT_SERIAL_PATTERN: &str =
    r"(?i)\b(?:SN|S/N|serial(?:\s+(?:no\.?|number))?)\s*[:#]?\s*([A-Z0-9-]{8,20})\b";
/// Customers sharing one identifier before it stops linking, unless configured.
pub const DEFAULT_MAX_CUSTOMERS_PER_IDENTIFIER: usize = 3;

impl Default for IdentifierRules {
    fn default() -> Self {
        Self::new(
            &[
                (IdentifierKind::Order, DEFAULT_ORDER_PATTERN.to_string()),
                (IdentifierKind::Serial, DEFAULT_SERIAL_PATTERN.to_string()),
            ],
            &[],
            DEFAULT_MAX_CUSTOMERS_PER_IDENTIFIER,
        )
        .unwrap_or_else(|_| unreachable!("the built-in rules compile"))
    }
}

impl IdentifierRules {
    /// Compiles `patterns` (kind, regex: the first capture group, or the whole match, is the
    /// value). Errors name the pattern's index and why.
    pub fn new(
        patterns: &[(IdentifierKind, String)],
        ignore: &[Identifier],
        max_customers_per_identifier: usize,
    ) -> Result<Self, (usize, String)> {
        let mut compiled = vec![
            (
                IdentifierKind::Email,
                regex_lite::Regex::new(EMAIL).map_err(|e| (usize::MAX, e.to_string()))?,
            ),
            (
                IdentifierKind::Phone,
                regex_lite::Regex::new(PHONE).map_err(|e| (usize::MAX, e.to_string()))?,
            ),
        ];
        for (i, (kind, re)) in patterns.iter().enumerate() {
            compiled.push((*kind, regex_lite::Regex::new(re).map_err(|e| (i, e.to_string()))?));
        }
        Ok(Self {
            patterns: compiled,
            ignore: ignore.to_vec(),
            max_customers_per_identifier,
        })
    }

    /// The brand's customer id a referral `ref` names (`customer:<id>` or `customer=<id>`, any
    /// case of `customer`), if it names one; other refs (campaigns, ads) name nobody.
    pub fn account_in_ref(reference: &str) -> Option<Identifier> {
        let (prefix, id) = reference.split_at_checked(9)?;
        let (word, sep) = prefix.split_at_checked(8)?;
        if !word.eq_ignore_ascii_case("customer") || !matches!(sep, ":" | "=") {
            return None;
        }
        Identifier::normalise(IdentifierKind::Account, id)
    }

    /// The identifiers in `text`, normalised, deduplicated, in order of appearance, our own
    /// (the ignore list) left out.
    pub fn extract(&self, text: &str) -> Vec<Identifier> {
        let mut found: Vec<(usize, Identifier)> = Vec::new();
        for (kind, re) in &self.patterns {
            for caps in re.captures_iter(text) {
                let Some(m) = caps.get(1).or_else(|| caps.get(0)) else {
                    continue;
                };
                if let Some(id) = Identifier::normalise(*kind, m.as_str())
                    && !self.ignore.contains(&id)
                    && !found.iter().any(|(_, f)| f == &id)
                {
                    found.push((m.start(), id));
                }
            }
        }
        found.sort_by_key(|(at, _)| *at);
        found.into_iter().map(|(_, id)| id).take(MAX_PER_POST).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> IdentifierRules {
        IdentifierRules::new(
            &[
                (
                    IdentifierKind::Order,
                    r"(?i)\border\s*(?:no\.?|number|#)?\s*:?\s*#?([0-9]{6,10})\b".into(),
                ),
                (
                    IdentifierKind::Serial,
                    r"(?i)\b(?:SN|serial(?: number)?)\s*[:#]?\s*([A-Z0-9]{8,14})\b".into(),
                ),
            ],
            &[Identifier::normalise(IdentifierKind::Email, "support@acme.example").unwrap_or_else(|| unreachable!())],
            3,
        )
        .unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn keys(text: &str) -> Vec<String> {
        rules().extract(text).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn one_typo_variants_cover_swaps_deletions_replacements_and_insertions() {
        let order = Identifier::normalise(IdentifierKind::Order, "12345678").unwrap_or_else(|| unreachable!());
        let variants = order.one_typo_variants(1_000);
        // 7 swaps + 8 deletions + 8 × 9 replacements + 9 × 10 insertions, less the 8 insertions
        // that repeat another (a digit inserted before itself or after itself).
        assert_eq!(variants.len(), 169);
        for typo in ["12345687", "1234568", "12345679", "123456789"] {
            assert!(variants.iter().any(|v| v.value == typo), "{typo}");
        }
        assert!(!variants.contains(&order));
        assert_eq!(order.one_typo_variants(10).len(), 10, "limited");
        let phone = Identifier::normalise(IdentifierKind::Phone, "+4420794609").unwrap_or_else(|| unreachable!());
        assert!(phone.one_typo_variants(1_000).iter().all(|v| v.value.starts_with('+')));
        let account = Identifier::normalise(IdentifierKind::Account, "CRM-1").unwrap_or_else(|| unreachable!());
        assert!(
            account.one_typo_variants(1_000).is_empty(),
            "passed by the platform, never typed"
        );
    }

    #[test]
    fn a_referral_names_a_customer_only_in_the_agreed_form() {
        let id = IdentifierRules::account_in_ref("customer:CRM-00017");
        assert_eq!(id.map(|i| i.to_string()), Some("account:CRM-00017".into()));
        assert!(IdentifierRules::account_in_ref("Customer=abc").is_some());
        assert!(IdentifierRules::account_in_ref("spring-sale-ad").is_none());
        assert!(IdentifierRules::account_in_ref("customer:").is_none());
        assert!(IdentifierRules::account_in_ref("customer:a b").is_none());
        assert!(IdentifierRules::account_in_ref("cüstomer:abc").is_none());
    }

    #[test]
    fn extraction_table() {
        let table: &[(&str, &[&str])] = &[
            ("no identifiers here", &[]),
            ("mail me at Jane.Doe@Example.COM.", &["email:jane.doe@example.com"]),
            ("call +44 20 7946 0958 please", &["phone:+442079460958"]),
            ("call +1 (415) 555-2671", &["phone:+14155552671"]),
            ("call 020 7946 0958", &[]),
            ("order #12345678 never came", &["order:12345678"]),
            ("Order number: 12345678", &["order:12345678"]),
            ("my order 123 is late", &[]),
            ("SN: ab12cd34ef the serial", &["serial:AB12CD34EF"]),
            (
                "order 87654321, reach me at a@b.io or +33612345678",
                &["order:87654321", "email:a@b.io", "phone:+33612345678"],
            ),
            ("write to support@acme.example for help", &[]),
            ("a@b.io and A@B.IO", &["email:a@b.io"]),
        ];
        for (text, want) in table {
            assert_eq!(
                keys(text),
                want.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "{text}"
            );
        }
    }

    #[test]
    fn normalise_table() {
        let table = [
            (IdentifierKind::Email, " X@Y.Com ", Some("x@y.com")),
            (IdentifierKind::Email, "x@y", None),
            (IdentifierKind::Phone, "+49 (0)30 1234567", Some("+490301234567")),
            (IdentifierKind::Phone, "0301234567", None),
            (IdentifierKind::Phone, "+0123456789", None),
            (IdentifierKind::Order, "ord-1234-56", Some("ORD123456")),
            (IdentifierKind::Order, "12", None),
        ];
        for (kind, raw, want) in table {
            assert_eq!(
                Identifier::normalise(kind, raw).map(|i| i.value),
                want.map(str::to_string),
                "{raw}"
            );
        }
        assert_eq!(
            Identifier::parse_key("email:Support@Acme.example").map(|i| i.to_string()),
            Some("email:support@acme.example".into())
        );
        assert_eq!(Identifier::parse_key("fax:123"), None);
    }

    #[test]
    fn a_bad_pattern_is_named() {
        let err = IdentifierRules::new(&[(IdentifierKind::Order, "(".into())], &[], 3).err();
        assert!(matches!(err, Some((0, _))));
    }

    #[test]
    fn the_default_patterns_find_orders_and_serials() {
        let rules = IdentifierRules::default();
        let found: Vec<String> = rules
            .extract("Order No. 4417-2290 arrived broken, S/N: KX-2291-AB77, mail JO@Shop.Example")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(found, ["order:44172290", "serial:KX2291AB77", "email:jo@shop.example"]);
        assert_eq!(rules.max_customers_per_identifier, 3);
    }
}
