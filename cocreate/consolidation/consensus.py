"""Whether stakeholder groups agree on an item, or where they part ways.

The signal compares the groups' *agree shares*: the votes "strongly agree" and "agree" over
the scored votes (every vote but "no opinion"). A group counts only with at least
``MIN_SCORED_VOTES`` (5) scored votes, so that one or two people never speak for a group;
with fewer than two such groups there is nothing to compare.

- **Groups agree**: every counted group is on the same side, all with an agree share of at
  least 60 % (they support it) or all at most 40 % (none supports it), and the spread
  between the most and the least agreeing group is under 25 points.
- **Groups diverge**: the spread is 40 points or more, or some group has a majority that
  agrees while another has a majority that disagrees ("disagree" and "strongly disagree"
  over its scored votes). The most and the least agreeing groups are named.
- **Mixed**: enough votes, but neither of the above.
- **Not enough votes**: fewer than two groups with 5 scored votes.

Moderators see it on the workspace and the progress page; exports and the public page may
show it too. Nothing here is suppressed: it is computed from moderator tallies.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import gettext as _

from cocreate.participation.models import VoteValue
from cocreate.participation.results import GroupTally, ItemResults, Tally

MIN_SCORED_VOTES = 5
AGREE_SIDE = 0.6
DISAGREE_SIDE = 0.4
AGREE_MAX_SPREAD = 0.25
DIVERGE_SPREAD = 0.4
DISAGREE_VALUES = (VoteValue.DISAGREE, VoteValue.STRONGLY_DISAGREE)


class Signal(enum.StrEnum):
    AGREE = "agree"
    DIVERGE = "diverge"
    MIXED = "mixed"
    NOT_ENOUGH = "not_enough"


@dataclass(frozen=True)
class GroupShare:
    name: str
    scored: int
    agree_share: float | None  # None when the group has no scored vote
    disagree_share: float | None

    @property
    def counted(self) -> bool:
        return self.scored >= MIN_SCORED_VOTES


@dataclass(frozen=True)
class Consensus:
    signal: Signal
    groups: list[GroupShare]
    spread: float | None = None
    most: GroupShare | None = None
    least: GroupShare | None = None

    @property
    def counted(self) -> list[GroupShare]:
        return [group for group in self.groups if group.counted]

    @property
    def label(self) -> str:
        return {
            Signal.AGREE: _("Groups agree"),
            Signal.DIVERGE: _("Groups diverge"),
            Signal.MIXED: _("Mixed"),
            Signal.NOT_ENOUGH: _("Not enough votes"),
        }[self.signal]

    @property
    def explanation(self) -> str:
        """One sentence saying why, with the figures behind it."""
        if self.signal is Signal.NOT_ENOUGH:
            return _(
                "Fewer than two stakeholder groups have %(n)d votes for or against yet.",
                n=MIN_SCORED_VOTES,
            )
        spread = round(self.spread * 100)
        most, least = self.most, self.least
        if self.signal is Signal.AGREE and least.agree_share >= AGREE_SIDE:
            return _(
                "Every group supports it: from %(low)s to %(high)s agree (%(spread)d "
                "points apart).",
                low=percent(least.agree_share),
                high=percent(most.agree_share),
                spread=spread,
            )
        if self.signal is Signal.AGREE:
            return _(
                "No group supports it: from %(low)s to %(high)s agree (%(spread)d points apart).",
                low=percent(least.agree_share),
                high=percent(most.agree_share),
                spread=spread,
            )
        if self.signal is Signal.DIVERGE:
            return _(
                "%(most)s agree most (%(high)s), %(least)s least (%(low)s): %(spread)d points "
                "apart.",
                most=most.name,
                high=percent(most.agree_share),
                least=least.name,
                low=percent(least.agree_share),
                spread=spread,
            )
        return _(
            "Groups lean differently without a clear split: from %(low)s (%(least)s) to "
            "%(high)s (%(most)s) agree.",
            low=percent(least.agree_share),
            least=least.name,
            high=percent(most.agree_share),
            most=most.name,
        )


def percent(share: float | None) -> str:
    return "–" if share is None else f"{round(share * 100)} %"


def share_of(tally: Tally, values: tuple[VoteValue, ...]) -> float | None:
    if not tally.scored:
        return None
    return sum(tally.counts[value] for value in values) / tally.scored


def group_share(group: GroupTally) -> GroupShare:
    tally = group.tally
    return GroupShare(
        name=group.name,
        scored=tally.scored,
        agree_share=tally.agree_share,
        disagree_share=share_of(tally, DISAGREE_VALUES),
    )


def consensus_of(results: ItemResults) -> Consensus:
    """The signal for one item's results per stakeholder group (moderator tallies)."""
    groups = [group_share(group) for group in results.by_group]
    counted = [group for group in groups if group.counted]
    if len(counted) < 2:
        return Consensus(Signal.NOT_ENOUGH, groups)
    ranked = sorted(counted, key=lambda group: group.agree_share, reverse=True)
    most, least = ranked[0], ranked[-1]
    spread = round(most.agree_share - least.agree_share, 4)
    split = any(g.agree_share > 0.5 for g in counted) and any(
        g.disagree_share > 0.5 for g in counted
    )
    same_side = all(g.agree_share >= AGREE_SIDE for g in counted) or all(
        g.agree_share <= DISAGREE_SIDE for g in counted
    )
    if spread >= DIVERGE_SPREAD or split:
        signal = Signal.DIVERGE
    elif same_side and spread < AGREE_MAX_SPREAD:
        signal = Signal.AGREE
    else:
        signal = Signal.MIXED
    return Consensus(signal, groups, spread, most, least)
