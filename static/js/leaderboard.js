/*
 * The leaderboard, kept current while the campaign is open.
 *
 * The page is right as the server wrote it; this file asks the API (the section's
 * data-poll-url) every 15 seconds and rewrites the three tables: the top, the viewer's own
 * position with the lines around it, and the most liked entries. It pauses while the tab is
 * hidden and catches up when it shows again, backs off when the server does not answer, and
 * stops when the board changes state (frozen, closed): then it offers to reload the page.
 * Only a change of the viewer's own rank is announced (aria-live); names are written as text.
 */
(function () {
  "use strict";

  var board = document.querySelector("[data-leaderboard][data-poll-url]");
  if (!board || !window.fetch) {
    return;
  }

  var INTERVAL = 15000;
  var FROZEN_INTERVAL = 60000;
  var MAX_DELAY = 120000;
  var url = board.getAttribute("data-poll-url");
  var state = board.getAttribute("data-state");
  var me = board.getAttribute("data-me");
  var statementUrl = board.getAttribute("data-statement-url");
  var entriesLimit = parseInt(board.getAttribute("data-entries-limit"), 10) || 10;
  var base = state === "frozen" ? FROZEN_INTERVAL : INTERVAL;
  var delay = base;
  var timer = null;
  var busy = false;
  var stopped = false;
  var lastRank = currentRank();

  function currentRank() {
    var mine = board.querySelector("tr[aria-current] .leaderboard__rank");
    return mine ? parseInt(mine.textContent, 10) : null;
  }

  function cell(text, className) {
    var td = document.createElement("td");
    td.className = className;
    td.textContent = text;
    return td;
  }

  function standingRow(row) {
    var tr = document.createElement("tr");
    var mine = me !== "" && me !== null && String(row.participant_id) === me;
    if (mine) {
      tr.className = "leaderboard__mine";
      tr.setAttribute("aria-current", "true");
    }
    tr.appendChild(cell(String(row.rank), "leaderboard__rank"));
    var name = document.createElement("td");
    name.className = "leaderboard__name";
    if (statementUrl) {
      var link = document.createElement("a");
      link.href = statementUrl.replace(/\/0\/$/, "/" + row.participant_id + "/");
      link.textContent = row.name;
      name.appendChild(link);
    } else {
      name.appendChild(document.createTextNode(row.name));
    }
    if (mine) {
      var you = document.createElement("span");
      you.className = "leaderboard__you";
      you.textContent = board.getAttribute("data-you");
      name.appendChild(document.createTextNode(" "));
      name.appendChild(you);
    }
    tr.appendChild(name);
    tr.appendChild(cell(String(row.points), "leaderboard__points"));
    return tr;
  }

  function entryRow(row) {
    var tr = document.createElement("tr");
    tr.appendChild(cell(String(row.rank), "leaderboard__rank"));
    var name = document.createElement("td");
    name.className = "leaderboard__name";
    var link = document.createElement("a");
    link.href = row.url;
    link.textContent = row.caption || board.getAttribute("data-entry-by").replace("{name}", row.author_name);
    name.appendChild(link);
    if (row.caption) {
      var by = document.createElement("span");
      by.className = "leaderboard__by";
      by.textContent = board.getAttribute("data-by").replace("{name}", row.author_name);
      name.appendChild(document.createTextNode(" "));
      name.appendChild(by);
    }
    tr.appendChild(name);
    tr.appendChild(cell(String(row.likes), "leaderboard__points"));
    return tr;
  }

  function fill(name, rows, make) {
    var body = board.querySelector('[data-leaderboard-rows="' + name + '"]');
    if (!body) {
      return;
    }
    var fragment = document.createDocumentFragment();
    rows.forEach(function (row) {
      fragment.appendChild(make(row));
    });
    body.textContent = "";
    body.appendChild(fragment);
    var table = board.querySelector('[data-leaderboard-table="' + name + '"]');
    var empty = board.querySelector('[data-leaderboard-empty="' + name + '"]');
    if (table) {
      table.hidden = rows.length === 0;
    }
    if (empty) {
      empty.hidden = rows.length !== 0;
    }
  }

  // When the viewer's line is in the top, the top shows it: one sentence instead of a table.
  function showInTop(rank) {
    var note = board.querySelector("[data-leaderboard-in-top]");
    if (!note) {
      return;
    }
    note.hidden = rank === null;
    if (rank !== null) {
      note.textContent = note.getAttribute("data-template").replace("{rank}", String(rank));
      var empty = board.querySelector('[data-leaderboard-empty="me"]');
      if (empty) {
        empty.hidden = true;
      }
    }
  }

  function say(text) {
    var status = board.querySelector("[data-leaderboard-said]");
    if (status) {
      status.textContent = text;
    }
  }

  function render(data) {
    if (data.state !== state) {
      stop();
      var reload = board.querySelector("[data-leaderboard-reload]");
      if (reload) {
        reload.hidden = false;
      }
      return;
    }
    fill("top", data.top, standingRow);
    var inTop =
      data.me !== null &&
      data.top.some(function (row) {
        return row.participant_id === data.me.participant_id;
      });
    fill("me", data.me && !inTop ? data.above.concat([data.me], data.below) : [], standingRow);
    showInTop(inTop ? data.me.rank : null);
    fill("entries", data.top_entries.slice(0, entriesLimit), entryRow);
    var rank = data.me ? data.me.rank : null;
    if (rank !== null && lastRank !== null && rank !== lastRank) {
      say(board.getAttribute("data-said-rank").replace("{rank}", String(rank)));
    }
    lastRank = rank;
  }

  function stop() {
    stopped = true;
    window.clearTimeout(timer);
  }

  function schedule() {
    window.clearTimeout(timer);
    if (!stopped && !document.hidden) {
      timer = window.setTimeout(poll, delay);
    }
  }

  function poll() {
    if (busy || stopped) {
      return;
    }
    busy = true;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status >= 400 && response.status < 500) {
          stop(); // gone or refused: the page as it is stays right
          return null;
        }
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (data) {
          delay = base;
          render(data);
        }
      })
      .catch(function () {
        delay = Math.min(delay * 2, MAX_DELAY);
      })
      .then(function () {
        busy = false;
        schedule();
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      window.clearTimeout(timer);
    } else {
      poll(); // catch up at once, then every interval again
    }
  });

  schedule();
})();
