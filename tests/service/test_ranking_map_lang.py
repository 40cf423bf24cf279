"""The ranking map speaks the page's language in its side panel: the bottom ten's interview
notes and the year-end reward and pay cut were Chinese on the English map. (The line items'
reasons stay as scoring words them, in Chinese, with their rule ids.)"""

from __future__ import annotations

import json

ZH_NOTES = ("分管领导约谈", "连续两月 · 主要领导约谈", "扣发绩效", "奖励1500元")


def _both(words: str) -> tuple[str, str]:
    """A whole string of the map's embedded data: as JSON writes it, plain or escaped."""
    return json.dumps(words, ensure_ascii=False), json.dumps(words)


def _score(client, tokens):
    scores = [
        {"month": "2024-03", "village": "W01", "group": "一", "score": 80},
        {"month": "2024-03", "village": "E01", "group": "一", "score": 60},
    ]
    saved = client.post("/scores", json=scores, headers=tokens["admin"])
    assert saved.status_code == 201, saved.text


def test_the_english_ranking_map_has_no_chinese_notes(client, tokens):
    _score(client, tokens)
    chinese = client.get("/maps/ranking", params={"month": "2024-03"})
    assert chinese.status_code == 200
    assert any(form in chinese.text for form in _both("分管领导约谈"))
    english = client.get("/maps/ranking", params={"month": "2024-03", "lang": "en"})
    assert english.status_code == 200
    assert '"leader in charge"' in english.text
    assert "the leader in charge interviews the party secretary" in english.text
    for words in ZH_NOTES:
        assert not any(form in english.text for form in _both(words)), words
    year = client.get("/maps/ranking", params={"year": "2024", "lang": "en"})
    assert year.status_code == 200
    assert '"reward 1500 yuan"' in year.text  # two villages: both in the top 5, rewarded
    for words in ZH_NOTES:
        assert not any(form in year.text for form in _both(words)), words
