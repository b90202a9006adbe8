"""lvslab: the test lab of the lvs.cluster collection (qemu TCG VMs on vde_switch segments).

Pure parts (no side effects, unit-tested in tests/lab/): topology, render, ports.
Side effects: image (build), runtime (boot/teardown/status).
"""
