// Kentra's field app: the device store (issue 25). What is personal is kept in IndexedDB only, each
// record sealed with AES-GCM under a key derived (PBKDF2-SHA256) from the caseworker's password and her
// salt from the server; the key is made non-extractable and lives in the page's memory only, so after a
// reload she unlocks with her password again. In clear: her user name, the salt, dates, counts and
// each outbox entry's state ("pending" or "attention"): nothing of the people she serves.
export const DATABASE = "kentra-field";
export const CHECK = "kentra-field-check-v1";
const SHELL_CACHES = "kentra-field-shell-";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function bytesOfHex(hex) {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

// The id the server gives the entry a command creates: uuid5(namespace, "<tenant>/entry/<command id>")
// (services/idempotency.py), so that an intake recorded offline can be followed, offline, by a visit.
export async function uuid5(namespace, name) {
  const data = new Uint8Array([...bytesOfHex(namespace.replace(/-/g, "")), ...encoder.encode(name)]);
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-1", data)).slice(0, 16);
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = [...hash].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export async function deriveKey(password, saltHex, iterations) {
  const base = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt: bytesOfHex(saltHex), iterations },
    base,
    { name: "AES-GCM", length: 256 },
    false, // non-extractable: no script can read the key's bytes out
    ["encrypt", "decrypt"],
  );
}

// One fresh random 96-bit IV per record; ``label`` (the record's place) is bound as additional data,
// so a sealed record moved to another place does not open.
export async function seal(key, label, value) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plain = encoder.encode(JSON.stringify(value));
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(label) }, key, plain);
  return { iv, ct: new Uint8Array(sealed) };
}

export async function unseal(key, label, sealed) {
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: sealed.iv, additionalData: encoder.encode(label) },
    key,
    sealed.ct,
  );
  return JSON.parse(decoder.decode(plain));
}

export class Store {
  constructor(db) {
    this.db = db;
  }

  static async open() {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("meta");
      db.createObjectStore("people");
      db.createObjectStore("outbox", { autoIncrement: true }); // the order of recording is the order of sending
    };
    return new Store(await done(request));
  }

  objects(name, mode = "readonly") {
    return this.db.transaction(name, mode).objectStore(name);
  }

  get(name, key) {
    return done(this.objects(name).get(key));
  }

  put(name, value, key) {
    return done(this.objects(name, "readwrite").put(value, key));
  }

  add(name, value) {
    return done(this.objects(name, "readwrite").add(value));
  }

  delete(name, key) {
    return done(this.objects(name, "readwrite").delete(key));
  }

  async entries(name) {
    const objects = this.objects(name);
    const [keys, values] = await Promise.all([done(objects.getAllKeys()), done(objects.getAll())]);
    return keys.map((key, i) => [key, values[i]]);
  }

  close() {
    this.db.close();
  }
}

// Everything the app ever kept on the device: the database, any cache but the shell's (which holds no
// personal data), the web storage areas. The key goes with the page's memory (the caller drops it).
export async function wipeDevice(store) {
  if (store) store.close();
  await new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(DATABASE);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
  for (const name of await caches.keys()) {
    if (!name.startsWith(SHELL_CACHES)) await caches.delete(name);
  }
  sessionStorage.clear();
  localStorage.clear();
}
