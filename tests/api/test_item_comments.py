import pytest

from cocreate.consultations.models import Status
from cocreate.extensions import db
from cocreate.participation.models import Comment
from cocreate.participation.services import MAX_COMMENT_LENGTH, post_comment
from tests.api.conftest import count_queries, error_code, error_message, rows
from tests.conftest import join_as


def comment_on(api, item, token, body, parent_id=None):
    return api.post(
        f"/items/{item.id}/comments", token=token, json={"body": body, "parent_id": parent_id}
    )


def test_participant_comments_on_an_item(api, member, first_item):
    response = comment_on(api, first_item, member.token, "  Add cobalt to the list.  ")

    assert response.status_code == 201
    comment = response.get_json()
    assert comment["item_id"] == first_item.id
    assert comment["parent_id"] is None
    assert comment["body"] == "Add cobalt to the list."
    assert comment["author"] == {"display_name": "Ana", "stakeholder_group": "Industry"}
    assert comment["created_at"].endswith("+00:00")
    assert db.session.get(Comment, comment["id"]).participant_id == member.participant.id


def test_parent_id_may_be_left_out(api, member, first_item):
    response = api.post(
        f"/items/{first_item.id}/comments", token=member.token, json={"body": "Agreed."}
    )
    assert response.status_code == 201


def test_comments_are_listed_newest_thread_first_with_replies_in_order(
    api, demo, member, first_item
):
    other = join_as(demo, "Research and academia")
    first = comment_on(api, first_item, member.token, "First.").get_json()
    second = comment_on(api, first_item, other.token, "Second.").get_json()
    reply = comment_on(api, first_item, other.token, "A reply.", first["id"]).get_json()
    late_reply = comment_on(api, first_item, member.token, "Another.", first["id"]).get_json()

    response = api.get(f"/items/{first_item.id}/comments", token=member.token)

    assert response.status_code == 200
    threads = response.get_json()["comments"]
    assert [thread["id"] for thread in threads] == [second["id"], first["id"]]
    assert threads[0]["replies"] == []
    assert [r["id"] for r in threads[1]["replies"]] == [reply["id"], late_reply["id"]]
    assert reply["parent_id"] == first["id"]
    assert threads[1]["replies"][0]["author"]["stakeholder_group"] == "Research and academia"


def test_reply_to_a_reply_joins_the_thread(api, member, first_item):
    thread = comment_on(api, first_item, member.token, "Thread.").get_json()
    reply = comment_on(api, first_item, member.token, "Reply.", thread["id"]).get_json()

    response = comment_on(api, first_item, member.token, "Reply to reply.", reply["id"])

    assert response.status_code == 201
    assert response.get_json()["parent_id"] == thread["id"]
    threads = api.get(f"/items/{first_item.id}/comments", token=member.token).get_json()
    assert [len(t["replies"]) for t in threads["comments"]] == [2]


def test_hidden_comments_and_replies_never_appear(api, member, first_item):
    participant = member.participant
    visible = post_comment(participant, first_item, "Visible.")
    hidden = post_comment(participant, first_item, "Hidden.")
    hidden_reply = post_comment(participant, first_item, "Hidden reply.", visible.id)
    post_comment(participant, first_item, "Visible reply.", visible.id)
    hidden.hidden = hidden_reply.hidden = True
    db.session.commit()

    threads = api.get(f"/items/{first_item.id}/comments", token=member.token).get_json()

    assert [t["body"] for t in threads["comments"]] == ["Visible."]
    assert [r["body"] for r in threads["comments"][0]["replies"]] == ["Visible reply."]


def test_reply_to_a_hidden_comment_is_not_found(api, member, first_item):
    hidden = post_comment(member.participant, first_item, "Hidden.")
    hidden.hidden = True
    db.session.commit()
    response = comment_on(api, first_item, member.token, "Reply.", hidden.id)
    assert response.status_code == 404
    assert rows()["Comment"] == 1


def test_reply_to_a_comment_on_another_item_is_not_found(api, demo, member, first_item):
    elsewhere = post_comment(member.participant, demo.documents[0].items[1], "Elsewhere.")
    response = comment_on(api, first_item, member.token, "Reply.", elsewhere.id)
    assert response.status_code == 404
    assert rows()["Comment"] == 1


