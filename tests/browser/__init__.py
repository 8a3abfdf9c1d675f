"""Headless Chromium for tests: a page with <video> + <track>, driven over the DevTools pipe."""
