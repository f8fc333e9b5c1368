// The consolidation workspace: quoting a passage of the consolidated text, selecting
// comments for one disposition. The page works without it; this only saves typing.
(function () {
  "use strict";

  var lastSelection = "";

  function finalText() { return document.getElementById("text"); }

  // Remember the words last selected in the consolidated text (the textarea, or the text
  // another moderator saved), for the "use the selected words" buttons.
  function rememberSelection() {
    var area = finalText();
    var active = document.activeElement;
    if (area && active === area && area.selectionEnd > area.selectionStart) {
      lastSelection = area.value.substring(area.selectionStart, area.selectionEnd).trim();
      return;
    }
    var selection = window.getSelection();
    var node = selection && selection.anchorNode;
    var holder = node && (node.nodeType === 1 ? node : node.parentElement);
    if (holder && holder.closest("#consolidated") && selection.toString().trim()) {
      lastSelection = selection.toString().trim();
    }
  }

  function quoteInto(button) {
    var targetId = button.getAttribute("data-quote-target");
    var field = targetId ? document.getElementById(targetId)
      : button.closest(".field").querySelector("[data-passage]");
    if (!field || !lastSelection) {
      var area = finalText();
      if (area) area.focus();
      return;
    }
    field.value = lastSelection;
    field.focus();
  }

  function picks(value) {
    return document.querySelectorAll("input[data-pick]" + (value ? "[value='" + value + "']" : ""));
  }

  function updateCount() {
    var counter = document.querySelector("[data-selected-count]");
    if (!counter) return;
    var chosen = {};
    picks().forEach(function (box) { if (box.checked) chosen[box.value] = true; });
    var n = Object.keys(chosen).length;
    counter.textContent = n ? counter.getAttribute("data-template").replace("{n}", n) : "";
  }

  function reveal(root) {
    root.querySelectorAll("[data-quote][hidden], .ws-pick-all[hidden]").forEach(function (el) {
      el.hidden = false;
    });
  }

  // Unsaved consolidated text must not vanish when the moderator leaves the page, for
  // instance by recording a disposition for several comments (a plain form post).
  var unsaved = false;
  document.addEventListener("input", function (event) {
    if (event.target === finalText()) unsaved = true;
  });
  document.addEventListener("submit", function (event) {
    if (event.target.classList.contains("ws-save")) unsaved = false;
  });
  window.addEventListener("beforeunload", function (event) {
    if (!unsaved) return;
    event.preventDefault();
    event.returnValue = "";
  });

  document.addEventListener("mouseup", rememberSelection);
  document.addEventListener("keyup", rememberSelection);
  document.addEventListener("select", rememberSelection, true);

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-quote]");
    if (button) { event.preventDefault(); quoteInto(button); }
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches("input[data-pick-all]")) {
      box.closest(".ws-group").querySelectorAll("input[data-pick]").forEach(function (pick) {
        picks(pick.value).forEach(function (copy) { copy.checked = box.checked; });
      });
    } else if (box.matches("input[data-pick]")) {
      // Grouped by tag, a comment can be listed twice: its boxes stay in step.
      picks(box.value).forEach(function (copy) { copy.checked = box.checked; });
    } else {
      return;
    }
    updateCount();
  });

  // A disposition saved from one copy of a comment shows in its other copies too.
  function syncCopies(entry) {
    var id = entry.getAttribute("data-comment-id");
    var fresh = entry.querySelector("[data-disposition]");
    document.querySelectorAll("[data-comment-id='" + id + "']").forEach(function (copy) {
      if (copy === entry) return;
      var old = copy.querySelector("[data-disposition]");
      if (old && fresh) old.innerHTML = fresh.innerHTML;
      copy.classList.toggle("is-decided", entry.classList.contains("is-decided"));
    });
  }

  // A comment's entry swapped in after a disposition keeps its box ticked or not.
  var ticked = {};
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var box = target && target.matches && target.matches("[data-comment-id]")
      ? target.querySelector("input[data-pick]") : null;
    if (box) ticked[target.id] = box.checked;
  });

  // htmx:load fires on every fragment htmx swaps in, here a comment's entry.
  document.addEventListener("htmx:load", function (event) {
    var entry = event.detail.elt;
    if (!entry || !entry.matches) return;
    reveal(entry);
    if (!entry.matches("[data-comment-id]")) return;
    var box = entry.querySelector("input[data-pick]");
    if (box && ticked[entry.id]) box.checked = true;
    delete ticked[entry.id];
    syncCopies(entry);
    updateCount();
  });

  document.addEventListener("DOMContentLoaded", function () { reveal(document); updateCount(); });
})();
