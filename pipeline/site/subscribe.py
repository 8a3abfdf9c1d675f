"""Links that open a feed in a podcast app, for the apps whose link format is documented.

Every feed is first offered as its plain RSS address, which any app accepts. The
app links below follow published conventions; a link is made only when the feed
URL is http(s), the one kind each convention can carry:

- Apple Podcasts: `podcast://` in place of the feed URL's `http(s)://`, the
  scheme the app registers (with `pcast:`) and that subscribe buttons have used
  since iTunes; the app fetches the address and follows the server's redirects.
- Pocket Casts: `pktc://subscribe/` followed by the feed URL without its scheme
  (the app's URL scheme, as the Podlove Subscribe Button's client list gives it).
- AntennaPod: `https://antennapod.org/deeplink/subscribe?url=...&title=...`, the
  link AntennaPod documents for podcasters ("Add on AntennaPod"); it opens the app,
  or a page that explains how to get it.
- Overcast: `overcast://x-callback-url/add?url=...` (the app's x-callback-url, as
  the Podlove Subscribe Button's client list gives it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

ANTENNAPOD_DEEPLINK = "https://antennapod.org/deeplink/subscribe"  # documented by AntennaPod for podcasters
_HTTP = re.compile(r"^https?://", re.IGNORECASE)


@dataclass(frozen=True)
class AppLink:
    app: str  # the app's name, the link text
    href: str


def _without_scheme(url: str) -> str:
    return _HTTP.sub("", url)


def app_links(feed_url: str, title: str) -> tuple[AppLink, ...]:
    """Links that open `feed_url` in podcast apps; none when the URL is not http(s)."""
    if not _HTTP.match(feed_url):
        return ()
    encoded = quote(feed_url, safe="")
    return (
        AppLink("Apple Podcasts", "podcast://" + _without_scheme(feed_url)),
        AppLink("Pocket Casts", "pktc://subscribe/" + _without_scheme(feed_url)),
        AppLink("AntennaPod", f"{ANTENNAPOD_DEEPLINK}?url={encoded}&title={quote(title, safe='')}"),
        AppLink("Overcast", "overcast://x-callback-url/add?url=" + encoded),
    )
