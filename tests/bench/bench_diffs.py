"""Benchmark of cms.articles.diffs against a plain difflib baseline.

Run ``python tests/bench/bench_diffs.py`` from the repository root (or import
it and call :func:`main`). Figures are printed, not asserted; the targets are
a p50 of at most 10 ms for a typical edit of a 5,000-word article and at most
1 s for a 50,000-word article rewritten or shuffled.
"""

from __future__ import annotations

import collections
import difflib
import json
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]
RUNS = 50
DIFFLIB_CAP = 20.0  # seconds before the difflib baseline counts as a lower bound

_ONSETS = "b bl br c ch cl cr d dr f fl fr g gl gr h j k l m n p pl pr qu r s sh sl st t th tr v w"
_NUCLEI = "a e i o u ai ea ee oa ou ie"
_CODAS = " n r s t l nd nt st rk ck ng m"
_FUNCTION_WORDS = "the of and to a in that is for on with as was by at said from it be"


def _vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    onsets, nuclei, codas = _ONSETS.split(), _NUCLEI.split(), _CODAS.split(" ")
    words: set[str] = set()
    while len(words) < size:
        syllables = rng.choice((1, 1, 1, 2, 2, 2, 3))
        words.add(
            "".join(
                rng.choice(onsets) + rng.choice(nuclei) + rng.choice(codas)
                for _ in range(syllables)
            )
        )
    return sorted(words)


class TextMaker:
    """Deterministic English-like prose: Zipf-distributed invented words."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.words = _FUNCTION_WORDS.split() + _vocabulary(self.rng)
        self.weights = [1 / (rank + 1) for rank in range(len(self.words))]

    def sentence(self) -> str:
        count = self.rng.randint(8, 22)
        words = self.rng.choices(self.words, self.weights, k=count)
        if count > 12 and self.rng.random() < 0.5:
            words[self.rng.randrange(3, count - 3)] += ","
        return " ".join(words).capitalize() + self.rng.choice(".....?!")

    def paragraph(self, words: int) -> str:
        sentences: list[str] = []
        while sum(len(s.split()) for s in sentences) < words:
            sentences.append(self.sentence())
        return " ".join(sentences)

    def article(self, words: int, paragraphs: int) -> list[str]:
        return [self.paragraph(words // paragraphs) for _ in range(paragraphs)]


def document(paragraphs: list[str], headline: str = "Council approves new harbour plan") -> dict:
    return {
        "headline": headline,
        "deck": "The vote followed months of debate",
        "slug": "council-harbour-plan",
        "dateline": {"city": "Portsmouth", "country": "UK"},
        "bylines": [{"name": "Ann Writer", "role": "staff"}],
        "section": "local",
        "keywords": ["harbour", "council"],
        "language": "en",
        "body": "\n\n".join(paragraphs),
    }


def typical_edit(paragraphs: list[str], maker: TextMaker) -> list[str]:
    """Return ``paragraphs`` with some sentences replaced, one paragraph inserted, one deleted."""
    rng = maker.rng
    edited = list(paragraphs)
    for index in rng.sample(range(len(edited)), 5):
        sentences = edited[index].split(". ")
        sentences[rng.randrange(len(sentences))] = maker.sentence().rstrip(".?!")
        edited[index] = ". ".join(sentences)
    del edited[rng.randrange(len(edited))]
    edited.insert(rng.randrange(len(edited)), maker.paragraph(120))
    return edited


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def difflib_words(old: str, new: str) -> int:
    """The baseline: difflib over the whole texts as word lists; returns the opcode count."""
    return len(difflib.SequenceMatcher(None, old.split(), new.split()).get_opcodes())


# The capped baseline runs in a child process, which can be stopped at the cap.
_BASELINE_SCRIPT = """
import difflib, json, sys, time
old, new = json.load(sys.stdin)
start = time.perf_counter()
opcodes = difflib.SequenceMatcher(None, old.split(), new.split()).get_opcodes()
print(json.dumps([time.perf_counter() - start, len(opcodes)]))
"""


def difflib_capped(old: str, new: str, cap: float = DIFFLIB_CAP) -> str:
    """Return the baseline's time and opcode count, or a lower bound after ``cap`` seconds."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _BASELINE_SCRIPT],
            input=json.dumps([old, new]),
            capture_output=True,
            text=True,
            timeout=cap,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return f"> {cap:.0f} s (stopped at the cap)"
    seconds, opcodes = json.loads(done.stdout)
    return f"{seconds * 1000:.0f} ms, {opcodes} opcodes"


