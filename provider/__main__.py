"""The plugin's entry point: the Pulumi CLI runs it with the engine's address; it prints its port.

Run as `python -m provider <engine>` from the project, or as the plugin directory itself (the
CLI's way), in which case the project root is put on the import path first.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from provider.host import serve  # noqa: E402 - needs the project root on the path

if __name__ == "__main__":
    serve(sys.argv[1:])
