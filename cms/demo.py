"""The demo newsroom that ``make run`` loads: three staff and a few stories.

The stories are invented for the demo; each has several revisions, so that the
history, diff and restore endpoints have something to show. One story is
published, one waits for review, one is a draft.
"""

from __future__ import annotations

from sqlalchemy import func, select

from cms.articles import operations as articles
from cms.auth.models import User
from cms.auth.operations import create_user
from cms.core.extensions import db
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


DEMO_PARTNER = "Demo Gazette"


def load_demo() -> str | None:
    """Create the demo users, stories and partner if there are no users yet.

    Returns the demo partner's API key (shown only now), or ``None`` when the
    demo was already there. The caller commits.
    """
    if db.session.scalar(select(func.count()).select_from(User)):
        return None
    staff = {spec["role"]: create_user(**spec) for spec in DEMO_USERS}
    reporter, editor, admin = staff["reporter"], staff["editor"], staff["admin"]

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
    _partner, key = create_partner(name=DEMO_PARTNER)
    return key
