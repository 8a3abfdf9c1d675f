"""Where the tests find the repository, the shared real speech and the browser/npm helpers."""
from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
SPEECH = REPO.parent / "shared" / "speech"  # real recordings beside the project, never copied in
JS = TESTS / "js"  # the npm packages the tests run (feedsmith, axe-core)
BROWSER = TESTS / "browser"  # the Chromium driver and test pages
