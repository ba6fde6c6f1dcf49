// Kentra's field app (issue 25): take the day's people, record offline into an outbox, send it later.
// Every string shown comes from the server-rendered shell (<template id="strings">), never from here.
// People's data are put in the page with textContent only (never as HTML).
import { CHECK, Store, deriveKey, seal, unseal, uuid5, wipeDevice } from "./store.js";

const S = {};
for (const node of document.getElementById("strings").content.querySelectorAll("[data-k]")) {
  S[node.dataset.k] = node.textContent;
}
const $ = (id) => document.getElementById(id);
const API = "/api/v1";
const PATHS = {
  home_visit: () => "/home-visits",
  follow_up: (entry) => `/home-visits/${entry}/follow-up`,
  activity: () => "/activities",
  request: () => "/requests",
  resolution: (entry) => `/requests/${entry}/resolution`,
  intake: () => "/beneficiaries",
};
const ENTRY_OF = { follow_up: "home-visits", resolution: "requests" }; // where a step's entry is read again

let store = null;
let key = null; // the device key: in memory only, non-extractable
let token = null; // the API session: in memory, and sealed in the store for after a reload
let meta = null;
let taken = null;
let syncing = false;
let signOutArmed = false;

function format(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
}

function pad(n) {
  return String(n).padStart(2, "0");
}

function shown(ms) {
  const d = new Date(ms);
  return `${pad(d.getDate())}/${pad(d.getMonth() + 1)}/${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function isoToday() {
  const d = new Date();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function typedDate(iso) {
  const [y, m, d] = iso.split("-");
  return `${d}/${m}/${y}`;
}

function parseDate(text) {
  const match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text.trim());
  if (!match) return null;
  const [day, month, year] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return `${year}-${pad(month)}-${pad(day)}`;
}

function say(text) {
  const notice = $("notice");
  notice.textContent = text;
  notice.hidden = !text;
}

function problem(text) {
  const box = $("problem");
  box.textContent = text || "";
  box.hidden = !text;
  if (text) box.focus();
}

async function saveMeta() {
  await store.put("meta", meta, "device");
}

// ------------------------------------------------------------------------------------------ status bar
async function renderStatus() {
  $("connection").textContent = navigator.onLine ? S.online : S.offline;
  const records = store ? await store.entries("outbox") : [];
  const attention = records.filter(([, r]) => r.state === "attention").length;
  $("waiting").textContent = String(records.length - attention);
  $("attention").textContent = String(attention);
  $("attention-count").hidden = attention === 0;
  $("last-sync").textContent = meta && meta.last_sync ? shown(meta.last_sync) : S.never;
}

// ------------------------------------------------------------------------------- signing in, unlocking
function renderLocked(message) {
  const known = Boolean(meta);
  const heading = $("locked-heading");
  heading.textContent = known ? heading.dataset.unlock : heading.dataset.signIn;
  const button = $("unlock-button");
  button.textContent = known ? button.dataset.unlock : button.dataset.signIn;
  $("username-field").hidden = known;
  $("locked").hidden = false;
  if (message) problem(message);
  $(known ? "unlock-password" : "unlock-username").focus();
}

async function signIn(username, password) {
  const response = await fetch(`${API}/auth/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username, password, grant_type: "password" }),
  });
  if (!response.ok) return ""; // refused: wrong password, account disabled, too many tries
  return (await response.json()).access_token;
}

function api(method, path, body, commandId) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (commandId) headers["Idempotency-Key"] = commandId;
  return fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

function fieldError(form, name, text) {
  const input = form.elements[name];
  const error = $(`${input.id}-error`);
  if (error) error.textContent = text || "";
  input.toggleAttribute("aria-invalid", Boolean(text));
  input.closest(".field")?.classList.toggle("invalid", Boolean(text));
}

