"""Lesson content: what the app and the CLI teach with, apart from the machinery that runs it. The named
starting points (presets), the guided tours and their milestones, the bundled demo runs. It sits above
explorer.runs (a tour drives a Runner, a demo is a run folder) and below explorer.sweeps, whose sweep.json names
a preset; the demo sweep therefore stays in explorer.sweeps.demo_sweep."""
