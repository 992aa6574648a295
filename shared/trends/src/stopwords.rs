//! Stop words per language: the words that say nothing about a topic. Short lists (the most
//! frequent function words) plus the noise of social posts (`rt`, `amp`, `pls`).

pub(crate) const SOCIAL: &[&str] = &[
    "rt", "amp", "via", "pls", "plz", "thx", "lol", "omg", "im", "dm", "u", "ur", "gt", "lt",
];

pub(crate) const EN: &[&str] = &[
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because",
    "been", "before", "being", "but", "by", "can", "could", "did", "do", "does", "doing", "don't", "dont", "for",
    "from", "get", "got", "had", "has", "have", "having", "he", "her", "here", "him", "his", "how", "i", "i'm", "if",
    "in", "into", "is", "it", "it's", "its", "just", "me", "more", "most", "my", "no", "not", "now", "of", "on", "one",
    "only", "or", "other", "our", "out", "over", "so", "some", "still", "such", "than", "that", "the", "their", "them",
    "then", "there", "these", "they", "this", "those", "to", "too", "up", "very", "was", "we", "were", "what", "when",
    "where", "which", "who", "why", "will", "with", "would", "you", "your", "yours", "really", "hi", "hello", "hey",
    "please", "thanks", "thank", "today", "yet", "even", "since", "been", "way",
];

pub(crate) const ES: &[&str] = &[
    "a", "al", "algo", "ante", "aqui", "aquí", "como", "cómo", "con", "contra", "cual", "cuando", "de", "del", "desde",
    "donde", "el", "él", "ella", "en", "entre", "era", "es", "esa", "ese", "eso", "esta", "está", "estaba", "este",
    "esto", "estoy", "fue", "ha", "hace", "han", "hasta", "hay", "he", "la", "las", "le", "les", "lo", "los", "me",
    "mi", "mis", "muy", "más", "mas", "nada", "ni", "no", "nos", "o", "para", "pero", "por", "porque", "que", "qué",
    "se", "si", "sí", "sin", "sobre", "son", "su", "sus", "también", "te", "tengo", "ti", "todo", "tu", "tú", "un",
    "una", "uno", "y", "ya", "yo", "hola", "gracias", "hoy", "favor",
];

pub(crate) const PT: &[&str] = &[
    "a", "ao", "aos", "as", "à", "com", "como", "da", "das", "de", "dela", "dele", "do", "dos", "e", "é", "ela", "ele",
    "em", "entre", "era", "essa", "esse", "esta", "está", "estou", "eu", "foi", "há", "isso", "isto", "já", "lhe",
    "mais", "mas", "me", "meu", "minha", "muito", "na", "nas", "não", "nao", "nem", "no", "nos", "o", "os", "ou",
    "para", "pela", "pelo", "por", "porque", "pra", "que", "se", "sem", "ser", "seu", "sua", "só", "também", "te",
    "tem", "tenho", "um", "uma", "você", "voce", "olá", "ola", "obrigado", "obrigada", "hoje", "favor",
];

pub(crate) const FR: &[&str] = &[
    "a",
    "à",
    "ai",
    "au",
    "aux",
    "avec",
    "ce",
    "ces",
    "c'est",
    "dans",
    "de",
    "des",
    "du",
    "elle",
    "en",
    "est",
    "et",
    "été",
    "eu",
    "il",
    "ils",
    "j'ai",
    "je",
    "la",
    "le",
    "les",
    "leur",
    "lui",
    "ma",
    "mais",
    "me",
    "mes",
    "moi",
    "mon",
    "ne",
    "nous",
    "on",
    "ou",
    "où",
    "par",
    "pas",
    "pour",
    "qu",
    "que",
    "qui",
    "sa",
    "se",
    "ses",
    "son",
    "sont",
    "sur",
    "ta",
    "te",
    "tes",
    "toi",
    "ton",
    "tu",
    "un",
    "une",
    "vos",
    "votre",
    "vous",
    "y",
    "très",
    "plus",
    "bonjour",
    "merci",
    "aujourd'hui",
    "l",
    "d",
    "j",
    "n",
    "s",
    "c",
];

pub(crate) const DE: &[&str] = &[
    "aber", "als", "am", "an", "auch", "auf", "aus", "bei", "bin", "bis", "das", "dass", "dem", "den", "der", "des",
    "die", "dies", "diese", "du", "ein", "eine", "einem", "einen", "einer", "er", "es", "für", "hab", "habe", "hat",
    "hatte", "ich", "ihr", "im", "in", "ist", "ja", "kann", "mein", "meine", "mich", "mir", "mit", "nach", "nicht",
    "noch", "nur", "oder", "schon", "sehr", "sein", "sich", "sie", "sind", "so", "um", "und", "uns", "von", "vor",
    "war", "was", "wie", "wir", "wird", "zu", "zum", "zur", "hallo", "danke", "bitte", "heute", "seit", "kein",
    "keine",
];

/// The stop words of a language code (`en` for an unknown or missing language).
pub(crate) fn list(language: &str) -> &'static [&'static str] {
    match language {
        "es" => ES,
        "pt" => PT,
        "fr" => FR,
        "de" => DE,
        _ => EN,
    }
}
