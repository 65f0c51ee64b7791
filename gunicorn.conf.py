"""gunicorn settings for speednet, read automatically when gunicorn starts in this folder:

    .venv/bin/gunicorn 'web:create_app()'

Command-line options override these. The figures behind them are in the README (check-in
load) and bench/bench_checkin_load.py. gunicorn's workers only answer requests: plans,
re-plans and e-mail go on the job queue to worker processes (``make worker``, one or more
per host), so a solve never takes the interpreter from a check-in.
"""

import gc
import multiprocessing

bind = "127.0.0.1:8000"  # a TLS-terminating proxy in front (see the README)
worker_class = "gthread"
# A few threads per worker keep a slow client or a long PDF download from blocking a worker;
# more than that only makes the threads of one process queue for its interpreter lock.
# Measured on 2 cores: 3 workers x 3 threads served the most check-ins per second.
workers = multiprocessing.cpu_count() + 1
threads = 3
# Behind the proxy every request arrives on its own connection, so the kernel gives it to a
# free worker; a kept-alive connection would tie a client to one worker however busy it is.
keepalive = 0


def post_worker_init(worker):  # noqa: ARG001 (gunicorn's hook signature)
    """Send the app's structured log lines (check-ins, imports, publishes: web.logs) to stderr,
    then move everything loaded at start-up (the app, SQLAlchemy, pandas, OR-Tools: ~190,000
    objects) out of the garbage collector's sight. A full collection over them takes about a
    tenth of a second, which a kiosk waiting for its answer would feel every few hundred scans.
    """
    from web.logs import configure_logging, install_redaction  # here: the master never loads the app

    configure_logging()
    install_redaction()  # the access log's request lines carry /me/<token> and display keys
    gc.freeze()
