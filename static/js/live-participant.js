// The participant's live view (#live): follows the moderator's focus and shows pushed
// results, comments, supports, phases, the timer and the headcount without a request per
// push. On other participant pages (#live-follow only) it just says where the moderator is.
// Every text shown comes from the page; pushed text is only ever set as textContent.
(function () {
  "use strict";

  var live = window.cocreateLive;
  var root = document.getElementById("live");
  var banner = document.getElementById("live-follow");
  if (!live || !window.io || !banner) return;

  var consultationId = Number(banner.getAttribute("data-consultation-id"));
  var plurals = root ? live.readJSON(root, "data-plurals") : {};
  var visibility = root ? root.getAttribute("data-results-visibility") : "immediate";
  var scopeEventId = root ? root.getAttribute("data-scope-event-id") || null : null;
  var focus = null; // the item the moderator focuses, as pushed: {id, ref, ...} or null
  var votingClosed = new Set();
  var revealed = new Set();
  var connectedBefore = false;
  var commentPosts = 0; // comment posts of ours in flight: their pushes wait for the answer
  var waitingComments = [];

  function byData(name, scope) {
    return (scope || root).querySelector("[" + name + "]");
  }

  // Which item this page shows: the live block's item, or the item page's own.
  function shownItemId() {
    if (root) {
      var block = root.querySelector("#live-item .live-item");
      return block ? Number(block.getAttribute("data-item-id")) : null;
    }
    var id = banner.getAttribute("data-item-id");
    return id ? Number(id) : null;
  }

  function showBanner() {
    var elsewhere = focus !== null && focus.id !== shownItemId();
    if (elsewhere) banner.querySelector("[data-focus-ref]").textContent = focus.ref;
    banner.hidden = !elsewhere;
  }

  // ---- the focused item ------------------------------------------------------------

  // A participant half-way through a comment keeps it: the banner offers to follow instead.
  function isComposing() {
    var fields = root.querySelectorAll("#live-item textarea");
    return Array.prototype.some.call(fields, function (field) {
      return field.value.trim() !== "";
    });
  }

  function draftsOf(itemId) {
    var drafts = {};
    if (shownItemId() !== itemId) return drafts;
    root.querySelectorAll("#live-item textarea[id]").forEach(function (field) {
      if (field.value) drafts[field.id] = field.value;
    });
    return drafts;
  }

  var loading = null;

  // Fetch an item's block once (a focus change is rare) and swap it in.
  function loadItem(itemId) {
    var itemBox = document.getElementById("live-item");
    var waiting = byData("data-waiting");
    if (itemId === null) {
      itemBox.replaceChildren();
      waiting.hidden = false;
      showBanner();
      return;
    }
    loading = itemId;
    var drafts = draftsOf(itemId);
    var url = root.getAttribute("data-item-url").replace(/\/0$/, "/" + itemId);
    window.htmx.ajax("GET", url, { target: "#live-item", swap: "innerHTML" }).then(function () {
      if (loading === itemId) loading = null;
      Object.keys(drafts).forEach(function (id) {
        var field = document.getElementById(id);
        if (field && !field.value) field.value = drafts[id];
      });
      waiting.hidden = shownItemId() !== null;
      applyPhase();
      showBanner();
      // The focus moved again while this one loaded: follow it too.
      if (loading === null && focus !== null && focus.id !== shownItemId() && !isComposing()) {
        loadItem(focus.id);
      }
    });
  }

  function follow(item, force) {
    focus = item;
    if (!root) return showBanner();
    var wanted = item ? item.id : null;
    if (wanted === shownItemId() || wanted === loading) return showBanner();
    if (!force && isComposing()) return showBanner();
    loadItem(wanted);
  }

  function reloadShownItem() {
    var id = shownItemId();
    if (id !== null && loading === null) loadItem(id);
  }

  // ---- results ---------------------------------------------------------------------

  function percent(share) {
    return Math.round(share * 100) + " %";
  }

  function signed(score) {
    return (score >= 0 ? "+" : "") + score.toFixed(2);
  }

  function cell(tag, text, attributes) {
    var element = document.createElement(tag);
    element.textContent = text;
    Object.keys(attributes || {}).forEach(function (name) {
      element.setAttribute(name, attributes[name]);
    });
    return element;
  }

  // The same markup as _results.html, from a pushed tally.
  function buildResults(results) {
    var node = document.getElementById("live-results-template").content.firstElementChild.cloneNode(true);
    var votes = results.votes;
    var summary = [live.plural(plurals.votes, votes)];
    if (results.agree_share !== null) {
      summary.push(live.format(node.getAttribute("data-agree"), { share: percent(results.agree_share) }));
    }
    if (results.mean_score !== null) {
      summary.push(live.format(node.getAttribute("data-mean-score"), { score: signed(results.mean_score) }));
    }
    byData("data-summary", node).textContent = summary.join(" · ");
    node.querySelectorAll("[data-bars] li").forEach(function (bar) {
      var count = results.counts[bar.getAttribute("data-value")] || 0;
      var progress = bar.querySelector("progress");
      progress.max = Math.max(votes, 1);
      progress.value = count;
      bar.querySelector(".bar-count").textContent = String(count);
    });
    var rows = node.querySelector("[data-groups] tbody");
    Object.keys(results.by_group || {}).forEach(function (name) {
      var group = results.by_group[name];
      var row = document.createElement("tr");
      row.appendChild(cell("th", name, { scope: "row" }));
      if (group.suppressed) {
        row.appendChild(cell("td", node.getAttribute("data-fewer"), { colspan: "3", class: "muted" }));
      } else if (!group.votes) {
        row.appendChild(cell("td", "0"));
        row.appendChild(cell("td", node.getAttribute("data-no-group-votes"), { colspan: "2", class: "muted" }));
      } else {
        row.appendChild(cell("td", String(group.votes)));
        row.appendChild(cell("td", group.agree_share === null ? "–" : percent(group.agree_share)));
        row.appendChild(cell("td", group.mean_score === null ? "–" : signed(group.mean_score)));
      }
      rows.appendChild(row);
    });
    var empty = votes === 0;
    byData("data-summary", node).hidden = empty;
    byData("data-bars", node).hidden = empty;
    byData("data-groups", node).hidden = empty;
    byData("data-no-votes", node).hidden = !empty;
    return node;
  }

  function showResults(itemId, results) {
    var panel = document.getElementById("vote");
    if (!root || !panel || itemId !== shownItemId()) return;
    // The server sends results only where they may go; a vote withdrawn since is the one
    // case it cannot know about, so the page checks too.
    if (!entitledWithoutReveal() && !revealed.has(itemId)) return;
    var node = buildResults(results);
    var old = panel.querySelector(".results, .results-hidden");
    if (old) old.replaceWith(node);
    else panel.appendChild(node);
  }

  // May this participant see the shown item's results without a reveal?
  function entitledWithoutReveal() {
    var panel = document.getElementById("vote");
    var voted = panel && panel.getAttribute("data-voted") === "1";
    return visibility === "immediate" || (visibility === "after_vote" && voted);
  }

  // ---- phases and reveal -----------------------------------------------------------

  function applyPhase() {
    var panel = document.getElementById("vote");
    if (!root || !panel) return;
    var closed = votingClosed.has(Number(panel.getAttribute("data-item-id")));
    var notice = panel.querySelector("[data-phase-closed]");
    if (notice) notice.hidden = !closed;
    panel.querySelectorAll("form fieldset, form button").forEach(function (control) {
      control.disabled = closed;
    });
  }

  function setPhase(payload) {
    payload.item_ids.forEach(function (id) {
      if (payload.voting_open) votingClosed.delete(id);
      else votingClosed.add(id);
    });
    applyPhase();
  }

  function setReveal(payload) {
    payload.item_ids.forEach(function (id) {
      if (payload.revealed) revealed.add(id);
      else revealed.delete(id);
    });
    // Revealed: the tally follows by itself. Hidden again: the server decides what shows.
    if (root && !payload.revealed && payload.item_ids.indexOf(shownItemId()) >= 0 && !entitledWithoutReveal()) {
      reloadShownItem();
    }
  }

  // ---- comments --------------------------------------------------------------------

  function commentList() {
    return root && document.querySelector("#comments .comment-list");
  }

  function setSupports(article, count) {
    var supports = article.querySelector("footer [data-supports]");
    if (supports) supports.textContent = live.plural(plurals.supports, count);
  }

  function setPinned(article, pinned) {
    article.classList.toggle("pinned", pinned);
    var badge = article.querySelector("[data-pinned]");
    if (badge) badge.hidden = !pinned;
  }

  function buildComment(comment) {
    var article = document.getElementById("live-comment-template").content.firstElementChild.cloneNode(true);
    article.id = "comment-" + comment.id;
    var author = byData("data-author", article);
    author.textContent = comment.author.display_name || author.getAttribute("data-anonymous");
    byData("data-group", article).textContent = comment.author.stakeholder_group;
    var time = article.querySelector("time");
    var created = new Date(comment.created_at);
    time.setAttribute("datetime", comment.created_at);
    time.textContent = isNaN(created) ? comment.created_at : created.toLocaleString(undefined, {
      dateStyle: "medium", timeStyle: "short"
    });
    byData("data-body", article).textContent = comment.body;
    setPinned(article, comment.pinned);
    setSupports(article, comment.supports);
    var support = byData("data-support-form", article);
    if (support) {
      var url = root.getAttribute("data-support-url").replace("/0/", "/" + comment.id + "/");
      support.setAttribute("action", url);
      support.setAttribute("hx-post", url);
      support.setAttribute("hx-target", "#comment-" + comment.id);
    }
    return article;
  }

  function randomKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function buildReplyForm(comment) {
    var template = document.getElementById("live-reply-template");
    var mainForm = document.querySelector("#comments > form");
    if (!template || !mainForm) return null;
    var details = template.content.firstElementChild.cloneNode(true);
    var form = details.querySelector("form");
    form.setAttribute("action", mainForm.getAttribute("action"));
    form.setAttribute("hx-post", mainForm.getAttribute("action"));
    form.querySelector("[name=parent_id]").value = comment.id;
    form.querySelector("[name=idempotency_key]").value = randomKey();
    var field = form.querySelector("textarea");
    field.id = "reply-" + comment.id;
    form.querySelector("label").setAttribute("for", field.id);
    return details;
  }

  function updateCommentCount() {
    var list = commentList();
    var count = document.querySelector("#comments-heading .muted");
    if (list && count) count.textContent = "(" + list.querySelectorAll(":scope > li > article.comment").length + ")";
  }

  function insertComment(comment) {
    var list = commentList();
    if (!list || comment.item_id !== shownItemId() || document.getElementById("comment-" + comment.id)) return;
    var article = buildComment(comment);
    var added;
    if (comment.parent_id) {
      var parent = document.getElementById("comment-" + comment.parent_id);
      if (!parent) return; // a thread this page does not show
      var thread = parent.parentElement;
      var replies = thread.querySelector(":scope > ol.replies");
      if (!replies) {
        replies = document.createElement("ol");
        replies.className = "replies";
        parent.after(replies);
      }
      added = document.createElement("li");
      added.appendChild(article);
      replies.appendChild(added);
    } else {
      var placeholder = list.querySelector(":scope > li.muted");
      if (placeholder) placeholder.remove();
      added = document.createElement("li");
      added.appendChild(article);
      var reply = buildReplyForm(comment);
      if (reply) added.appendChild(reply);
      // Pinned threads stay first, then the newest.
      var firstUnpinned = Array.prototype.find.call(list.children, function (li) {
        var first = li.querySelector(":scope > article.comment");
        return first && !first.classList.contains("pinned");
      });
      list.insertBefore(added, comment.pinned ? list.firstElementChild : firstUnpinned || null);
    }
    window.htmx.process(added);
    updateCommentCount();
  }

  function onComment(comment) {
    if (commentPosts > 0) waitingComments.push(comment);
    else insertComment(comment);
  }

  function onCommentUpdated(comment) {
    var article = document.getElementById("comment-" + comment.id);
    if (!article) return insertComment(comment); // shown again by a moderator
    setPinned(article, comment.pinned);
    setSupports(article, comment.supports);
    var list = commentList();
    var thread = article.parentElement;
    if (comment.pinned && !comment.parent_id && list && thread.parentElement === list) {
      list.insertBefore(thread, list.firstElementChild);
    }
  }

  function onCommentHidden(payload) {
    var article = document.getElementById("comment-" + payload.id);
    if (!article) return;
    var entry = article.closest("li");
    (entry || article).remove();
    updateCommentCount();
  }

  function onSupport(payload) {
    var article = document.getElementById("comment-" + payload.comment_id);
    if (article) setSupports(article, payload.supports);
  }

  // ---- the live bar ------------------------------------------------------------------

  function setEvent(event) {
    if (!root) return;
    byData("data-event-title").textContent = event ? event.title : "";
    byData("data-rehearsal").hidden = !(event && event.is_rehearsal);
    byData("data-no-event").hidden = Boolean(event);
    var scope = event && event.is_rehearsal ? String(event.id) : null;
    if (scope !== scopeEventId) {
      // A rehearsal began or ended: what counts changed, so show the item afresh.
      scopeEventId = scope;
      reloadShownItem();
    }
  }

  function setHeadcount(presence) {
    if (root && presence) byData("data-headcount").textContent = live.plural(plurals.participants, presence.count);
  }

  var timerElement = root && byData("data-timer");
  var timer = live.countdown(function (seconds) {
    if (!timerElement) return;
    timerElement.hidden = seconds === null;
    if (seconds === null) return;
    timerElement.textContent = seconds > 0 ? live.formatSeconds(seconds) : timerElement.getAttribute("data-time-up");
    timerElement.classList.toggle("done", seconds <= 0);
  });

  function setConnection(status) {
    if (!root) return;
    root.querySelectorAll("[data-connection]").forEach(function (message) {
      message.hidden = message.getAttribute("data-connection") !== status;
    });
  }

  // ---- state, on every (re)connect ---------------------------------------------------

  function applyState(state) {
    visibility = state.consultation.results_visibility;
    votingClosed = new Set(state.voting_closed);
    revealed = new Set(state.revealed);
    setEvent(state.event);
    timer.set(state.timer);
    setHeadcount(state.presence);
    var reconnected = connectedBefore;
    connectedBefore = true;
    var before = shownItemId();
    follow(state.focus, false);
    applyPhase();
    if (!root) return;
    var shown = shownItemId();
    if (shown !== null && state.results[String(shown)]) {
      showResults(shown, state.results[String(shown)]);
    } else if (shown !== null && !entitledWithoutReveal() && !revealed.has(shown)) {
      var panel = document.getElementById("vote");
      if (panel && panel.querySelector(".results")) reloadShownItem();
    }
    // Comments written while this phone was away: fetch the item once, a little spread out.
    if (reconnected && shown !== null && shown === before) {
      window.setTimeout(reloadShownItem, Math.random() * 2000);
    }
  }

  var socket = live.connect(
    { consultation_id: consultationId, role: "participant" },
    {
      state: applyState,
      focus: function (payload) { follow(payload.item, false); },
      event: function (payload) {
        setEvent(payload.event);
        socket.emit("sync");
      },
      timer: function (payload) { timer.set(payload); },
      presence: setHeadcount,
      phase: setPhase,
      reveal: setReveal,
      tally: function (payload) { showResults(payload.item_id, payload.results); },
      comment: function (payload) { if (root) onComment(payload); },
      comment_updated: function (payload) { if (root) onCommentUpdated(payload); },
      comment_hidden: function (payload) { if (root) onCommentHidden(payload); },
      support: function (payload) { if (root) onSupport(payload); }
    },
    setConnection
  );

  if (!root) return;

  banner.querySelector("[data-follow]").addEventListener("click", function (event) {
    if (!focus) return;
    event.preventDefault();
    follow(focus, true);
  });

  // The vote and comment forms are replaced by their own answer, so events fired on them
  // afterwards never reach the document: follow each request through its XHR instead.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("form") : null;
    var action = form ? form.getAttribute("action") || "" : "";
    var xhr = event.detail.xhr;
    var voted = action.match(/\/items\/(\d+)\/vote$/);
    if (voted && xhr) {
      xhr.addEventListener("load", function () {
        // With results shown after voting, this asks the server for the item's tallies.
        if (xhr.status === 200) socket.emit("voted", { item_id: Number(voted[1]) });
        window.setTimeout(applyPhase, 0);
      });
    }
    if (/\/comments$/.test(action) && xhr) {
      commentPosts += 1;
      xhr.addEventListener("loadend", function () {
        // After the answer's swap, so that the comments it brought are not added twice.
        window.setTimeout(function () {
          commentPosts = Math.max(0, commentPosts - 1);
          if (commentPosts > 0) return;
          var pending = waitingComments;
          waitingComments = [];
          pending.forEach(insertComment);
        }, 0);
      });
    }
  });
})();