async function unlock(event) {
  event.preventDefault();
  problem("");
  const form = event.target;
  const password = form.elements.password.value;
  const username = meta ? meta.username : form.elements.username.value.trim();
  let refused = false;
  fieldError(form, "username", meta || username ? "" : S.err_required);
  fieldError(form, "password", password ? "" : S.err_required);
  if (!password || !username) return;
  try {
    if (!meta) {
      if (!navigator.onLine) return problem(S.err_need_online);
      const fresh = await signIn(username, password);
      if (!fresh) return problem(S.err_bad_password);
      token = fresh;
      const answer = await api("GET", "/field/device");
      if (!answer.ok) {
        token = null;
        return problem(S.err_not_field);
      }
      const device = await answer.json();
      key = await deriveKey(password, device.salt, device.iterations);
      meta = {
        username: device.username,
        tenant: device.tenant,
        structure: device.structure,
        structures: device.structures,
        entry_namespace: device.entry_namespace,
        salt: device.salt,
        iterations: device.iterations,
        wipe_after_seconds: device.wipe_after_seconds,
        check: await seal(key, "check", CHECK),
        token: await seal(key, "token", token),
        taken_at: null,
        expires_at: null,
        last_sync: null,
      };
      await saveMeta();
    } else {
      const candidate = await deriveKey(password, meta.salt, meta.iterations);
      const opened = await unseal(candidate, "check", meta.check).catch(() => null);
      if (opened !== CHECK) return problem(S.err_wrong_password_offline);
      key = candidate;
      if (navigator.onLine) {
        const fresh = await signIn(meta.username, password).catch(() => null); // null: no answer at all
        if (fresh) {
          token = fresh;
          meta.token = await seal(key, "token", token);
          await saveMeta();
        }
        refused = fresh === "";
      }
      // Refused by the server: the token kept on the device is dead too (her sessions end with her rights).
      if (!token && meta.token && !refused) token = await unseal(key, "token", meta.token);
    }
  } finally {
    form.elements.password.value = ""; // the password is never kept, not even in the form
  }
  $("locked").hidden = true;
  $("work").hidden = false;
  await loadTaken();
  await renderOutbox();
  await renderStatus();
  $("take").focus();
  if (refused) problem(S.sign_in_refused); // her entries stay, waiting, until the centre sorts it out
  sync();
}

// ------------------------------------------------------------------------------ taking the day's people
async function loadTaken() {
  const record = await store.get("people", "taken");
  taken = record ? await unseal(key, "people", record) : null;
  renderPeople();
}

async function take() {
  problem("");
  if (!navigator.onLine) return problem(S.err_take_offline);
  let response;
  try {
    response = await api("GET", `/tenants/${meta.tenant}/field/take`);
  } catch {
    return problem(S.err_take_offline);
  }
  if (response.status === 401) return askAgain();
  if (!response.ok) return problem(S.err_take_failed);
  const data = await response.json();
  const now = Date.now();
  taken = { as_of: data.as_of, people: data.people, items: data.items, taken_at: now };
  await store.put("people", await seal(key, "people", taken), "taken");
  meta.taken_at = now;
  meta.expires_at = now + meta.wipe_after_seconds * 1000;
  await saveMeta();
  renderPeople();
}

function personName(person) {
  return [person.last_name, person.first_name].filter(Boolean).join(" ");
}

function button(label, kind, person, entry) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.dataset.open = kind;
  if (person) b.dataset.person = person;
  if (entry) b.dataset.entry = entry;
  return b;
}

function renderPeople() {
  const list = $("people");
  list.replaceChildren();
  if (!taken) {
    $("taken").textContent = S.nothing_taken;
    return;
  }
  $("taken").textContent = format(S.taken, {
    n: taken.people.length,
    when: shown(taken.taken_at),
    until: shown(meta.expires_at),
  });
  for (const person of taken.people) {
    const li = document.createElement("li");
    const name = document.createElement("h3");
    name.textContent = personName(person);
    li.append(name);
    if (person.new_intake) {
      const note = document.createElement("p");
      note.className = "hint";
      note.textContent = S.new_unsent;
      li.append(note);
    }
    const where = document.createElement("p");
    where.textContent = [person.address, person.phone].filter(Boolean).join(" · ");
    li.append(where);
    const actions = document.createElement("p");
    actions.className = "field-actions";
    actions.append(
      button(S.home_visit, "home_visit", person.id),
      button(S.request, "request", person.id),
      button(S.activity, "activity", person.id),
    );
    for (const item of taken.items.filter((i) => i.beneficiary_id === person.id)) {
      if (item.kind === "request") {
        actions.append(button(`${S.resolution} (${typedDate(item.occurred_on)})`, "resolution", person.id, item.entry_id));
      } else if (item.kind === "home_visit") {
        actions.append(button(`${S.follow_up} (${typedDate(item.follow_up_due)})`, "follow_up", person.id, item.entry_id));
      }
    }
    li.append(actions);
    list.append(li);
  }
}

