// Reads a feed file with feedsmith (as a JavaScript podcast app would) and prints what it read as JSON.
// Usage: node read-feed.mjs FEED.xml   (exit 1 with the reason on stderr if feedsmith rejects the feed)
import { readFileSync } from "node:fs";
import { parseRssFeed } from "feedsmith";

const path = process.argv[2];
if (!path) {
  console.error("usage: node read-feed.mjs FEED.xml");
  process.exit(2);
}
try {
  const feed = parseRssFeed(readFileSync(path, "utf8"));
  process.stdout.write(JSON.stringify(feed, null, 2) + "\n");
} catch (error) {
  console.error(`feedsmith could not read ${path}: ${error.message}`);
  process.exit(1);
}
