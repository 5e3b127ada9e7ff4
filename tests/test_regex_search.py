"""The regex conditions' search (``rataura2.core.conditions.regex.searcher``) calls RE2's search directly, past the
google-re2 wrapper; it must answer exactly as the wrapper's ``search`` does, and an upgrade of google-re2 that
removes what it uses must show here rather than as a silent slowdown."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rataura2.core.conditions.regex import compile_regex, searcher

PATTERNS = [
    ("refund", True),
    ("REFUND", False),
    (r"^\s*(yes|yeah|yep)\b", False),
    (r"\bcancel(led|ling)?\b", True),
    (r"(a+)+$", True),
    (r"é+t[ée]", False),
    (r"[\p{Greek}]+", True),
    (r"\d{3}-\d{4}$", True),
    (r"", True),
]


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("aAé€ 𝄞\n-0123 refundREFUNDyesYepcancelled!λΩ"), max_size=40))
def test_searcher_answers_as_the_wrappers_search(text: str) -> None:
    for pattern, case_sensitive in PATTERNS:
        rx = compile_regex(pattern, case_sensitive=case_sensitive)
        assert searcher(rx)(text) is (rx.search(text) is not None), (pattern, case_sensitive, text)


def test_the_installed_google_re2_takes_the_direct_search() -> None:
    # the fallback is a lambda over the wrapper's search; the direct one is a function named search
    assert searcher(compile_regex("refund")).__name__ == "search"
