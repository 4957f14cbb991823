"""Stopping the server answers open GetActivityTask long polls (with no task) instead of waiting
for them, so a worker polling stepline never holds up a shutdown."""

from __future__ import annotations

import threading

import boto3
from botocore.config import Config as BotoConfig

from stepline.config import Config
from stepline.server.app import create_app
from stepline.server.background import BackgroundServer


def test_stop_answers_pending_activity_polls(tmp_path):
    app = create_app(Config(data_dir=tmp_path))
    server = BackgroundServer(app)
    url = server.start()
    activities = app.state.services.runtime.service.engine.integrations.activities
    sfn = boto3.client("stepfunctions", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x",
                       aws_secret_access_key="y", config=BotoConfig(retries={"max_attempts": 1}, read_timeout=120))
    activity = sfn.create_activity(name="idle")["activityArn"]
    answers: list[dict] = []
    poll = threading.Thread(target=lambda: answers.append(sfn.get_activity_task(activityArn=activity,
                                                                                  workerName="w1")))
    poll.start()
    while not activities._lock._waiters:  # the poll is waiting in the server (a Condition's waiters)
        poll.join(timeout=0.01)
    server.stop()
    poll.join(timeout=60)
    assert not server.thread.is_alive()
    assert not poll.is_alive() and answers and not answers[0].get("taskToken")
