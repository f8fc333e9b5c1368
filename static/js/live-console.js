// The moderator console: server-rendered, then kept in step with the pushes. Buttons post
// with htmx and get 204; the push that follows updates this console like every other screen.
(function () {
  "use strict";

  var live = window.cocreateLive;
  var page = document.getElementById("live-console");
  if (!live || !page || !window.io) return;

  var consultationId = Number(page.getAttribute("data-consultation-id"));
  var strings = live.readJSON(page, "data-strings") || {};
  var results = {}; // item id → latest results, moderators' view
  var focusId = null;
  var socket = null;
  var MAX_STREAM = 200;

  function root() {
    return document.getElementById("live-console");
  }

  function rowOf(itemId) {
    return root().querySelector('tr[data-item-id="' + Number(itemId) + '"]');
  }

  function rows() {
    return Array.prototype.slice.call(root().querySelectorAll("tr[data-item-id]"));
  }

  function commentOf(commentId) {
    return root().querySelector('li[data-comment-id="' + Number(commentId) + '"]');
  }

  // A toggle form: the value it will post next and the label of its button.
  function setToggle(container, name, field, value, label, pressed) {
    var form = container.querySelector('form[data-toggle="' + name + '"]');
    if (!form) return;
    var input = form.querySelector('input[name="' + field + '"]');
    var button = form.querySelector("button");
    if (input) input.value = value;
    if (button) {
      button.textContent = label;
      if (pressed !== undefined) button.setAttribute("aria-pressed", pressed ? "true" : "false");
    }
  }

  // The agenda.

  function applyFocus(item) {
    focusId = item ? item.id : null;
    rows().forEach(function (row) {
      var focused = Number(row.getAttribute("data-item-id")) === focusId;
      row.classList.toggle("is-focused", focused);
      live.showBadge(row, "focus", focused);
      setToggle(row, "focus", "item_id", focused ? "" : row.getAttribute("data-item-id"),
        focused ? strings.unfocus : strings.focus, focused);
    });
    var panel = root().querySelector("[data-on-screen]");
    if (!panel) return;
    panel.querySelector("[data-focus-line]").hidden = !item;
    panel.querySelector("[data-focus-none]").hidden = !!item;
    panel.querySelector("[data-focus-results]").hidden = !item;
    var clear = panel.querySelector("[data-focus-clear]");
    if (clear) clear.hidden = !item;
    if (item) {
      live.setField(panel, "ref", item.ref);
      live.setField(panel, "title", item.title);
    }
    drawFocusResults();
  }

  function drawFocusResults() {
    var panel = root().querySelector("[data-on-screen]");
    if (!panel || focusId === null) return;
    var box = panel.querySelector("[data-tally]");
    if (results[focusId]) live.renderTally(box, results[focusId], false);
  }

  function applyVoting(row, open) {
    row.classList.toggle("voting-closed", !open);
    live.showBadge(row, "closed", !open);
    setToggle(row, "voting", "open", open ? "0" : "1",
      open ? strings.close_voting : strings.open_voting);
  }

  function applyReveal(row, revealed) {
    row.classList.toggle("is-revealed", revealed);
    live.showBadge(row, "revealed", revealed);
    setToggle(row, "reveal", "revealed", revealed ? "0" : "1",
      revealed ? strings.hide_results : strings.reveal);
  }

  function applyTally(itemId, itemResults) {
    results[itemId] = itemResults;
    var row = rowOf(itemId);
    if (row) {
      live.setField(row, "votes", itemResults.votes);
      live.setField(row, "agree", itemResults.agree_share === null || itemResults.agree_share === undefined
        ? "–" : live.percent(itemResults.agree_share));
    }
    if (Number(itemId) === focusId) drawFocusResults();
  }

  function bumpComments(itemId, delta) {
    var row = rowOf(itemId);
    if (!row) return;
    var cell = row.querySelector('[data-field="comments"]');
    cell.textContent = String(Math.max(0, (parseInt(cell.textContent, 10) || 0) + delta));
  }

  // The comment stream.

  function refOf(itemId) {
    var row = rowOf(itemId);
    return row ? row.getAttribute("data-ref") : "";
  }

  function fillComment(entry, comment) {
    entry.setAttribute("data-comment-id", String(comment.id));
    entry.setAttribute("data-item-id", String(comment.item_id));
    entry.setAttribute("data-hidden", comment.hidden ? "1" : "0");
    entry.classList.toggle("is-hidden", !!comment.hidden);
    entry.classList.toggle("is-pinned", !!comment.pinned);
    live.setField(entry, "ref", refOf(comment.item_id));
    live.setField(entry, "group", comment.author ? comment.author.stakeholder_group : "");
    live.setField(entry, "name", comment.author ? comment.author.display_name : "");
    live.setField(entry, "body", comment.body);
    live.setField(entry, "supports", comment.supports);
    live.showBadge(entry, "reply", !!comment.parent_id);
    live.showBadge(entry, "pinned", !!comment.pinned);
    live.showBadge(entry, "hidden", !!comment.hidden);
    setToggle(entry, "hidden", "hidden", comment.hidden ? "0" : "1",
      comment.hidden ? strings.restore : strings.hide);
    setToggle(entry, "pinned", "pinned", comment.pinned ? "0" : "1",
      comment.pinned ? strings.unpin : strings.pin);
  }

  // The template's forms point at comment 0; aim them at this comment.
  function aimForms(entry, commentId) {
    entry.querySelectorAll("form").forEach(function (form) {
      var url = form.getAttribute("action").replace("/comments/0/", "/comments/" + Number(commentId) + "/");
      form.setAttribute("action", url);
      form.setAttribute("hx-post", url);
    });
  }

  function addComment(comment) {
    var existing = commentOf(comment.id);
    if (existing) {
      fillComment(existing, comment);
      return;
    }
    var template = root().querySelector("template[data-stream-template]");
    var list = root().querySelector("[data-stream]");
    if (!template || !list) return;
    var entry = template.content.firstElementChild.cloneNode(true);
    aimForms(entry, comment.id);
    fillComment(entry, comment);
    entry.classList.add("is-new");
    list.insertBefore(entry, list.firstChild);
    window.htmx.process(entry);
    while (list.children.length > MAX_STREAM) list.removeChild(list.lastElementChild);
    var empty = root().querySelector("[data-stream-empty]");
    if (empty) empty.hidden = true;
    if (!comment.hidden) bumpComments(comment.item_id, 1);
  }

  function updateComment(comment) {
    var entry = commentOf(comment.id);
    if (!entry) return;
    var wasHidden = entry.getAttribute("data-hidden") === "1";
    fillComment(entry, comment);
    if (wasHidden !== !!comment.hidden) bumpComments(comment.item_id, comment.hidden ? -1 : 1);
  }

  // Who is connected.

  function applyPresence(presence) {
    root().querySelectorAll("[data-presence-total]").forEach(function (element) {
      element.textContent = String(presence.count || 0);
    });
    var panel = root().querySelector("[data-presence]");
    if (!panel) return;
    live.setField(panel, "count", presence.count || 0);
    panel.querySelectorAll("[data-counts]").forEach(function (list) {
      var counts = presence[list.getAttribute("data-counts")] || {};
      list.querySelectorAll("li[data-name]").forEach(function (entry) {
        var name = entry.getAttribute("data-name");
        var n = Object.prototype.hasOwnProperty.call(counts, name) ? counts[name] : 0;
        entry.querySelector("[data-count]").textContent = String(n);
        entry.classList.toggle("is-zero", !n);
      });
    });
  }

  // The live event changed (here or on another console): redraw the console's body from the
  // server, which also brings the comments and counts of the new scope; then resync.
  var refreshing = null;
  function refresh() {
    if (refreshing) return refreshing;
    refreshing = window.htmx.ajax("GET", window.location.pathname, {
      target: "#live-body", select: "#live-body", swap: "outerHTML"
    }).then(function () {
      refreshing = null;
      live.timerFromPage();
      if (socket) socket.emit("sync");
    }, function () {
      refreshing = null;
    });
    return refreshing;
  }

  function renderedEventId() {
    var bar = root().querySelector("[data-live-event]");
    var value = bar ? bar.getAttribute("data-live-event") : "";
    return value ? Number(value) : null;
  }

  function applyState(state) {
    var eventId = state.event ? state.event.id : null;
    if (eventId !== renderedEventId()) {
      refresh();
      return;
    }
    var closed = state.voting_closed || [];
    var revealed = state.revealed || [];
    rows().forEach(function (row) {
      var id = Number(row.getAttribute("data-item-id"));
      applyVoting(row, closed.indexOf(id) === -1);
      applyReveal(row, revealed.indexOf(id) !== -1);
    });
    Object.keys(state.results || {}).forEach(function (id) {
      applyTally(Number(id), state.results[id]);
    });
    applyFocus(state.focus);
    live.setTimer(state.timer);
    if (state.presence) applyPresence(state.presence);
  }

  function eachRow(ids, apply) {
    (ids || []).forEach(function (id) {
      var row = rowOf(id);
      if (row) apply(row);
    });
  }

  // Clear an old error once an action succeeds; empty the timer field after a start.
  document.addEventListener("htmx:afterRequest", function (event) {
    var source = event.detail.elt;
    if (!source || !source.closest || !source.closest("#live-console")) return;
    if (event.detail.successful) {
      var alert = document.getElementById("live-alert");
      if (alert && event.detail.xhr.status === 204) alert.replaceChildren();
      if (source.matches("form[data-reset-on-success]")) source.reset();
    }
  });

  live.timerFromPage();
  socket = live.connect({
    consultationId: consultationId,
    role: "moderator",
    onConnect: function (first) {
      if (!first) refresh(); // comments posted while the connection was down
    },
    on: {
      state: applyState,
      tally: function (payload) { applyTally(payload.item_id, payload.results); },
      focus: function (payload) { applyFocus(payload.item); },
      phase: function (payload) {
        eachRow(payload.item_ids, function (row) { applyVoting(row, payload.voting_open); });
      },
      reveal: function (payload) {
        eachRow(payload.item_ids, function (row) { applyReveal(row, payload.revealed); });
      },
      timer: live.setTimer,
      presence: applyPresence,
      comment: addComment,
      comment_updated: updateComment,
      support: function (payload) {
        var entry = commentOf(payload.comment_id);
        if (entry) live.setField(entry, "supports", payload.supports);
      },
      event: refresh
    }
  });
})();
