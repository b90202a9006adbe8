"""Tests that boot real UML hosts (root and the lab image needed; `make lab-test`)."""
import sys
from pathlib import Path

LAB = Path(__file__).resolve().parents[2] / "lab"
sys.path.insert(0, str(LAB))
