/* Service worker of the cunrong pages, served as /sw.js for scope / (one worker for the whole
 * site; /pages/sw.js and /maps/sw.js serve the same script to phones that registered those
 * narrower copies before, and offline.js unregisters them).
 *
 * Two caches:
 * - SHELL: scripts, styles, Leaflet, icons — the same for everybody, precached at install.
 * - PAGES: the pages a signed-in person has opened and reads in the field or away from the
 *   office (KEPT below): the field pages (capture, site visit, my village, recheck, inbox,
 *   the issue map of a village) with the photo thumbnails they show, and the read-only pages
 *   and maps of the office, leaders and planners (the dashboard, the office's monthly pages,
 *   the district and community views, the ranking, status, hotspot and sites maps, the
 *   bulletin). Only a 200 answer that names its user (the X-Cunrong-User header the server
 *   sets on every signed-in response) is kept: never an error page, a sign-in redirect or an
 *   anonymous page. The cache holds one user's pages: an answer for another user empties it
 *   first, and the pages empty it on sign-out and on the sign-in page (offline.js). It holds
 *   at most KEEP_BYTES: keeping a page drops the oldest kept ones until it fits.
 *
 * Every GET of those is network first; only when the network fails is the kept copy served,
 * with a banner "离线 — 显示 HH:MM 的数据"; any other page opened offline gets the same
 * "本页没有保存" page as a kept page never opened. API calls, every write (only GETs are
 * looked at) and map tiles pass straight through. Reports wait in IndexedDB (outbox.js)
 * and are sent by the page when the connection returns. */
"use strict";
var SHELL_CACHE = "cunrong-shell-v4";
var PAGES_CACHE = "cunrong-pages-v1";
var SHELL = [
  "/static/common.js",
  "/static/offline.js",
  "/static/page.js",
  "/static/outbox.js",
  "/static/lib/idb-keyval/umd.js",
  "/static/lib/exifr/mini.umd.js",
  "/static/report.js",
  "/static/village.js",
  "/static/recheck.js",
  "/static/field.css",
  "/static/vendor/leaflet/leaflet.js",
  "/static/vendor/leaflet/leaflet.css",
  "/static/icon-192.png",
  "/manifest.webmanifest",
];
var USER_HEADER = "X-Cunrong-User";
var FETCHED_HEADER = "X-Cunrong-Fetched";
var SIZE_HEADER = "X-Cunrong-Size";
/* The most the kept pages may take, in bytes (the service's `offline_keep_bytes` setting,
 * written in here when /sw.js is served). A leader's maps inline every village outline and
 * may weigh megabytes each: keeping one more drops the oldest kept pages (by the time they
 * were fetched) until the total fits, and an answer larger than this is not kept at all. */
var KEEP_BYTES = 50000000;
var KEPT = [
  // the field pages (inspectors, villages)
  /^\/pages\/report$/,
  /^\/pages\/villages\/[^/]+\/visit$/,
  /^\/pages\/my-village$/,
  /^\/pages\/recheck$/,
  /^\/pages\/inbox$/,
  /^\/maps\/issues$/,
  /^\/photos\/[^/]+\/thumbnail$/,
  // the office, leaders and planners: read-only pages and maps (GET only)
  /^\/$/,
  /^\/pages\/office\/(rounds|scores|third-party|publish|users|deliveries)?$/,
  /^\/pages\/districts\/[^/]+$/,
  /^\/pages\/communities\/[^/]+$/,
  /^\/maps\/(ranking|status|hotspots)$/,
  /^\/maps\/districts\/[^/]+$/,
  /^\/sites\/map$/,
  /^\/bulletins\/\d{4}-\d{2}\.(pdf|png)$/,
];

function isPage(url) {
  return KEPT.some(function (re) { return re.test(url.pathname); });
}

self.addEventListener("install", function (ev) {
  ev.waitUntil(caches.open(SHELL_CACHE).then(function (c) { return c.addAll(SHELL); }).catch(function () {}));
  self.skipWaiting();
});

