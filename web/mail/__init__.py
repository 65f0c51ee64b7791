"""E-mail: the outbox, SMTP delivery and the organiser's outbox page.

Infrastructure low in the feature order: other features queue messages with
:func:`web.mail.services.enqueue` and never talk to SMTP; this package imports no feature
above attendees. Delivery is :func:`web.mail.services.deliver_due`, run by a task on the job
queue in a worker process (:mod:`web.mail.delivery`) or by ``flask --app web mail deliver``.
"""

from flask import Blueprint

bp = Blueprint("mail", __name__, template_folder="templates", url_prefix="/console")

from web.mail import delivery, routes  # noqa: E402,F401  (delivery registers the queue's mail tasks)
from web.mail.services import DeliveryReport, MailError, deliver_due, enqueue  # noqa: E402,F401