@pytest.mark.parametrize("body", ["", "   \n ", "x" * (MAX_COMMENT_LENGTH + 1)])
def test_empty_or_overlong_comment_is_refused(api, member, first_item, body):
    response = comment_on(api, first_item, member.token, body)
    assert response.status_code == 422
    assert error_code(response) == "invalid_input"
    assert rows()["Comment"] == 0


def test_comment_of_exactly_the_maximum_length_is_accepted(api, member, first_item):
    body = "x" * MAX_COMMENT_LENGTH
    response = comment_on(api, first_item, member.token, body)
    assert response.status_code == 201
    assert response.get_json()["body"] == body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": 42}, "body"),
        ({"body": ["text"]}, "body"),
        ({"body": "Text.", "parent_id": "1"}, "parent_id"),
        ({"body": "Text.", "parent_id": 1.5}, "parent_id"),
        ({"body": "Text.", "parent_id": True}, "parent_id"),
    ],
)
def test_comment_field_of_the_wrong_type_is_refused_naming_it(api, member, first_item, body, field):
    response = api.post(f"/items/{first_item.id}/comments", token=member.token, json=body)
    assert response.status_code == 422
    assert f"'{field}'" in error_message(response)
    assert rows()["Comment"] == 0


def test_html_in_a_comment_is_returned_as_written(api, member, first_item):
    body = '<script>alert("x")</script> & <b>bold</b>'
    posted = comment_on(api, first_item, member.token, body)
    listed = api.get(f"/items/{first_item.id}/comments", token=member.token)
    assert posted.get_json()["body"] == body
    assert listed.get_json()["comments"][0]["body"] == body
    assert listed.mimetype == "application/json"


def test_comment_is_refused_once_the_consultation_is_closed(api, demo, member, first_item):
    demo.status = Status.CLOSED
    db.session.commit()
    response = comment_on(api, first_item, member.token, "Too late?")
    assert response.status_code == 409
    assert rows()["Comment"] == 0


def test_comments_stay_readable_after_closing(api, demo, member, first_item):
    comment_on(api, first_item, member.token, "Before closing.")
    demo.status = Status.CLOSED
    db.session.commit()
    response = api.get(f"/items/{first_item.id}/comments", token=member.token)
    assert [t["body"] for t in response.get_json()["comments"]] == ["Before closing."]


def test_comments_on_another_consultations_item_are_not_found(api, member, other_consultation):
    foreign_item = other_consultation.documents[0].items[0]
    assert api.get(f"/items/{foreign_item.id}/comments", token=member.token).status_code == 404
    assert comment_on(api, foreign_item, member.token, "Hello").status_code == 404
    assert rows()["Comment"] == 0


def test_comments_need_a_token(api, first_item):
    assert api.get(f"/items/{first_item.id}/comments").status_code == 401
    assert comment_on(api, first_item, None, "Anonymous?").status_code == 401
    assert rows()["Comment"] == 0


def test_reply_to_a_reply_in_a_hidden_thread_is_not_found(api, member, first_item):
    thread = post_comment(member.participant, first_item, "Thread.")
    reply = post_comment(member.participant, first_item, "Reply.", thread.id)
    thread.hidden = True
    db.session.commit()
    response = comment_on(api, first_item, member.token, "Reply to reply.", reply.id)
    assert response.status_code == 404
    assert rows()["Comment"] == 2


def test_comments_are_listed_in_a_fixed_number_of_queries(api, demo, member, first_item):
    for n in range(3):
        author = join_as(demo, "Other", name=f"Person {n}")
        thread = post_comment(author.participant, first_item, f"Thread {n}.")
        post_comment(member.participant, first_item, f"Reply {n}.", thread.id)
    path = f"/items/{first_item.id}/comments"
    with count_queries() as statements:
        response = api.get(path, token=member.token)
    assert len(response.get_json()["comments"]) == 3
    # participant, item, live scope, comments, authors, groups, answers, replies, their
    # authors, groups, answers
    assert len(statements) == 11, statements
