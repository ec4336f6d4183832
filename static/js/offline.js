/* Village Points: recording without signal (issue 11).
 *
 * Loaded on every page of a signed-in user (templates/base.html), configured by data attributes
 * on its own <script> tag. For a volunteer scorer, where the browser has service workers,
 * IndexedDB and Cache Storage, it
 *  - registers the service worker (/sw.js) and keeps the offline Record page and the snapshot of
 *    residents and handbook (points.offline) in Cache Storage ("vp-user"), refreshed when online;
 *  - keeps entries recorded without signal in IndexedDB, each with its idempotency key, and sends
 *    them on every page load and when the connection returns, one POST per entry; the server's
 *    answer (recorded, or refused with its reason) is kept per entry and shown;
 *  - runs the offline Record form (#offline-record) from the snapshot.
 * For everyone it clears what the site kept on the phone when the sign-out form is sent.
 * No inline script, no eval: it runs under script-src 'self'.
 */
(function () {
  "use strict";

  const script = document.currentScript;
  const CFG = script ? script.dataset : {};
  const DB_NAME = "village-points";
  const STORE = "entries";
  const USER_CACHE = "vp-user";
  const STALE_MS = 15 * 60 * 1000;
  const KEEP_RECORDED_MS = 10 * 60 * 1000; // recorded ones leave the list after a while; refused ones stay until removed
  const hasStorage = "indexedDB" in window && "caches" in window;
  const supported = hasStorage && "serviceWorker" in navigator;
  const isScorer = CFG.scorer === "1";
  const actingVillage = Number(CFG.village || 0);

  // --- Strings: translated by Django in points/_offline_waiting.html ------------------------------

  const STRINGS = {};
  const stringsTemplate = document.getElementById("offline-strings");
  if (stringsTemplate) {
    stringsTemplate.content.querySelectorAll("[data-key]").forEach((node) => {
      STRINGS[node.dataset.key] = node.textContent.trim();
    });
  }
  function t(key, params) {
    let text = STRINGS[key] || key;
    Object.entries(params || {}).forEach(([name, value]) => {
      text = text.split("{" + name + "}").join(String(value));
    });
    return text;
  }

  // --- IndexedDB: the entries kept on the phone, keyed by their idempotency key --------------------

  let dbPromise = null;
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
        request.onsuccess = () => {
          const db = request.result;
          // Another tab signing out deletes the database: let it.
          db.onversionchange = () => { db.close(); dbPromise = null; };
          resolve(db);
        };
        request.onerror = () => { dbPromise = null; reject(request.error); };
      });
    }
    return dbPromise;
  }

  function withStore(mode, action) {
    return openDb().then((db) => new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = action(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request ? request.result : undefined);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    }));
  }
  const allEntries = () => withStore("readonly", (store) => store.getAll())
    .then((entries) => entries.sort((a, b) => a.saved_at.localeCompare(b.saved_at)));
  const putEntry = (entry) => withStore("readwrite", (store) => store.put(entry));
  const deleteEntry = (key) => withStore("readwrite", (store) => store.delete(key));

  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // --- The snapshot of residents and handbook, kept in Cache Storage ------------------------------

  let snapshot = null;

  function keptSnapshot() {
    return caches.open(USER_CACHE)
      .then((cache) => cache.match(CFG.data, { ignoreVary: true }))
      .then((response) => (response ? response.json() : null))
      .catch(() => null);
  }

  /* Fetch a fresh snapshot and the offline page and keep both. The kept snapshot's ETag goes
   * along: 304 means it is current, and nothing more is downloaded (issue 15: few bytes per entry).
   * Resolves to the snapshot, to {forbidden: true} when the server says the user is no scorer
   * (any more), or to null without signal. */
  function refreshSnapshot() {
    const options = { credentials: "same-origin", cache: "no-store" };
    return currentSnapshot().then((kept) => {
      const headers = { Accept: "application/json" };
      if (kept && kept.etag) headers["If-None-Match"] = kept.etag;
      return fetch(CFG.data, Object.assign({ headers }, options)).then((response) => {
        if (response.status === 403) return { forbidden: true };
        if (response.status === 304 && kept) {
          kept.saved_at = new Date().toISOString();
          snapshot = kept;
          return caches.open(USER_CACHE).then((cache) => cache.match(CFG.offline).then((page) => Promise.all([
            cache.put(CFG.data, new Response(JSON.stringify(kept), { headers: { "Content-Type": "application/json" } })),
            page ? undefined : fetch(CFG.offline, options).then((fresh) => (fresh.ok && !fresh.redirected ? cache.put(CFG.offline, fresh) : undefined)),
          ]))).then(() => kept);
        }
        if (!response.ok) return null;
        return response.json().then((data) => {
          data.saved_at = new Date().toISOString();
          data.etag = response.headers.get("ETag") || "";
          snapshot = data;
          return caches.open(USER_CACHE).then((cache) => Promise.all([
            cache.put(CFG.data, new Response(JSON.stringify(data), { headers: { "Content-Type": "application/json" } })),
            fetch(CFG.offline, options).then((page) => {
              if (page.ok && !page.redirected) return cache.put(CFG.offline, page);
              return undefined;
            }),
          ])).then(() => data);
        });
      });
    }).catch(() => null);
  }

  function currentSnapshot() {
    return snapshot ? Promise.resolve(snapshot) : keptSnapshot().then((data) => { snapshot = snapshot || data; return snapshot; });
  }

  // --- Sending waiting entries --------------------------------------------------------------------

  const notes = {}; // key → why it is still waiting (not kept: it is about this moment)
  const sending = new Set();
  let syncRun = null;
  let syncAgain = false;
  let retryTimer = null;
  let retryDelay = 15000;

  function send(entry, token) {
    const body = {
      idempotency_key: entry.key,
      resident: entry.resident,
      item: entry.item,
      occurred_on: entry.occurred_on,
      note: entry.note,
      witness: entry.witness,
    };
    return fetch(CFG.sync, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token || "" },
      body: JSON.stringify(body),
    }).then((response) => {
      if (response.status === 403) return { outcome: "forbidden" };
      if (response.status === 404) return { outcome: "refused", code: "not_found", message: t("not_found") };
      return response.json().then(
        (answer) => {
          if (response.ok && answer.status === "recorded") return { outcome: "recorded", url: answer.url, entry: answer.entry };
          if (answer.status === "refused") return { outcome: "refused", code: answer.code, message: answer.message };
          return { outcome: "retry", note: "server_error" };
        },
        () => ({ outcome: "retry", note: "server_error" })
      );
    }, () => ({ outcome: "retry", note: "no_signal" }));
  }

  function scheduleRetry() {
    if (retryTimer || !navigator.onLine) return;
    retryTimer = setTimeout(() => { retryTimer = null; syncAll(false); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 5 * 60 * 1000);
  }

  /* Send every waiting entry once, in the order they were kept. The server answers each with the
   * entry first recorded under its key, so sending one twice (a lost answer, two tabs) is harmless. */
  function syncAll(refresh) {
    if (!supported || !isScorer) return Promise.resolve();
    if (syncRun) { syncAgain = true; return syncRun; }
    syncRun = (async () => {
      let entries = (await allEntries()).filter((entry) => entry.state === "waiting");
      const stale = !snapshot || Date.now() - Date.parse(snapshot.saved_at || 0) > STALE_MS;
      let data = null;
      if (refresh || stale || entries.length) data = await refreshSnapshot();
      if (data && data.forbidden) {
        entries.forEach((entry) => { notes[entry.key] = "sign_in"; });
        return render();
      }
      if (!data) {
        entries.forEach((entry) => { notes[entry.key] = "no_signal"; });
        if (entries.length) scheduleRetry();
        return render();
      }
      let retry = false;
      for (const entry of entries) {
        if (entry.village !== data.village.id || entry.scorer !== data.scorer) {
          notes[entry.key] = "other_village";
          continue;
        }
        sending.add(entry.key);
        delete notes[entry.key];
        render();
        let result = await send(entry, data.csrf_token);
        sending.delete(entry.key);
        if (result.outcome === "forbidden") {
          notes[entry.key] = "sign_in";
          break;
        }
        if (result.outcome === "retry") {
          notes[entry.key] = result.note;
          retry = true;
          continue;
        }
        // The entry may have been cancelled meanwhile; the server's answer still counts.
        entry.state = result.outcome;
        entry.code = result.code || "";
        entry.message = result.message || "";
        entry.url = result.url || "";
        entry.answered_at = new Date().toISOString();
        await putEntry(entry);
      }
      if (retry) scheduleRetry(); else retryDelay = 15000;
      return render();
    })().catch(() => render()).finally(() => {
      syncRun = null;
      if (syncAgain) { syncAgain = false; syncAll(false); }
    });
    return syncRun;
  }

  // --- The list of kept entries (#waiting-entries) ----------------------------------------------

  function signedPoints(points) {
    const value = Number(points);
    return (value < 0 ? "−" : "+") + String(Math.abs(value));
  }

  function el(tag, attributes, children) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([name, value]) => {
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    });
    (children || []).forEach((child) => child && node.append(child));
    return node;
  }

  function entryRow(entry) {
    const state = sending.has(entry.key) ? "sending" : entry.state;
    const why = state === "waiting" ? notes[entry.key] : "";
    const actions = el("div", { class: "we-actions" });
    if (state === "waiting") {
      actions.append(el("button", { type: "button", class: "link", "data-cancel": entry.key, text: t("cancel") }));
    } else if (state === "recorded" || state === "refused") {
      if (entry.url) actions.append(el("a", { href: entry.url, text: t("view") }));
      actions.append(el("button", { type: "button", class: "link", "data-remove": entry.key, text: t("remove") }));
    }
    let message = null;
    if (state === "refused") message = el("p", { class: "we-reason", text: entry.message });
    else if (why) message = el("p", { class: "we-note muted small", text: t(why, { village: entry.village_name }) });
    return el("li", { class: "waiting-entry state-" + state, "data-state": state, "data-key": entry.key }, [
      el("div", { class: "we-head" }, [
        el("strong", { text: entry.resident_name }),
        el("span", { class: "pts " + (Number(entry.points) < 0 ? "minus" : "plus"), text: signedPoints(entry.points) }),
      ]),
      el("div", { class: "we-what" }, [el("span", { class: "code", text: entry.item_code }), " " + entry.item_title]),
      el("div", { class: "muted small", text: t("on_date", { date: entry.occurred_on }) + " · " + t("household", { number: entry.household }) }),
      el("p", { class: "we-state" }, [el("span", { class: "badge badge-" + state, text: t(state) })]),
      message,
      actions,
    ]);
  }

  function render() {
    const section = document.getElementById("waiting-entries");
    if (!section || !supported) return Promise.resolve();
    return allEntries().then((entries) => {
      const list = document.getElementById("waiting-list");
      list.replaceChildren(...entries.map(entryRow));
      const waiting = entries.filter((entry) => entry.state === "waiting").length;
      document.getElementById("waiting-summary").textContent = waiting ? t("summary", { n: waiting }) : t("summary_none");
      section.hidden = entries.length === 0;
    }).catch(() => undefined);
  }

  function wireList() {
    const section = document.getElementById("waiting-entries");
    if (!section) return;
    section.addEventListener("click", (event) => {
      const cancel = event.target.closest("[data-cancel]");
      const remove = event.target.closest("[data-remove]");
      const key = cancel ? cancel.dataset.cancel : remove ? remove.dataset.remove : null;
      if (!key || sending.has(key)) return;
      deleteEntry(key).then(render);
    });
  }

  function pruneAnswered() {
    return allEntries().then((entries) => Promise.all(entries
      .filter((entry) => entry.state === "recorded" && Date.now() - Date.parse(entry.answered_at) > KEEP_RECORDED_MS)
      .map((entry) => deleteEntry(entry.key))));
  }

  // --- The offline Record form (#offline-record) -------------------------------------------------

  function localToday(timeZone) {
    try {
      const parts = {};
      new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
        .formatToParts(new Date()).forEach((part) => { parts[part.type] = part.value; });
      return parts.year + "-" + parts.month + "-" + parts.day;
    } catch (error) {
      return new Date().toISOString().slice(0, 10);
    }
  }
  function daysBefore(isoDate, days) {
    const date = new Date(isoDate + "T00:00:00Z");
    date.setUTCDate(date.getUTCDate() - days);
    return date.toISOString().slice(0, 10);
  }
  const searchKey = (text) => text.replace(/[\s'’·-]+/g, "").toLowerCase();
  const isAscii = (text) => /^[\x00-\x7f]*$/.test(text);

  /* The same matching as points.pickers: name (part of it), pinyin or its initials from the start,
   * pinyin anywhere from three letters, household number from the start. */
  function matchResidents(residents, query) {
    query = query.trim();
    if (!query) return [];
    const key = searchKey(query);
    return residents.filter((r) => r.name.includes(query) || r.household.startsWith(query) ||
      (key && isAscii(key) && (r.initials.startsWith(key) || r.pinyin.startsWith(key) ||
        (key.length >= 3 && r.pinyin.includes(key)))));
  }

  function matchItems(items, query) {
    query = query.trim();
    if (!query) return items;
    if (/^\d+(\.\d*)*$/.test(query)) return items.filter((item) => item.code.startsWith(query));
    const words = query.toLowerCase().split(/\s+/);
    return items.filter((item) => words.every((word) => item.title.toLowerCase().includes(word) || item.code === word));
  }

  function itemFacts(item) {
    const facts = [signedPoints(item.points)];
    if (item.fine) facts.push(t("fine", { fine: item.fine }));
    if (item.cap) facts.push(t(item.cap.period === "year" ? "cap_year" : "cap_month", { count: item.cap.count }));
    return facts.join(" · ");
  }

  const LIMIT = 30;

  function startOfflineForm(root) {
    const form = document.getElementById("offline-form");
    const residentQ = document.getElementById("offline-resident-q");
    const itemQ = document.getElementById("offline-item-q");
    const dateInput = document.getElementById("offline-date");
    const errorBox = document.getElementById("offline-error");
    const keptBox = document.getElementById("offline-kept");
    const freshness = document.getElementById("offline-freshness");
    const timeZone = root.dataset.timezone;
    const backdateDays = Number(root.dataset.backdateDays || 30);
    let chosenResidents = []; // one, or a group for a deed: each gets an entry (and key) of its own
    let chosenItem = null;

    function say(box, text) { box.textContent = text; box.hidden = !text; }

    /* Show the chosen resident or item in place of its search, or (title null) the search again. */
    function showChoice(kind, title, side) {
      const chosen = document.getElementById("offline-" + kind + "-chosen");
      const search = document.getElementById("offline-" + kind + "-search");
      chosen.hidden = title == null;
      search.hidden = title != null;
      if (title != null) {
        chosen.querySelector("[data-name]").textContent = title;
        chosen.querySelector("[data-side]").textContent = side;
      }
    }

    function listResidents() {
      const list = document.getElementById("offline-resident-results");
      const found = matchResidents(snapshot.residents, residentQ.value);
      const rows = found.slice(0, LIMIT).map((r) => el("li", {}, [
        el("button", { type: "button", class: "pick", "data-resident": String(r.id) }, [
          el("span", { class: "pick-main", text: r.name }),
          el("span", { class: "pick-side", text: t("household", { number: r.household }) }),
        ]),
      ]));
      if (residentQ.value.trim() && !found.length) rows.push(el("li", { class: "muted", text: t("no_resident", { query: residentQ.value.trim() }) }));
      if (found.length > LIMIT) rows.push(el("li", { class: "muted", text: t("more") }));
      list.replaceChildren(...rows);
    }

    function listItems() {
      const list = document.getElementById("offline-item-results");
      // Deeds before infractions, as on Record (a stable sort keeps the handbook's order within each).
      const found = matchItems(snapshot.items, itemQ.value)
        .sort((a, b) => (a.kind === "infraction") - (b.kind === "infraction"));
      const rows = found.slice(0, LIMIT).map((item) => el("li", {}, [
        el("button", { type: "button", class: "pick item-pick " + (item.kind === "infraction" ? "minus" : "plus"), "data-item": String(item.id) }, [
          el("span", { class: "pts", text: signedPoints(item.points) }),
          el("span", { class: "pick-main" }, [el("span", { class: "code", text: item.code }), " " + item.title]),
          el("span", { class: "pick-side", text: itemFacts(item).split(" · ").slice(1).join(" · ") }),
        ]),
      ]));
      if (!found.length) rows.push(el("li", { class: "muted", text: t("no_item", { query: itemQ.value.trim() }) }));
      if (found.length > LIMIT) rows.push(el("li", { class: "muted", text: t("more") }));
      list.replaceChildren(...rows);
    }

    function resetDate() {
      const today = localToday(timeZone);
      dateInput.max = today;
      dateInput.min = daysBefore(today, backdateDays);
      dateInput.value = today;
    }

    /* An infraction takes one more deliberate tick that repeats its points and fine, as on Record. */
    function showConfirmation() {
      const row = document.getElementById("offline-confirm-row");
      const box = document.getElementById("offline-confirm");
      const deduction = Boolean(chosenItem && chosenItem.kind === "infraction");
      row.hidden = !deduction;
      box.checked = false;
      if (deduction) {
        const points = signedPoints(chosenItem.points);
        document.getElementById("offline-confirm-text").textContent = chosenItem.fine
          ? t("confirm_deduction", { points, fine: chosenItem.fine })
          : t("confirm_deduction_no_fine", { points });
      }
    }

    function showResidents() {
      const addRow = document.getElementById("offline-add-row");
      addRow.hidden = chosenResidents.length === 0;
      if (!chosenResidents.length) { showChoice("resident", null); return; }
      const names = chosenResidents.map((r) => r.name).join("、");
      const side = chosenResidents.length === 1
        ? t("household", { number: chosenResidents[0].household })
        : t("group_count", { n: chosenResidents.length });
      showChoice("resident", names, side);
    }

    function reset() {
      chosenResidents = [];
      chosenItem = null;
      residentQ.value = "";
      itemQ.value = "";
      document.getElementById("offline-note").value = "";
      document.getElementById("offline-witness").value = "";
      showResidents();
      showChoice("item", null);
      showConfirmation();
      listResidents();
      listItems();
      resetDate();
    }

    residentQ.addEventListener("input", listResidents);
    itemQ.addEventListener("input", listItems);
    form.addEventListener("click", (event) => {
      const residentButton = event.target.closest("[data-resident]");
      const itemButton = event.target.closest("[data-item]");
      const change = event.target.closest("[data-change]");
      if (residentButton) {
        const picked = snapshot.residents.find((r) => String(r.id) === residentButton.dataset.resident);
        if (!chosenResidents.some((r) => r.id === picked.id)) chosenResidents.push(picked);
        residentQ.value = "";
        listResidents();
        showResidents();
        if (!chosenItem) itemQ.focus();
      } else if (itemButton) {
        chosenItem = snapshot.items.find((item) => String(item.id) === itemButton.dataset.item);
        showChoice("item", chosenItem.code + " " + chosenItem.title, itemFacts(chosenItem));
        showConfirmation();
      } else if (change) {
        if (change.dataset.change === "resident") { chosenResidents = []; showResidents(); residentQ.focus(); }
        else if (change.dataset.change === "add") {
          document.getElementById("offline-resident-search").hidden = false;
          residentQ.focus();
        } else { chosenItem = null; showChoice("item", null); showConfirmation(); listItems(); itemQ.focus(); }
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      say(keptBox, "");
      const today = localToday(timeZone);
      const date = dateInput.value;
      let problem = "";
      if (!chosenResidents.length) problem = t("pick_resident");
      else if (!chosenItem) problem = t("pick_item");
      else if (chosenResidents.length > 1 && chosenItem.kind === "infraction") problem = t("group_infraction");
      else if (chosenItem.kind === "infraction" && !document.getElementById("offline-confirm").checked) problem = t("not_confirmed");
      else if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) problem = t("date_missing");
      else if (date > today) problem = t("date_future");
      else if (date < daysBefore(today, backdateDays)) problem = t("date_old", { days: backdateDays });
      say(errorBox, problem);
      if (problem) return;
      const savedAt = new Date().toISOString();
      const entries = chosenResidents.map((resident) => ({
        key: newKey(), // kept with the entry: every resend of it carries the same key
        village: snapshot.village.id,
        village_name: snapshot.village.name,
        scorer: snapshot.scorer,
        resident: resident.id,
        resident_name: resident.name,
        household: resident.household,
        item: chosenItem.id,
        item_code: chosenItem.code,
        item_title: chosenItem.title,
        points: chosenItem.points,
        occurred_on: date,
        note: document.getElementById("offline-note").value.trim(),
        witness: document.getElementById("offline-witness").value.trim(),
        saved_at: savedAt,
        state: "waiting",
      }));
      const kept = entries.length > 1 ? t("kept_group", { n: entries.length }) : t("kept");
      Promise.all(entries.map(putEntry)).then(() => {
        reset();
        say(keptBox, kept);
        residentQ.focus();
        return render().then(() => (navigator.onLine ? syncAll(false) : undefined));
      }, () => say(errorBox, t("store_failed")));
    });

    let started = false;
    function showSnapshot() {
      if (!snapshot) { freshness.textContent = t("no_data"); form.hidden = true; return; }
      const when = new Date(snapshot.saved_at).toLocaleString(document.documentElement.lang || undefined);
      freshness.textContent = t("saved_at", { when });
      form.hidden = false;
      if (!started) { started = true; reset(); } else { listResidents(); listItems(); }
    }
    document.getElementById("offline-unsupported").hidden = true;
    return { showSnapshot };
  }

  // --- Signing out: nothing of the scorer's stays on the phone --------------------------------------

  function clearPhone() {
    const closing = dbPromise ? dbPromise.then((db) => db.close(), () => undefined) : Promise.resolve();
    dbPromise = null;
    const steps = [
      closing.then(() => new Promise((resolve) => {
        const request = indexedDB.deleteDatabase(DB_NAME);
        request.onsuccess = request.onerror = request.onblocked = () => resolve();
      })),
      caches.keys().then((names) => Promise.all(names.map((name) => caches.delete(name)))),
    ];
    if ("serviceWorker" in navigator) {
      steps.push(navigator.serviceWorker.getRegistrations()
        .then((registrations) => Promise.all(registrations.map((registration) => registration.unregister()))));
    }
    return Promise.all(steps.map((step) => step.catch(() => undefined)));
  }

  function wireSignOut() {
    if (!hasStorage || !CFG.logout) return;
    document.querySelectorAll("form").forEach((form) => {
      if (form.getAttribute("action") !== CFG.logout) return;
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const button = form.querySelector("[type=submit]");
        if (button) button.disabled = true;
        const waiting = () => allEntries().then((entries) => entries.filter((e) => e.state === "waiting").length, () => 0);
        waiting()
          .then((count) => (count && navigator.onLine ? syncAll(false).then(waiting) : count))
          .then((count) => {
            if (count && !window.confirm(CFG.unsent.split("{n}").join(String(count)))) return false;
            return clearPhone().then(() => true);
          })
          .then((go) => { if (go) form.submit(); else if (button) button.disabled = false; })
          .catch(() => form.submit());
      });
    });
  }

  // --- Start ---------------------------------------------------------------------------------

  wireSignOut();
  if (!supported || !isScorer) return;

  const root = document.getElementById("offline-record");
  const offlineForm = root ? startOfflineForm(root) : null;
  const banner = document.getElementById("offline-banner");
  function showBanner() { if (banner && !root) banner.hidden = navigator.onLine; }
  window.addEventListener("offline", showBanner);
  showBanner();
  wireList();

  navigator.serviceWorker.register(CFG.sw, { scope: "/" }).catch(() => undefined);

  const onRecordPage = Boolean(document.getElementById("waiting-entries"));
  currentSnapshot()
    .then((kept) => {
      if (kept && (kept.village.id !== actingVillage || kept.scorer !== Number(CFG.user))) snapshot = null;
      if (offlineForm) offlineForm.showSnapshot();
      return pruneAnswered().then(render);
    })
    .then(() => syncAll(onRecordPage))
    .then(() => {
      if (offlineForm) offlineForm.showSnapshot();
      return navigator.serviceWorker.ready;
    })
    .then(() => { document.documentElement.dataset.offlineReady = snapshot ? "1" : "0"; })
    .catch(() => undefined);

  window.addEventListener("online", () => {
    showBanner();
    syncAll(true).then(() => offlineForm && offlineForm.showSnapshot());
  });
})();
