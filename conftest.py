"""Root conftest.

Import our ``custom_components`` package before Home Assistant's test fixtures run:
otherwise Home Assistant finds the test package's own ``custom_components`` first.
"""

import custom_components  # noqa: F401
