"""Placeholders put back into an organization's text (provider/domain/placeholders.py)."""

from __future__ import annotations

from provider.domain.placeholders import restore


def test_longest_value_first_in_one_pass() -> None:
    values = {"env_label": "(dev)", "greeting": "Welcome (dev).", "queue": "Tech Support DEV", "q2": "DEV"}
    r = restore("name: Main IVR (dev)\ntts: Welcome (dev).\nqueue: Tech Support DEV\nx: DEV\n", values)
    assert r.text == "name: Main IVR {{env_label}}\ntts: {{greeting}}\nqueue: {{queue}}\nx: {{q2}}\n"
    assert r.used == {"env_label": 1, "greeting": 1, "queue": 1, "q2": 1}


def test_only_whole_occurrences() -> None:
    r = restore("a: development\nb: dev\nc: dev-ops\nd: Xdev\n", {"env": "dev"})
    assert r.text == "a: development\nb: {{env}}\nc: {{env}}-ops\nd: Xdev\n"
    # A value that starts or ends with punctuation matches next to anything on that side.
    assert restore("Line(dev)", {"label": "(dev)"}).text == "Line{{label}}"


def test_an_ambiguous_value_is_reported_not_guessed() -> None:
    r = restore(
        "division: Home\nqueue: Home Queue\nname: Home Office\n", {"a": "Home", "b": "Home", "c": "Office"}
    )
    assert r.text == "division: Home\nqueue: Home Queue\nname: Home {{c}}\n"
    assert r.ambiguous == {"Home": ["a", "b"]}
    # No shorter value is put back inside an ambiguous one.
    r = restore("x: Tech DEV", {"a": "Tech DEV", "b": "Tech DEV", "c": "DEV"})
    assert r.text == "x: Tech DEV" and r.ambiguous == {"Tech DEV": ["a", "b"]}


def test_empty_values_and_absent_values_change_nothing() -> None:
    r = restore("name: A", {"e": "", "z": "absent"})
    assert r.text == "name: A" and r.used == {} and r.ambiguous == {}
