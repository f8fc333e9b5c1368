"""The API's live additions: supports, idempotent comments, the live state, and results
shown only as the consultation's results visibility allows."""

import pytest

from cocreate.consultations.models import ResultsVisibility, Status
from cocreate.extensions import db, socketio
from cocreate.live import services as live
from cocreate.participation.models import Comment, Support
from cocreate.participation.services import cast_vote, post_comment
from tests.api.conftest import error_code, rows
from tests.conftest import join_as, row_count


@pytest.fixture
def author(demo):
    """Another participant, whose comments the member may support."""
    return join_as(demo, "Research and academia", name="Rui")


@pytest.fixture
def their_comment(author, first_item):
    return post_comment(author.participant, first_item, "Add recycling targets.")


def support(api, comment_id, token):
    return api.post(f"/comments/{comment_id}/support", token=token)


def comment_on(api, item, token, body, key=None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api.post(f"/items/{item.id}/comments", token=token, json={"body": body}, headers=headers)


def set_visibility(consultation, visibility):
    consultation.results_visibility = visibility
    db.session.commit()


# Supports.


def test_support_answers_the_comment_with_one_more_support(api, member, their_comment):
    response = support(api, their_comment.id, member.token)
    assert response.status_code == 200
    assert response.get_json()["id"] == their_comment.id
    assert response.get_json()["supports"] == 1


def test_supporting_again_changes_nothing(api, member, their_comment):
    support(api, their_comment.id, member.token)
    again = support(api, their_comment.id, member.token)
    assert again.status_code == 200
    assert again.get_json()["supports"] == 1
    assert row_count(Support) == 1


def test_supports_of_several_participants_add_up(api, demo, member, their_comment):
    support(api, their_comment.id, member.token)
    third = join_as(demo, "Other")
    assert support(api, their_comment.id, third.token).get_json()["supports"] == 2


def test_supporting_your_own_comment_is_forbidden(api, author, their_comment):
    response = support(api, their_comment.id, author.token)
    assert response.status_code == 403
    assert error_code(response) == "forbidden"
    assert row_count(Support) == 0


def test_supporting_a_hidden_comment_is_not_found(api, member, their_comment):
    their_comment.hidden = True
    db.session.commit()
    response = support(api, their_comment.id, member.token)
    assert response.status_code == 404
    assert row_count(Support) == 0


def test_supporting_another_consultations_comment_is_not_found(
    api, member, other_consultation, outsider
):
    foreign = post_comment(
        outsider.participant, other_consultation.documents[0].items[0], "Elsewhere."
    )
    assert support(api, foreign.id, member.token).status_code == 404
    assert support(api, 999999, member.token).status_code == 404
    assert row_count(Support) == 0


def test_supporting_in_a_closed_consultation_is_refused(api, demo, member, their_comment):
    demo.status = Status.CLOSED
    db.session.commit()
    response = support(api, their_comment.id, member.token)
    assert response.status_code == 409
    assert error_code(response) == "consultation_closed"
    assert row_count(Support) == 0


def test_supporting_needs_a_token(api, their_comment):
    assert support(api, their_comment.id, None).status_code == 401


# Idempotency-Key on comments.


def test_the_same_idempotency_key_stores_one_comment(api, member, first_item):
    first = comment_on(api, first_item, member.token, "Once only.", key="phone-retry-1")
    retry = comment_on(api, first_item, member.token, "Once only.", key="phone-retry-1")
    assert first.status_code == retry.status_code == 201
    assert retry.get_json()["id"] == first.get_json()["id"]
    assert rows()["Comment"] == 1


def test_different_idempotency_keys_store_two_comments(api, member, first_item):
    one = comment_on(api, first_item, member.token, "Same words.", key="key-one")
    two = comment_on(api, first_item, member.token, "Same words.", key="key-two")
    assert one.get_json()["id"] != two.get_json()["id"]
    assert rows()["Comment"] == 2


def test_a_key_belongs_to_its_participant(api, member, author, first_item):
    mine = comment_on(api, first_item, member.token, "Mine.", key="shared-key")
    theirs = comment_on(api, first_item, author.token, "Theirs.", key="shared-key")
    assert mine.get_json()["id"] != theirs.get_json()["id"]
    assert theirs.get_json()["body"] == "Theirs."


@pytest.mark.parametrize("key", ["has spaces", "x" * 101, "ünïcode", "semi;colon"])
def test_an_invalid_idempotency_key_is_refused(api, member, first_item, key):
    response = comment_on(api, first_item, member.token, "Hello.", key=key)
    assert response.status_code == 422
    assert error_code(response) == "invalid_input"
    assert rows()["Comment"] == 0


def test_a_comment_posted_through_the_api_is_pushed_to_a_token_socket(
    app, demo, member, author, api, first_item
):
    sock = socketio.test_client(app, auth={"token": author.token})
    sock.get_received()
    comment_on(api, first_item, member.token, "Pushed.", key="push-1")
    comment_on(api, first_item, member.token, "Pushed.", key="push-1")  # a retry
    comments = [m["args"][0] for m in sock.get_received() if m["name"] == "comment"]
    assert [c["body"] for c in comments] == ["Pushed.", "Pushed."]
    assert len({c["id"] for c in comments}) == 1  # the retry names the same comment


# The live state.


def test_live_state_without_a_live_session(api, demo, member):
    response = api.get(f"/consultations/{demo.id}/live", token=member.token)
    assert response.status_code == 200
    state = response.get_json()
    assert state["event"] is None and state["focus"] is None
    assert state["timer"]["ends_at"] is None
    assert state["results"] == {}
    assert state["participant"]["id"] == member.participant.id


def test_live_state_carries_event_focus_phases_and_timer(api, demo, moderator, member, first_item):
    event = live.create_event(demo, moderator, title="Johannesburg forum", format="forum")
    live.start_event(demo, moderator, event)
    live.focus_item(demo, moderator, first_item.id)
    live.set_voting_open(demo, moderator, False, first_item.id)
    live.start_timer(demo, moderator, 120)

    state = api.get(f"/consultations/{demo.id}/live", token=member.token).get_json()
    assert state["event"]["title"] == "Johannesburg forum"
    assert state["event"]["format"] == "forum"
    assert state["focus"]["id"] == first_item.id
    assert state["focus"]["voting_open"] is False
    assert state["voting_closed"] == [first_item.id]
    assert state["timer"]["seconds"] == 120
    assert str(first_item.id) in state["results"]


def test_live_state_hides_results_the_participant_may_not_see(
    api, demo, moderator, member, first_item
):
    set_visibility(demo, ResultsVisibility.AFTER_VOTE)
    live.focus_item(demo, moderator, first_item.id)
    assert api.get(f"/consultations/{demo.id}/live", token=member.token).json["results"] == {}
    cast_vote(member.participant, first_item, "agree")
    state = api.get(f"/consultations/{demo.id}/live", token=member.token).get_json()
    assert state["results"][str(first_item.id)]["votes"] == 1


def test_live_state_of_another_consultation_is_forbidden(api, member, other_consultation):
    response = api.get(f"/consultations/{other_consultation.id}/live", token=member.token)
    assert response.status_code == 403


def test_live_state_of_an_unknown_consultation_is_not_found(api, member):
    assert api.get("/consultations/999999/live", token=member.token).status_code == 404


def test_live_state_needs_a_token(api, demo):
    assert api.get(f"/consultations/{demo.id}/live").status_code == 401


# Results visibility.


def test_results_after_voting_are_hidden_until_you_vote(api, demo, member, first_item):
    set_visibility(demo, ResultsVisibility.AFTER_VOTE)
    cast_vote(join_as(demo, "Other").participant, first_item, "agree")

    hidden = api.get(f"/items/{first_item.id}/results", token=member.token)
    assert hidden.status_code == 403
    assert error_code(hidden) == "results_hidden"

    api.put(f"/items/{first_item.id}/vote", token=member.token, json={"value": "neutral"})
    shown = api.get(f"/items/{first_item.id}/results", token=member.token)
    assert shown.status_code == 200
    assert shown.get_json()["votes"] == 2


def test_results_after_reveal_are_hidden_until_the_moderator_reveals(
    api, demo, moderator, member, first_item
):
    set_visibility(demo, ResultsVisibility.AFTER_REVEAL)
    api.put(f"/items/{first_item.id}/vote", token=member.token, json={"value": "agree"})
    hidden = api.get(f"/items/{first_item.id}/results", token=member.token)
    assert hidden.status_code == 403
    assert error_code(hidden) == "results_hidden"

    live.set_results_revealed(demo, moderator, True, first_item.id)
    assert api.get(f"/items/{first_item.id}/results", token=member.token).status_code == 200


def test_results_of_a_revealed_item_show_before_voting(api, demo, moderator, member, first_item):
    set_visibility(demo, ResultsVisibility.AFTER_VOTE)
    live.set_results_revealed(demo, moderator, True, first_item.id)
    assert api.get(f"/items/{first_item.id}/results", token=member.token).status_code == 200


def test_voting_on_a_closed_item_is_refused_with_phase_closed(
    api, demo, moderator, member, first_item
):
    live.set_voting_open(demo, moderator, False, first_item.id)
    response = api.put(f"/items/{first_item.id}/vote", token=member.token, json={"value": "agree"})
    assert response.status_code == 409
    assert error_code(response) == "phase_closed"
    assert row_count(Comment) == 0 and rows()["Vote"] == 0
