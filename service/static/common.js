/* cunrong pages: shared helpers (plain ES2017, no build step).
 * cunrong.api(method, url, body) sends JSON or FormData with the session cookie, the CSRF
 * token of <meta name="csrf-token"> and, for scripts and tests, a bearer token kept in
 * localStorage["cunrong.token"]. It resolves to {status, data}; a failed connection rejects
 * with err.offline = true, so callers can keep the work for later. */
(function () {
  "use strict";
  var C = (window.cunrong = window.cunrong || {});
  C.lang = (document.documentElement.lang || "zh").indexOf("zh") === 0 ? "zh" : "en";
  C.t = function (zh, en) { return C.lang === "zh" ? zh : en; };
  C.config = function () {
    var el = document.getElementById("config");
    return el ? JSON.parse(el.textContent) : {};
  };

  C.headers = function (extra) {
    var h = Object.assign({}, extra || {});
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) h["X-CSRF-Token"] = meta.content;
    var token = null;
    try { token = window.localStorage.getItem("cunrong.token"); } catch (e) { token = null; }
    if (token) h.Authorization = "Bearer " + token;
    return h;
  };

  C.api = function (method, url, body) {
    var init = { method: method, credentials: "same-origin", headers: C.headers({ Accept: "application/json" }) };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
    return fetch(url, init).then(function (resp) {
      return resp.text().then(function (txt) {
        var data = null;
        try { data = txt ? JSON.parse(txt) : null; } catch (e) { data = { message: txt }; }
        return { status: resp.status, data: data };
      });
    }, function (err) {
      var e = new Error(C.t("网络不通", "no connection"));
      e.offline = true; e.cause = err;
      throw e;
    });
  };

  C.errorText = function (res) {
    var d = res.data || {};
    var msg = d.message || d.detail || ("HTTP " + res.status);
    return d.field ? msg + " (" + d.field + ")" : msg;
  };

  /* A position the server refused (422 on its geometry: outside the town, beyond the GPS
   * tolerance): what to do about it first, then the server's own words (which name the
   * distance and the nearest village; they are in English). */
  C.placeError = function (res) {
    var d = res.data || {};
    if (res.status !== 422 || ["geometry", "lon", "lat"].indexOf(d.field) < 0) return C.errorText(res);
    return C.t("这个位置不在本镇范围内：请把图钉拖到问题所在处，或点“重新定位”。",
      "This position is outside the town: drag the pin to where the issue is, or tap “Locate again”.") +
      " (" + (d.message || "").replace(/^field '[^']*': /, "") + ")";
  };

  C.uuid = function () {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16); crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  };

  C.sha256 = function (blob) {
    return blob.arrayBuffer().then(function (buf) { return crypto.subtle.digest("SHA-256", buf); })
      .then(function (d) {
        return Array.prototype.map.call(new Uint8Array(d), function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
      });
  };

  /* A camera photo shrunk in the browser: longest side at most `max` px, JPEG. */
  C.shrink = function (file, max, quality) {
    max = max || 1600; quality = quality || 0.82;
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, max / Math.max(img.naturalWidth, img.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(img.naturalWidth * scale);
        canvas.height = Math.round(img.naturalHeight * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (b) { b ? resolve(b) : reject(new Error("canvas")); }, "image/jpeg", quality);
      };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error(C.t("不是图片", "not an image"))); };
      img.src = url;
    });
  };

  /* GPS position from a photo's EXIF, read by the vendored exifr (the shrunk canvas copy
   * loses it, so the original file is read). Resolves to {lon, lat} or null. */
  C.exifGps = function (file) {
    if (!window.exifr) return Promise.resolve(null);
    return window.exifr.gps(file).then(function (g) {
      return g && isFinite(g.latitude) && isFinite(g.longitude) ? { lon: g.longitude, lat: g.latitude } : null;
    }, function () { return null; });
  };

  var STATUS = {
    open: ["整改中", "open"], submitted: ["已整改待复核", "awaiting recheck"], closed: ["已销号", "closed"],
    unrectified: ["未整改", "not rectified"], inadequate: ["整改不到位", "inadequately rectified"],
  };
  C.status = function (s) { var l = STATUS[s]; return l ? C.t(l[0], l[1]) : s; };

  /* After a 409: who changed the issue, when, and to what (from its history). */
  C.staleText = function (issueId) {
    return C.api("GET", "/issues/" + issueId).then(function (res) {
      if (res.status !== 200) return { text: C.errorText(res), version: null };
      var p = res.data.properties, h = p.history || [], last = h[h.length - 1] || {};
      var at = (last.recorded_at || last.on || "").replace("T", " ").slice(0, 16);
      return {
        version: p.version, status: p.status,
        text: C.t("此问题已被 " + (last.actor || "?") + " 于 " + at + " 改为「" + C.status(p.status) + "」" + (last.note ? "（" + last.note + "）" : "") + "。请核对后再操作。",
                  "Changed by " + (last.actor || "?") + " at " + at + " to \u201c" + C.status(p.status) + "\u201d" + (last.note ? " (" + last.note + ")" : "") + ". Check before acting again."),
      };
    });
  };

  /* Shrink and upload photos of an issue; `done` (sha → photo id) skips ones already sent. */
  C.uploadPhotos = function (issueId, files, kind, done) {
    var ids = [], chain = Promise.resolve();
    Array.prototype.forEach.call(files, function (file) {
      chain = chain.then(function () { return C.shrink(file); }).then(function (blob) {
        return C.sha256(blob).then(function (sha) {
          if (done[sha]) { ids.push(done[sha]); return; }
          var fd = new FormData();
          fd.append("file", blob, "photo.jpg");
          fd.append("kind", kind);
          return C.api("POST", "/issues/" + issueId + "/photos", fd).then(function (res) {
            if (res.status !== 201 && res.status !== 200) throw new Error(C.errorText(res));
            done[sha] = res.data.id; ids.push(res.data.id);
          });
        });
      });
    });
    return chain.then(function () { return ids; });
  };

  /* A small Leaflet map with the configured tiles (the only remote loads of a page). */
  C.map = function (el, center, zoom) {
    var map = L.map(el, { zoomControl: true, attributionControl: true }).setView([center[1], center[0]], zoom || 15);
    (C.config().tiles || []).forEach(function (t) {
      L.tileLayer(t.url, { attribution: t.attribution, subdomains: t.subdomains || "abc", maxZoom: t.maxZoom || 19 }).addTo(map);
    });
    return map;
  };

  /* A village's boundary under the markers (drawn even when no tile loads). */
  C.outline = function (map, geometry, layer) {
    if (layer) map.removeLayer(layer);
    if (!geometry) return null;
    return L.geoJSON(geometry, { style: { color: "#123b5c", weight: 2, fillColor: "#1d6fa5", fillOpacity: 0.06 }, interactive: false }).addTo(map);
  };

  C.pin = function (label, cls) {
    return L.divIcon({ className: "cr-pin " + (cls || ""), html: "<span>" + (label || "") + "</span>", iconSize: [28, 28], iconAnchor: [14, 28] });
  };

  /* The map of a page's numbered stops (cfg.points, cfg.outline): a pin per point that
   * scrolls to the card `cardPrefix + p.id`; `label(p, i)` and `cls(p)` name and style the
   * pin; `route` draws the walk as a dashed line under the pins. */
  C.stopMap = function (el, cfg, opts) {
    if (!el || !cfg.points.length) return null;
    var map = C.map(el, [cfg.points[0].lon, cfg.points[0].lat], 16);
    C.outline(map, cfg.outline);
    var bounds = cfg.points.map(function (p) { return [p.lat, p.lon]; });
    if (opts.route) L.polyline(bounds, { color: "#1d6fa5", weight: 3, dashArray: "6 6" }).addTo(map);
    cfg.points.forEach(function (p, i) {
      var m = L.marker([p.lat, p.lon], { icon: C.pin(String(opts.label(p, i)), "cr-num" + (opts.cls ? opts.cls(p) : "")), title: p.code }).addTo(map);
      m.on("click", function () { document.getElementById(opts.cardPrefix + p.id).scrollIntoView({ behavior: "smooth" }); });
    });
    if (bounds.length > 1) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 18 });
    return map;
  };

  /* say(text, cls): show a message in the element `msg` (class "message ok|bad"). */
  C.sayIn = function (msg) {
    return function (text, cls) { msg.textContent = text; msg.className = "message " + (cls || ""); };
  };

  /* Upload the photos (of `kind`), then POST the transition `body` with their ids. */
  C.transition = function (issueId, files, kind, done, body) {
    return C.uploadPhotos(issueId, files, kind, done).then(function (ids) {
      body.photo_ids = ids;
      return C.api("POST", "/issues/" + issueId + "/transitions", body);
    });
  };
})();
