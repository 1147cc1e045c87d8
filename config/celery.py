"""The Celery app: settings come from Django's (prefix CELERY_), tasks from each app's tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("passaparola")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The queue of tasks no route names: "celery" unless the environment says otherwise (the
# resilience suite gives each test's workers a queue of their own, so no stray message of another
# test reaches them and none of theirs outlives the test).
app.conf.task_default_queue = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
app.autodiscover_tasks()
