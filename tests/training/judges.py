"""Judges for the reward-pool tests, in a module with no heavy imports (workers spawn and import it)."""

import time


def slow_judge(prompt, response):
    if prompt.id == "q1":
        time.sleep(30)  # a verifier that hangs
    return 1.0, "ok"
