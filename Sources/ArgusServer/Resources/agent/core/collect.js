  // ---- running the sources ----
  // All sources start together; each has its own time budget for its
  // asynchronous part (a synchronous source cannot be interrupted; its value
  // is kept, and sources over SLOW_SOURCE_MS are named in `_slowSources`).
  // A source that throws, rejects or misses its budget yields null and an
  // entry in the `_errors` component ({name: "timeout" | message}).
  // Collection never rejects; `_collectMs` is its duration.

  // Shared per-collection state: sources that need the same expensive object
  // (one WebGL context, one canvas rendering) share it through ctx.once().
  function makeCollectContext() {
    var memo = {};
    var disposers = [];
    var markStarted;
    var allStarted = new Promise(function (resolve) { markStarted = resolve; });
    return {
      // Like settleWithin, but the clock starts once every source has
      // started (see startSource).
      within: function (promise, ms, fallback) {
        return allStarted.then(function () { return settleWithin(promise, ms, fallback); });
      },
      markStarted: function () { markStarted(); },
      once: function (key, fn) {
        if (!hasOwn(memo, key)) {
          try {
            memo[key] = { value: fn() };
          } catch (e) {
            memo[key] = { error: e };
          }
        }
        if (memo[key].error) throw memo[key].error;
        return memo[key].value;
      },
      onDispose: function (fn) { disposers.push(fn); },
      dispose: function () {
        for (var i = 0; i < disposers.length; i++) {
          try { disposers[i](); } catch (e) { /* ignore */ }
        }
        disposers = [];
      }
    };
  }

  // JSON-safe copy: undefined -> null, non-finite numbers -> null.
  function jsonSafe(v, depth) {
    if (v === undefined || v === null) return null;
    var t = typeof v;
    if (t === 'number') return isFinite(v) ? v : null;
    if (t === 'string' || t === 'boolean') return v;
    if (t !== 'object' || (depth || 0) > 6) return null;
    if (Array.isArray(v)) {
      return v.map(function (x) { return jsonSafe(x, (depth || 0) + 1); });
    }
    var out = {};
    for (var k in v) {
      if (hasOwn(v, k)) out[k] = jsonSafe(v[k], (depth || 0) + 1);
    }
    return out;
  }

  // Sources slower than this are named in `_slowSources` ({name: ms}).
  var SLOW_SOURCE_MS = 50;

  // Starts one source. Its budget timer is armed by arm(), which the
  // collector calls once every source has started: synchronous sources
  // occupy the main thread meanwhile, and a timer armed before them could
  // fire before an asynchronous result that was ready long ago.
  function startSource(source, ctx) {
    var settled = false;
    var timer = null;
    var started = now();
    var syncMs = 0;
    var armedAt = -1;
    var resolveRun;
    var promise = new Promise(function (resolve) { resolveRun = resolve; });
    function finish(value, error) {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      // A source's own time: its synchronous part, then (asynchronous ones)
      // the wait once every source has started, not the other sources' turns.
      var ms = armedAt >= 0 ? syncMs + (now() - armedAt) : now() - started;
      resolveRun({ value: value, error: error || null, ms: ms });
    }
    function settleWith(v) {
      try {
        finish(jsonSafe(v));
      } catch (e) {
        finish(null, errorMessage(e));
      }
    }
    try {
      var r = source.fn(ctx);
      if (r && typeof r.then === 'function') {
        syncMs = now() - started;
        r.then(settleWith, function (e) { finish(null, errorMessage(e)); });
      } else {
        settleWith(r);
      }
    } catch (e) {
      finish(null, errorMessage(e));
    }
    return {
      promise: promise,
      arm: function () {
        if (settled) return;
        armedAt = now();
        timer = setTimeout(function () { finish(null, 'timeout'); }, source.budget);
      }
    };
  }

  function collectComponents() {
    var t0 = now();
    var ctx = makeCollectContext();
    var values = {};
    var errors = {};
    var slow = {};
    var runs = [];
    var started = [];
    for (var i = 0; i < SOURCES.length; i++) {
      (function (source) {
        var run = startSource(source, ctx);
        started.push(run);
        runs.push(run.promise.then(function (r) {
          values[source.name] = r.value;
          if (r.error) errors[source.name] = r.error;
          if (r.ms >= SLOW_SOURCE_MS) slow[source.name] = Math.round(r.ms);
        }));
      })(SOURCES[i]);
    }
    ctx.markStarted();
    for (var k = 0; k < started.length; k++) started[k].arm();
    return Promise.all(runs).then(finishUp, finishUp);

    function finishUp() {
      ctx.dispose();
      var out = {};
      for (var j = 0; j < SOURCES.length; j++) {
        var name = SOURCES[j].name;
        out[name] = hasOwn(values, name) ? values[name] : null;
      }
      out._errors = errors;
      out._collectMs = Math.round((now() - t0) * 10) / 10;
      out._slowSources = slow;
      out._agentVersion = AGENT_VERSION;
      return out;
    }
  }
