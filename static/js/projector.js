// The projector: the focused item, its results and its most supported comments, updated by
// the pushes the server sends to screens (the same public view participants get).
(function () {
  "use strict";

  var live = window.cocreateLive;
  var screen = document.getElementById("projector");
  if (!live || !screen || !window.io) return;

  var strings = live.readJSON(screen, "data-strings") || {};
  var visibility = screen.getAttribute("data-visibility");
  var focus = live.readJSON(screen, "data-focus"); // {id, voting_open, results_revealed} or null
  var pool = live.readJSON(screen, "data-comments") || []; // the focused item's best comments
  var shown = Number(screen.getAttribute("data-shown")) || 5;
  var commentsUrl = screen.getAttribute("data-comments-url");
  var socket = null;
  var fetching = 0;
  var refetchTimer = null;

  function find(selector) {
    return screen.querySelector(selector);
  }

  function resultsVisible() {
    return !!focus && (visibility === "immediate" || !!focus.results_revealed);
  }

  // The item on screen.

  function setFocus(item) {
    var changed = (item ? item.id : null) !== (focus ? focus.id : null);
    focus = item ? { id: item.id, voting_open: item.voting_open, results_revealed: item.results_revealed } : null;
    find("[data-focus-block]").hidden = !item;
    find("[data-focus-lower]").hidden = !item;
    find("[data-idle-block]").hidden = !!item;
    var block = find("[data-focus-block]");
    if (item) {
      live.setField(block, "ref", item.ref);
      live.setField(block, "title", item.title);
      live.setField(block, "text", item.text);
    }
    live.showBadge(block, "closed", !!item && item.voting_open === false);
    if (changed) {
      // The new item's results follow in a "tally" push when the screen may show them.
      live.renderTally(find("[data-tally]"), null, !resultsVisible());
      pool = [];
      drawComments();
      if (focus) fetchComments();
    }
  }

  function showResults(results) {
    if (results) live.renderTally(find("[data-tally]"), results, false);
    else if (!resultsVisible()) live.renderTally(find("[data-tally]"), null, true);
  }

  // The most supported comments: pinned first, then by supports, newest first among equals.

  function byRank(a, b) {
    if (!!a.pinned !== !!b.pinned) return a.pinned ? -1 : 1;
    if ((a.supports || 0) !== (b.supports || 0)) return (b.supports || 0) - (a.supports || 0);
    if (a.created_at !== b.created_at) return a.created_at < b.created_at ? 1 : -1;
    return b.id - a.id;
  }

  function fillComment(entry, comment) {
    entry.setAttribute("data-comment-id", String(comment.id));
    entry.classList.toggle("is-pinned", !!comment.pinned);
    live.setField(entry, "body", comment.body);
    live.setField(entry, "group", comment.author ? comment.author.stakeholder_group : "");
    live.setField(entry, "supports", comment.supports || 0);
    live.showBadge(entry, "pinned", !!comment.pinned);
  }

  function drawComments() {
    var list = find("[data-comment-list]");
    var template = find("template[data-comment-template]");
    var current = {};
    Array.prototype.forEach.call(list.children, function (entry) {
      current[entry.getAttribute("data-comment-id")] = entry;
    });
    pool.sort(byRank);
    var entries = pool.slice(0, shown).map(function (comment) {
      var entry = current[String(comment.id)] || template.content.firstElementChild.cloneNode(true);
      fillComment(entry, comment);
      return entry;
    });
    list.replaceChildren.apply(list, entries);
    find("[data-comments-empty]").hidden = entries.length > 0;
  }

  function upsert(comment) {
    if (!focus || comment.item_id !== focus.id || comment.parent_id) return;
    pool = pool.filter(function (known) { return known.id !== comment.id; });
    pool.push(comment);
    drawComments();
  }

  function fetchComments() {
    if (!focus) return;
    var itemId = focus.id;
    var request = ++fetching;
    window.fetch(commentsUrl + "?item_id=" + encodeURIComponent(itemId), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (!data || request !== fetching || !focus || focus.id !== itemId) return;
      pool = data.comments || [];
      drawComments();
    }).catch(function () { /* the next push or reconnect fetches again */ });
  }

  // A support for a comment this screen does not hold yet may lift it into the top few.
  function refetchSoon() {
    if (refetchTimer) return;
    refetchTimer = window.setTimeout(function () {
      refetchTimer = null;
      fetchComments();
    }, 1000);
  }

  function showCount(count) {
    var element = find("[data-presence-count]");
    element.textContent = live.format(count === 1 ? strings.participants_one : strings.participants, { n: count });
  }

  function applyState(state) {
    if (state.consultation) visibility = state.consultation.results_visibility;
    setFocus(state.focus);
    var results = state.focus && state.results ? state.results[String(state.focus.id)] : null;
    showResults(results || null);
    live.setTimer(state.timer);
    if (state.presence) showCount(state.presence.count || 0);
    find("[data-rehearsal]").hidden = !(state.event && state.event.is_rehearsal);
  }

  function forFocus(ids) {
    return !!focus && (ids || []).indexOf(focus.id) !== -1;
  }

  live.timerFromPage();
  drawComments();
  socket = live.connect({
    consultationId: Number(screen.getAttribute("data-consultation-id")),
    role: "projector",
    onConnect: function (first) {
      if (!first) fetchComments(); // comments posted while the connection was down
    },
    on: {
      state: applyState,
      focus: function (payload) { setFocus(payload.item); },
      tally: function (payload) {
        if (focus && payload.item_id === focus.id) showResults(payload.results);
      },
      phase: function (payload) {
        if (!forFocus(payload.item_ids)) return;
        focus.voting_open = payload.voting_open;
        live.showBadge(find("[data-focus-block]"), "closed", !payload.voting_open);
      },
      reveal: function (payload) {
        if (!forFocus(payload.item_ids)) return;
        focus.results_revealed = payload.revealed;
        if (!resultsVisible()) live.renderTally(find("[data-tally]"), null, true);
      },
      comment: upsert,
      comment_updated: upsert,
      comment_hidden: function (payload) {
        pool = pool.filter(function (known) { return known.id !== payload.id; });
        drawComments();
        if (focus && payload.item_id === focus.id) refetchSoon(); // the next one moves up
      },
      support: function (payload) {
        var known = pool.filter(function (comment) { return comment.id === payload.comment_id; })[0];
        if (known) {
          known.supports = payload.supports;
          drawComments();
        } else if (focus && payload.item_id === focus.id) {
          refetchSoon();
        }
      },
      timer: live.setTimer,
      presence: function (payload) { showCount(payload.count || 0); },
      event: function () {
        // A rehearsal starting or ending changes what counts: take everything afresh.
        socket.emit("sync");
        fetchComments();
      }
    }
  });
})();
