/* Service worker of the cunrong pages: keeps the page shell (HTML, scripts, styles, Leaflet)
 * so the capture page opens without a connection. Reports themselves wait in IndexedDB
 * (outbox.js) and are sent by the page when the connection returns. Only same-origin GETs
 * of the shell are answered here (network first, cache as fallback); API calls, photos and
 * map tiles pass straight through. */
"use strict";
var CACHE = "cunrong-shell-v1";
var SHELL = [
  "/pages/report",
  "/static/common.js",
  "/static/outbox.js",
  "/static/lib/idb-keyval/umd.js",
  "/static/lib/exifr/mini.umd.js",
  "/static/report.js",
  "/static/field.css",
  "/static/vendor/leaflet/leaflet.js",
  "/static/vendor/leaflet/leaflet.css",
  "/static/icon-192.png",
  "/manifest.webmanifest",
];

self.addEventListener("install", function (ev) {
  ev.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(SHELL); }).catch(function () {}));
  self.skipWaiting();
});

self.addEventListener("activate", function (ev) {
  ev.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (ev) {
  var req = ev.request;
  var url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  var shell = url.pathname.indexOf("/static/") === 0 || url.pathname === "/pages/report";
  if (!shell) return;
  ev.respondWith(fetch(req).then(function (resp) {
    if (resp.ok) {
      var copy = resp.clone();
      caches.open(CACHE).then(function (c) { c.put(url.pathname, copy); });
    }
    return resp;
  }, function () {
    return caches.match(url.pathname).then(function (hit) { return hit || Response.error(); });
  }));
});
