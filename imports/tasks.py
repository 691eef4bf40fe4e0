"""The import's worker task: a thin wrapper; the work is in jobs.run_job."""

from celery import shared_task
from django.contrib.auth import get_user_model

from monitoring.tasks import RETRY

from . import jobs


@shared_task(name="imports.run", **RETRY)
def import_run_task(job_id: str, commit: bool, actor_id: int) -> str:
    actor = get_user_model().objects.get(pk=actor_id)
    return jobs.run_job(job_id, commit, actor).status
