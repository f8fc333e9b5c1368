// Shared by the live console and the projector: the socket, the countdown and the result
// bars. Whatever comes from the server is written with textContent and DOM calls, never as
// HTML; the words on screen come from the page's data-* attributes.
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";

  function readJSON(element, attribute) {
    try {
      return JSON.parse(element.getAttribute(attribute) || "null");
    } catch (error) {
      return null;
    }
  }

  // "{n} votes" + {n: 3} → "3 votes"
  function format(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  function make(tag, className, text) {
    var element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined && text !== null) element.textContent = text;
    return element;
  }

  // Set the text of the [data-field=name] inside root.
  function setField(root, name, value) {
    root.querySelectorAll("[data-field]").forEach(function (element) {
      if (element.getAttribute("data-field") === name) {
        element.textContent = value === null || value === undefined ? "" : String(value);
      }
    });
  }

  function showBadge(root, name, shown) {
    root.querySelectorAll("[data-badge]").forEach(function (element) {
      if (element.getAttribute("data-badge") === name) element.hidden = !shown;
    });
  }

  // "one"/"other" forms ({one, other}, with %(num)d or {n} for the number) → the text for n.
  function plural(forms, n) {
    var template = (forms && (n === 1 ? forms.one : forms.other)) || "";
    return String(template).replace(/%\(num\)[ds]|\{n\}/g, String(n));
  }

  // The socket. The server authenticates the connection (login cookie, participant session or
  // token), puts it in the rooms its role may see, and sends "state" on every (re)connect.
  // Statuses: connecting, connected, reconnecting, refused (the server said no; retrying
  // would not help). Elements marked data-connection="<status>" show only in that status.
  function showConnection(status) {
    document.querySelectorAll("[data-connection]").forEach(function (element) {
      element.hidden = element.getAttribute("data-connection") !== status;
    });
  }

  // connect({consultationId, role, auth, on: {event: handler}, onConnect(first)}), or
  // connect(auth, handlers, onStatus) where auth is the socket's auth object.
  function connect(options, handlers, onStatus) {
    var auth;
    if (handlers) {
      auth = options;
      options = { on: handlers, onStatus: onStatus };
    } else {
      auth = { consultation_id: options.consultationId, role: options.role || "participant" };
      Object.keys(options.auth || {}).forEach(function (key) { auth[key] = options.auth[key]; });
    }
    var status = options.onStatus || showConnection;
    var socket = window.io({
      auth: auth,
      transports: ["websocket", "polling"],
      tryAllTransports: true
    });
    var connectedBefore = false;

    status("connecting");
    socket.on("connect", function () {
      status("connected");
      if (options.onConnect) options.onConnect(!connectedBefore);
      connectedBefore = true;
    });
    socket.on("disconnect", function (reason) {
      status("reconnecting");
      if (reason === "io server disconnect") socket.connect();
    });
    socket.on("connect_error", function () {
      // The client retries network failures by itself; a refusal leaves it inactive.
      status(socket.active ? "reconnecting" : "refused");
    });
    Object.keys(options.on || {}).forEach(function (name) {
      socket.on(name, options.on[name]);
    });
    return socket;
  }

  // 90 → "1:30", 3725 → "1:02:05" (as cocreate/live/screens.py's clock()).
  function formatSeconds(seconds) {
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = seconds % 60;
    var mm = hours ? String(minutes).padStart(2, "0") : String(minutes);
    return (hours ? hours + ":" : "") + mm + ":" + String(rest).padStart(2, "0");
  }

  // A countdown from "timer" pushes ({ends_at, seconds, server_time}), corrected for this
  // device's clock. draw(seconds) runs on every tick: null without a timer, 0 once it ends.
  function countdown(draw) {
    var endsAt = null;
    var offset = 0; // server time minus this device's time, in ms
    var ticking = null;

    function left() {
      if (endsAt === null) return null;
      return Math.max(0, Math.ceil((endsAt - (Date.now() + offset)) / 1000));
    }

    function tick() {
      var seconds = left();
      draw(seconds);
      if ((seconds === null || seconds === 0) && ticking) {
        window.clearInterval(ticking);
        ticking = null;
      }
    }

    return {
      set: function (payload) {
        var serverNow = payload && payload.server_time ? Date.parse(payload.server_time) : NaN;
        if (!isNaN(serverNow)) offset = serverNow - Date.now();
        var end = payload && payload.ends_at ? Date.parse(payload.ends_at) : NaN;
        endsAt = isNaN(end) ? null : end;
        tick();
        if (endsAt !== null && !ticking) ticking = window.setInterval(tick, 250);
      },
      left: left
    };
  }

  // The console's and projector's countdown, drawn into every [data-timer] element: in its
  // [data-timer-value] child (or in itself, hidden while no countdown runs); at zero it
  // reads its data-time-up text, if it has one.
  var pageTimer = countdown(function (left) {
    document.querySelectorAll("[data-timer]").forEach(function (element) {
      var value = element.querySelector("[data-timer-value]");
      var text = left === null ? "–" : formatSeconds(left);
      if (left === 0 && element.hasAttribute("data-time-up")) {
        text = element.getAttribute("data-time-up");
      }
      if (!value) element.hidden = left === null;
      (value || element).textContent = text;
      element.classList.toggle("is-idle", left === null);
      element.classList.toggle("is-ending", left !== null && left > 0 && left <= 10);
      element.classList.toggle("is-done", left === 0);
    });
  });

  function setTimer(payload) {
    pageTimer.set(payload);
  }

  function timerFromPage() {
    var element = document.querySelector("[data-timer][data-server-time]");
    if (!element) return;
    setTimer({
      ends_at: element.getAttribute("data-ends-at") || null,
      server_time: element.getAttribute("data-server-time") || null
    });
  }

  // Result bars: one row for everyone and one per stakeholder group, each a 100 % stacked
  // bar of the vote values. The same markup as templates/live/_tally.html draws.
  function percent(share) {
    return Math.floor(share * 100 + 0.5) + " %";
  }

  // The words beside a bar, as pieces that each stay on one line.
  function figure(tally, strings) {
    if (tally.suppressed) return [strings.suppressed];
    if (!tally.votes) return [strings.no_votes];
    var votes = format(tally.votes === 1 ? strings.vote_one : strings.votes, { n: tally.votes });
    if (tally.agree_share === null || tally.agree_share === undefined) return [votes];
    return [format(strings.agree, { share: percent(tally.agree_share) }), "· " + votes];
  }

  function svg(tag, attributes) {
    var element = document.createElementNS(SVG, tag);
    Object.keys(attributes).forEach(function (name) {
      element.setAttribute(name, attributes[name]);
    });
    return element;
  }

  function bar(tally, values) {
    var box = svg("svg", {
      "class": "tally-bar", viewBox: "0 0 100 10", preserveAspectRatio: "none",
      "aria-hidden": "true", focusable: "false"
    });
    box.appendChild(svg("rect", { "class": "tally-track", x: "0", y: "0", width: "100", height: "10" }));
    if (!tally.suppressed && tally.votes) {
      var x = 0;
      values.forEach(function (value) {
        var n = (tally.counts || {})[value] || 0;
        if (!n) return;
        var width = (100 * n) / tally.votes;
        box.appendChild(svg("rect", {
          "class": "seg seg-" + value, x: x.toFixed(3), y: "0", width: width.toFixed(3), height: "10"
        }));
        x += width;
      });
    }
    return box;
  }

  function row(label, tally, values, strings, extraClass) {
    var item = make("li", "tally-row" + (extraClass ? " " + extraClass : ""));
    if (tally.suppressed) item.classList.add("is-suppressed");
    item.appendChild(make("span", "tally-label", label));
    item.appendChild(bar(tally, values));
    var words = make("span", "tally-figure");
    figure(tally, strings).forEach(function (piece, index) {
      if (index) words.appendChild(document.createTextNode(" "));
      words.appendChild(make("span", null, piece));
    });
    item.appendChild(words);
    return item;
  }

  // container: a [data-tally] element; results: a tally payload's "results", or null;
  // hidden: true when this screen may not show results yet.
  function renderTally(container, results, hidden) {
    if (!container) return;
    var strings = readJSON(container, "data-strings") || {};
    var values = readJSON(container, "data-values") || [];
    var content;
    if (hidden || !results) {
      content = make("p", "tally-note", hidden ? strings.hidden : strings.waiting);
    } else {
      content = make("ol", "tally-rows");
      content.appendChild(row(strings.overall, results, values, strings, "tally-overall"));
      var groups = results.by_group || {};
      Object.keys(groups).forEach(function (name) {
        content.appendChild(row(name, groups[name], values, strings));
      });
    }
    container.replaceChildren(content);
  }

  window.cocreateLive = {
    readJSON: readJSON,
    format: format,
    plural: plural,
    make: make,
    setField: setField,
    showBadge: showBadge,
    connect: connect,
    showConnection: showConnection,
    countdown: countdown,
    formatSeconds: formatSeconds,
    setTimer: setTimer,
    timerFromPage: timerFromPage,
    renderTally: renderTally,
    percent: percent
  };
})();
