"""The main flows once over Socket Mode (TICKETBOT_SLACK__APP_TOKEN set): envelopes in, acks out."""

from __future__ import annotations

from adapters.slack import render
from core.model import Status
from tests.e2e.slack.harness import ALICE, BOB, SlackHarness
from tests.fakes.slack import APP_TOKEN
from tests.fakes.slack import payloads as p


async def test_main_flows_over_socket_mode(slack_socket: SlackHarness):
    slack = slack_socket
    fake = slack.fake
    assert slack.adapter.socket_mode and slack.adapter.request_handler is None
    assert fake.calls_to("apps.connections.open")[0].token == APP_TOKEN

    # /ticket → modal; an invalid submission answers with errors in the ack; a valid one opens the ticket
    ack = await fake.socket_send("slash_commands", p.slash_command(fake, "", user_id=BOB))
    assert ack.get("payload") in (None, {})
    view = (await fake.wait_for("views.open", where=lambda c: c.ok)).response["view"]
    values = {
        "subject": {"value": p.text_value(" ")},
        "category": {"value": p.select_value("Billing")},
        "priority": {"value": p.select_value("Low")},
        "description": {"value": p.text_value("double charge")},
        "files": {"value": p.files_value([])},
    }
    ack = await fake.socket_send("interactive", p.view_submission(fake, view, values, user_id=BOB))
    assert ack["payload"]["response_action"] == "errors" and "subject" in ack["payload"]["errors"]
    values["subject"] = {"value": p.text_value("Charged twice")}
    ack = await fake.socket_send("interactive", p.view_submission(fake, view, values, user_id=BOB))
    assert not ack.get("payload")
    await slack.settle()
    [ticket] = await slack.desk.list_tickets(actor=slack.actor(ALICE))
    assert (ticket.subject, ticket.category) == ("Charged twice", "Billing")
    card = await slack.card(ticket.id)

    # a staff button, then the requester writes in their DM thread
    await fake.socket_send(
        "interactive",
        p.block_action(
            fake,
            render.A_CLAIM,
            value=ticket.id,
            user_id=ALICE,
            channel_id=card.channel_id,
            message_ts=card.message_id,
            block_id=f"ticket_actions|{ticket.id}",
        ),
    )
    dm = await slack.dm(ticket.id)
    ts = fake.add_message(dm.channel_id, "any news?", user=BOB, thread_ts=dm.thread_id)
    envelope = p.event_callback(
        p.message_event(
            channel=dm.channel_id, text="any news?", user=BOB, ts=ts, thread_ts=dm.thread_id, channel_type="im"
        )
    )
    await fake.socket_send("events_api", envelope)
    await fake.socket_send("events_api", envelope, retry_attempt=1, retry_reason="timeout")  # no second effect
    await slack.settle()
    after = await slack.ticket(ticket.id)
    assert after.assignee is not None and after.assignee.user_id == ALICE and after.status is Status.OPEN
    bodies = [m.body for m in await slack.desk.get_thread(ticket_id=ticket.id, actor=slack.actor(ALICE))]
    assert bodies == ["double charge", "any news?"]
    assert any("any news?" in m["text"] for m in await slack.staff_thread(ticket.id))

    # App Home, and help for a mistyped subcommand right in the ack
    await fake.socket_send("events_api", p.event_callback(p.app_home_opened_event(user=ALICE)))
    home = await fake.wait_for("views.publish", user_id=ALICE)
    assert ticket.id in str(home.args["view"])
    ack = await fake.socket_send("slash_commands", p.slash_command(fake, "frobnicate", user_id=BOB))
    assert "unknown command" in ack["payload"]["blocks"][0]["text"]["text"]
