  // ---- small helpers shared by the core and the sources ----

  function now() {
    try {
      if (window.performance && typeof window.performance.now === 'function') return window.performance.now();
    } catch (e) { /* fall through */ }
    return Date.now();
  }

  function errorMessage(e) {
    if (e == null) return 'error';
    if (typeof e === 'string') return e.slice(0, 200);
    var msg = e.message || e.name || String(e);
    return String(msg).slice(0, 200);
  }

  // An integer, or null when the value is not a finite number.
  function toInt(v) {
    var n = typeof v === 'number' ? v : parseFloat(v);
    return isFinite(n) ? Math.round(n) : null;
  }

  // A finite number, or null.
  function toNumber(v) {
    var n = typeof v === 'number' ? v : parseFloat(v);
    return isFinite(n) ? n : null;
  }

  function toStringOrNull(v) {
    return typeof v === 'string' ? v : (v == null ? null : String(v));
  }

  function toBoolOrNull(v) {
    return typeof v === 'boolean' ? v : (v == null ? null : !!v);
  }

  // Array.from for old array-likes (PluginArray, MimeTypeArray, ...).
  function listOf(arrayLike) {
    var out = [];
    if (!arrayLike) return out;
    for (var i = 0; i < arrayLike.length; i++) out.push(arrayLike[i]);
    return out;
  }

  function matchMediaSafe(query) {
    try {
      return !!(window.matchMedia && window.matchMedia(query).matches);
    } catch (e) {
      return false;
    }
  }

  // Resolves after `ms` with `value` (never rejects).
  function delay(ms, value) {
    return new Promise(function (resolve) { setTimeout(function () { resolve(value); }, ms); });
  }

  // Races a promise against a timer; resolves `fallback` on timeout or error.
  function settleWithin(promise, ms, fallback) {
    return new Promise(function (resolve) {
      var done = false;
      var timer = setTimeout(function () { finish(fallback); }, ms);
      function finish(v) {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(v);
      }
      Promise.resolve(promise).then(finish, function () { finish(fallback); });
    });
  }

  function hasOwn(obj, key) {
    return Object.prototype.hasOwnProperty.call(obj, key);
  }
