from cocreate.extensions import socketio


def received(client, name):
    return [m["args"][0] for m in client.get_received() if m["name"] == name]


def test_participant_socket_gets_state_then_tally_after_a_vote(app, demo, guest, first_item):
    sock = socketio.test_client(
        app, flask_test_client=guest.client, auth={"consultation_id": demo.id}
    )
    assert sock.is_connected()
    states = received(sock, "state")
    assert states and states[0]["consultation"]["id"] == demo.id
    guest.post(f"/items/{first_item.id}/vote", {"value": "agree"}, htmx=True)
    tallies = received(sock, "tally")
    assert tallies[-1]["item_id"] == first_item.id
    assert tallies[-1]["results"]["votes"] == 1
