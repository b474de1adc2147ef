"""The editorial workflow as a table: who may do what, from which state, to which state.

Pure: no database, no Flask, no clock. :mod:`cms.workflow.operations` asks
:func:`transition` before every action and turns its errors into HTTP problems.

The article's ``status`` is the state of its *working copy*: the story moves
``draft → in_review → approved → published``. Once a version is live, the next
version goes through ``in_review → approved → published`` again while readers
keep seeing the live one; a rejected update returns the article to where it
rests (``published`` when something is live, ``draft`` otherwise). A kill
(``withdrawn``) is final.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass

from cms.articles.models import ArticleStatus
from cms.auth.models import Role

DRAFT = ArticleStatus.DRAFT
IN_REVIEW = ArticleStatus.IN_REVIEW
APPROVED = ArticleStatus.APPROVED
PUBLISHED = ArticleStatus.PUBLISHED
WITHDRAWN = ArticleStatus.WITHDRAWN


class Action(enum.StrEnum):
    """Workflow actions; each is an endpoint ``POST /articles/{id}/<action>``."""

    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    PUBLISH = "publish"
    SCHEDULE = "schedule"
    UNSCHEDULE = "unschedule"
    WITHDRAW = "withdraw"


WRITERS = frozenset({Role.REPORTER, Role.EDITOR, Role.ADMIN})
EDITORS = frozenset({Role.EDITOR, Role.ADMIN})

#: Marks a transition that returns the article to where it rests: ``published``
#: when a version is live, ``draft`` when nothing has been published.
REST = None


@dataclass(frozen=True, slots=True)
class Transition:
    """Where an action leads, who may take it and under which condition."""

    #: The next status; :data:`REST` for "back to where the article rests".
    to: ArticleStatus | None
    roles: frozenset[Role]
    #: ``True``: only while a version is live; ``None``: whether or not.
    live: bool | None = None
    #: ``True``: only while a publication is scheduled; ``False``: only while none is.
    scheduled: bool | None = None


#: The whole workflow. An action absent for a state is not possible from it.
TRANSITIONS: dict[tuple[ArticleStatus, Action], Transition] = {
    (DRAFT, Action.SUBMIT): Transition(IN_REVIEW, WRITERS),
    (IN_REVIEW, Action.APPROVE): Transition(APPROVED, EDITORS),
    (IN_REVIEW, Action.REJECT): Transition(REST, EDITORS),
    (IN_REVIEW, Action.WITHDRAW): Transition(WITHDRAWN, EDITORS, live=True),
    # Approving again binds the approval to a newer head; a scheduled
    # publication must be cancelled first so that it never changes under it.
    (APPROVED, Action.APPROVE): Transition(APPROVED, EDITORS, scheduled=False),
    (APPROVED, Action.REJECT): Transition(REST, EDITORS),
    (APPROVED, Action.PUBLISH): Transition(PUBLISHED, EDITORS),
    (APPROVED, Action.SCHEDULE): Transition(APPROVED, EDITORS),
    (APPROVED, Action.UNSCHEDULE): Transition(APPROVED, EDITORS, scheduled=True),
    (APPROVED, Action.WITHDRAW): Transition(WITHDRAWN, EDITORS, live=True),
    (PUBLISHED, Action.SUBMIT): Transition(IN_REVIEW, WRITERS),
    (PUBLISHED, Action.APPROVE): Transition(APPROVED, EDITORS),
    (PUBLISHED, Action.WITHDRAW): Transition(WITHDRAWN, EDITORS),
    # WITHDRAWN: no way out; a killed story stays killed.
}


@dataclass(frozen=True, slots=True)
class Situation:
    """The facts about an article that decide which actions are possible."""

    status: ArticleStatus
    #: A version is public (published and not withdrawn).
    live: bool = False
    #: A scheduled publication is pending.
    scheduled: bool = False


class WorkflowError(Exception):
    """An action that the workflow does not allow."""

    def __init__(self, message: str, allowed: list[Action]) -> None:
        super().__init__(message)
        #: The actions the same user could take instead.
        self.allowed = allowed


class TransitionError(WorkflowError):
    """The action is not possible from the article's current situation."""


class RoleError(WorkflowError):
    """The user's role may not take the action."""


def _applies(rule: Transition, situation: Situation) -> bool:
    return (rule.live is None or rule.live == situation.live) and (
        rule.scheduled is None or rule.scheduled == situation.scheduled
    )


def allowed_actions(situation: Situation, role: Role) -> list[Action]:
    """Return the actions ``role`` may take in ``situation``, in table order."""
    return [
        action
        for (status, action), rule in TRANSITIONS.items()
        if status == situation.status and role in rule.roles and _applies(rule, situation)
    ]


def may_ever(action: Action, role: Role) -> bool:
    """Return whether ``role`` may take ``action`` in some situation."""
    return any(key[1] == action and role in rule.roles for key, rule in TRANSITIONS.items())


def transition(situation: Situation, action: Action, role: Role) -> ArticleStatus:
    """Return the status that ``action`` by ``role`` leads to from ``situation``.

    Raises :class:`RoleError` when the role may never take the action, or
    may take it from this situation but lacks the right there, and
    :class:`TransitionError` when the action is not possible from this situation;
    both carry the actions ``role`` could take instead.
    """
    allowed = allowed_actions(situation, role)
    rule = TRANSITIONS.get((situation.status, action))
    if not may_ever(action, role):
        raise RoleError(f"Your role ({role.value}) may not {action.value} articles.", allowed)
    if rule is None or not _applies(rule, situation):
        raise TransitionError(_not_possible(situation, action), allowed)
    if role not in rule.roles:
        raise RoleError(
            f"Your role ({role.value}) may not {action.value} a {situation.status.value} article.",
            allowed,
        )
    if rule.to is REST:
        return PUBLISHED if situation.live else DRAFT
    return rule.to


def _not_possible(situation: Situation, action: Action) -> str:
    if situation.status == WITHDRAWN:
        return f"The article has been withdrawn; it cannot {action.value} any more."
    rule = TRANSITIONS.get((situation.status, action))
    if rule is not None and rule.live and not situation.live:
        return f"Nothing is published, so there is nothing to {action.value}."
    if rule is not None and rule.scheduled is True:
        return "No publication is scheduled."
    if rule is not None and rule.scheduled is False:
        return f"A publication is scheduled; unschedule it before you {action.value} again."
    return f"You cannot {action.value} an article that is {situation.status.value}."


def check_self_approval(*, author_ids: Collection[int], approver_id: int, allowed: bool) -> None:
    """Refuse an approval by an editor who wrote any of what is being approved.

    ``author_ids`` are the authors of every revision since the last published
    version (of every revision before the first publication): four eyes see
    every change readers will see. Raises :class:`RoleError` (with no
    alternatives) when ``approver_id`` is among them and ``allowed``
    (``CMS_ALLOW_SELF_APPROVAL``) is false.
    """
    if approver_id in author_ids and not allowed:
        raise RoleError(
            "You wrote a revision since the last publication; another editor must approve it "
            "(or set CMS_ALLOW_SELF_APPROVAL).",
            [],
        )
