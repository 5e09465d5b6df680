import os

# local Ray in tests: no auth token written to the home folder, no usage stats
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
