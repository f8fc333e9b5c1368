"""The signal that says whether stakeholder groups agree on an item or part ways."""

from __future__ import annotations

import pytest

from cocreate.consolidation.consensus import Signal, consensus_of
from cocreate.participation.models import VoteValue
from cocreate.participation.results import GroupTally, ItemResults, Tally

A, SA, N, D, SD, NO = (
    VoteValue.AGREE,
    VoteValue.STRONGLY_AGREE,
    VoteValue.NEUTRAL,
    VoteValue.DISAGREE,
    VoteValue.STRONGLY_DISAGREE,
    VoteValue.NO_OPINION,
)


def tally(**counts: int) -> Tally:
    t = Tally()
    for name, n in counts.items():
        t.counts[VoteValue(name)] += n
    return t


def results(*groups: Tally) -> ItemResults:
    overall = Tally()
    for group in groups:
        for value, n in group.counts.items():
            overall.counts[value] += n
    return ItemResults(overall, [GroupTally(f"G{i}", t) for i, t in enumerate(groups)])


@pytest.mark.parametrize(
    ("groups", "signal"),
    [
        # every group supports it, close together
        ([tally(agree=8, neutral=2), tally(strongly_agree=7, disagree=3)], Signal.AGREE),
        # every group at most 40 % agree, close together
        ([tally(agree=1, disagree=9), tally(agree=2, neutral=8)], Signal.AGREE),
        # 40 points apart
        ([tally(agree=9, neutral=1), tally(agree=5, neutral=5)], Signal.DIVERGE),
        # majority for in one group, majority against in another, only 20 points apart
        ([tally(agree=6, disagree=4), tally(agree=4, disagree=6)], Signal.DIVERGE),
        # all support it but 30 points apart: neither rule
        ([tally(agree=10), tally(agree=7, neutral=3)], Signal.MIXED),
        # one group at 70 %, another at 50 % neutral: not on the same side
        ([tally(agree=7, neutral=3), tally(agree=5, neutral=5)], Signal.MIXED),
        # one group only has enough votes
        ([tally(agree=9), tally(disagree=4)], Signal.NOT_ENOUGH),
        # "no opinion" is not a scored vote
        ([tally(agree=9), tally(disagree=4, no_opinion=6)], Signal.NOT_ENOUGH),
        ([], Signal.NOT_ENOUGH),
    ],
)
def test_signal_follows_the_documented_rule(groups, signal):
    assert consensus_of(results(*groups)).signal is signal


def test_groups_below_five_scored_votes_do_not_count():
    consensus = consensus_of(
        results(tally(agree=9, neutral=1), tally(agree=8, neutral=2), tally(disagree=4))
    )

    assert consensus.signal is Signal.AGREE
    assert [g.name for g in consensus.counted] == ["G0", "G1"]
    assert not consensus.groups[2].counted


def test_divergence_names_the_most_and_the_least_agreeing_groups(app):
    consensus = consensus_of(
        results(tally(agree=5, neutral=5), tally(agree=9, neutral=1), tally(agree=1, disagree=9))
    )

    assert consensus.signal is Signal.DIVERGE
    assert (consensus.most.name, consensus.least.name) == ("G1", "G2")
    with app.test_request_context():
        assert consensus.label == "Groups diverge"
        assert consensus.explanation == "G1 agree most (90 %), G2 least (10 %): 80 points apart."


def test_each_signal_is_explained_in_words(app):
    cases = {
        Signal.AGREE: results(tally(agree=9, neutral=1), tally(agree=8, neutral=2)),
        Signal.MIXED: results(tally(agree=10), tally(agree=7, neutral=3)),
        Signal.NOT_ENOUGH: results(tally(agree=2)),
    }
    with app.test_request_context():
        texts = {signal: consensus_of(r).explanation for signal, r in cases.items()}

    assert (
        texts[Signal.AGREE] == "Every group supports it: from 80 % to 90 % agree (10 points apart)."
    )
    assert "from 70 % (G1) to 100 % (G0) agree" in texts[Signal.MIXED]
    assert texts[Signal.NOT_ENOUGH].startswith("Fewer than two stakeholder groups")