// ----------------------------------------------------------------------------------- recording offline
function personOf(id) {
  return taken ? taken.people.find((p) => p.id === id) : undefined;
}

function itemOf(id) {
  return taken ? taken.items.find((i) => i.entry_id === id) : undefined;
}

function openForm(kind, person, entry) {
  for (const form of document.querySelectorAll(".field-form")) form.hidden = true;
  const form = $(`form-${kind}`);
  form.reset();
  for (const el of form.querySelectorAll("[aria-invalid]")) fieldError(form, el.name, "");
  form.dataset.person = person || "";
  form.dataset.entry = entry || "";
  const who = personOf(person);
  for (const el of form.querySelectorAll("[data-person-name]")) el.textContent = who ? personName(who) : S.no_person;
  if (form.elements.occurred_on) form.elements.occurred_on.value = typedDate(isoToday());
  if (kind === "intake") {
    const structure = form.elements.structure;
    structure.replaceChildren();
    for (const choice of meta.structures) {
      const option = document.createElement("option");
      option.value = choice.id;
      option.textContent = choice.name;
      structure.append(option);
    }
    $("intake-structure-field").hidden = meta.structures.length < 2;
  }
  form.hidden = false;
  say("");
  form.querySelector("select, input:not([type=hidden]), textarea").focus();
}

function checked(form) {
  let ok = true;
  const today = isoToday();
  const values = {};
  for (const el of form.elements) {
    if (!el.name || el.type === "submit" || el.type === "button") continue;
    let error = "";
    const value = el.type === "checkbox" ? el.checked : el.value.trim();
    if (el.hasAttribute("data-date") && value) {
      const iso = parseDate(value);
      if (!iso) error = S.err_date;
      else if (iso > today && el.name !== "follow_up_due") error = S.err_future;
      values[el.name] = iso;
    } else {
      values[el.name] = value;
    }
    const required =
      el.hasAttribute("data-required") ||
      el.name === "occurred_on" ||
      (form.dataset.kind === "intake" && ["first_name", "last_name", "birth_date"].includes(el.name));
    if (!error && required && !value) error = S.err_required;
    fieldError(form, el.name, error);
    if (error) ok = false;
  }
  return ok ? values : null;
}

function optional(values, ...names) {
  const kept = {};
  for (const name of names) if (values[name]) kept[name] = values[name];
  return kept;
}

function commandOf(kind, form, v) {
  const person = personOf(form.dataset.person);
  const item = itemOf(form.dataset.entry);
  const structure = person ? person.structure : v.structure;
  if (kind === "home_visit") {
    return { beneficiary_id: person.id, purpose: v.purpose, structure, occurred_on: v.occurred_on, ...optional(v, "findings", "follow_up_due") };
  }
  if (kind === "follow_up" || kind === "resolution") {
    return { occurred_on: v.occurred_on, expected_version: item.version, ...optional(v, "notes") };
  }
  if (kind === "activity") {
    return { kind: v.kind, structure, occurred_on: v.occurred_on, beneficiary_ids: [person.id], ...optional(v, "notes") };
  }
  if (kind === "request") {
    return { beneficiary_id: person.id, category: v.category, structure, occurred_on: v.occurred_on, ...optional(v, "notes") };
  }
  return {
    structure,
    occurred_on: v.occurred_on,
    personal: { first_name: v.first_name, last_name: v.last_name, birth_date: v.birth_date, ...optional(v, "amka", "phone", "address") },
    profile: {
      gender: v.gender,
      employment_status: v.employment_status,
      isced_level: Number(v.isced_level),
      household_situation: v.household_situation,
      residence_area: v.residence_area,
      foreign_background: v.foreign_background,
      third_country_national: v.third_country_national,
      homeless_or_housing_exclusion: v.homeless_or_housing_exclusion,
    },
    special: { disability: v.disability, minority: v.minority, other_disadvantage: v.other_disadvantage },
  };
}

