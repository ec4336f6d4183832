/* Village Points service worker, served at /sw.js by points.views.offline.service_worker, which
 * puts self.VP_CONFIG = {offline, static, assets, version} on the line above.
 *
 * What it keeps:
 *  - "vp-static-<version>": the CSS, scripts and icons the offline page needs (nothing personal);
 *  - "vp-user": the offline Record page and the scorer's snapshot. The page script (offline.js)
 *    writes these while it has signal and deletes them on signing out; this worker only reads.
 * What it does: pages are fetched from the network first; without signal a page is answered
 * with the kept offline Record page. Static files come from the kept copy first. Everything
 * else (posts, the snapshot, the sync endpoint, htmx requests) is left to the browser as if
 * there were no worker.
 */
"use strict";

const CONFIG = self.VP_CONFIG;
const STATIC_CACHE = "vp-static-" + CONFIG.version;
const USER_CACHE = "vp-user";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(STATIC_CACHE)
      .then((cache) => cache.addAll(CONFIG.assets))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name.startsWith("vp-static-") && name !== STATIC_CACHE)
          .map((name) => caches.delete(name))
      ))
      .then(() => self.clients.claim())
  );
});

function offlinePage() {
  return caches.open(USER_CACHE)
    .then((cache) => cache.match(CONFIG.offline, { ignoreVary: true }))
    .then((page) => page || new Response(
      "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>" +
      "<title>Village Points</title><p>没有网络，请稍后再试。<br>No connection. Try again later.</p>",
      { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } }
    ));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(offlinePage));
    return;
  }
  if (url.pathname.startsWith(CONFIG.static)) {
    event.respondWith(
      caches.match(request, { ignoreVary: true }).then((kept) => kept || fetch(request))
    );
  }
});