self.addEventListener("activate", function (ev) {
  var keep = [SHELL_CACHE, PAGES_CACHE];
  ev.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return keep.indexOf(k) < 0; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

/* One keep at a time: each reads the kept pages' sizes and users before adding its own.
 * A sign-out (the "forget" message of offline.js) empties the cache in the same queue and
 * starts a new generation: a keep begun before it (a large map still being read) is
 * abandoned instead of putting the signed-out user's page back. */
var generation = 0;
var keeping = Promise.resolve();
function serially(task) {
  var run = keeping.then(task, task);
  keeping = run.catch(function () {});
  return run;
}

/* The kept pages: [{request, user, size, fetched}]. */
function keptPages(cache) {
  return cache.keys().then(function (reqs) {
    return Promise.all(reqs.map(function (r) {
      return cache.match(r).then(function (resp) {
        var h = resp ? resp.headers : new Headers();
        return {
          request: r,
          user: h.get(USER_HEADER),
          size: Number(h.get(SIZE_HEADER)) || 0,
          fetched: Number(h.get(FETCHED_HEADER)) || 0,
        };
      });
    }));
  });
}

function pathOf(request) {
  var u = new URL(request.url);
  return u.pathname + u.search;
}

/* Keep a copy of a page answer when it is a 200 of the page itself (not a redirect, not an
 * error) for a named user; an answer for another user than the kept pages' empties the cache;
 * the oldest kept pages go until the new one fits in KEEP_BYTES. `begun`: the generation when
 * the page was asked for (a sign-out since then abandons it). */
function keep(key, resp, begun) {
  var user = resp.headers.get(USER_HEADER);
  if (resp.status !== 200 || resp.redirected || resp.type !== "basic" || !user) return Promise.resolve(false);
  return resp.blob().then(function (body) {
    if (body.size > KEEP_BYTES) return false;
    var headers = new Headers(resp.headers);
    headers.set(FETCHED_HEADER, String(Date.now()));
    headers.set(SIZE_HEADER, String(body.size));
    var copy = new Response(body, { status: 200, statusText: "OK", headers: headers });
    return serially(function () {
      if (begun !== generation) return false;
      return caches.open(PAGES_CACHE).then(keptPages).then(function (kept) {
        if (kept.some(function (k) { return k.user !== user; })) {
          return caches.delete(PAGES_CACHE).then(function () { return []; });
        }
        return kept.filter(function (k) { return pathOf(k.request) !== key; });
      }).then(function (kept) {
        kept.sort(function (a, b) { return a.fetched - b.fetched; });
        var total = kept.reduce(function (n, k) { return n + k.size; }, body.size);
        var drop = [];
        while (total > KEEP_BYTES && kept.length) {
          var oldest = kept.shift();
          total -= oldest.size;
          drop.push(oldest.request);
        }
        return caches.open(PAGES_CACHE).then(function (c) {
          return Promise.all(drop.map(function (r) { return c.delete(r); })).then(function () {
            return c.put(key, copy);
          });
        });
      }).then(function () { return true; });
    });
  });
}

function two(n) { return (n < 10 ? "0" : "") + n; }

/* The script nonce of a kept page: the one in its own Content-Security-Policy header, which
 * is kept and replayed with it (so the page's own scripts, which carry it, still run). */
function nonceOf(headers) {
  var m = /'nonce-([A-Za-z0-9_\-]+)'/.exec(headers.get("Content-Security-Policy") || "");
  return m ? m[1] : "";
}

/* The banner. In a map framed by a page that shows it already (the site-visit sheet), the
 * map's own copy removes itself so that it does not cover the map's title and zoom buttons
 * (a script carrying the kept page's nonce: the page's policy runs no other inline script). */
function banner(when, framed, nonce) {
  var d = new Date(when), hhmm = two(d.getHours()) + ":" + two(d.getMinutes());
  // Sticky: a reload keeps the reader's scroll position, which would leave the banner above
  // the screen; stuck to the top it stays in sight however far the page is scrolled.
  var style = "position:sticky;top:0;z-index:10000;" +
    "background:#fef0c7;color:#7a2e0e;border-bottom:2px solid #dc6803;padding:8px 12px;" +
    "font:600 15px/1.4 'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif;";
  var html = '<div id="cunrong-offline" role="status" data-fetched="' + Number(when) + '" style="' + style + '">' +
    "离线 — 显示 " + hhmm + " 的数据 <span lang=\"en\" style=\"font-weight:400\">/ Offline — showing data from " + hhmm + "</span></div>";
  if (framed) {
    html += '<script nonce="' + nonce + '">' + "(function () { try { if (window.parent !== window && window.parent.document.getElementById('cunrong-offline'))" +
      " document.getElementById('cunrong-offline').remove(); } catch (e) {} })();</script>";
  }
  return html;
}

/* The kept copy with the offline banner as the first thing in <body>. */
function fromCache(cached, url) {
  var type = cached.headers.get("Content-Type") || "";
  if (type.indexOf("text/html") !== 0) return Promise.resolve(cached);
  var when = Number(cached.headers.get(FETCHED_HEADER)) || Date.now();
  return cached.text().then(function (html) {
    var mark = banner(when, url.pathname.indexOf("/maps/") === 0, nonceOf(cached.headers));
    var m = /<body[^>]*>/i.exec(html);
    html = m ? html.slice(0, m.index + m[0].length) + mark + html.slice(m.index + m[0].length) : mark + html;
    var headers = new Headers(cached.headers);
    headers.delete("Content-Length");
    return new Response(html, { status: 200, statusText: "OK", headers: headers });
  });
}

function notSaved() {
  var html = '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>离线 Offline</title></head>' +
    '<body style="font:15px/1.5 \'Noto Sans CJK SC\',\'Microsoft YaHei\',sans-serif;margin:24px;color:#1f2933">' +
    '<h1 style="font-size:20px">离线 — 本页没有保存在这台设备上</h1>' +
    "<p>Offline — this page was not saved on this device. 联网后再打开 / Open it again when online.</p>" +
    '<p id="cunrong-not-saved"><a href="">重试 / Retry</a></p></body></html>';
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" } });
}

self.addEventListener("fetch", function (ev) {
  var req = ev.request;
  var url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  var shell = url.pathname.indexOf("/static/") === 0 || url.pathname === "/manifest.webmanifest";
  if (shell) {
    ev.respondWith(fetch(req).then(function (resp) {
      if (resp.ok && !resp.redirected) {
        var copy = resp.clone();
        caches.open(SHELL_CACHE).then(function (c) { c.put(url.pathname, copy); });
      }
      return resp;
    }, function () {
      return caches.match(url.pathname, { cacheName: SHELL_CACHE }).then(function (hit) { return hit || Response.error(); });
    }));
    return;
  }
  if (!isPage(url)) {
    /* Any other page of the site (API docs, exports, the sign-in page) is never kept, but
     * opened offline it says so in the site's words rather than the browser's error page. */
    if (req.mode === "navigate") {
      ev.respondWith(fetch(req).catch(function () { return notSaved(); }));
    }
    return;
  }
  var key = url.pathname + url.search;
  var begun = generation;
  ev.respondWith(fetch(req).then(function (resp) {
    ev.waitUntil(keep(key, resp.clone(), begun).catch(function () {}));
    return resp;
  }, function () {
    return caches.open(PAGES_CACHE).then(function (c) { return c.match(key); }).then(function (hit) {
      if (hit) return fromCache(hit, url);
      return req.mode === "navigate" ? notSaved() : Response.error();
    });
  }));
});

/* A page opened before this worker controlled it asks to keep its own copy (and its map);
 * the worker answers {kept: [hrefs], results: [true if kept, else false or null]}. A page
 * signing out sends {forget: true}. */
self.addEventListener("message", function (ev) {
  var data = ev.data || {};
  if (data.forget) {
    generation += 1;
    ev.waitUntil(serially(function () { return caches.delete(PAGES_CACHE); }));
    return;
  }
  if (!data.keep || !data.keep.length) return;
  var begun = generation;
  ev.waitUntil(Promise.all(data.keep.map(function (href) {
    var url = new URL(href, self.location.origin);
    if (url.origin !== self.location.origin || !isPage(url)) return null;
    return fetch(url.href, { credentials: "same-origin" }).then(function (resp) {
      return keep(url.pathname + url.search, resp, begun);
    }).catch(function () { return null; });
  })).then(function (results) {
    if (ev.source) ev.source.postMessage({ kept: data.keep, results: results });
  }));
});
