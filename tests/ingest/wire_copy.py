"""Wire copy in every format the parser recognises, with what each should parse to.

All stories here are invented; names, places and events are fictional.
"""

from __future__ import annotations

from typing import Any, NamedTuple

EN_DASH = "\N{EN DASH}"
EM_DASH = "\N{EM DASH}"
NBSP = "\N{NO-BREAK SPACE}"


class Case(NamedTuple):
    id: str
    raw: str
    #: Field name → expected value; fields not listed are not checked.
    expected: dict[str, Any]


def ap(name: str) -> dict[str, str]:
    return {"name": name, "role": "reporter", "affiliation": "Associated Press"}


def reuters(name: str, role: str) -> dict[str, str]:
    return {"name": name, "role": role, "affiliation": "Reuters"}


FIXTURES = [
    Case(
        "ap_byline_and_dateline",
        f"""Coastal Town Votes to Rebuild Its Seawall

By Marta Quinlan
Associated Press

PORTLAND, Maine (AP) {EM_DASH} Residents of a small fishing town voted 412 to 97 on Tuesday \
to borrow $18 million for a taller seawall, a year after winter storms flooded the harbor twice.

"We have been bailing out basements for a decade," said Harold Brisco, who runs the bait shop.

Construction is expected to begin next spring.
""",
        {
            "headline": "Coastal Town Votes to Rebuild Its Seawall",
            "bylines": [ap("Marta Quinlan")],
            "dateline": {"city": "Portland", "region": "Maine", "agency": "AP"},
            "stamp": None,
            "body": (
                "Residents of a small fishing town voted 412 to 97 on Tuesday to borrow $18 "
                "million for a taller seawall, a year after winter storms flooded the harbor "
                "twice.\n\n"
                '"We have been bailing out basements for a decade," said Harold Brisco, who '
                "runs the bait shop.\n\n"
                "Construction is expected to begin next spring."
            ),
            "dropped": [],
            "warnings": [],
            "source_id": None,
            "recognisers": ["byline", "ap_dateline", "headline"],
        },
    ),
    Case(
        "ap_three_names_standalone_dateline",
        f"""Updated 4:12 PM EDT, March 3, 2024

Senate Panel Delays Vote on Rail Safety Bill

By DANA WHITFIELD, OSCAR LINDQVIST and PRIYA RAMAN
The Associated Press

WASHINGTON (AP) {EM_DASH}
A Senate committee postponed a vote on a rail safety bill Thursday after two members asked \
for more time to study the cost estimates.

The bill would require freight carriers to report hazardous cargo to local fire departments.
""",
        {
            "headline": "Senate Panel Delays Vote on Rail Safety Bill",
            "bylines": [ap("Dana Whitfield"), ap("Oscar Lindqvist"), ap("Priya Raman")],
            "dateline": {"city": "Washington", "agency": "AP"},
            "stamp": {
                "text": "Updated 4:12 PM EDT, March 3, 2024",
                "date": "2024-03-03",
                "datetime": "2024-03-03T16:12:00-04:00",
                "timezone": "EDT",
            },
            "body": (
                "A Senate committee postponed a vote on a rail safety bill Thursday after two "
                "members asked for more time to study the cost estimates.\n\n"
                "The bill would require freight carriers to report hazardous cargo to local "
                "fire departments."
            ),
            "warnings": [],
            "recognisers": ["stamp", "byline", "ap_dateline", "headline"],
        },
    ),
    Case(
        "ap_state_abbreviation_and_writer_title",
        f"""Prairie Researchers Count Record Number of Monarchs
By Lena Marsh and Tomas Echeverria, AP Science Writers
SPRINGFIELD, Ill. (AP){EM_DASH}Volunteers counted more monarch butterflies this summer than \
in any year since the survey began, researchers said Wednesday.
The count rose by a third.
""",
        {
            "headline": "Prairie Researchers Count Record Number of Monarchs",
            "bylines": [ap("Lena Marsh"), ap("Tomas Echeverria")],
            "dateline": {"city": "Springfield", "region": "Ill.", "agency": "AP"},
            "body": (
                "Volunteers counted more monarch butterflies this summer than in any year "
                "since the survey began, researchers said Wednesday.\n\n"
                "The count rose by a third."
            ),
            "warnings": [],
        },
    ),
    Case(
        "reuters_dated_dateline_and_credits",
        """Updated: March 3, 2024 4:12 p.m. ET

Euro Zone Factory Orders Slip for Third Month

FRANKFURT, March 2 (Reuters) - Factory orders in the euro zone fell for a third straight \
month in February, a survey showed on Saturday, as exporters reported weaker demand from Asia.

The survey's new orders index slipped to 47.1 from 47.9.

Reporting by Ana Lindgren and Tomasz Wolny; Additional reporting by Keiko Arai; Editing by \
Ruth Okafor
""",
        {
            "headline": "Euro Zone Factory Orders Slip for Third Month",
            "dateline": {"city": "Frankfurt", "agency": "Reuters", "date": "2024-03-02"},
            "stamp": {
                "text": "Updated: March 3, 2024 4:12 p.m. ET",
                "date": "2024-03-03",
                "datetime": "2024-03-03T16:12:00-05:00",
                "timezone": "ET",
            },
            "bylines": [
                reuters("Ana Lindgren", "reporter"),
                reuters("Tomasz Wolny", "reporter"),
                reuters("Keiko Arai", "contributor"),
                reuters("Ruth Okafor", "editor"),
            ],
            "body": (
                "Factory orders in the euro zone fell for a third straight month in February, "
                "a survey showed on Saturday, as exporters reported weaker demand from Asia."
                "\n\nThe survey's new orders index slipped to 47.1 from 47.9."
            ),
            "warnings": [],
            "recognisers": ["stamp", "reuters_credits", "reuters_dateline", "headline"],
        },
    ),
    Case(
        "reuters_date_takes_year_before_stamp",
        """Last Updated: 01/02/2025

Fjord Ferry Operator Cancels New Year Sailings

OSLO, Dec 31 (Reuters) - A Norwegian ferry operator cancelled all fjord sailings on New \
Year's Eve after gale warnings along the west coast.

(Reporting by Ingrid Solberg in Oslo; Editing by Mark Devlin)
""",
        {
            "dateline": {"city": "Oslo", "agency": "Reuters", "date": "2024-12-31"},
            "stamp": {"text": "Last Updated: 01/02/2025", "date": "2025-01-02"},
            "bylines": [
                reuters("Ingrid Solberg", "reporter"),
                reuters("Mark Devlin", "editor"),
            ],
            "body": (
                "A Norwegian ferry operator cancelled all fjord sailings on New Year's Eve "
                "after gale warnings along the west coast."
            ),
            "warnings": [],
        },
    ),
    Case(
        "reuters_date_without_year",
        """Tea Exporters Brace for Lower Auction Prices

NAIROBI, Oct. 14 (Reuters) - Kenyan tea exporters expect lower prices at this week's \
auction as a bumper harvest swells supply.

Traders said buyers from Pakistan were holding back.
""",
        {
            "headline": "Tea Exporters Brace for Lower Auction Prices",
            "dateline": {"city": "Nairobi", "agency": "Reuters"},
            "warnings": ["dateline date 'Oct. 14' has no year: left out", "no byline found"],
        },
    ),
    Case(
        "reuters_non_ascii_city",
        """Coffee Futures Climb as Frost Threatens Crops

By Beatriz Conceição
Reuters

SÃO PAULO (Reuters) - Arabica coffee futures rose for a fourth session on Monday as \
forecasters warned of frost in the southern growing regions.

Growers said young plants were most at risk.
""",
        {
            "bylines": [reuters("Beatriz Conceição", "reporter")],
            "dateline": {"city": "São Paulo", "agency": "Reuters"},
            "body": (
                "Arabica coffee futures rose for a fourth session on Monday as forecasters "
                "warned of frost in the southern growing regions.\n\n"
                "Growers said young plants were most at risk."
            ),
            "warnings": [],
        },
    ),
    Case(
        "afp_en_dash_non_ascii_city",
        f"""Updated 9:05 AM CEST, June 12, 2024

Lake Swimmers Told to Stay Ashore as Algae Spreads

ZÜRICH, Switzerland (AFP) {EN_DASH} Swimmers were told to stay out of the lake on Wednesday \
after a bloom of blue-green algae spread along the eastern shore.

Officials said tests would be repeated daily.
""",
        {
            "dateline": {"city": "Zürich", "country": "Switzerland", "agency": "AFP"},
            "stamp": {
                "text": "Updated 9:05 AM CEST, June 12, 2024",
                "date": "2024-06-12",
                "datetime": "2024-06-12T09:05:00+02:00",
                "timezone": "CEST",
            },
            "body": (
                "Swimmers were told to stay out of the lake on Wednesday after a bloom of "
                "blue-green algae spread along the eastern shore.\n\n"
                "Officials said tests would be repeated daily."
            ),
            "warnings": ["no byline found"],
            "recognisers": ["stamp", "afp_dateline", "headline"],
        },
    ),
    Case(
        "afp_capitalised_city_and_country",
        """Silk Museum Reopens After Flood Repairs

Lyon, France (AFP) - A silk-weaving museum reopened on Saturday, two years after a flood \
ruined its ground-floor looms.
""",
        {
            "headline": "Silk Museum Reopens After Flood Repairs",
            "dateline": {"city": "Lyon", "country": "France", "agency": "AFP"},
            "body": (
                "A silk-weaving museum reopened on Saturday, two years after a flood ruined "
                "its ground-floor looms."
            ),
        },
    ),
    Case(
        "other_agency_and_source_id",
        """ID: nws-2024-118-crane
Port Crane Operators Strike Over Shift Rota

HAMBURG, Germany (dpa) - Crane operators at the container port walked out on Friday in a \
dispute over night shifts.
""",
        {
            "source_id": "nws-2024-118-crane",
            "headline": "Port Crane Operators Strike Over Shift Rota",
            "dateline": {"city": "Hamburg", "country": "Germany", "agency": "dpa"},
            "recognisers": ["source_id", "agency_dateline", "headline"],
        },
    ),
    Case(
        "seed_like_scraped_page",
        f"""Get the latest updates as we post them {EM_DASH} right on your browser

. Last Updated: 03/14/2019

Mountain Pass Reopens After Week of Avalanches

BISHKEK, Kyrgyzstan -- Road crews reopened the main mountain pass linking the capital with \
the south of the country on Thursday, a week after a series of avalanches buried it.

The Transport Ministry said 40 trucks had been stranded on the southern approach.

Drivers were advised to carry chains until the end of the month.""",
        {
            "headline": "Mountain Pass Reopens After Week of Avalanches",
            "dateline": {"city": "Bishkek", "country": "Kyrgyzstan"},
            "stamp": {"text": "Last Updated: 03/14/2019", "date": "2019-03-14"},
            "bylines": [],
            "dropped": [f"Get the latest updates as we post them {EM_DASH} right on your browser"],
            "body": (
                "Road crews reopened the main mountain pass linking the capital with the south "
                "of the country on Thursday, a week after a series of avalanches buried it."
                "\n\nThe Transport Ministry said 40 trucks had been stranded on the southern "
                "approach.\n\nDrivers were advised to carry chains until the end of the month."
            ),
            "warnings": ["no byline found"],
            "recognisers": ["boilerplate", "stamp", "plain_dateline", "headline"],
        },
    ),
    Case(
        "windows_line_endings_and_stray_whitespace",
        f"  Ferry Service Resumes{NBSP}on Lake Route  \r\n\r\n\r\n\r\n"
        "By Colm\tBreathnach \r\nAssociated Press\r\n\r\n"
        f"DULUTH, Minn. (AP){NBSP}{EM_DASH}  The lake ferry resumed service Monday. \r\n"
        "\r\r\rTicket prices stay   the same.  \r\n\u200b\r\n",
        {
            "headline": "Ferry Service Resumes on Lake Route",
            "bylines": [ap("Colm Breathnach")],
            "dateline": {"city": "Duluth", "region": "Minn.", "agency": "AP"},
            "body": "The lake ferry resumed service Monday.\n\nTicket prices stay the same.",
            "warnings": [],
        },
    ),
    Case(
        "no_dateline",
        """Updated: March 3, 2024

Library Extends Weekend Opening Hours

By Hannah Eklund

OPEC -- the oil producers' group -- is not the only body revising its forecasts, the \
library board joked on Monday as it extended weekend hours.

The main branch will stay open until 8 p.m. on Saturdays.
""",
        {
            "headline": "Library Extends Weekend Opening Hours",
            "bylines": [{"name": "Hannah Eklund", "role": "reporter"}],
            "dateline": None,
            "stamp": {"text": "Updated: March 3, 2024", "date": "2024-03-03"},
            "body": (
                "OPEC -- the oil producers' group -- is not the only body revising its "
                "forecasts, the library board joked on Monday as it extended weekend hours."
                "\n\nThe main branch will stay open until 8 p.m. on Saturdays."
            ),
            "warnings": ["no dateline found"],
            "recognisers": ["stamp", "byline", "headline"],
        },
    ),
    Case(
        "no_byline_no_headline_no_dateline",
        """The county fair will open a day early this year to make room for a livestock show.

Organisers said ticket prices would not change.
""",
        {
            "headline": None,
            "dateline": None,
            "bylines": [],
            "body": (
                "The county fair will open a day early this year to make room for a livestock "
                "show.\n\nOrganisers said ticket prices would not change."
            ),
            "warnings": ["no headline found", "no dateline found", "no byline found"],
            "recognisers": [],
        },
    ),
    Case(
        "boilerplate_around_and_inside_the_story",
        f"""Home | News | Business
Share this article

Bakery Chain Opens Its 50th Shop

By Ruth Alderton, Reuters

LEEDS, England (Reuters) {EM_DASH} A regional bakery chain opened its 50th shop on Tuesday.

Advertisement

The company plans ten more openings next year.

Copyright lawyers for the chain declined to comment on a dispute over its logo.

Subscribe to our morning newsletter for more stories like this
Copyright 2024 Lakeside Media Group. All rights reserved.
""",
        {
            "headline": "Bakery Chain Opens Its 50th Shop",
            "bylines": [reuters("Ruth Alderton", "reporter")],
            "dateline": {"city": "Leeds", "country": "England", "agency": "Reuters"},
            "dropped": [
                "Home | News | Business",
                "Share this article",
                "Advertisement",
                "Subscribe to our morning newsletter for more stories like this",
                "Copyright 2024 Lakeside Media Group. All rights reserved.",
            ],
            "body": (
                "A regional bakery chain opened its 50th shop on Tuesday.\n\n"
                "The company plans ten more openings next year.\n\n"
                "Copyright lawyers for the chain declined to comment on a dispute over its logo."
            ),
            "warnings": [],
        },
    ),
    Case(
        "capitals_headline_is_not_a_dateline",
        """HARBOR CITY -- Crane Collapse Halts Port

ROTTERDAM, Netherlands -- A harbor crane collapsed onto a container ship early on Sunday, \
halting work at two terminals.
""",
        {
            "headline": "HARBOR CITY -- Crane Collapse Halts Port",
            "dateline": {"city": "Rotterdam", "country": "Netherlands"},
            "body": (
                "A harbor crane collapsed onto a container ship early on Sunday, halting work "
                "at two terminals."
            ),
        },
    ),
    Case(
        "hard_wrapped_agency_copy",
        """Slug: BC-Orchard-Frost
Frost Damages Apple Blossom in Valley Orchards

WENATCHEE, Wash. (AP) -- A late frost damaged apple blossom
across the valley overnight, growers said Friday, and some
expect a smaller harvest.

Growers ran wind machines until dawn.

-30-
""",
        {
            "source_id": "BC-Orchard-Frost",
            "dateline": {"city": "Wenatchee", "region": "Wash.", "agency": "AP"},
            "dropped": ["-30-"],
            "body": (
                "A late frost damaged apple blossom across the valley overnight, growers said "
                "Friday, and some expect a smaller harvest.\n\n"
                "Growers ran wind machines until dawn."
            ),
        },
    ),
    Case(
        "markdown_characters_are_escaped",
        """Hashtag Campaign Saves Village Cinema

CORK, Ireland (AFP) - Donors raised the money in nine days.

#SaveThePicturehouse trended for two days, with *five* stars in most posts.

# of donors: 1,204

- Tickets go on sale on Friday.

1. The cinema opens again in May.
""",
        {
            "dateline": {"city": "Cork", "country": "Ireland", "agency": "AFP"},
            "body": (
                "Donors raised the money in nine days.\n\n"
                "#SaveThePicturehouse trended for two days, with \\*five\\* stars in most "
                "posts.\n\n\\# of donors: 1,204\n\n\\- Tickets go on sale on Friday.\n\n"
                "1\\. The cinema opens again in May."
            ),
        },
    ),
]
