import os

# local Ray in tests: no auth token written to the home folder, no usage stats
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

# Prefect sets up its console logging once, when `prefect.main` is first imported (any
# `from prefect import flow`), and keeps the sys.stderr of that moment. Let that happen here, at
# collection, on the session's stream: imported first inside a test, it would keep that test's
# captured stream, closed when the test ends, and every later flow would fail to log.
try:
    import prefect.main  # noqa: F401
except ImportError:  # an environment without the orchestrate extra runs the plain tests only
    pass
