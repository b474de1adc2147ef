"""Newsroom copy for the archive: headlines, decks and bodies made from word lists.

Pure and deterministic: the same seed gives the same text. Bodies come in
*families*: a first draft and a chain of small edits of it (a sentence rewritten,
a paragraph added, a quote inserted), so that consecutive revisions of a story
differ as an editor's edits do. A few long *live* chains (a thousand versions of
a running story) serve the stories with a thousand revisions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SECTIONS = (
    ("politics", 18),
    ("business", 16),
    ("world", 16),
    ("sport", 14),
    ("local", 10),
    ("culture", 8),
    ("science", 6),
    ("health", 5),
    ("technology", 5),
    ("opinion", 2),
)
LANGUAGES = (("en", 88), ("fr", 5), ("de", 4), ("es", 3))

#: Words that appear in a handful of stories only: what "search on a rare word" looks for.
RARE_WORDS = (
    "axolotl", "ptarmigan", "kumquat", "zeppelin", "obsidian", "marzipan",
    "narwhal", "sextant", "quokka", "halyard", "tamarisk", "zither",
)  # fmt: skip
#: A word in a large share of English bodies (the council sentences).
COMMON_WORD = "council"
#: A phrase that appears in the middle of the first live chain and is later removed:
#: what ``revisions?contains=`` looks for.
PICKAXE_PHRASE = "evacuation of the lower harbour"

CITIES = (
    ("Rotterdam", "Netherlands"), ("Lyon", "France"), ("Leipzig", "Germany"),
    ("Valencia", "Spain"), ("Ottawa", "Canada"), ("Nairobi", "Kenya"),
    ("Osaka", "Japan"), ("Lima", "Peru"), ("Perth", "Australia"), ("Denver", "United States"),
    ("Glasgow", "United Kingdom"), ("Porto", "Portugal"), ("Gdansk", "Poland"),
    ("Accra", "Ghana"), ("Manila", "Philippines"), ("Tucson", "United States"),
)  # fmt: skip
AGENCIES = ("Newsroom Wire", "Newsroom Wire", "Newsroom Wire", "Harbour Press", "Metro Desk")

_EN = {
    "subject": (
        "The city council",
        "The mayor",
        "Union leaders",
        "The central bank",
        "Health officials",
        "The port authority",
        "Local residents",
        "The transport minister",
        "Investors",
        "The school board",
        "Firefighters",
        "The coach",
        "Researchers",
        "The opposition",
        "Shop owners",
        "The regional government",
        "Police",
        "The festival organisers",
        "Airline executives",
        "Farmers",
    ),
    "verb": (
        "approved",
        "rejected",
        "delayed",
        "announced",
        "questioned",
        "defended",
        "postponed",
        "welcomed",
        "criticised",
        "unveiled",
        "expanded",
        "cut",
        "reviewed",
        "extended",
    ),
    "object": (
        "the budget",
        "a new tram line",
        "the harbour expansion",
        "the rent freeze",
        "a pay deal",
        "the stadium plan",
        "the water tariff",
        "a tax on short lets",
        "the hospital merger",
        "the flood defences",
        "a ban on night flights",
        "the library closures",
        "the bus timetable",
        "a recycling scheme",
        "the council's housing plan",
        "the bridge repairs",
    ),
    "when": (
        "on Monday",
        "on Tuesday",
        "on Wednesday",
        "on Thursday",
        "on Friday",
        "late on Sunday",
        "after a long debate",
        "in a close vote",
        "at a packed meeting",
        "this week",
    ),
    "tail": (
        "officials said",
        "according to a statement",
        "a spokesperson confirmed",
        "the council said in a report",
        "witnesses said",
        "figures published on Friday showed",
    ),
    "quote": (
        "We have listened to every objection and we will keep listening",
        "This is not the end of the matter",
        "Nobody in this room wanted it to come to this",
        "The numbers simply do not add up",
        "It is a good day for the city",
        "We expect the work to start before the winter",
    ),
}
_OTHER = {
    "fr": (
        "Le conseil municipal a approuvé le budget lundi soir après un long débat.",
        "Les syndicats ont rejeté la proposition de la direction du port.",
        "Le maire a annoncé une nouvelle ligne de tramway pour le quartier nord.",
        "Les habitants craignent une hausse des loyers dans le centre-ville.",
        "La banque centrale a maintenu ses taux, selon un communiqué publié vendredi.",
        "Les pompiers sont intervenus toute la nuit près de la gare.",
    ),
    "de": (
        "Der Stadtrat hat den Haushalt nach einer langen Debatte am Montag gebilligt.",
        "Die Gewerkschaften lehnten das Angebot der Hafenverwaltung ab.",
        "Der Bürgermeister kündigte eine neue Straßenbahnlinie für den Norden an.",
        "Anwohner befürchten steigende Mieten in der Innenstadt.",
        "Die Zentralbank ließ die Zinsen unverändert, hieß es in einer Mitteilung.",
        "Die Feuerwehr war die ganze Nacht in der Nähe des Bahnhofs im Einsatz.",
    ),
    "es": (
        "El ayuntamiento aprobó el presupuesto el lunes tras un largo debate.",
        "Los sindicatos rechazaron la oferta de la autoridad portuaria.",
        "La alcaldesa anunció una nueva línea de tranvía para el barrio norte.",
        "Los vecinos temen una subida de los alquileres en el centro.",
        "El banco central mantuvo los tipos, según un comunicado del viernes.",
        "Los bomberos trabajaron toda la noche cerca de la estación.",
    ),
}
_KEYWORDS = (
    "budget", "transport", "housing", "labour", "ports", "health", "schools", "weather",
    "elections", "courts", "energy", "football", "tourism", "climate", "police", "trade",
)  # fmt: skip
_FIRST = ("Rita", "Omar", "Lena", "Kwame", "Ines", "Tomasz", "Mei", "Jonas", "Amara", "Luca")
_LAST = ("Reporter", "Haddad", "Schulz", "Mensah", "Duarte", "Nowak", "Tanaka", "Berg")


def person(index: int) -> str:
    """Return the display name of newsroom member ``index`` (unique per index)."""
    return f"{_FIRST[index % len(_FIRST)]} {_LAST[index // len(_FIRST) % len(_LAST)]} {index}"


def sentence(rng: random.Random, language: str = "en") -> str:
    """Return one sentence of copy in ``language``."""
    if language != "en":
        return rng.choice(_OTHER[language])
    words = _EN
    if rng.random() < 0.15:
        return f'"{rng.choice(words["quote"])}," {rng.choice(words["subject"]).lower()} said.'
    return (
        f"{rng.choice(words['subject'])} {rng.choice(words['verb'])} {rng.choice(words['object'])}"
        f" {rng.choice(words['when'])}, {rng.choice(words['tail'])}."
    )


def paragraph(rng: random.Random, language: str = "en") -> str:
    """Return a paragraph of two to four sentences."""
    return " ".join(sentence(rng, language) for _ in range(rng.randint(2, 4)))


def headline(rng: random.Random, language: str = "en", rare: str | None = None) -> str:
    """Return a headline (no trailing full stop), mentioning ``rare`` if given."""
    if language != "en":
        text = rng.choice(_OTHER[language]).rstrip(".")
    else:
        text = (
            f"{rng.choice(_EN['subject']).removeprefix('The ')} {rng.choice(_EN['verb'])} "
            f"{rng.choice(_EN['object'])} {rng.choice(_EN['when'])}"
        )
    return f"{rare.capitalize()} sighting: {text}" if rare else text


def keywords(rng: random.Random, unlike: tuple[str, ...] = ()) -> list[str]:
    """Return two to five distinct keywords, not the list ``unlike``."""
    while True:
        chosen = rng.sample(_KEYWORDS, rng.randint(2, 5))
        if tuple(chosen) != tuple(unlike):
            return chosen


def edit(rng: random.Random, paragraphs: list[str], language: str, *, grow_to: int) -> list[str]:
    """Return ``paragraphs`` after one editor's change: rewrite, add, quote or cut."""
    out = list(paragraphs)
    choice = rng.random()
    if choice < 0.5 or len(out) >= grow_to:
        at = rng.randrange(len(out))
        sentences = out[at].split(". ")
        sentences[rng.randrange(len(sentences))] = sentence(rng, language).rstrip(".")
        out[at] = ". ".join(sentences)
        if not out[at].endswith((".", '"')):
            out[at] += "."
    elif choice < 0.85:
        out.insert(rng.randint(1, len(out)), paragraph(rng, language))
    else:
        out.insert(rng.randint(1, len(out)), f"> {sentence(rng, language)}")
    if len(out) > 3 and rng.random() < 0.05:
        del out[rng.randrange(1, len(out))]
    return out


