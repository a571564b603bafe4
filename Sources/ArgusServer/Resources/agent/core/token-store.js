  // ---- the server's token, kept in three first-party stores ----
  // Read order: cookie, localStorage, IndexedDB (then this page's memory).
  // The first non-empty value wins; when any store lacks it or holds another
  // value, all stores are rewritten, so the token survives one or two of
  // them being cleared.

  var TOKEN_COOKIE = '_argus_t';
  var TOKEN_LS_KEY = '_argus_t';
  var TOKEN_IDB_NAME = '_argus';
  var TOKEN_IDB_STORE = 'kv';
  var TOKEN_IDB_KEY = 'token';
  var TOKEN_MAX_AGE_S = 365 * 24 * 3600;
  var TOKEN_IDB_BUDGET_MS = 250;
  var memoryToken = null;

  function validToken(v) {
    return typeof v === 'string' && v.length > 0 && v.length <= 4096 ? v : null;
  }

  function cookieRead(name) {
    try {
      var parts = (document.cookie || '').split(';');
      for (var i = 0; i < parts.length; i++) {
        var p = parts[i].replace(/^\s+/, '');
        if (p.slice(0, name.length + 1) === name + '=') {
          return decodeURIComponent(p.slice(name.length + 1));
        }
      }
    } catch (e) { /* cookies blocked or a malformed value */ }
    return null;
  }

  function cookieWrite(name, value) {
    try {
      var attrs = '; path=/; max-age=' + TOKEN_MAX_AGE_S + '; SameSite=Lax';
      if (location.protocol === 'https:') attrs += '; Secure';
      document.cookie = name + '=' + encodeURIComponent(value) + attrs;
    } catch (e) { /* ignore */ }
  }

  function localRead(key) {
    try {
      return window.localStorage ? window.localStorage.getItem(key) : null;
    } catch (e) {
      return null;
    }
  }

  function localWrite(key, value) {
    try {
      if (window.localStorage) window.localStorage.setItem(key, value);
    } catch (e) { /* quota, disabled storage */ }
  }

  // Runs fn(objectStore) in one transaction; resolves the request's result,
  // or null on any failure. The database is closed after every use, so that
  // clearing site data is never blocked by a connection left open.
  function idbRun(mode, fn) {
    return new Promise(function (resolve) {
      var db = null;
      function done(v) {
        try { if (db) db.close(); } catch (e) { /* ignore */ }
        db = null;
        resolve(v);
      }
      try {
        var idb = window.indexedDB;
        if (!idb) return done(null);
        var open = idb.open(TOKEN_IDB_NAME, 1);
        open.onupgradeneeded = function () {
          try { open.result.createObjectStore(TOKEN_IDB_STORE); } catch (e) { /* exists */ }
        };
        open.onerror = function () { done(null); };
        open.onblocked = function () { done(null); };
        open.onsuccess = function () {
          db = open.result;
          try {
            db.onversionchange = function () { try { db.close(); } catch (e) { /* ignore */ } };
            var tx = db.transaction(TOKEN_IDB_STORE, mode);
            var req = fn(tx.objectStore(TOKEN_IDB_STORE));
            var result = null;
            req.onsuccess = function () { result = req.result; };
            tx.oncomplete = function () { done(result === undefined ? null : result); };
            tx.onerror = function () { done(null); };
            tx.onabort = function () { done(null); };
          } catch (e) {
            done(null);
          }
        };
      } catch (e) {
        done(null);
      }
    });
  }

  function idbRead() {
    return settleWithin(idbRun('readonly', function (s) { return s.get(TOKEN_IDB_KEY); }), TOKEN_IDB_BUDGET_MS, null);
  }

  function idbWrite(value) {
    return settleWithin(idbRun('readwrite', function (s) { return s.put(value, TOKEN_IDB_KEY); }), TOKEN_IDB_BUDGET_MS, null);
  }

  // Writes the token everywhere; resolves once IndexedDB has it (or gave up).
  function writeToken(token) {
    token = validToken(token);
    if (!token) return Promise.resolve();
    memoryToken = token;
    cookieWrite(TOKEN_COOKIE, token);
    localWrite(TOKEN_LS_KEY, token);
    return idbWrite(token).then(function () {});
  }

  // Resolves the stored token or null; never rejects.
  function readToken() {
    var fromCookie = validToken(cookieRead(TOKEN_COOKIE));
    var fromLocal = validToken(localRead(TOKEN_LS_KEY));
    return idbRead().then(function (fromIdb) {
      fromIdb = validToken(fromIdb);
      var found = fromCookie || fromLocal || fromIdb || memoryToken;
      if (found && (fromCookie !== found || fromLocal !== found || fromIdb !== found)) {
        writeToken(found); // repair in the background
      }
      return found || null;
    }, function () {
      return fromCookie || fromLocal || memoryToken || null;
    });
  }
