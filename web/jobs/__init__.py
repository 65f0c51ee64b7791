"""Background jobs on a task queue (see :mod:`web.jobs.runner` and :mod:`web.jobs.queue`)."""

from web.jobs.models import Job, JobStatus  # noqa: F401
from web.jobs.runner import (  # noqa: F401
    ACTIVE_STATUSES,
    FINISHED_STATUSES,
    INTERRUPTED,
    LOST,
    JobBusy,
    JobContext,
    active_job,
    current_job,
    event_job_or_404,
    job_handler,
    job_status_dict,
    recover_at_startup,
    recover_interrupted_jobs,
    request_cancel,
    start_job,
    wait_for_job,
)
