"""``[[webhooks]]`` in the config file: outgoing webhooks the operator writes down, with their own
secret, the same subscription after a restart, listed with the others but removed only in the file;
a table that cannot work stops start-up naming what is wrong."""

from __future__ import annotations

import pytest

from tests.support.processes import Daemon
from tests.test_api_posting import apikey, call, irc_in
from tests.test_api_webhooks import Receiver, signed
from tests.test_service_operations import run_with_config

pytestmark = pytest.mark.integration

SECRET = "a-secret-the-receiver-knows"


def config(tmp_path, receiver: Receiver, extra: str = "") -> str:
    path = tmp_path / "chatd.toml"
    path.write_text(f'state-dir = "{tmp_path / "state"}"\n'
                    "[[webhooks]]\n"
                    f'room = "#ops"\nurl = "{receiver.url}"\nsecret = "{SECRET}"\n'
                    'triggers = ["!deploy"]\nnick = "deploy-bot"\n' + extra)
    return str(path)


def test_a_config_file_webhook_answers_its_trigger_and_stays_in_the_file(tmp_path):
    receiver = Receiver()
    receiver.answers = [(200, {"text": "deploying prod"})]
    try:
        path = config(tmp_path, receiver)
        key = apikey(str(tmp_path / "state"), "create", "ops", "--scope", "moderate")
        daemon = Daemon("--config", path, state_dir=tmp_path).start()
        try:
            wendy = irc_in(daemon.ports["irc"], "wendy", "#ops")
            wendy.send("PRIVMSG #ops :hello\r\nPRIVMSG #ops :!deploy prod\r\n")
            headers, event, body = receiver.next()
            assert signed(headers, body, SECRET)
            assert event["text"] == "!deploy prod" and event["args"] == "prod"
            wendy.expect(r":deploy-bot!\S+ PRIVMSG #ops :deploying prod")
            status, listing = call(daemon.ports["http"], "GET", "/api/v1/webhooks", key)
            assert status == 200 and [(w["nick"], w["created_by"]) for w in listing["webhooks"]] == \
                [("deploy-bot", "config")]
            sub_id = listing["webhooks"][0]["id"]
            status, answer = call(daemon.ports["http"], "DELETE", f"/api/v1/webhooks/{sub_id}", key)
            assert status == 409 and answer["error"] == "in_config"
            wendy.close()
        finally:
            daemon.kill()
        # Restarted with the webhook taken out of the file: it is gone, not left in the store.
        (tmp_path / "chatd.toml").write_text(f'state-dir = "{tmp_path / "state"}"\n')
        daemon = Daemon("--config", path, state_dir=tmp_path).start()
        try:
            status, listing = call(daemon.ports["http"], "GET", "/api/v1/webhooks", key)
            assert status == 200 and listing["webhooks"] == []
        finally:
            daemon.kill()
    finally:
        receiver.close()


@pytest.mark.parametrize("table, complaint", [
    ('room = "#ops"\nurl = "http://127.0.0.1:9/"\n', "webhook 1"),
    ('room = "#ops"\nurl = "ftp://example.org/"\nsecret = "0123456789abcdef"\n', "not an http://"),
    ('room = "#ops"\nurl = "http://127.0.0.1:9/"\nsecret = "short"\n', "at least 16"),
    ('room = "#ops"\nurl = "http://127.0.0.1:9/"\nsecret = "0123456789abcdef"\nevent = ["join"]\n',
     "unknown key 'event'"),
])
def test_a_webhook_table_that_cannot_work_stops_startup(tmp_path, table, complaint):
    result = run_with_config(tmp_path, 'irc = "tcp:0"\n[[webhooks]]\n' + table)
    assert result.returncode != 0 and complaint in result.stdout + result.stderr


def test_sighup_takes_a_webhook_into_and_out_of_the_running_daemon(tmp_path):
    import signal

    from tests.support.waiting import wait_until

    receiver = Receiver()
    receiver.answers = [(200, {})]
    try:
        key = apikey(str(tmp_path / "state"), "create", "ops", "--scope", "moderate")
        path = tmp_path / "chatd.toml"
        path.write_text(f'state-dir = "{tmp_path / "state"}"\n')
        daemon = Daemon("--config", str(path), state_dir=tmp_path).start()
        try:
            def hooks() -> list:
                status, listing = call(daemon.ports["http"], "GET", "/api/v1/webhooks", key)
                assert status == 200
                return listing["webhooks"]

            assert hooks() == []
            config(tmp_path, receiver)
            daemon.signal(signal.SIGHUP)
            added = wait_until(lambda: hooks(), 10, what="the file's webhook in the running daemon")
            assert [(w["nick"], w["created_by"]) for w in added] == [("deploy-bot", "config")]
            wendy = irc_in(daemon.ports["irc"], "wendy", "#ops")
            wendy.send("PRIVMSG #ops :!deploy now")
            assert receiver.next()[1]["text"] == "!deploy now"

            path.write_text(f'state-dir = "{tmp_path / "state"}"\n')  # taken out of the file again
            daemon.signal(signal.SIGHUP)
            wait_until(lambda: hooks() == [], 10, what="the webhook gone after the second reload")
        finally:
            daemon.kill()
    finally:
        receiver.close()