def markdown(paragraphs: list[str]) -> str:
    """Return the body Markdown of ``paragraphs`` (as the API normalises it)."""
    return "\n\n".join(paragraphs)


@dataclass(frozen=True)
class Family:
    """A body and the chain of its edited versions, in one section and language."""

    section: str
    language: str
    #: Markdown of version 0, 1, 2 …: each an edit of the one before.
    bodies: tuple[str, ...]


def family(seed: int, section: str, language: str, length: int) -> Family:
    """Return the family ``seed``: a first draft and ``length - 1`` edits of it."""
    rng = random.Random(f"family-{seed}")
    paragraphs = [paragraph(rng, language) for _ in range(rng.randint(6, 14))]
    if language == "en" and section in ("politics", "local", "business") and rng.random() < 0.8:
        paragraphs.insert(1, f"The {COMMON_WORD} {rng.choice(_EN['verb'])} the plan.")
    if rng.random() < 0.2:
        paragraphs.insert(len(paragraphs) // 2, "## What happens next")
    bodies = [markdown(paragraphs)]
    while len(bodies) < length:
        paragraphs = edit(rng, paragraphs, language, grow_to=24)
        if markdown(paragraphs) != bodies[-1]:  # an edit that changes nothing is no revision
            bodies.append(markdown(paragraphs))
    return Family(section, language, tuple(bodies))


def live_chain(seed: int, length: int, *, phrase_between: tuple[int, int] | None) -> Family:
    """Return a running story's ``length`` bodies, newest updates on top.

    With ``phrase_between=(a, b)`` the :data:`PICKAXE_PHRASE` enters the body at
    version ``a`` and leaves it at version ``b``.
    """
    rng = random.Random(f"live-{seed}")
    paragraphs = [paragraph(rng) for _ in range(6)]
    bodies = [markdown(paragraphs)]
    for number in range(1, length):
        if len(paragraphs) < 60 and rng.random() < 0.6:
            paragraphs.insert(0, f"**Update {number}:** {paragraph(rng)}")
        else:
            paragraphs = edit(rng, paragraphs, "en", grow_to=len(paragraphs))
        if phrase_between and number == phrase_between[0]:
            paragraphs.insert(0, f"Police ordered the {PICKAXE_PHRASE} at noon.")
        if phrase_between and number == phrase_between[1]:
            paragraphs = [p for p in paragraphs if PICKAXE_PHRASE not in p]
            paragraphs.insert(0, "The harbour reopened to residents in the afternoon.")
        if markdown(paragraphs) == bodies[-1]:
            paragraphs.insert(0, f"**Update {number}:** {paragraph(rng)}")
        bodies.append(markdown(paragraphs))
    return Family("world", "en", tuple(bodies))


def weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    """Return a value of ``table`` (value, weight) drawn by weight."""
    return rng.choices([value for value, _ in table], [weight for _, weight in table])[0]
