"""The README and docs/: links that lead somewhere, and claims that match the code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import re
import time
from pathlib import Path

import pytest

from cms import config
from cms.delivery import signing

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 200

_FENCE = re.compile(r"^```.*?^```[ \t]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


def _prose(text: str) -> str:
    """Return ``text`` without fenced code blocks and code spans, where links are not links."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def _slug(heading: str) -> str:
    """Return the anchor GitHub gives a heading: lower case, no punctuation, '-' for spaces."""
    text = _CODE_SPAN.sub(lambda span: span.group()[1:-1], heading).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    anchors: set[str] = set()
    for heading in _HEADING.findall(_FENCE.sub("", page.read_text())):
        slug, number = _slug(heading), 1
        while slug in anchors:
            slug = f"{_slug(heading)}-{number}"
            number += 1
        anchors.add(slug)
    return anchors


def _links(page: Path) -> list[str]:
    return [
        target for target in _LINK.findall(_prose(page.read_text())) if not _EXTERNAL.match(target)
    ]


def test_there_are_pages_for_each_audience():
    names = {page.name for page in PAGES}

    assert {"editors-api.md", "partners.md", "operations.md", "architecture.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page):
    links = _links(page)

    for target in links:
        path, _, anchor = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        assert destination.exists(), f"{page.name}: {target} leads nowhere"
        if anchor and destination.suffix == ".md":
            assert anchor in _anchors(destination), f"{page.name}: no heading for {target}"


def test_the_readme_links_to_every_docs_page():
    linked = {(README.parent / target.partition("#")[0]).resolve() for target in _links(README)}

    assert set(PAGES[1:]) <= linked


def test_the_readme_is_a_front_door_that_starts_with_make_run_and_make_test():
    text = README.read_text()
    before_first_block = text[: text.index("```")]
    first_block = _FENCE.search(text).group().splitlines()[1:-1]

    assert len(text.splitlines()) <= README_MAX_LINES
    assert [line for line in before_first_block.splitlines() if line.strip()] == ["# Newsroom CMS"]
    assert [line.split()[:2] for line in first_block] == [["make", "run"], ["make", "test"]]


def _configuration_table() -> set[str]:
    text = (ROOT / "docs" / "operations.md").read_text()
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(CMS_\w+)` \|", section, re.MULTILINE))


def test_the_configuration_table_lists_exactly_the_variables_the_code_reads():
    read = set(
        re.findall(
            r"(?:_int|_float|_flag|_list|environ\.get)\(\s*\"(CMS_\w+)\"",
            inspect.getsource(config),
        )
    )

    assert read
    assert _configuration_table() == read


def _verify_snippet(heading: str = "### Compatibility headers"):
    """Return the ``verify`` function of the partners' guide under ``heading``, run as written."""
    text = (ROOT / "docs" / "partners.md").read_text()
    section = text.split(heading, 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    namespace: dict = {}
    exec(compile(code, "partners.md", "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["verify"]


SECRET = "whsec_" + base64.b64encode(b"documented").decode()
BODY = b'{"event":{"id":57}}'


def test_the_documented_library_verification_accepts_a_standard_webhook_and_no_other():
    verify = _verify_snippet("### Verifying the signature")
    now = int(time.time())
    headers = signing.standard_headers([SECRET], event_id=57, timestamp=now, body=BODY)
    rotating = signing.standard_headers(
        [signing.new_secret(), SECRET], event_id=57, timestamp=now, body=BODY
    )
    stale = signing.standard_headers([SECRET], event_id=57, timestamp=now - 301, body=BODY)

    assert verify(SECRET, headers, BODY) == {"event": {"id": 57}}
    assert verify(SECRET, rotating, BODY) == {"event": {"id": 57}}
    assert verify(SECRET, headers, BODY + b" ") is None
    assert verify(signing.new_secret(), headers, BODY) is None
    assert verify(SECRET, stale, BODY) is None
    assert verify(SECRET, {}, BODY) is None


def _signed(timestamp: str, body: bytes = BODY, secret: str = SECRET) -> dict[str, str]:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256)
    return {"X-Newsroom-Timestamp": timestamp, "X-Newsroom-Signature": f"v1={digest.hexdigest()}"}


def test_the_documented_verification_accepts_a_fresh_signed_request():
    verify = _verify_snippet()
    headers = _signed(str(int(time.time())))

    assert verify(SECRET, headers, BODY)
    several = {**headers, "X-Newsroom-Signature": "v1=00ff, " + headers["X-Newsroom-Signature"]}
    assert verify(SECRET, several, BODY)


def _in_digits(zero: str) -> str:
    """Return the current Unix time written with the ten digits that start at ``zero``."""
    return str(int(time.time())).translate({48 + n: ord(zero) + n for n in range(10)})


@pytest.mark.parametrize(
    "timestamp",
    [
        pytest.param(lambda: _in_digits("\u0660"), id="arabic-indic digits"),
        pytest.param(lambda: _in_digits("\uff10"), id="full-width digits"),
        pytest.param(lambda: "\u00b9\u00b2\u00b3", id="superscripts"),
        pytest.param(lambda: f" {int(time.time())}", id="a space"),
        pytest.param(lambda: "-5", id="a sign"),
        pytest.param(lambda: "", id="empty"),
    ],
)
def test_the_documented_verification_accepts_only_ascii_digit_timestamps(timestamp):
    """Each is signed correctly and ``str.isdigit()`` accepts most: still refused, no crash."""
    verify = _verify_snippet()

    assert not verify(SECRET, _signed(timestamp()), BODY)


def test_the_documented_verification_refuses_tampering_replays_and_odd_headers():
    verify = _verify_snippet()
    now = str(int(time.time()))
    stale = str(int(time.time()) - 301)

    assert not verify(SECRET, _signed(now), BODY + b" ")
    assert not verify(SECRET, _signed(now, secret=signing.new_secret()), BODY)
    assert not verify(SECRET, _signed(stale), BODY)
    assert not verify(SECRET, {**_signed(now), "X-Newsroom-Signature": "v1=\u00e9"}, BODY)
    assert not verify(SECRET, {}, BODY)
