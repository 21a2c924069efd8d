"""Helpers for the offline/PWA browser tests: waiting for the service worker and its caches.

Everything waits for a condition, never for a fixed time. Playwright's wait_for_function
does not await a predicate's promise (and string predicates need eval, which the CSP
forbids), so asynchronous conditions (Cache Storage, IndexedDB) are polled inside the page
by `wait_until`, which also survives the page navigating meanwhile.
"""
import time

from playwright.sync_api import Error

PAGES_CACHE = "raccolto-pages"

_POLL = """async ([arg, until]) => {
  const predicate = %s;
  while (Date.now() < until) {
    try { if (await predicate(arg)) return true; } catch (e) { /* not ready yet */ }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  return false;
}"""


def wait_until(page, predicate_js, arg=None, timeout=15000):
    """Wait until the async JS function `predicate_js(arg)` is truthy in `page`."""
    deadline = time.time() + timeout / 1000
    while time.time() < deadline:
        try:
            if page.evaluate(_POLL % predicate_js, [arg, int(deadline * 1000)]):
                return
        except Error as error:  # the page navigated while polling: poll the new one
            if not _navigated(error):
                raise
            page.wait_for_load_state()
    raise AssertionError(f"timed out after {timeout} ms waiting for {predicate_js}")


def _navigated(error):
    return "context was destroyed" in str(error) or "navigation" in str(error)


def replay(page, timeout=15000):
    """Ask the worker to send what waits, and wait for its answer.

    A replay that sends something reloads a /volontario/, /ente/ or /c/ page (offline.js), and
    going back online already asks for one: the page may navigate under the call. Asking again
    on the new page is harmless (a replay is idempotent), so retry there until one answers.
    """
    deadline = time.time() + timeout / 1000
    while time.time() < deadline:
        try:
            wait_until(page, "async () => !!window.RaccoltoOffline", timeout=timeout)
            page.evaluate("(ms) => RaccoltoOffline.ask({type: 'replay'}, ms)", timeout)
            page.wait_for_load_state()
            return
        except Error as error:
            if not _navigated(error):
                raise
            page.wait_for_load_state()
    raise AssertionError(f"no replay answered within {timeout} ms")


def wait_controlled(page, timeout=15000):
    """Wait until the service worker is active and controls `page`."""
    wait_until(page, "async () => !!(navigator.serviceWorker && navigator.serviceWorker.controller)",
               timeout=timeout)


def cached_pages(page):
    """Paths (with query) of the pages the worker keeps for offline use."""
    return page.evaluate("""async (name) => {
        if (!(await caches.has(name))) return [];
        const cache = await caches.open(name);
        return (await cache.keys()).map(r => { const u = new URL(r.url); return u.pathname + u.search; });
    }""", PAGES_CACHE)


def wait_cached(page, path, timeout=15000):
    """Wait until `path` is in the pages cache."""
    wait_until(page, """async ([name, path]) => {
        const cache = await caches.open(name);
        return !!(await cache.match(new URL(path, location.href).href, {ignoreVary: true}));
    }""", [PAGES_CACHE, path], timeout)


def outbox(page):
    """Every record of the IndexedDB outbox, oldest first."""
    wait_until(page, "async () => !!window.RaccoltoOutbox")
    return page.evaluate("() => RaccoltoOutbox.all()")


def wait_outbox(page, predicate_js, timeout=15000):
    """Wait until `predicate_js` (a JS function of the record list) is true."""
    wait_until(page, "async () => (%s)(await RaccoltoOutbox.all())" % predicate_js, timeout=timeout)
