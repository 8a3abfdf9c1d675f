/* coursecast course search: every sentence of every episode, from assets/search-index.js (a script, so it
   loads from file:// with no network). A query word matches a sentence word it is a prefix of, both folded
   (lower case, no diacritics: "Malmo" finds "Malmö"), after the episode's language drops its stop words and
   strips one ending from the word ("budgeting" -> "budget"). Results are built from text nodes: a
   transcript's or a query's "<script>" stays text. */
(function () {
  "use strict";

  var MAX_RESULTS = 50; // results listed; the status says how many more there are
  var MIN_QUERY_CHARS = 2; // shorter queries list nothing (every sentence has an "a")
  var WORD = /[\p{L}\p{N}\p{M}]+/gu; // a word of a sentence or a query
  var SPECIAL = { "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ð": "d", "þ": "th", "ł": "l", "đ": "d", "ı": "i" };

  var data = window.coursecastSearch;
  var form = document.getElementById("search");
  if (!form || !data || data.format !== 1) return;
  var input = document.getElementById("search-q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var home = form.getAttribute("data-home") || "index.html";
  var root = home.replace(/[^/]*$/, ""); // the site's folder, relative to this page
  var folded = null; // per episode, per sentence: " word word ..." folded, made at the first query

  function fold(text) {
    return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[øæœßðþłđı]/g, function (c) { return SPECIAL[c]; });
  }

  function words(text) { return text.match(WORD) || []; }

  function prepare() {
    folded = data.episodes.map(function (episode) {
      return episode.lines.map(function (line) { return " " + words(fold(line[2])).join(" "); });
    });
  }

  function stem(word, language) {
    var suffixes = language ? language.suffixes : [];
    for (var i = 0; i < suffixes.length; i++) {
      var ending = suffixes[i];
      if (word.length - ending.length >= data.minStem && word.slice(-ending.length) === ending) {
        return word.slice(0, -ending.length);
      }
    }
    return word;
  }

  function terms(query, code) { // the query's words as this episode's language searches them
    var language = data.languages[code];
    var all = words(fold(query));
    var kept = language ? all.filter(function (w) { return language.stop.indexOf(w) < 0; }) : all;
    return (kept.length ? kept : all).map(function (w) { return stem(w, language); });
  }

  function search(query) {
    var found = [], byLanguage = {};
    data.episodes.forEach(function (episode, e) {
      var wanted = byLanguage[episode.language] || (byLanguage[episode.language] = terms(query, episode.language));
      if (!wanted.length) return;
      var needles = wanted.map(function (w) { return " " + w; });
      folded[e].forEach(function (text, s) {
        for (var i = 0; i < needles.length; i++) if (text.indexOf(needles[i]) < 0) return;
        found.push({ episode: e, line: s, terms: wanted });
      });
    });
    return found;
  }

  function clock(seconds) {
    var total = Math.floor(seconds), h = Math.floor(total / 3600), m = Math.floor(total % 3600 / 60);
    var s = total % 60, pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }

  function element(name, className, text) {
    var node = document.createElement(name);
    if (className) node.className = className;
    if (text !== undefined) node.appendChild(document.createTextNode(text));
    return node;
  }

  function marked(text, wanted) { // the sentence as text nodes, each word a query word starts marked
    var span = element("span", "text"), at = 0, match;
    WORD.lastIndex = 0;
    while ((match = WORD.exec(text)) !== null) {
      var word = fold(match[0]);
      if (!wanted.some(function (w) { return word.indexOf(w) === 0; })) continue;
      span.appendChild(document.createTextNode(text.slice(at, match.index)));
      span.appendChild(element("mark", "", match[0]));
      at = match.index + match[0].length;
    }
    span.appendChild(document.createTextNode(text.slice(at)));
    return span;
  }

  function result(hit) {
    var episode = data.episodes[hit.episode], line = episode.lines[hit.line];
    var item = element("li"), link = element("a");
    link.href = root + episode.page + "#t=" + String(line[0]);
    var where = element("span", "where");
    var title = element("span", "", episode.title);
    title.lang = episode.language;
    where.appendChild(title);
    where.appendChild(document.createTextNode(" · " + episode.speakers[line[1]] + " · "));
    var time = element("time", "", clock(line[0]));
    time.dateTime = "PT" + Math.floor(line[0]) + "S";
    where.appendChild(time);
    link.appendChild(where);
    var text = marked(line[2], hit.terms);
    text.lang = episode.language;
    link.appendChild(text);
    item.appendChild(link);
    return item;
  }

  function say(name, values) { // the page's wording (data-* of the form: a translated page brings its own)
    return (form.getAttribute("data-" + name) || "").replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function count(n, one, many) { return n === 1 ? say(one, {}) : say(many, { n: n }); }

  function summary(hits) {
    if (!hits.length) return say("none", {});
    var episodes = {};
    hits.forEach(function (h) { episodes[h.episode] = true; });
    var values = { sentences: count(hits.length, "sentence", "sentences"), shown: MAX_RESULTS,
                   episodes: count(Object.keys(episodes).length, "episode", "episodes") };
    return say(hits.length > MAX_RESULTS ? "more" : "found", values);
  }

  function update() {
    var query = input.value.trim();
    list.textContent = "";
    if (query.length < MIN_QUERY_CHARS) {
      status.textContent = "";
      list.hidden = true;
      return;
    }
    if (!folded) prepare();
    var hits = search(query);
    hits.slice(0, MAX_RESULTS).forEach(function (hit) { list.appendChild(result(hit)); });
    list.hidden = hits.length === 0;
    status.textContent = summary(hits);
  }

  input.addEventListener("input", update);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    update();
    var first = list.querySelector("a");
    if (first) first.focus(); // Enter takes the reader to the results
  });
  form.hidden = false;
})();
