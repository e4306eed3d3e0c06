/* The dispatcher's board: timeline, map, side lists and actions over the live-day API.
 *
 * Plain browser JavaScript, no build step, no other host: every call goes to this
 * server's /api/v1 with the session cookie and the page's CSRF token (docs/board.md).
 * The day's state arrives embedded in the page, then by polling GET /days/{date}
 * with If-None-Match (a 304 costs nothing).
 */
(function () {
  "use strict";

  var API = "/api/v1";
  var BODY = document.body;
  var DAY = BODY.dataset.day;
  var POLL_MS = Number(BODY.dataset.pollMs) || 5000;
  var CAN_WRITE = BODY.dataset.canWrite === "true";
  var CSRF = document.querySelector('meta[name="csrf-token"]').content;
  var TZ = BODY.dataset.timezone || undefined;
  var MINUTE = 60 * 1000;
  var HOUR = 60 * MINUTE;
  /* Drops snap to this many minutes; the API re-times the rest of the route anyway. */
  var SNAP_MINUTES = 5;
  /* Replan proposals are polled this often until the worker has finished. */
  var REPLAN_POLL_MS = 1000;
  var REPLAN_MAX_POLLS = 300;
  /* 24 colours that stay apart on a light map (Glasbey-style qualitative palette);
   * past 24 routes the same colours come back with a dash pattern. */
  var PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
    "#e377c2", "#17becf", "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39",
    "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363", "#00a2a2",
    "#a05195", "#665191", "#d45087", "#2f4b7c"];
  var DASHES = [null, "10 6", "3 6", "14 5 3 5"];
  var STATUS_WORDS = {
    new: "planned", scheduled: "planned", dispatched: "dispatched", en_route: "en route",
    on_site: "on site", done: "done", released: "released (needs a new place)",
    cancelled: "cancelled"
  };

  var state = JSON.parse(document.getElementById("day-state").textContent);
  var selected = null;
  var map = null;
  var mapLayer = null;
  var showTip = function () {};
  var fitted = false;
  var stopIndex = new Map();
  var dragGrab = 0;
  var dragging = false;

  /* ---------- helpers ---------- */
  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function ms(instant) { return instant ? Date.parse(instant) : NaN; }
  /* One formatter for every time on the page: building one per call (what
   * toLocaleTimeString does) cost most of the timeline's drawing at 1 000 jobs. */
  var CLOCK = new Intl.DateTimeFormat("en-GB", {hour: "2-digit", minute: "2-digit",
                                                  hourCycle: "h23", timeZone: TZ});
  function hhmm(instant) {
    return instant ? CLOCK.format(new Date(instant)) : "–";
  }
  function routeStyle(index) {
    return {color: PALETTE[index % PALETTE.length],
            dash: DASHES[Math.floor(index / PALETTE.length) % DASHES.length]};
  }
  function statusOf(stop) { return stop.status || "scheduled"; }
  function el(id) { return document.getElementById(id); }

  function toast(text, bad) {
    var t = el("toast");
    t.textContent = text;
    t.className = bad ? "bad" : "";
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { t.hidden = true; }, 6000);
  }

  /* Every call of the API: same origin, session cookie, CSRF header, JSON. */
  function api(method, path, body, extraHeaders) {
    var headers = {"Accept": "application/json", "X-CSRF-Token": CSRF};
    Object.assign(headers, extraHeaders || {});
    var init = {method: method, headers: headers, credentials: "same-origin"};
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(API + path, init).then(function (resp) {
      if (resp.status === 304 || resp.status === 204) {
        return {status: resp.status, ok: resp.ok, data: null, headers: resp.headers};
      }
      return resp.json().catch(function () { return null; }).then(function (data) {
        return {status: resp.status, ok: resp.ok, data: data, headers: resp.headers};
      });
    });
  }

  /* The problem document's words: detail plus its violations or reasons. */
  function problemText(data) {
    if (!data) { return "the server did not answer"; }
    var lines = [data.detail || data.title || "refused"];
    (data.violations || data.reasons || []).forEach(function (v) {
      lines.push("• " + (v.message || v.code));
    });
    return lines.join("\n");
  }

  /* A wall-clock time (HH:MM) of the board's day in its time zone, as a UTC instant. */
  function zoneOffset(utcMs) {
    var parts = new Intl.DateTimeFormat("en-US", {timeZone: TZ, hourCycle: "h23",
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
      minute: "2-digit", second: "2-digit"}).formatToParts(new Date(utcMs));
    var v = {};
    parts.forEach(function (p) { v[p.type] = Number(p.value); });
    return Date.UTC(v.year, v.month - 1, v.day, v.hour, v.minute, v.second) - utcMs;
  }
  function dayInstant(hm) {
    var d = DAY.split("-").map(Number);
    var t = hm.split(":").map(Number);
    var wall = Date.UTC(d[0], d[1] - 1, d[2], t[0], t[1]);
    var guess = wall - zoneOffset(wall);
    return new Date(wall - zoneOffset(guess)).toISOString().replace(".000Z", "Z");
  }

  /* ---------- timeline ---------- */
  function span() {
    var lo = Infinity;
    var hi = -Infinity;
    (state ? state.technicians : []).forEach(function (t) {
      lo = Math.min(lo, ms(t.shift_start));
      hi = Math.max(hi, ms(t.shift_end));
      t.stops.forEach(function (s) {
        lo = Math.min(lo, ms(s.planned_start), ms(s.eta));
        hi = Math.max(hi, ms(s.expected_end), ms(s.planned_end));
      });
    });
    if (!isFinite(lo) || !isFinite(hi)) {
      lo = Date.parse(DAY + "T06:00:00Z");
      hi = lo + 12 * HOUR;
    }
    lo = Math.floor(lo / HOUR) * HOUR;
    hi = Math.ceil(hi / HOUR) * HOUR;
    return {lo: lo, hi: hi, pct: function (t) { return ((t - lo) / (hi - lo)) * 100; }};
  }

  function bar(cls, sp, from, to, extra) {
    var left = sp.pct(from);
    var width = Math.max(sp.pct(to) - left, 0);
    return '<div class="' + cls + '" style-left="' + left.toFixed(3) + '" style-width="' +
      width.toFixed(3) + '"' + (extra || "") + "></div>";
  }

  function jobBlock(stop, sp) {
    var start = ms(stop.eta) || ms(stop.planned_start);
    var end = ms(stop.expected_end) || ms(stop.planned_end);
    var st = statusOf(stop);
    var cls = "tl-job st-" + st + (stop.late ? " late" : "") + (stop.frozen ? " frozen" : "") +
      (stop.request_id === selected ? " selected" : "");
    var label = stop.request_id + ", " + hhmm(stop.eta) + " to " + hhmm(stop.expected_end) +
      ", " + (STATUS_WORDS[st] || st) + (stop.late ? ", late" : "");
    var left = sp.pct(start);
    var width = Math.max(sp.pct(end) - left, 0.15);
    return '<button type="button" class="' + cls + '" data-id="' + esc(stop.request_id) +
      '" draggable="' + (CAN_WRITE && !stop.frozen ? "true" : "false") +
      '" style-left="' + left.toFixed(3) + '" style-width="' + width.toFixed(3) +
      '" aria-label="' + esc(label) + '" title="' + esc(label) + '">' +
      esc(stop.request_id) + "</button>";
  }

  function rowHtml(tech, index, sp) {
    var parts = [];
    var shiftStart = ms(tech.shift_start);
    var shiftEnd = ms(tech.shift_end);
    parts.push(bar("tl-shift", sp, shiftStart, shiftEnd));
    (tech.unavailable || []).forEach(function (u) {
      parts.push(bar("tl-off", sp, ms(u.start), u.end ? ms(u.end) : sp.hi,
        ' title="' + esc("unavailable: " + (u.reason || "")) + '"'));
    });
    var lastEnd = ms(tech.free_at) || shiftStart;
    var latest = shiftEnd;
    tech.stops.forEach(function (s, i) {
      var prevEnd = i === 0 ? Math.min(lastEnd, ms(s.eta)) : ms(tech.stops[i - 1].expected_end);
      if (ms(s.eta) > prevEnd) { parts.push(bar("tl-travel", sp, prevEnd, ms(s.eta))); }
      latest = Math.max(latest, ms(s.expected_end));
    });
    if (latest > shiftEnd) {
      parts.push(bar("tl-over", sp, shiftEnd, latest, ' title="overtime"'));
    }
    (tech.breaks || []).forEach(function (b) {
      parts.push(bar("tl-lunch", sp, ms(b.start), ms(b.end), ' title="lunch"'));
    });
    tech.stops.forEach(function (s) { parts.push(jobBlock(s, sp)); });
    var colour = routeStyle(index).color;
    var off = (tech.unavailable || []).map(function (u) {
      return "unavailable " + hhmm(u.start) + (u.end ? "–" + hhmm(u.end) : " on") +
        (u.reason ? " (" + u.reason + ")" : "");
    }).join("; ");
    return '<div class="tl-row' + (tech.available === false ? " unavailable" : "") +
      (off ? " has-off" : "") +
      '" data-tech="' + esc(tech.technician_id) + '" data-shift="' + esc(tech.shift_id) + '">' +
      '<div class="tl-label"><button type="button" class="linkish tech-btn" data-tech="' +
      esc(tech.technician_id) + '" title="' + esc(tech.name + " (" + tech.technician_id + ")") +
      esc(off ? "; " + off : "") + '"><span class="swatch" data-colour="' + colour + '"></span>' +
      esc(tech.name) + (off ? ' <span class="off-note">' + esc(off) + "</span>" : "") +
      "</button></div>" + '<div class="tl-track">' + parts.join("") + "</div></div>";
  }

  function axisHtml(sp) {
    var ticks = [];
    for (var t = sp.lo; t < sp.hi; t += HOUR) {
      ticks.push('<div class="tl-tick" style-left="' + sp.pct(t).toFixed(3) + '">' +
        hhmm(new Date(t).toISOString()) + "</div>");
    }
    return '<div class="tl-axis"><div class="tl-label">technician</div><div class="tl-track">' +
      ticks.join("") + "</div></div>";
  }

  /* CSP forbids style attributes in markup: positions travel as data, set through CSSOM. */
  function applyGeometry(root) {
    root.querySelectorAll("[style-left]").forEach(function (node) {
      node.style.left = node.getAttribute("style-left") + "%";
      var w = node.getAttribute("style-width");
      if (w !== null) { node.style.width = w + "%"; }
    });
    root.querySelectorAll("[data-colour]").forEach(function (node) {
      node.style.background = node.dataset.colour;
    });
  }

  function renderTimeline() {
    var box = el("timeline");
    if (!state) {
      box.innerHTML = '<p class="muted" id="no-plan">Nothing is published for ' + esc(DAY) +
        " yet. The board shows the day as soon as a plan is published.</p>";
      return;
    }
    var sp = span();
    var rows = state.technicians.map(function (t, i) { return rowHtml(t, i, sp); });
    var now = ms(state.as_of);
    box.innerHTML = axisHtml(sp) + rows.join("");
    applyGeometry(box);
    if (now >= sp.lo && now <= sp.hi) { placeNow(box, sp, now); }
    box.dataset.lo = sp.lo;
    box.dataset.hi = sp.hi;
  }

  function placeNow(box, sp, now) {
    var line = document.createElement("div");
    line.className = "tl-now";
    line.id = "now-line";
    line.title = "now " + hhmm(state.as_of);
    var label = box.querySelector(".tl-axis .tl-label");
    line.style.left = "calc(" + label.offsetWidth + "px + (100% - " + label.offsetWidth +
      "px) * " + (sp.pct(now) / 100).toFixed(5) + ")";
    box.appendChild(line);
  }

  /* ---------- side lists ---------- */
  function renderSummary() {
    if (!state) { el("summary").textContent = "no published plan"; return; }
    var jobs = 0;
    var late = 0;
    state.technicians.forEach(function (t) {
      jobs += t.stops.length;
      t.stops.forEach(function (s) { if (s.late) { late += 1; } });
    });
    el("summary").textContent = state.technicians.length + " technicians · " + jobs +
      " jobs · " + state.unassigned.length + " unassigned · " + late + " at SLA risk · as of " +
      hhmm(state.as_of) + " · version " + state.version;
  }

  function itemButton(id, text, reason) {
    return '<li><button type="button" class="linkish job-link" data-id="' + esc(id) + '">' +
      esc(text) + "</button>" + (reason ? '<span class="reason">' + esc(reason) + "</span>" : "") +
      "</li>";
  }

  function renderLists() {
    var un = state ? state.unassigned : [];
    el("unassigned-count").textContent = "(" + un.length + ")";
    el("unassigned").innerHTML = un.map(function (u) {
      var why = (u.reasons || []).map(function (r) { return r.message || r.code; }).join("; ");
      return itemButton(u.request_id, u.request_id + " · " + (u.priority || ""),
        why || "not placed yet");
    }).join("") || '<li class="muted">none</li>';
    var risk = [];
    (state ? state.technicians : []).forEach(function (t) {
      t.stops.forEach(function (s) {
        if (s.late) {
          var closes = (s.windows || []).length
            ? "window closes " + hhmm(s.windows[s.windows.length - 1].end)
            : "after its SLA deadline";
          risk.push(itemButton(s.request_id, s.request_id + " · " + t.name,
            "expected " + hhmm(s.eta) + ", " + closes));
        }
      });
    });
    el("risk-count").textContent = "(" + risk.length + ")";
    el("risk").innerHTML = risk.join("") || '<li class="muted">none</li>';
  }

  function renderLegend() {
    var items = ["scheduled", "dispatched", "en_route", "on_site", "done", "released"]
      .map(function (st) {
        return '<li><span class="box st-' + st + '"></span>' + esc(STATUS_WORDS[st]) + "</li>";
      });
    items.push('<li><span class="box late"></span>late / SLA at risk</li>');
    items.push('<li><span class="box travel"></span>travel or waiting</li>');
    items.push('<li><span class="box lunch"></span>lunch</li>');
    items.push('<li><span class="box over"></span>overtime</li>');
    items.push('<li><span class="box off"></span>unavailable</li>');
    el("legend").innerHTML = items.join("");
  }

  /* ---------- map ---------- */
  function initMap() {
    if (typeof L === "undefined") { return; }
    var tiles = BODY.dataset.tileUrl;
    /* Canvas, not SVG: 1 000 markers draw ~3x faster, and clicks still reach them. */
    map = L.map("map", {preferCanvas: true, attributionControl: Boolean(tiles),
                        zoomSnap: 0.25, keyboard: true});
    if (tiles) {
      L.tileLayer(tiles, {attribution: BODY.dataset.tileAttribution || ""}).addTo(map);
    }
    map.setView([0, 0], 2);
    /* One feature group and one shared tooltip for all markers: a tooltip and two
     * handlers bound to each of 1 000 markers cost about half of the map's drawing. */
    var tip = L.tooltip({direction: "top", offset: [0, -6]});
    mapLayer = L.featureGroup().addTo(map);
    mapLayer.on("click", function (ev) { select(ev.layer.requestId); });
    mapLayer.on("mouseover", function (ev) {
      map.openTooltip(tip.setContent(ev.layer.tipText), ev.layer.getLatLng());
    });
    mapLayer.on("mouseout", function () { map.closeTooltip(tip); });
    showTip = function (marker) {
      map.openTooltip(tip.setContent(marker.tipText), marker.getLatLng());
    };
  }

  function renderMap() {
    if (!map) { return; }
    mapLayer.clearLayers();
    stopIndex.clear();
    if (!state) { return; }
    var bounds = [];
    state.technicians.forEach(function (t, i) {
      var style = routeStyle(i);
      var path = t.stops.map(function (s) { return [s.lat, s.lon]; });
      if (t.free_location && t.stops.length) {
        path.unshift([t.free_location.lat, t.free_location.lon]);
      }
      if (path.length > 1) {
        L.polyline(path, {color: style.color, weight: 3, opacity: 0.85,
          dashArray: style.dash, interactive: false}).addTo(mapLayer);
      }
      t.stops.forEach(function (s) {
        var m = L.circleMarker([s.lat, s.lon], {radius: 6, weight: s.late ? 3 : 1.5,
          color: s.late ? "#c62828" : "#1b1f24", fillColor: style.color, fillOpacity: 0.95});
        m.requestId = s.request_id;
        m.tipText = s.request_id + " · " + t.name;
        m.addTo(mapLayer);
        stopIndex.set(s.request_id, m);
        bounds.push([s.lat, s.lon]);
      });
    });
    state.unassigned.forEach(function (u) {
      if (u.lat == null) { return; }
      var m = L.circleMarker([u.lat, u.lon], {radius: 7, weight: 2, color: "#1b1f24",
        fillColor: "#ffffff", fillOpacity: 1});
      m.requestId = u.request_id;
      m.tipText = u.request_id + " · unassigned";
      m.addTo(mapLayer);
      stopIndex.set(u.request_id, m);
      bounds.push([u.lat, u.lon]);
    });
    el("map").dataset.markers = String(stopIndex.size);
    if (!fitted && bounds.length) {
      map.invalidateSize();
      map.fitBounds(bounds, {padding: [20, 20]});
      fitted = true;
    }
  }

  /* ---------- details ---------- */
  function findJob(id) {
    if (!state) { return null; }
    for (var i = 0; i < state.technicians.length; i += 1) {
      var t = state.technicians[i];
      for (var j = 0; j < t.stops.length; j += 1) {
        if (t.stops[j].request_id === id) { return {tech: t, stop: t.stops[j]}; }
      }
    }
    var u = state.unassigned.find(function (x) { return x.request_id === id; });
    return u ? {tech: null, stop: u} : null;
  }

  function kv(rows) {
    return '<dl class="kv">' + rows.filter(function (r) { return r[1] !== undefined; })
      .map(function (r) { return "<dt>" + esc(r[0]) + "</dt><dd>" + esc(r[1]) + "</dd>"; })
      .join("") + "</dl>";
  }

  function select(id) {
    selected = id;
    document.querySelectorAll(".tl-job.selected").forEach(function (n) {
      n.classList.remove("selected");
    });
    var block = document.querySelector('.tl-job[data-id="' + CSS.escape(id) + '"]');
    if (block) { block.classList.add("selected"); }
    var marker = stopIndex.get(id);
    if (marker && map) { map.panTo(marker.getLatLng()); showTip(marker); }
    renderDetails(id);
  }

  function renderDetails(id) {
    var found = findJob(id);
    var box = el("details");
    if (!found) {
      box.innerHTML = "<h2>Details</h2><p class=\"muted\">" + esc(id) + " is no longer on this day.</p>";
      return;
    }
    var s = found.stop;
    var windows = (s.windows || []).map(function (w) {
      return hhmm(w.start) + "–" + hhmm(w.end);
    }).join(", ");
    var rows = [["job", s.request_id], ["technician", found.tech ? found.tech.name : "unassigned"],
      ["status", STATUS_WORDS[statusOf(s)] || statusOf(s)], ["priority", s.priority],
      ["window", windows || undefined], ["planned", s.planned_start
        ? hhmm(s.planned_start) + "–" + hhmm(s.planned_end) : undefined],
      ["expected", s.eta ? hhmm(s.eta) + "–" + hhmm(s.expected_end) : undefined],
      ["SLA", s.late ? "at risk: expected after the window or deadline" : undefined],
      ["frozen", s.frozen ? "yes (under way: not moved by a re-plan)" : undefined],
      ["customer", s.customer_id || undefined]];
    var buttons = "";
    if (CAN_WRITE && found.tech && !s.frozen) {
      buttons += '<button type="button" id="btn-move">Move…</button> ';
    }
    if (CAN_WRITE && found.tech && statusOf(s) !== "done" && statusOf(s) !== "cancelled") {
      buttons += '<button type="button" id="btn-delay">Running late…</button> ' +
        '<button type="button" id="btn-cancel">Customer cancelled…</button> ';
    }
    if (CAN_WRITE && !found.tech) {
      buttons += '<button type="button" id="btn-place">Find a place…</button> ';
    }
    if (CAN_WRITE && found.tech) {
      buttons += '<button type="button" id="btn-unavailable">' +
        esc(found.tech.name) + " unavailable…</button>";
    }
    box.innerHTML = "<h2>Details</h2>" + kv(rows) + '<p class="actions">' + buttons + "</p>" +
      '<h3>Customer history</h3><div id="history" class="muted">' +
      (s.customer_id ? "loading…" : "no customer on this job") + "</div>";
    var move = el("btn-move");
    if (move) { move.addEventListener("click", function () { moveDialog(s, found.tech); }); }
    var late = el("btn-delay");
    if (late) { late.addEventListener("click", function () { delayDialog(s); }); }
    var gone = el("btn-cancel");
    if (gone) { gone.addEventListener("click", function () { cancelDialog(s); }); }
    var off = el("btn-unavailable");
    if (off) { off.addEventListener("click", function () { unavailableDialog(found.tech); }); }
    var place = el("btn-place");
    if (place) {
      place.addEventListener("click", function () {
        insertExisting(s.request_id).catch(function (err) { toast(err.message || String(err), true); });
      });
    }
    if (s.customer_id) { loadHistory(s.customer_id); }
  }

  function loadHistory(customerId) {
    api("GET", "/customers/" + encodeURIComponent(customerId) + "/visits").then(function (r) {
      var box = el("history");
      if (!box) { return; }
      if (!r.ok) { box.textContent = problemText(r.data); return; }
      var visits = r.data || [];
      box.innerHTML = visits.length ? "<ul>" + visits.map(function (v) {
        return "<li>" + esc((v.done_at || v.end || v.status_changed_at || "").slice(0, 10)) +
          " · " + esc(v.request_id || v.id) + " · " + esc(v.technician_id || "") + "</li>";
      }).join("") + "</ul>" : "no earlier visits";
    });
  }

  /* ---------- dialogs and proposals ---------- */
  function openDialog(title, html, okLabel, onOk) {
    var dlg = el("dialog");
    el("dialog-title").textContent = title;
    el("dialog-body").innerHTML = html;
    el("dialog-error").hidden = true;
    var ok = el("dialog-ok");
    ok.textContent = okLabel || "OK";
    ok.hidden = !onOk;
    ok.disabled = false;
    dlg.onsubmit = function (ev) {
      ev.preventDefault();
      if (!onOk) { dlg.close(); return; }
      ok.disabled = true;
      Promise.resolve(onOk()).catch(function (err) {
        showDialogError(err && err.message ? err.message : String(err));
      }).finally(function () { ok.disabled = false; });
    };
    if (!dlg.open) { dlg.showModal(); }
    var first = el("dialog-body").querySelector("input, select, button");
    (first || (onOk ? ok : el("dialog-cancel"))).focus();
  }
  function showDialogError(text) {
    var e = el("dialog-error");
    e.textContent = text;
    e.hidden = false;
  }
  el("dialog-cancel").addEventListener("click", function () { el("dialog").close(); });
  function field(id) { return el(id).value.trim(); }

  function diffHtml(p) {
    var d = p.diff || {technicians: []};
    var items = (d.technicians || []).map(function (t) {
      var bits = [];
      (t.added || []).forEach(function (id) { bits.push('<span class="added">+ ' + esc(id) + "</span>"); });
      (t.removed || []).forEach(function (id) { bits.push('<span class="removed">− ' + esc(id) + "</span>"); });
      (t.retimed || []).forEach(function (r) {
        bits.push(esc(r.request_id) + " " + hhmm(r.old_start) + " → " + hhmm(r.new_start));
      });
      return "<li><strong>" + esc(t.technician_id) + "</strong>: " + (bits.join(", ") || "no change") + "</li>";
    });
    var c = p.cost || {};
    var cost = '<table class="cost"><tr><th>added travel</th><td>' +
      esc(Math.round((c.added_travel_s || 0) / 60)) + " min</td></tr><tr><th>disruption</th><td>" +
      esc(c.disruption) + "</td></tr><tr><th>objective change</th><td>" + esc(c.objective_delta) +
      "</td></tr></table>";
    var place = p.placement ? "<p>Placed with <strong>" + esc(p.placement.technician_id) +
      "</strong> " + hhmm(p.placement.start) + "–" + hhmm(p.placement.end) + ".</p>" : "";
    var notify = (d.notify || []).length ? "<p>To tell: " + esc(d.notify.join(", ")) + "</p>"
      : "<p>Nobody else has to be told.</p>";
    return '<div id="proposal">' + place + '<ul class="diff">' + (items.join("") ||
      "<li>no change to any route</li>") + "</ul>" + cost + notify + "</div>";
  }

  /* A proposal (insertion, move, replan) shown with its diff and cost; OK publishes it. */
  function proposalDialog(title, p) {
    openDialog(title, diffHtml(p), "Publish", function () {
      return api("POST", "/plans/" + encodeURIComponent(p.plan_id || p.id) + "/publish", {})
        .then(function (r) {
          if (!r.ok) { throw new Error(problemText(r.data)); }
          el("dialog").close();
          toast("published: the change is live");
          return refresh(true);
        });
    });
  }

  function refusedDialog(title, data) {
    openDialog(title, '<p id="refusal">' + esc(problemText(data)).replace(/\n/g, "<br>") + "</p>",
      null, null);
  }

  function techOptions(selectedId) {
    return state.technicians.map(function (t) {
      return '<option value="' + esc(t.technician_id) + '"' +
        (t.technician_id === selectedId ? " selected" : "") + ">" + esc(t.name) + "</option>";
    }).join("");
  }

  /* The default "from" of a dialog: now, or the first shift's start when the day
   * has not begun yet; the default "to": the last shift's end. */
  function dayBounds() {
    var first = Infinity;
    var last = -Infinity;
    (state ? state.technicians : []).forEach(function (t) {
      first = Math.min(first, ms(t.shift_start));
      last = Math.max(last, ms(t.shift_end));
    });
    var now = state && state.as_of ? ms(state.as_of) : Date.now();
    var from = isFinite(first) ? Math.max(first, now) : now;
    return {from: hhmm(new Date(from).toISOString()),
            to: isFinite(last) ? hhmm(new Date(last).toISOString()) : "23:00"};
  }
  function nowHm() { return dayBounds().from; }

  function moveDialog(stop, tech) {
    openDialog("Move " + stop.request_id,
      '<label for="mv-tech">Technician</label><select id="mv-tech">' +
      techOptions(tech.technician_id) + "</select>" +
      '<label for="mv-start">Start (leave empty: keep the best time)</label>' +
      '<input id="mv-start" type="time" value="' + esc(hhmm(stop.eta)) + '">',
      "Propose", function () {
        var start = field("mv-start");
        return propose("move", stop.request_id, field("mv-tech"), start ? dayInstant(start) : null);
      });
  }

  function propose(kind, requestId, techId, start) {
    var body = {request_id: requestId, technician_id: techId};
    if (start) { body.start = start; }
    return api("POST", "/days/" + DAY + "/moves", body).then(function (r) {
      if (r.status === 422) { refusedDialog("Move refused", r.data); return; }
      if (!r.ok) { throw new Error(problemText(r.data)); }
      proposalDialog("Move " + requestId + " to " + techId, r.data);
    });
  }

  function unavailableDialog(tech) {
    openDialog(tech.name + " unavailable",
      '<label for="un-reason">Reason</label><input id="un-reason" value="ill">' +
      '<label for="un-start">From</label><input id="un-start" type="time" value="' +
      esc(nowHm()) + '">' +
      '<label for="un-end">Until (empty: rest of the day)</label><input id="un-end" type="time">',
      "Mark unavailable", function () {
        var end = field("un-end");
        return api("POST", "/days/" + DAY + "/events", {type: "unavailable",
          technician_id: tech.technician_id, start: dayInstant(field("un-start")),
          end: end ? dayInstant(end) : null, reason: field("un-reason") || "unavailable"})
          .then(function (r) {
            if (!r.ok) { throw new Error(problemText(r.data)); }
            el("dialog").close();
            var released = r.data.released || [];
            toast(tech.name + " unavailable; released " + (released.join(", ") || "no job") +
              (released.length ? ": re-plan or insert them" : ""));
            return refresh(true);
          });
      });
  }

  /* A day event from a dialog: POST /days/{date}/events, then the board redraws. */
  function reportEvent(body, done) {
    return api("POST", "/days/" + DAY + "/events", body).then(function (r) {
      if (!r.ok) { throw new Error(problemText(r.data)); }
      el("dialog").close();
      toast(done);
      return refresh(true);
    });
  }

  function delayDialog(stop) {
    var later = new Date((ms(stop.expected_end) || Date.now()) + 30 * MINUTE).toISOString();
    openDialog(stop.request_id + " is running late",
      '<label for="dl-end">Expected end</label><input id="dl-end" type="time" value="' +
      esc(hhmm(later)) + '">', "Report the delay", function () {
        return reportEvent({type: "delay", request_id: stop.request_id,
                            expected_end: dayInstant(field("dl-end"))},
                           stop.request_id + ": delay reported");
      });
  }

  function cancelDialog(stop) {
    openDialog(stop.request_id + ": the customer cancelled",
      '<label for="cn-reason">Reason (optional)</label><input id="cn-reason">',
      "Report the cancellation", function () {
        var body = {type: "cancelled", request_id: stop.request_id};
        if (field("cn-reason")) { body.reason = field("cn-reason"); }
        return reportEvent(body, stop.request_id + ": cancelled");
      });
  }

  function emergencyDialog() {
    var centre = map ? map.getCenter() : {lat: 0, lng: 0};
    var start = nowHm();
    openDialog("Insert an emergency job",
      '<label for="em-id">Job id</label><input id="em-id" value="E-' + Date.now().toString(36) + '">' +
      '<label for="em-lat">Latitude</label><input id="em-lat" inputmode="decimal" value="' +
      centre.lat.toFixed(5) + '">' +
      '<label for="em-lon">Longitude</label><input id="em-lon" inputmode="decimal" value="' +
      centre.lng.toFixed(5) + '">' +
      '<label for="em-duration">Duration (minutes)</label><input id="em-duration" type="number" min="1" value="60">' +
      '<label for="em-skill">Skill (name:level, optional)</label><input id="em-skill">' +
      '<label for="em-from">Window from</label><input id="em-from" type="time" value="' + esc(start) + '">' +
      '<label for="em-to">Window to</label><input id="em-to" type="time" value="' +
      esc(dayBounds().to) + '">' +
      '<label for="em-priority">Priority</label><select id="em-priority"><option>critical</option>' +
      "<option>high</option><option>normal</option></select>",
      "Find a place", insertEmergency);
  }

  function emergencyBody() {
    var skill = field("em-skill");
    var body = {id: field("em-id"), location: {lat: Number(field("em-lat")), lon: Number(field("em-lon"))},
      duration: "PT" + Number(field("em-duration")) + "M", priority: field("em-priority"),
      windows: [{start: dayInstant(field("em-from")), end: dayInstant(field("em-to"))}]};
    if (skill) {
      var sp = skill.split(":");
      body.required_skills = [{name: sp[0], level: sp[1] ? Number(sp[1]) : 1}];
    }
    return body;
  }

  function insertEmergency() {
    var body = emergencyBody();
    return api("POST", "/requests", body).then(function (r) {
      if (!r.ok) { throw new Error(problemText(r.data)); }
      return insertExisting(body.id);
    });
  }

  /* An insertion of a stored request (a new emergency, or an unassigned or released job). */
  function insertExisting(requestId) {
    return api("POST", "/days/" + DAY + "/insertions", {request_id: requestId}).then(function (r) {
      if (r.status === 422 && r.data && /not-insertable$/.test(r.data.type || "")) {
        refusedDialog("No place for " + requestId, r.data);
        return;
      }
      if (!r.ok) { throw new Error(problemText(r.data)); }
      proposalDialog("Insert " + requestId, r.data);
    });
  }

  function replan() {
    openDialog("Re-plan the rest of the day", '<p id="replan-progress">queued…</p>', null, null);
    return api("POST", "/days/" + DAY + "/replans", {}).then(function (r) {
      if (!r.ok) { throw new Error(problemText(r.data)); }
      return waitForPlan(r.data.plan_id, 0);
    }).catch(function (err) { showDialogError(err.message || String(err)); });
  }

  function waitForPlan(planId, polls) {
    return api("GET", "/plans/" + encodeURIComponent(planId)).then(function (r) {
      if (!r.ok) { throw new Error(problemText(r.data)); }
      var p = r.data;
      if (p.status === "queued" || p.status === "solving") {
        if (polls >= REPLAN_MAX_POLLS) { throw new Error("the re-plan is still running"); }
        var progress = el("replan-progress");
        if (progress) { progress.textContent = p.status + "…"; }
        return new Promise(function (ok) { setTimeout(ok, REPLAN_POLL_MS); })
          .then(function () { return waitForPlan(planId, polls + 1); });
      }
      if (p.status !== "done") { throw new Error("the re-plan ended " + p.status + ": " + (p.error || "")); }
      proposalDialog("Re-plan of the rest of the day", Object.assign({plan_id: planId}, p));
    });
  }

  /* ---------- drag and drop (a pin: POST /days/{date}/moves) ---------- */
  function dropTime(track, clientX) {
    var box = el("timeline");
    var lo = Number(box.dataset.lo);
    var hi = Number(box.dataset.hi);
    var rect = track.getBoundingClientRect();
    var t = lo + ((clientX - dragGrab - rect.left) / rect.width) * (hi - lo);
    var snap = SNAP_MINUTES * MINUTE;
    return new Date(Math.round(t / snap) * snap).toISOString().replace(".000Z", "Z");
  }

  function initDrag() {
    var box = el("timeline");
    box.addEventListener("dragstart", function (ev) {
      var job = ev.target.closest && ev.target.closest(".tl-job");
      if (!job) { return; }
      dragging = true;
      dragGrab = ev.clientX - job.getBoundingClientRect().left;
      ev.dataTransfer.setData("text/plain", job.dataset.id);
      ev.dataTransfer.effectAllowed = "move";
    });
    box.addEventListener("dragover", function (ev) {
      var row = ev.target.closest && ev.target.closest(".tl-row");
      if (!row) { return; }
      ev.preventDefault();
      box.querySelectorAll(".drop-target").forEach(function (n) { n.classList.remove("drop-target"); });
      row.classList.add("drop-target");
    });
    box.addEventListener("dragend", function () { dragging = false; });
    box.addEventListener("drop", function (ev) {
      dragging = false;
      var row = ev.target.closest && ev.target.closest(".tl-row");
      box.querySelectorAll(".drop-target").forEach(function (n) { n.classList.remove("drop-target"); });
      if (!row) { return; }
      ev.preventDefault();
      var id = ev.dataTransfer.getData("text/plain");
      var start = dropTime(row.querySelector(".tl-track"), ev.clientX);
      propose("move", id, row.dataset.tech, start).catch(function (err) {
        toast(err.message || String(err), true);
      });
    });
  }

  /* ---------- live updates ---------- */
  function setLive(text, stale) {
    var s = el("live-status");
    s.textContent = text;
    s.classList.toggle("stale", Boolean(stale));
  }

  function refresh(force) {
    var headers = {};
    if (state && state.version && !force) { headers["If-None-Match"] = '"' + state.version + '"'; }
    return api("GET", "/days/" + DAY, undefined, headers).then(function (r) {
      if (r.status === 304) { setLive("live · checked " + hhmm(new Date().toISOString())); return; }
      if (r.status === 404) { state = null; render(); setLive("live · nothing published"); return; }
      if (!r.ok) { setLive("update failed: " + problemText(r.data), true); return; }
      state = r.data;
      render();
      setLive("live · updated " + hhmm(new Date().toISOString()));
    }).catch(function () { setLive("offline · retrying", true); });
  }

  /* No redraw under the dispatcher's hands: polls wait while a dialog is open or a
   * job is being dragged (the proposal's publish checks the version anyway). */
  function poll() {
    var next = function () { setTimeout(poll, POLL_MS); };
    if (document.hidden || el("dialog").open || dragging) { next(); return; }
    refresh(false).finally(next);
  }

  /* Each part is timed (performance.measure), so benchmarks/board_render.py can say
   * where a slow load goes. */
  function timed(name, fn) {
    var t0 = performance.now();
    fn();
    performance.measure("board-" + name, {start: t0, end: performance.now()});
  }

  function render() {
    renderSummary();
    timed("timeline", renderTimeline);
    timed("lists", renderLists);
    timed("map", renderMap);
    if (selected) { renderDetails(selected); }
  }

  function shiftDay(days) {
    var d = new Date(DAY + "T12:00:00Z");
    d.setUTCDate(d.getUTCDate() + days);
    return "/board/" + d.toISOString().slice(0, 10);
  }

  function initControls() {
    el("prev-day").href = shiftDay(-1);
    el("next-day").href = shiftDay(1);
    document.addEventListener("click", function (ev) {
      var target = ev.target.closest ? ev.target.closest("[data-id].tl-job, .job-link, .tech-btn") : null;
      if (!target) { return; }
      if (target.classList.contains("tech-btn")) {
        var tech = state.technicians.find(function (t) { return t.technician_id === target.dataset.tech; });
        if (tech && CAN_WRITE) { unavailableDialog(tech); }
        return;
      }
      select(target.dataset.id);
    });
    if (CAN_WRITE) {
      el("btn-emergency").addEventListener("click", emergencyDialog);
      el("btn-replan").addEventListener("click", replan);
    }
  }

  function start() {
    initControls();
    initMap();
    initDrag();
    renderLegend();
    render();
    /* The benchmark and the browser tests wait for this mark: drawn and listening. */
    requestAnimationFrame(function () {
      setTimeout(function () {
        performance.mark("board-interactive");
        BODY.dataset.ready = "true";
      }, 0);
    });
    setTimeout(poll, POLL_MS);
  }

  /* For the browser tests: where a job's marker is on the page (canvas markers are
   * not DOM elements). */
  window.fieldopsBoard = {
    markerPoint: function (id) {
      var m = stopIndex.get(id);
      if (!m || !map) { return null; }
      var p = map.latLngToContainerPoint(m.getLatLng());
      var r = el("map").getBoundingClientRect();
      return {x: r.left + p.x, y: r.top + p.y};
    }
  };

  start();
}());