async function record(event) {
  event.preventDefault();
  const form = event.target;
  const kind = form.dataset.kind;
  const values = checked(form);
  if (!values) {
    problem(S.err_summary);
    form.querySelector("[aria-invalid]")?.focus();
    return;
  }
  problem("");
  const person = personOf(form.dataset.person);
  const item = {
    command_id: `field-${crypto.randomUUID()}`, // the Idempotency-Key: a retry never records twice
    kind,
    path: `/tenants/${meta.tenant}${PATHS[kind](form.dataset.entry)}`,
    body: commandOf(kind, form, values),
    summary: {
      person: person ? personName(person) : `${values.last_name} ${values.first_name}`,
      date: values.occurred_on,
    },
    recorded_on_device: Date.now(),
    problem: null,
  };
  await store.add("outbox", { state: "pending", sealed: await seal(key, "outbox", item) });
  if (kind === "intake") await keepNewPerson(item);
  form.hidden = true;
  say(S.saved);
  await renderOutbox();
  await renderStatus();
  sync();
}

// A person registered offline joins the people taken, under the id the server will give them, so that a
// visit or a request can follow; the outbox sends the intake first (it was recorded first).
async function keepNewPerson(item) {
  const id = await uuid5(meta.entry_namespace, `${meta.tenant}/entry/${item.command_id}`);
  const now = Date.now();
  if (!taken) {
    taken = { as_of: isoToday(), people: [], items: [], taken_at: now };
    meta.taken_at = now;
    meta.expires_at = now + meta.wipe_after_seconds * 1000;
    await saveMeta();
  }
  const { personal, structure } = item.body;
  taken.people.push({ id, version: 1, structure, ...personal, amka: undefined, new_intake: item.command_id });
  await store.put("people", await seal(key, "people", taken), "taken");
  renderPeople();
}

// --------------------------------------------------------------------------------------------- outbox
async function renderOutbox() {
  const list = $("outbox");
  list.replaceChildren();
  if (!key) return; // locked: nothing of it is shown
  const records = await store.entries("outbox");
  $("outbox-empty").hidden = records.length > 0;
  for (const [seq, r] of records) {
    const item = await unseal(key, "outbox", r.sealed).catch(() => null);
    const li = document.createElement("li");
    li.dataset.seq = String(seq);
    li.dataset.state = r.state;
    if (!item) {
      // Not sealed under her key (tampered, or put there by someone else): never sent, never opened.
      const why = document.createElement("p");
      why.className = "error";
      why.textContent = S.unreadable;
      const drop = document.createElement("button");
      drop.type = "button";
      drop.className = "secondary";
      drop.textContent = S.dismiss;
      drop.addEventListener("click", () => dismiss(seq));
      li.append(why, drop);
      list.append(li);
      continue;
    }
    const what = document.createElement("p");
    const state = r.state === "attention" ? S.needs_attention : S.pending;
    what.textContent = `${S[`kind_${item.kind}`]} · ${item.summary.person} · ${typedDate(item.summary.date)} · ${state}`;
    li.append(what);
    if (r.state === "attention") {
      const why = document.createElement("p");
      why.className = "error";
      why.textContent = item.problem.message;
      li.append(why);
      const again = document.createElement("button");
      again.type = "button";
      again.textContent = S.send_again;
      again.addEventListener("click", () => sendAgain(seq));
      const drop = document.createElement("button");
      drop.type = "button";
      drop.className = "secondary";
      drop.textContent = S.dismiss;
      drop.addEventListener("click", () => dismiss(seq));
      li.append(again, " ", drop);
      const where = pageOf(item);
      if (where) {
        const link = document.createElement("a");
        link.href = where; // the staff pages, signed in there: what was recorded meanwhile
        link.textContent = S.open_in_kentra;
        const line = document.createElement("p");
        line.append(link);
        li.append(line);
      }
    }
    list.append(li);
  }
}

