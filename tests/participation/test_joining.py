import sqlalchemy as sa

from cocreate.extensions import db
from cocreate.participation.models import Participant


def test_participant_joins_with_code_typed_on_the_join_page(app, demo, web):
    web.get("/join")
    response = web.post("/join", {"code": demo.join_code.lower()})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/join/{demo.join_code}")
    response = web.join(demo, group="Civil society and NGOs", region="Africa", name="Amina")
    assert response.status_code == 302
    welcome = web.get(response.headers["Location"])
    assert "Civil society and NGOs" in welcome.text
    assert "Your return code" in welcome.text
    participant = db.session.scalars(sa.select(Participant)).one()
    assert participant.display_name == "Amina"
    assert participant.region.name == "Africa"