def peak_memory(function: Callable[[], Any]) -> float:
    """Return the peak of memory allocated while ``function`` runs, in MiB."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _line(label: str, times: list[float]) -> str:
    p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
    return f"  {label:<26} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms"


def bench_typical(diffs: Any) -> None:
    maker = TextMaker(seed=5)
    old_paragraphs = maker.article(5000, 40)
    old = document(old_paragraphs)
    new = document(typical_edit(old_paragraphs, maker), "Council approves harbour plan")
    diffs.diff_documents(old, new)  # builds the tokeniser once
    ours = [timed(lambda: diffs.diff_documents(old, new))[0] * 1000 for _ in range(RUNS)]
    with mock.patch.object(diffs.engine, "fast_diff_match_patch", None):
        fallback = [timed(lambda: diffs.diff_documents(old, new))[0] * 1000 for _ in range(RUNS)]
    base = [timed(lambda: difflib_words(old["body"], new["body"]))[0] * 1000 for _ in range(RUNS)]
    result = diffs.diff_documents(old, new)
    kinds = collections.Counter(op["op"] for op in result["body"]["paragraphs"])
    print(f"5k-word article, typical edit ({len(old['body'].split())} words, {RUNS} runs)")
    print(_line("diff_documents", ours))
    print(_line("diff_documents (difflib)", fallback))
    print(_line("baseline: difflib words", base))
    print(
        f"  baseline / diff_documents  {percentile(base, 0.5) / percentile(ours, 0.5):.1f}x (p50)"
    )
    print(f"  paragraph ops              {dict(kinds)}")
    print(f"  summary                    {diffs.summarize(result)}")


def bench_large(diffs: Any, label: str, old: dict, new: dict) -> None:
    seconds, result = min(
        (timed(lambda: diffs.diff_documents(old, new)) for _ in range(3)), key=lambda r: r[0]
    )
    with mock.patch.object(diffs.engine, "fast_diff_match_patch", None):
        fallback, _ = timed(lambda: diffs.diff_documents(old, new))
    kinds = collections.Counter(op["op"] for op in result["body"]["paragraphs"])
    memory = peak_memory(lambda: diffs.diff_documents(old, new))
    print(f"50k-word article, {label} ({len(old['body'].split())} words)")
    print(f"  diff_documents             {seconds * 1000:7.1f} ms (best of 3)")
    print(f"  diff_documents (difflib)   {fallback * 1000:7.1f} ms")
    print(f"  peak memory (tracemalloc)  {memory:7.1f} MiB")
    print(f"  paragraph ops              {sum(kinds.values())}: {dict(kinds)}")
    print(f"  baseline: difflib words    {difflib_capped(old['body'], new['body'])}")


def main() -> None:
    """Print the benchmark figures."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from cms.articles import diffs

    engine = "fast-diff-match-patch" if diffs.engine.fast_diff_match_patch else "difflib fallback"
    print(f"Python {sys.version.split()[0]}, word diffs by {engine}\n")
    bench_typical(diffs)
    print()
    maker = TextMaker(seed=50)
    paragraphs = maker.article(50_000, 400)
    old = document(paragraphs)
    # Entirely different text in the same vocabulary.
    rewritten = document(maker.article(50_000, 400))
    bench_large(diffs, "fully rewritten", old, rewritten)
    print()
    shuffled = list(paragraphs)
    random.Random(52).shuffle(shuffled)
    bench_large(diffs, "paragraphs shuffled", old, document(shuffled))


if __name__ == "__main__":
    main()
