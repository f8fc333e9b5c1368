import pytest

from cocreate.participation.services import cast_vote
from tests.conftest import join_as


def vote_as(consultation, item, group, value):
    cast_vote(join_as(consultation, group).participant, item, value)


def test_results_count_votes_and_leave_no_opinion_out_of_the_scores(api, demo, member, first_item):
    for value in ["strongly_agree", "agree", "agree", "disagree", "no_opinion"]:
        vote_as(demo, first_item, "Industry", value)

    response = api.get(f"/items/{first_item.id}/results", token=member.token)

    assert response.status_code == 200
    results = response.get_json()
    assert results["votes"] == 5
    assert results["counts"] == {
        "strongly_agree": 1,
        "agree": 2,
        "neutral": 0,
        "disagree": 1,
        "strongly_disagree": 0,
        "no_opinion": 1,
    }
    assert results["agree_share"] == 0.75  # 3 of the 4 who took a side or stayed neutral
    assert results["mean_score"] == 0.75  # (2 + 1 + 1 - 1) / 4
    assert results["by_group"]["Industry"] == {
        key: results[key] for key in ("votes", "counts", "agree_share", "mean_score")
    }


def test_results_without_votes_have_no_scores(api, demo, member, first_item):
    results = api.get(f"/items/{first_item.id}/results", token=member.token).get_json()
    assert results["votes"] == 0
    assert results["agree_share"] is None and results["mean_score"] is None
    assert set(results["by_group"]) == {group.name for group in demo.stakeholder_groups}
    assert results["by_group"]["Other"]["votes"] == 0


def test_only_no_opinion_votes_give_no_scores(api, demo, member, first_item):
    vote_as(demo, first_item, "Industry", "no_opinion")
    results = api.get(f"/items/{first_item.id}/results", token=member.token).get_json()
    assert results["votes"] == 1
    assert results["agree_share"] is None and results["mean_score"] is None


@pytest.mark.parametrize("voters", [1, 4])
def test_group_with_fewer_than_five_voters_is_suppressed(api, demo, member, first_item, voters):
    for _ in range(voters):
        vote_as(demo, first_item, "Finance and investors", "agree")

    results = api.get(f"/items/{first_item.id}/results", token=member.token).get_json()

    assert results["by_group"]["Finance and investors"] == {"suppressed": True}
    assert results["votes"] == voters  # the overall figures still count them


def test_group_with_five_voters_is_shown(api, demo, member, first_item):
    for value in ["agree"] * 4 + ["strongly_disagree"]:
        vote_as(demo, first_item, "Finance and investors", value)

    results = api.get(f"/items/{first_item.id}/results", token=member.token).get_json()

    finance = results["by_group"]["Finance and investors"]
    assert finance["votes"] == 5
    assert finance["counts"]["strongly_disagree"] == 1
    assert finance["agree_share"] == 0.8
    assert finance["mean_score"] == 0.4


def test_results_of_another_consultations_item_are_not_found(api, member, other_consultation):
    foreign_item = other_consultation.documents[0].items[0]
    assert api.get(f"/items/{foreign_item.id}/results", token=member.token).status_code == 404


def test_results_need_a_token(api, first_item):
    assert api.get(f"/items/{first_item.id}/results").status_code == 401
