"""The workflow table, checked over every (situation, action, role) combination."""

from __future__ import annotations

import itertools

import pytest

from cms.articles.models import ArticleStatus, PublicState, public_state
from cms.auth.models import Role
from cms.workflow.workflow import (
    TRANSITIONS,
    Action,
    RoleError,
    Situation,
    TransitionError,
    allowed_actions,
    check_self_approval,
    transition,
)

D, R, A, P, W = "draft", "in_review", "approved", "published", "withdrawn"

#: What an editor (and an admin) may do in each situation ``(status, live,
#: scheduled)``, and the status it leads to. Written out by hand, independently
#: of the table. Reporters may only submit, wherever editors may.
EDITOR_MOVES: dict[tuple[str, bool, bool], dict[str, str]] = {
    (D, False, False): {"submit": R},
    (D, False, True): {"submit": R},
    (D, True, False): {"submit": R},
    (D, True, True): {"submit": R},
    (R, False, False): {"approve": A, "reject": D},
    (R, False, True): {"approve": A, "reject": D},
    (R, True, False): {"approve": A, "reject": P, "withdraw": W},
    (R, True, True): {"approve": A, "reject": P, "withdraw": W},
    (A, False, False): {"approve": A, "reject": D, "publish": P, "schedule": A},
    (A, False, True): {"reject": D, "publish": P, "schedule": A, "unschedule": A},
    (A, True, False): {"approve": A, "reject": P, "publish": P, "schedule": A, "withdraw": W},
    (A, True, True): {
        "reject": P,
        "publish": P,
        "schedule": A,
        "unschedule": A,
        "withdraw": W,
    },
    (P, False, False): {"submit": R, "approve": A, "withdraw": W},
    (P, False, True): {"submit": R, "approve": A, "withdraw": W},
    (P, True, False): {"submit": R, "approve": A, "withdraw": W},
    (P, True, True): {"submit": R, "approve": A, "withdraw": W},
    (W, False, False): {},
    (W, False, True): {},
    (W, True, False): {},
    (W, True, True): {},
}

SITUATIONS = [
    Situation(ArticleStatus(status), live=live, scheduled=scheduled)
    for status, live, scheduled in EDITOR_MOVES
]


def _expected(situation: Situation, role: Role) -> dict[str, str]:
    moves = EDITOR_MOVES[(situation.status.value, situation.live, situation.scheduled)]
    if role == Role.REPORTER:
        return {action: to for action, to in moves.items() if action == "submit"}
    return moves


def _label(value) -> str:
    if isinstance(value, Situation):
        flags = [flag for flag in ("live", "scheduled") if getattr(value, flag)]
        return "+".join([value.status.value, *flags])
    return str(value)


@pytest.mark.parametrize(
    ("situation", "action", "role"),
    list(itertools.product(SITUATIONS, list(Action), list(Role))),
    ids=_label,
)
def test_every_situation_action_and_role(situation, action, role):
    expected = _expected(situation, role)
    allowed = [Action(name) for name in expected]

    if action.value in expected:
        assert transition(situation, action, role) == ArticleStatus(expected[action.value])
        return
    if role == Role.REPORTER and action != Action.SUBMIT:
        with pytest.raises(RoleError) as raised:
            transition(situation, action, role)
    else:
        with pytest.raises(TransitionError) as raised:
            transition(situation, action, role)
    assert set(raised.value.allowed) == set(allowed)


@pytest.mark.parametrize("situation", SITUATIONS, ids=_label)
@pytest.mark.parametrize("role", list(Role))
def test_allowed_actions_match_the_moves(situation, role):
    assert {a.value for a in allowed_actions(situation, role)} == set(_expected(situation, role))


def test_admins_may_do_everything_editors_may():
    for rule in TRANSITIONS.values():
        assert (Role.EDITOR in rule.roles) == (Role.ADMIN in rule.roles)


def test_a_kill_is_final():
    assert not [key for key in TRANSITIONS if key[0] == ArticleStatus.WITHDRAWN]


def test_errors_explain_themselves():
    with pytest.raises(TransitionError, match="Nothing is published"):
        transition(Situation(ArticleStatus.APPROVED), Action.WITHDRAW, Role.EDITOR)
    with pytest.raises(TransitionError, match="No publication is scheduled"):
        transition(Situation(ArticleStatus.APPROVED), Action.UNSCHEDULE, Role.EDITOR)
    with pytest.raises(TransitionError, match="unschedule it"):
        transition(Situation(ArticleStatus.APPROVED, scheduled=True), Action.APPROVE, Role.EDITOR)
    with pytest.raises(TransitionError, match="withdrawn"):
        transition(Situation(ArticleStatus.WITHDRAWN), Action.PUBLISH, Role.ADMIN)
    with pytest.raises(RoleError, match="reporter"):
        transition(Situation(ArticleStatus.APPROVED), Action.PUBLISH, Role.REPORTER)


@pytest.mark.parametrize(
    ("status", "live_version", "expected"),
    [
        (ArticleStatus.DRAFT, None, PublicState.UNPUBLISHED),
        (ArticleStatus.APPROVED, None, PublicState.UNPUBLISHED),
        (ArticleStatus.PUBLISHED, 1, PublicState.PUBLISHED),
        (ArticleStatus.IN_REVIEW, 2, PublicState.PUBLISHED),
        (ArticleStatus.WITHDRAWN, 3, PublicState.WITHDRAWN),
    ],
)
def test_public_state(status, live_version, expected):
    assert public_state(status, live_version) == expected


def test_self_approval_needs_the_setting():
    check_self_approval(author_ids={1, 3}, approver_id=2, allowed=False)
    check_self_approval(author_ids={1, 3}, approver_id=1, allowed=True)
    with pytest.raises(RoleError, match="another editor"):
        check_self_approval(author_ids={3, 1}, approver_id=1, allowed=False)
