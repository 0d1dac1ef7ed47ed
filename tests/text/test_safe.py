"""Names and subjects typed by anyone, shown safely (issue 13): no bidi overrides, no control characters."""

from guichet.text.safe import neutralised, storable


def test_bidi_controls_and_control_characters_leave_names():
    assert neutralised("run\u202egnp.exe") == "rungnp.exe"
    assert neutralised("Carla\u2067 \u200fCosta\x00\x07\r\nBcc: x") == "Carla Costa Bcc: x"
    assert neutralised("שלום Carla") == "שלום Carla"  # right-to-left letters themselves stay


def test_storable_text_keeps_its_lines_and_loses_what_a_database_refuses():
    assert storable("a\x00b\tc\r\nd\x1b") == "ab\tc\r\nd"
    assert storable("caf\udce9") == "caf\ufffd"


def test_a_display_name_with_a_bidi_override_is_shown_neutralised(world, as_user):
    from tests.helpers import open_incident

    world.customer.first_name, world.customer.last_name = "Carla\u202e", "\u202dCosta\x1b"
    world.customer.save()
    assert world.customer.display_name == "Carla Costa"
    ticket = open_incident(world)
    answer = as_user(world.supervisor).get(f"/tickets/{ticket.reference}").json()
    assert answer["requester"]["name"] == "Carla Costa"
