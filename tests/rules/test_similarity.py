"""Near-duplicate names: place names and generic words removed, prefix-filter blocking, no all-pairs scan."""

from __future__ import annotations

import random

from fingertip.rules import similarity

GENERIC = ("服务号", "发布", "在线", "官方", "掌上", "APP", "平台", "新版")


def test_name_core_strips_place_and_generic_words():
    # 邢台市 (130500): the place and the generic words go, the distinctive part stays
    assert similarity.name_core("邢台人社", "130500", GENERIC) == "人社"
    assert similarity.name_core("掌上邢台人社APP", "130500", GENERIC) == "人社"
    assert similarity.name_core("邢台市人社服务号", "130500", GENERIC) == "人社"
    # only the place and generic words: a generic portal of the division
    assert similarity.name_core("邢台发布", "130500", GENERIC) == similarity.PLACE_ONLY == similarity.name_core("掌上邢台", "130500", GENERIC)


def test_equal_and_similar_cores_are_found_and_groups_excluded():
    cores = ["人社", "人社", "医保服务中心", "医保服务中央", "交通", "公安"]
    found = similarity.near_duplicates(cores, min_similarity=0.6)
    assert {m.other for m in found[0]} == {1}
    # prefix filtering misses nothing at or above the threshold: compare with all pairs
    import itertools
    import random as _r
    rng = _r.Random(3)
    pool = ["".join(rng.choice("政务服务人社医保公安交通发布在线") for _ in range(rng.randrange(2, 7))) for _ in range(300)]
    got = {(i, m.other) for i, ms in similarity.near_duplicates(pool, min_similarity=0.7).items() for m in ms}
    want = set()
    for i, j in itertools.combinations(range(len(pool)), 2):
        sim = 1.0 if pool[i] == pool[j] else similarity.jaccard(similarity.shingles(pool[i], 2), similarity.shingles(pool[j], 2))
        if sim >= 0.7:
            want |= {(i, j), (j, i)}
    assert got == want
    assert found[0][0].similarity == 1.0
    assert 3 in {m.other for m in found[2]}
    assert 4 not in found and 5 not in found
    excluded = similarity.near_duplicates(cores, min_similarity=0.6, groups=["u1", "u1", "a", "b", "c", "d"])
    assert 0 not in excluded


def test_blocking_compares_far_fewer_pairs_than_all(monkeypatch):
    rng = random.Random(7)
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    cores = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(3, 8))) for _ in range(4000)]
    cores[100] = cores[3000]  # one planted duplicate
    calls = {"n": 0}
    real = similarity.jaccard

    def counting(a, b):
        calls["n"] += 1
        return real(a, b)

    monkeypatch.setattr(similarity, "jaccard", counting)
    found = similarity.near_duplicates(cores, min_similarity=0.8)
    assert {m.other for m in found[100]} == {3000}
    all_pairs = len(cores) * (len(cores) - 1) // 2
    assert calls["n"] < all_pairs / 1000, calls["n"]
