// Kentra's field app: the service worker (issue 25), served at /field/sw.js with the scope /field/.
// It keeps ONLY the app shell: the shell page (no personal data: the same for every user), its script,
// styles, manifest and icons. The API and every other page are never answered from or put in a cache:
// the people taken and the entries recorded live in IndexedDB, encrypted by the page (store.js).
const SHELL = "kentra-field-shell-v1";
const FILES = [
  "/field/",
  "/field/manifest.webmanifest",
  "/static/kentra.css",
  "/static/field/app.js",
  "/static/field/store.js",
  "/static/field/icon-192.png",
  "/static/field/icon-512.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(FILES))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(keys.filter((k) => k.startsWith("kentra-field-shell-") && k !== SHELL).map((k) => caches.delete(k))),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !FILES.includes(url.pathname)) {
    return; // the network only, never kept: the API, the staff pages, anything not in the shell
  }
  // The kept copy at once (it works offline); a fresh one replaces it for the next time, when online.
  event.respondWith(
    caches.open(SHELL).then(async (cache) => {
      const kept = await cache.match(url.pathname);
      const fresh = fetch(event.request).then((response) => {
        if (response.ok) cache.put(url.pathname, response.clone());
        return response;
      });
      if (kept) {
        event.waitUntil(fresh.catch(() => undefined));
        return kept;
      }
      return fresh;
    }),
  );
});
