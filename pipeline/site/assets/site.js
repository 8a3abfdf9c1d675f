/* coursecast episode page: transcript and chapters that seek the player, highlight what is spoken,
   and (optionally) keep it in view. Without this script every sentence is still a link to its moment
   in the recording (a media fragment, #t=seconds), and the player has its own controls. */
(function () {
  "use strict";

  var FOLLOW_PAUSE_MS = 4000; // after the reader scrolls the transcript, following waits this long
  var FOLLOW_MARGIN = 0.25; // keep the spoken sentence this far (share of the box) from the box's edges
  var SEEK_SLACK_S = 0.3; // seconds a media seek may land before where it was sent (MP3 frames, browsers)

  var player = document.getElementById("player");
  var box = document.getElementById("transcript");
  var follow = document.getElementById("follow");
  if (!player) return;

  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");
  var pausedUntil = 0;

  function cues(selector) {
    return Array.prototype.map.call(document.querySelectorAll(selector), function (element) {
      return { element: element, start: parseFloat(element.dataset.start), end: parseFloat(element.dataset.end) };
    }).sort(function (a, b) { return a.start - b.start; }); // the search below needs them in time order
  }

  var lines = cues("#transcript a[data-start]"); // the spoken language's (a translation's sentences seek, unhighlighted)
  var chapters = cues(".chapters a[data-start]");
  var current = { lines: null, chapters: null };
  var requested = null; // where the reader last asked to go: the sentence chosen stays the one shown

  function seek(seconds) {
    if (!isFinite(seconds)) return;
    requested = seconds;
    player.currentTime = seconds;
    show(seconds); // the reader's choice is shown at once, not when a busy machine finishes the seek
    var playing = player.play();
    if (playing && playing.catch) playing.catch(function () { /* the reader presses play */ });
  }

  function target(event) {
    var element = event.target;
    return element && element.closest ? element.closest("a[data-start]") : null;
  }

  function choose(link) { // a sentence or chapter chosen: play from there; the address becomes its moment
    seek(parseFloat(link.dataset.start));
    if (window.history && history.replaceState) history.replaceState(null, "", "#t=" + link.dataset.start);
  }

  document.addEventListener("click", function (event) {
    var link = target(event);
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    choose(link);
  });

  document.addEventListener("keydown", function (event) {
    var link = target(event);
    if (!link || (event.key !== " " && event.key !== "Spacebar")) return;
    event.preventDefault(); // a link has no Space action of its own; here it plays like Enter does
    choose(link);
  });

  function find(list, time) {
    var low = 0, high = list.length - 1, found = -1;
    while (low <= high) {
      var middle = (low + high) >> 1;
      if (list[middle].start <= time) { found = middle; low = middle + 1; } else { high = middle - 1; }
    }
    return found >= 0 && time < list[found].end ? list[found] : null;
  }

  function mark(kind, cue) {
    var previous = current[kind];
    if (previous === cue) return false;
    if (previous) {
      previous.element.classList.remove("current");
      previous.element.removeAttribute("aria-current");
    }
    if (cue) {
      cue.element.classList.add("current");
      cue.element.setAttribute("aria-current", "true");
    }
    current[kind] = cue;
    return Boolean(cue);
  }

  function keepInView(element) {
    if (!box || !follow || !follow.checked || Date.now() < pausedUntil) return;
    var top = element.offsetTop, bottom = top + element.offsetHeight;
    var margin = box.clientHeight * FOLLOW_MARGIN;
    if (top >= box.scrollTop + margin && bottom <= box.scrollTop + box.clientHeight - margin) return;
    var smooth = !(reduceMotion && reduceMotion.matches);
    box.scrollTo({ top: Math.max(0, top - margin), behavior: smooth ? "smooth" : "auto" });
  }

  function show(time) {
    mark("chapters", find(chapters, time));
    if (mark("lines", find(lines, time))) keepInView(current.lines.element);
  }

  function update() {
    if (player.seeking) return; // the time before the seek lands says nothing about where the reader went
    var time = player.currentTime;
    if (requested !== null && Math.abs(time - requested) <= SEEK_SLACK_S) {
      time = Math.max(time, requested);
    } else {
      requested = null;
    }
    show(time);
  }

  player.addEventListener("timeupdate", update);
  player.addEventListener("seeked", update);

  if (box) {
    ["wheel", "touchmove"].forEach(function (name) {
      box.addEventListener(name, function () { pausedUntil = Date.now() + FOLLOW_PAUSE_MS; }, { passive: true });
    });
    box.addEventListener("keydown", function (event) {
      if (event.target === box) pausedUntil = Date.now() + FOLLOW_PAUSE_MS;
    });
  }
  if (follow) {
    follow.checked = !(reduceMotion && reduceMotion.matches);
    follow.parentNode.parentNode.hidden = false;
  }

  function openMoment() { // page.html#t=<seconds> (a shared moment, a search result): the player starts there
    var fragment = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
    if (!fragment) return;
    var time = parseFloat(fragment[1]);
    requested = time;
    player.currentTime = time;
    show(time);
    var cue = current.lines;
    if (cue && box) box.scrollTop = Math.max(0, cue.element.offsetTop - box.clientHeight * FOLLOW_MARGIN);
  }

  window.addEventListener("hashchange", openMoment);
  openMoment();
})();

/* The transcript language switch (issue 23): without this script every language's transcript is on the
   page and the switch links jump to them; with it, the one chosen is shown and the others hidden. */
(function () {
  "use strict";
  var nav = document.querySelector(".transcript-languages");
  if (!nav) return;
  var links = Array.prototype.slice.call(nav.querySelectorAll("a"));
  function part(link) {
    var box = document.getElementById(link.getAttribute("href").slice(1));
    return box && box.closest(".transcript-translation") || box;
  }
  function choose(chosen) {
    links.forEach(function (link) {
      var shown = link === chosen;
      if (shown) { link.setAttribute("aria-current", "true"); } else { link.removeAttribute("aria-current"); }
      var box = part(link);
      if (box) box.hidden = !shown;
    });
  }
  links.forEach(function (link) {
    link.addEventListener("click", function (event) { event.preventDefault(); choose(link); });
  });
  choose(links[0]);
})();