// The staff page of what an entry of the outbox is about: the entry a step is on, else the person.
function pageOf(item) {
  const step = /\/(home-visits|requests)\/([0-9a-f-]{36})\//.exec(item.path);
  if (step) return `/t/${meta.tenant}/${step[1]}/${step[2]}`;
  const person = item.body.beneficiary_id || (item.body.beneficiary_ids || [])[0];
  return person ? `/t/${meta.tenant}/people/${person}` : null;
}

function conflictMessage(status, body) {
  const error = body.error || "";
  if (status === 403) return S.conflict_forbidden;
  if (status === 404 || error === "BeneficiaryErasedError" || error === "PersonalDataUnreadableError") {
    return S.conflict_erased;
  }
  if (error === "ConcurrentChangeError") return S.conflict_version;
  if (error === "DuplicateBeneficiaryError") return S.conflict_duplicate;
  if (status === 409) return S.conflict_transition;
  const fields = body.field ? [body.field] : (body.errors || []).map((e) => e.field);
  return format(S.conflict_invalid, { fields: fields.join(", ") || "—" });
}

async function sync() {
  if (syncing || !key || !token || !navigator.onLine) return;
  syncing = true;
  let sent = 0;
  let stopped = false;
  const unrecorded = new Set(); // people whose intake is waiting for her: what follows about them waits too
  try {
    for (const [seq, r] of await store.entries("outbox")) {
      if (!key || !token) {
        stopped = true; // locked meanwhile (expiry): the rest waits for her password
        break;
      }
      const item = await unseal(key, "outbox", r.sealed).catch(() => null);
      if (!item) {
        // It does not open under her key: nothing of it is sent; it waits for her to drop it.
        if (r.state !== "attention") await store.put("outbox", { ...r, state: "attention" }, seq);
        continue;
      }
      if (item.kind === "intake" && r.state !== "pending") {
        unrecorded.add(await uuid5(meta.entry_namespace, `${meta.tenant}/entry/${item.command_id}`));
      }
      if (r.state !== "pending") continue;
      const about = [item.body.beneficiary_id, ...(item.body.beneficiary_ids || [])];
      if (about.some((id) => unrecorded.has(id))) {
        item.problem = { status: null, error: null, message: S.waits_for_intake };
        await store.put("outbox", { state: "attention", sealed: await seal(key, "outbox", item) }, seq);
        continue;
      }
      let response;
      try {
        response = await api("POST", item.path, item.body, item.command_id);
      } catch {
        stopped = true; // no connection after all: the rest waits, in order
        break;
      }
      if (response.status === 401) {
        stopped = true;
        askAgain();
        break;
      }
      if (response.ok) {
        await store.delete("outbox", seq); // recorded (201) or recorded before (200, replayed): once
        sent += 1;
        continue;
      }
      if (response.status >= 500 || response.status === 429) {
        stopped = true;
        break;
      }
      const body = await response.json().catch(() => ({}));
      if (item.kind === "intake") {
        unrecorded.add(await uuid5(meta.entry_namespace, `${meta.tenant}/entry/${item.command_id}`));
      }
      item.problem = { status: response.status, error: body.error || null, message: conflictMessage(response.status, body) };
      await store.put("outbox", { state: "attention", sealed: await seal(key, "outbox", item) }, seq);
    }
    if (!stopped) {
      meta.last_sync = Date.now();
      await saveMeta();
    }
  } finally {
    syncing = false;
  }
  if (sent) say(format(S.sync_done, { n: sent }));
  if (stopped && token) problem(S.sync_stopped);
  await renderOutbox();
  await renderStatus();
}

