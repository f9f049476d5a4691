"""A text-processing job for the python3 trace: build a corpus of
pseudo-random documents, round-trip it through JSON, tokenize it with
regular expressions, count words and bigrams, and write a report.

Deterministic: a fixed seed, and PYTHONHASHSEED=0 in record-all.sh.
Usage: python3 textproc.py [DOCUMENTS]   (the report goes to stdout)
"""
import collections
import json
import random
import re
import sys

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "xe", "zu",
             "ber", "dan", "fel", "gor", "hip", "jun", "kel", "mor", "pra", "str"]
TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:\.\d+)?|[.,;:!?]")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def make_vocabulary(rng, size):
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))))
    return sorted(words)


def make_document(rng, vocab, number):
    sentences = []
    for _ in range(rng.randint(3, 12)):
        # Zipf-like choice: low indices far more often.
        words = [vocab[int(len(vocab) * rng.random() ** 3)] for _ in range(rng.randint(4, 18))]
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), str(rng.randint(1, 9999)))
        sentences.append(" ".join(words).capitalize() + rng.choice([".", ".", "!", "?"]))
    return {
        "id": number,
        "title": " ".join(rng.sample(vocab[:200], 3)).title(),
        "tags": sorted(set(rng.sample(vocab[:60], rng.randint(1, 5)))),
        "score": round(rng.random() * 100, 2),
        "body": " ".join(sentences),
    }


def analyse(docs):
    words = collections.Counter()
    bigrams = collections.Counter()
    by_tag = collections.defaultdict(list)
    lengths = []
    for doc in docs:
        for sentence in SENTENCE_END.split(doc["body"]):
            tokens = [t for t in TOKEN.findall(sentence.lower()) if t.isalpha()]
            words.update(tokens)
            bigrams.update(zip(tokens, tokens[1:]))
            lengths.append(len(tokens))
        for tag in doc["tags"]:
            by_tag[tag].append(doc["score"])
    return words, bigrams, by_tag, lengths


def report(docs, words, bigrams, by_tag, lengths):
    out = ["documents: %d, sentences: %d, tokens: %d, distinct: %d"
           % (len(docs), len(lengths), sum(lengths), len(words))]
    out.append("mean sentence length: %.2f" % (sum(lengths) / max(1, len(lengths))))
    for word, n in words.most_common(25):
        out.append("word %-16s %7d" % (word, n))
    for (a, b), n in bigrams.most_common(15):
        out.append("pair %-24s %5d" % (a + " " + b, n))
    for tag in sorted(by_tag, key=lambda t: (-len(by_tag[t]), t))[:20]:
        scores = sorted(by_tag[tag])
        out.append("tag %-12s n=%5d median=%6.2f" % (tag, len(scores), scores[len(scores) // 2]))
    return "\n".join(out)


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rng = random.Random(20240601)
    vocab = make_vocabulary(rng, 4000)
    docs = [make_document(rng, vocab, i) for i in range(count)]
    text = json.dumps(docs, sort_keys=True)          # serialise ...
    docs = json.loads(text)                          # ... and parse back
    docs = [d for d in docs if d["score"] >= 5.0]
    words, bigrams, by_tag, lengths = analyse(docs)
    # A second pass keeps only long documents, re-encoded line by line.
    lines = [json.dumps({"id": d["id"], "words": len(d["body"].split())})
             for d in docs if len(d["body"]) > 400]
    print(report(docs, words, bigrams, by_tag, lengths))
    print("long documents: %d" % len(lines))


if __name__ == "__main__":
    main()
