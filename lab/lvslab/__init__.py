"""lvslab: the test lab of the lvs.cluster collection (User-Mode Linux hosts on bridges in a namespace).

Pure parts (no side effects, unit-tested in tests/lab/): topology, render, ports.
Side effects: image (build), runtime (boot/teardown/status).
"""