// Locked: the key and the token leave the page's memory and nothing of her people or outbox stays on
// screen (a shared tablet is picked up by the next person); her password opens the sealed store again.
function lock(message) {
  key = null;
  token = null;
  taken = null;
  signOutArmed = false;
  $("work").hidden = true;
  for (const form of document.querySelectorAll(".field-form")) form.hidden = true;
  for (const el of document.querySelectorAll("[data-person-name]")) el.textContent = "";
  $("people").replaceChildren();
  $("outbox").replaceChildren();
  renderLocked(message);
}

function askAgain() {
  lock(S.session_expired);
}

async function sendAgain(seq) {
  const r = await store.get("outbox", seq);
  const item = await unseal(key, "outbox", r.sealed);
  const entry = /\/(?:home-visits|requests)\/([0-9a-f-]{36})\//.exec(item.path);
  if (entry && ENTRY_OF[item.kind] && navigator.onLine && token) {
    // The entry as it is now: her step is sent against the version she has now seen changed.
    const response = await api("GET", `/tenants/${meta.tenant}/${ENTRY_OF[item.kind]}/${entry[1]}`).catch(() => null);
    if (response && response.ok) item.body.expected_version = (await response.json()).version;
  }
  item.problem = null;
  await store.put("outbox", { state: "pending", sealed: await seal(key, "outbox", item) }, seq);
  await sync();
}

async function dismiss(seq) {
  await store.delete("outbox", seq); // her own choice, after reading why: never silently
  await renderOutbox();
  await renderStatus();
}

// ------------------------------------------------------------------------------ wiping: sign-out, expiry
async function signOut() {
  const waiting = (await store.entries("outbox")).length;
  if (waiting && !signOutArmed) {
    signOutArmed = true;
    return problem(format(S.sign_out_unsent, { n: waiting }));
  }
  if (token && navigator.onLine) {
    await api("POST", "/auth/logout").catch(() => null); // the session ends on the server too
  }
  await wipeAll();
  say(S.signed_out);
}

async function wipeAll() {
  key = null;
  token = null;
  taken = null;
  meta = null;
  signOutArmed = false;
  await wipeDevice(store);
  store = await Store.open();
  $("work").hidden = true;
  $("people").replaceChildren();
  $("outbox").replaceChildren();
  problem("");
  renderLocked();
  await renderStatus();
}

// Past the set time the people taken go, whatever else happens; what she recorded and has not sent
// stays sealed until it is sent (it exists nowhere else), and with nothing waiting the whole store goes.
async function expire() {
  if (!store || !meta || !meta.expires_at || Date.now() < meta.expires_at) return;
  const waiting = (await store.entries("outbox")).length;
  if (!waiting) {
    await wipeAll();
    say(S.expired);
    return;
  }
  await store.delete("people", "taken");
  meta.token = null;
  meta.taken_at = null;
  meta.expires_at = null;
  await saveMeta();
  lock(); // the token in memory goes too: nothing is sent until she types her password
  await renderStatus();
  say(format(S.expired_unsent, { n: waiting }));
}

// ---------------------------------------------------------------------------------------------- start
async function start() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/field/sw.js", { scope: "/field/" }).catch(() => undefined);
  }
  store = await Store.open();
  meta = (await store.get("meta", "device")) || null;
  await expire();
  $("unlock-form").addEventListener("submit", unlock);
  $("take").addEventListener("click", take);
  $("send").addEventListener("click", sync);
  $("sign-out").addEventListener("click", signOut);
  for (const form of document.querySelectorAll(".field-form")) form.addEventListener("submit", record);
  document.addEventListener("click", (event) => {
    const target = event.target.closest("[data-open]");
    if (target) openForm(target.dataset.open, target.dataset.person, target.dataset.entry);
    if (event.target.closest("[data-cancel]")) event.target.closest("form").hidden = true;
  });
  window.addEventListener("online", () => renderStatus().then(sync));
  window.addEventListener("offline", renderStatus);
  document.addEventListener("visibilitychange", expire);
  setInterval(expire, 30_000);
  renderLocked();
  await renderStatus();
  document.body.dataset.ready = "true"; // for tests and assistive tools: the app has started
}

start();
