"""Fast tests of the lab's pure parts (no VM is booted, no process started)."""
import sys
from pathlib import Path

LAB = Path(__file__).resolve().parents[2] / "lab"
sys.path.insert(0, str(LAB))
