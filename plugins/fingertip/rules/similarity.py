"""Near-duplicate names within a block (a division, or a division and platform), never all pairs.

A name is first *folded* (:func:`fold`): Unicode NFKC (full-width letters, digits and punctuation
become their ordinary forms) and traditional → simplified Chinese with OpenCC (政務 → 政务), so width
and script variants of one name meet. Only the match key is folded; names are stored and shown
verbatim. The folded name is reduced to its *core*: generic words (服务号, 发布, 掌上, APP …, from the policy settings)
and the division's own place names (its name, its prefecture's and province's, with and without
the administrative suffix, and the province's one-character abbreviation) are removed. Cores are
shingled into character n-grams and blocked by prefix filtering (see :func:`near_duplicates`):
only cores sharing an indexed rare shingle are compared, by exact Jaccard similarity, and no pair
at or above the threshold is missed; equal cores are paired directly. The cost grows with the
block size, not its square. A name that is only the place and generic words (邢台发布,
掌上邢台) gets the core :data:`PLACE_ONLY`: such names are generic portals of the same division.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from fingertip import reference


@functools.cache
def _t2s():
    import opencc  # the Open Chinese Convert tables, not a hand-written list

    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """The match form of a text: NFKC, then traditional → simplified Chinese (OpenCC ``t2s``)."""
    return _t2s().convert(unicodedata.normalize("NFKC", text))


@functools.lru_cache(maxsize=8192)
def place_tokens(division_code: str) -> tuple[tuple[str, ...], str | None]:
    """Place names to strip for a division (longest first) and its province's abbreviation."""
    dmap = reference.division_map()
    div = dmap.get(division_code)
    tokens: set[str] = set()
    if div is not None:
        for code in (div.code, div.prefecture_code, div.province_code):
            d = dmap.get(code or "")
            if d is not None:
                tokens.update({d.name, reference.place_short(d.name)})
        if div.level == "county" and div.prefecture_code and div.prefecture_code in dmap:
            tokens.add(reference.place_short(dmap[div.prefecture_code].name) + reference.place_short(div.name))
    abbr = reference.province_abbreviation(division_code) if division_code else None
    return tuple(sorted((t for t in tokens if len(t) >= 2), key=len, reverse=True)), abbr


def name_core(name: str, division_code: str, generic_words: Sequence[str]) -> str:
    """The distinctive part of a name within its division (see the module docstring)."""
    text = fold(name or "")
    for word in generic_words:
        text = text.replace(fold(word), "")
    tokens, abbr = place_tokens(division_code)
    for token in tokens:
        text = text.replace(fold(token), "")
    abbr = fold(abbr) if abbr else abbr
    if abbr and text.startswith(abbr):
        text = text[1:]
    core = "".join(ch for ch in text if ch.isalnum()).lower()
    # Nothing left: the name is the place plus generic words (邢台发布, 掌上邢台) — a generic portal
    # of the division; all such names of one block are near-duplicates of each other.
    return core or PLACE_ONLY


PLACE_ONLY = "§place"


def shingles(core: str, n: int) -> frozenset[str]:
    if len(core) <= n:
        return frozenset([core]) if core else frozenset()
    return frozenset(core[i:i + n] for i in range(len(core) - n + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


@dataclass(frozen=True)
class Match:
    other: int  # index into the items of the block
    similarity: float


def near_duplicates(cores: Sequence[str], *, shingle: int = 2, min_similarity: float = 0.8,
                    groups: Sequence[object] | None = None) -> dict[int, list[Match]]:
    """Pairs of similar cores within one block, never all pairs.

    Equal cores are paired directly (similarity 1). Distinct cores are blocked by *prefix
    filtering*: shingles are ordered by their frequency in the block (rarest first) and each core
    is indexed under its first ``|s| - ceil(t·|s|) + 1`` shingles only; two cores whose Jaccard
    similarity reaches ``t`` always share one of those (Chaudhuri et al. 2006, Bayardo et al.
    2007), so only cores meeting in an index bucket are compared — exactly, no false negatives.
    ``groups`` (optional, same length) excludes pairs within the same group (e.g. the same unit).
    Returns index → matches (both directions), similarity rounded to 3 places.
    """
    by_core: dict[str, list[int]] = defaultdict(list)
    for i, core in enumerate(cores):
        if core:
            by_core[core].append(i)
    out: dict[int, list[Match]] = defaultdict(list)

    def pair(i: int, j: int, sim: float) -> None:
        if groups is not None and groups[i] == groups[j]:
            return
        out[i].append(Match(j, sim))
        out[j].append(Match(i, sim))

    for members in by_core.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                pair(members[x], members[y], 1.0)
    if len(by_core) < 2 or min_similarity > 1:
        return out
    sets = {c: shingles(c, shingle) for c in by_core}
    for a, b, sim in _similar_cores(sets, min_similarity):
        for i in by_core[a]:
            for j in by_core[b]:
                pair(i, j, sim)
    return out


def _prefix_index(sets: dict[str, frozenset[str]], min_similarity: float) -> dict[str, list[str]]:
    """Shingle → cores indexed under it: each core under its rarest ``|s| - ceil(t·|s|) + 1`` shingles."""
    freq = Counter(t for sh in sets.values() for t in sh)
    index: dict[str, list[str]] = defaultdict(list)
    for core, sh in sets.items():
        tokens = sorted(sh, key=lambda t: (freq[t], t))
        prefix = len(tokens) - math.ceil(min_similarity * len(tokens) - 1e-9) + 1
        for t in tokens[:prefix]:
            index[t].append(core)
    return index


def _similar_cores(sets: dict[str, frozenset[str]], min_similarity: float) -> Iterator[tuple[str, str, float]]:
    """(core, core, similarity rounded to 3 places) for each distinct pair meeting in a prefix bucket
    and reaching ``min_similarity``, each pair once."""
    seen: set[tuple[str, str]] = set()
    for bucket in _prefix_index(sets, min_similarity).values():
        for x in range(len(bucket)):
            a = bucket[x]
            for y in range(x + 1, len(bucket)):
                b = bucket[y]
                key = (a, b) if a < b else (b, a)
                if key in seen:
                    continue
                seen.add(key)
                sim = jaccard(sets[a], sets[b])
                if sim < min_similarity:
                    continue
                yield a, b, round(sim, 3)
