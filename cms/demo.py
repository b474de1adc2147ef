"""The demo newsroom that ``make run`` loads: four staff and a few stories.

The stories are invented for the demo; each has several revisions, so that the
history, diff and restore endpoints have something to show. One story is
published, two wait for review (one, for the review desk, with a moved
paragraph and a dateline change), one is approved and scheduled, one was
killed and one is a draft.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from cms.articles import operations as articles
from cms.auth.models import User
from cms.auth.operations import create_user
from cms.core.extensions import db
from cms.core.types import utcnow
from cms.delivery.operations import create_partner
from cms.workflow import operations as workflow

DEMO_USERS = (
    {
        "email": "admin@demo.newsroom",
        "name": "Ada Admin",
        "role": "admin",
        "password": "demo-admin-pass",
    },
    {
        "email": "editor@demo.newsroom",
        "name": "Elena Marsh",
        "role": "editor",
        "password": "demo-editor-pass",
    },
    {
        "email": "maria@demo.newsroom",
        "name": "Maria Lopez",
        "role": "editor",
        "password": "demo-maria-pass",
    },
    {
        "email": "reporter@demo.newsroom",
        "name": "Tomas Rivera",
        "role": "reporter",
        "password": "demo-reporter-pass",
    },
)

_TRAMS_BODY = (
    "Tram drivers in the Slovenian capital stopped work on Tuesday after talks over "
    "wages broke down late on Monday night, leaving thousands of commuters to find "
    "other ways to reach the city centre.\n\n"
    "Union leader Mira Kovacic said drivers had been offered a rise that did not keep "
    "pace with prices.\n\n"
    "The city transport company said buses would run more often on the busiest routes."
)

_TRAMS = {
    "headline": "Tram drivers walk out as wage talks stall in Ljubljana",
    "deck": "Commuters face a second day without trams; talks resume Thursday",
    "dateline": {"city": "Ljubljana", "country": "Slovenia", "agency": "Newsroom Wire"},
    "bylines": [{"name": "Tomas Rivera", "role": "reporter", "affiliation": "Newsroom Wire"}],
    "section": "world",
    "keywords": ["transport", "strikes", "Slovenia"],
    "body": _TRAMS_BODY,
}

_TRAMS_FIX = {
    "body": _TRAMS_BODY.replace("Mira Kovacic", "Mira Kovačič"),
}

_TRAMS_UPDATE = {
    "headline": "Ljubljana tram strike enters second day as talks stall",
    "body": _TRAMS_FIX["body"]
    + "\n\nTalks between the union and the transport company are due to resume on Thursday, "
    "a spokesman for the mayor's office said.",
}

_HARVEST = {
    "headline": "Late frost cuts apricot harvest across the Rhône valley",
    "dateline": {"city": "Valence", "country": "France"},
    "bylines": [
        {"name": "Elena Marsh", "role": "reporter", "affiliation": "Newsroom Wire"},
        {"name": "Tomas Rivera", "role": "reporter", "affiliation": "Newsroom Wire"},
    ],
    "section": "business",
    "keywords": ["agriculture", "weather"],
    "body": (
        "Growers in the Rhône valley expect to pick about a third fewer apricots this "
        "summer after two nights of frost in early April damaged blossom.\n\n"
        '"We lit candles between the rows all night," said one grower near Valence. '
        '"It saved some trees, not all."\n\n'
        "Wholesale prices have already risen at the Rungis market outside Paris."
    ),
}

_LIBRARY = {
    "headline": "City library to open around the clock during exam season",
    "section": "local",
    "body": "The central library will stay open 24 hours a day from May 2 to June 20.",
}


_PORT_PARAGRAPHS = [
    "Dock workers at the port of Koper walked off the job on Wednesday morning, halting "
    "container traffic at Slovenia's only sea port for the first time in a decade.",
    "The strike follows months of talks over shift patterns and overtime pay.",
    "About 40 ships were waiting at anchor in the Gulf of Trieste by midday, according to "
    "the port's own tracking page.",
    "Port management said it regretted the walkout and remained open to talks.",
    "Car makers that ship through Koper said they were watching the situation closely.",
    "The port handled more than a million containers last year, most of them bound for "
    "Austria, Hungary and southern Germany.",
    "Rail operators said freight trains would be held at the border until the strike ends.",
    "The union said the strike would last at least 48 hours.",
    "The transport ministry called both sides to a meeting on Thursday.",
    "Koper is also a main gateway for fruit from South America and for cars made in "
    "central Europe and shipped to Asia.",
    "Dock workers last struck in 2011, over a plan to bring in outside contractors.",
    "That dispute ended after three days with a deal on permanent contracts.",
    "Shipping lines said they could divert some vessels to Trieste and Rijeka if the "
    "strike went on into next week.",
]


def _port_edit() -> str:
    """The editor's edit: the union's word moves up to the third paragraph, one word fixed."""
    paragraphs = list(_PORT_PARAGRAPHS)
    paragraphs.insert(2, paragraphs.pop(7))
    paragraphs[5] = paragraphs[5].replace("watching", "monitoring")
    return "\n\n".join(paragraphs)


_PORT: dict[str, Any] = {
    "headline": "Dock workers strike at Koper, halting container traffic",
    "deck": "Ships queue in the Gulf of Trieste as talks over shifts break down",
    "dateline": {"city": "Koper", "country": "Slovenia", "agency": "Newsroom Wire"},
    "bylines": [{"name": "Tomas Rivera", "role": "reporter", "affiliation": "Newsroom Wire"}],
    "section": "business",
    "keywords": ["ports", "strikes", "Slovenia"],
    "body": "\n\n".join(_PORT_PARAGRAPHS),
}

_FERRY = {
    "headline": "New ferry timetable links Piran and Venice twice a day",
    "dateline": {"city": "Piran", "country": "Slovenia"},
    "bylines": [{"name": "Tomas Rivera", "role": "reporter", "affiliation": "Newsroom Wire"}],
    "section": "travel",
    "body": "A second daily ferry between Piran and Venice starts next month.\n\n"
    "Tickets go on sale on Monday.",
}

_RECALL = {
    "headline": "Supermarket chain recalls honey over labelling error",
    "section": "business",
    "body": "A supermarket chain recalled jars of honey sold in its shops this week.",
}

DEMO_PARTNER = "Demo Gazette"


def load_demo() -> str | None:
    """Create the demo users, stories and partner if there are no users yet.

    Returns the demo partner's API key (shown only now), or ``None`` when the
    demo was already there. The caller commits.
    """
    if db.session.scalar(select(func.count()).select_from(User)):
        return None
    staff = {spec["email"].split("@")[0]: create_user(**spec) for spec in DEMO_USERS}
    reporter, editor, admin = staff["reporter"], staff["editor"], staff["admin"]
    maria = staff["maria"]

    trams = articles.create_article(_TRAMS, reporter, "First take from the depot")
    trams, _ = articles.edit_article(
        trams, trams.etag, _TRAMS_FIX, editor, "Spell the union leader's name as she does"
    )
    trams, _ = articles.edit_article(
        trams, trams.etag, _TRAMS_UPDATE, reporter, "Talks date; new top"
    )
    trams = workflow.submit(trams, trams.etag, reporter)
    # Four eyes: the editor fixed a name since revision 1, so another editor approves.
    trams = workflow.approve(trams, trams.etag, admin)
    workflow.publish(trams, trams.etag, editor)

    harvest = articles.create_article(_HARVEST, editor)
    harvest, _ = articles.edit_article(
        harvest,
        harvest.etag,
        {"deck": "Growers expect a third fewer apricots after April frosts"},
        editor,
        "Add a deck",
    )
    workflow.submit(harvest, harvest.etag, editor)

    library = articles.create_article(_LIBRARY, reporter)
    articles.edit_article(
        library,
        library.etag,
        {"dateline": {"city": "Springfield", "region": "Ill."}},
        reporter,
        "Add dateline",
    )
    # For the review desk: a long story in review whose edits move a paragraph,
    # fix a word and change the dateline's agency.
    port = articles.create_article(_PORT, reporter, "First take")
    port, _ = articles.edit_article(
        port, port.etag, {"body": _port_edit()}, maria, "Union's word up top; wording"
    )
    port, _ = articles.edit_article(
        port,
        port.etag,
        {
            "dateline": {**_PORT["dateline"], "agency": "Reuters"},
            "headline": "Koper dock workers strike, halting container traffic",
        },
        reporter,
        "Agency credit; shorter headline",
    )
    workflow.submit(port, port.etag, reporter, "Ready for the desk")

    # Approved and scheduled two days from now (the worker publishes it then).
    ferry = articles.create_article(_FERRY, reporter)
    ferry, _ = articles.edit_article(
        ferry, ferry.etag, {"keywords": ["ferries", "travel"]}, reporter, "Keywords"
    )
    ferry = workflow.submit(ferry, ferry.etag, reporter)
    ferry = workflow.approve(ferry, ferry.etag, editor)
    workflow.schedule(ferry, ferry.etag, editor, publish_at=utcnow() + timedelta(days=2))

    # Published, then killed.
    recall = articles.create_article(_RECALL, reporter)
    recall, _ = articles.edit_article(
        recall, recall.etag, {"deck": "Jars were sold as acacia honey"}, reporter, "Deck"
    )
    recall = workflow.submit(recall, recall.etag, reporter)
    recall = workflow.approve(recall, recall.etag, editor)
    recall = workflow.publish(recall, recall.etag, editor)
    workflow.withdraw(recall, recall.etag, editor, "The recall was called off: wrong brand")

    _partner, key = create_partner(name=DEMO_PARTNER)
    return key
