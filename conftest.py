# Root conftest: makes the checkout's own packages importable first (so tests run the code in this tree).
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
