"""The web app's settings under test: a loopback process with its own key and a scratch folder.

The production rules (a secret key from the environment, HTTPS only) are tested on their own,
in subprocesses that start from ``followup.capture.settings`` as a server would.
"""

import os
import tempfile

os.environ["FOLLOWUP_LOCAL"] = "1"
os.environ.setdefault("FOLLOWUP_SECRET_KEY", "test-" + "k" * 60)
os.environ.setdefault("FOLLOWUP_DATA", tempfile.mkdtemp(prefix="followup-test-data-"))

from followup.capture.settings import *  # noqa: F403
