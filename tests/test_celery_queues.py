"""Each kind of job has a queue of its own, and a worker started plainly takes all of them."""

from __future__ import annotations

import importlib
import importlib.util
import warnings

from celery.exceptions import AlwaysEagerIgnored
from django.apps import apps
from django.conf import settings

from config.celery import app


def _project_tasks() -> set[str]:
    # What autodiscover_tasks() finds when a worker starts: each installed app's tasks module.
    for config in apps.get_app_configs():
        if importlib.util.find_spec(f"{config.name}.tasks"):
            importlib.import_module(f"{config.name}.tasks")
    return {name for name in app.tasks if not name.startswith("celery.")}


def test_every_task_of_the_project_is_routed_to_a_queue_of_its_kind():
    assert _project_tasks() == set(settings.TASK_QUEUES)
    queues = {
        task: app.amqp.router.route({}, task)["queue"].name for task in _project_tasks()
    }
    assert queues == settings.TASK_QUEUES
    assert queues["monitoring.sweep"] != queues["monitoring.deliver_batch"]
    assert queues["monitoring.export_build"] != queues["monitoring.deliver_batch"]
    assert queues["imports.run"] not in {queues["monitoring.sweep"],
                                         queues["monitoring.deliver_batch"]}


def test_a_worker_without_q_consumes_every_queue_a_task_is_routed_to():
    # What `celery worker` consumes when it is not given -Q: every declared queue.
    consumed = set(app.amqp.queues.consume_from or app.amqp.queues)
    assert set(settings.TASK_QUEUES.values()) | {settings.CELERY_TASK_DEFAULT_QUEUE} == consumed
    for name in consumed:
        queue = app.amqp.queues[name]
        # As Celery itself would declare a queue it meets by name (task_create_missing_queues).
        assert (queue.exchange.name, queue.exchange.type, queue.routing_key) == (
            name, "direct", name)


def test_a_task_sent_lands_on_its_kinds_queue_and_no_other():
    # The test settings' broker is kombu's in-memory transport: the messages can be counted.
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in app.amqp.queues.values():
            queue(channel).declare()
            queue(channel).purge()
        with warnings.catch_warnings():
            # send_task always publishes: the test settings' eager mode is not for it.
            warnings.simplefilter("ignore", AlwaysEagerIgnored)
            for task in ("monitoring.sweep", "monitoring.export_build",
                         "monitoring.deliver_batch"):
                app.send_task(task)
        waiting = {name: channel._size(name) for name in app.amqp.queues}
        for queue in app.amqp.queues.values():
            queue(channel).purge()
    assert waiting == {"celery": 0, "delivery": 1, "exports": 1, "imports": 0,
                       "maintenance": 0, "reminders": 1}
