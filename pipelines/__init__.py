"""Plain pipelines: the build, benchmark, evaluation, reports and exports as functions (no Prefect,
no Ray). flows/ composes them into Prefect flows and fans them out over Ray; cli/ calls both."""
