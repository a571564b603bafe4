  // ---- public API: window.Argus ----
  //   Argus.load({publicKey, endpoint?, timeout?}) -> Promise<agent>
  //   agent.get({linkedId?, tag?, timeout?})       -> Promise<{visitorId, requestId,
  //                                                    visitorFound, confidence, sealedResult?}>
  //   agent.components()                           -> Promise<last collected components>
  //   Argus.createClient({publicKey | siteKey, endpoint?, interval?}).checkOnce()
  //                                                -> Promise<{fingerprintId, visitorId,
  //                                                    requestId, score, risk_level, sealedResult}>
  //   <script src=".../agent.js" data-site-key="pk_…" data-auto-init [data-endpoint] [data-interval]>
  //     creates Argus.client, runs checkOnce() into the promise Argus.ready and fires the
  //     window event 'argus:result' (detail: the result) or 'argus:error' (detail: the error).

  var COLLECTION_CACHE_MS = 3000;
  var DEFAULT_REQUEST_TIMEOUT_MS = 10000;
  // A 429 is retried once if its Retry-After is at most this, and the request's time
  // left after the wait is at least MIN_RETRY_TIME_MS.
  var MAX_RETRY_AFTER_MS = 5000;
  var MIN_RETRY_TIME_MS = 1000;
  var DEFAULT_CHECK_INTERVAL_MS = 5 * 60 * 1000;

  function defaultEndpoint() {
    try {
      if (SCRIPT_SRC) return new URL(SCRIPT_SRC, location.href).origin;
    } catch (e) { /* fall through */ }
    return location.origin;
  }

  function normalizeEndpoint(endpoint) {
    var e = endpoint ? String(endpoint) : defaultEndpoint();
    return e.replace(/\/+$/, '');
  }

  function Agent(options) {
    this._publicKey = options.publicKey;
    this._endpoint = normalizeEndpoint(options.endpoint);
    this._timeout = options.timeout > 0 ? options.timeout : DEFAULT_REQUEST_TIMEOUT_MS;
    this._collecting = null;
    this._collectedAt = -Infinity;
    this._last = null;
  }

  // A fresh collection, or the one started less than COLLECTION_CACHE_MS ago.
  Agent.prototype._collect = function () {
    var self = this;
    if (this._collecting && now() - this._collectedAt < COLLECTION_CACHE_MS) return this._collecting;
    this._collectedAt = now();
    this._collecting = collectComponents().then(function (c) {
      self._last = c;
      return c;
    });
    return this._collecting;
  };

  Agent.prototype.components = function () {
    return this._last ? Promise.resolve(this._last) : this._collect();
  };

  // Identifies; resolves {result, raw} (raw: the server's JSON).
  Agent.prototype._identify = function (options) {
    var self = this;
    options = options || {};
    var timeout = options.timeout > 0 ? options.timeout : this._timeout;
    var problem = checkIdentifyOptions(options);
    if (problem) return Promise.reject(problem);
    return Promise.all([this._collect(), readToken()]).then(function (r) {
      var body = {
        v: 1,
        publicKey: self._publicKey,
        token: r[1] || null,
        linkedId: options.linkedId != null ? options.linkedId : null,
        tag: options.tag != null ? options.tag : null,
        url: clampString(String(location.href), MAX_URL_CHARS),
        referrer: clampString(String(document.referrer || ''), MAX_URL_CHARS),
        components: r[0]
      };
      return postWithOneRetry(self._endpoint, body, timeout);
    }).then(function (json) {
      var parsed = readIdentifyResponse(json);
      var stored = parsed.token ? writeToken(parsed.token) : Promise.resolve();
      return stored.then(function () { return { result: parsed.result, raw: parsed.raw }; });
    });
  };

  // A 429 (the site's key over its budget at the server) is retried once, after the
  // Retry-After it names, when that still fits in the request's time; otherwise, or
  // when the retry fails too, get() rejects with the ArgusError (code, status, retryAfter).
  function postWithOneRetry(endpoint, body, timeoutMs) {
    var started = now();
    return postIdentify(endpoint, body, timeoutMs).then(null, function (e) {
      var waitMs = e && e.status === 429 && e.retryAfter != null ? e.retryAfter * 1000 : -1;
      var left = timeoutMs - (now() - started) - waitMs;
      if (waitMs < 0 || waitMs > MAX_RETRY_AFTER_MS || left < MIN_RETRY_TIME_MS) throw e;
      return new Promise(function (resolve) { setTimeout(resolve, waitMs); }).then(function () {
        return postIdentify(endpoint, body, left);
      });
    });
  }

  Agent.prototype.get = function (options) {
    return this._identify(options).then(function (r) { return r.result; });
  };

  // The request's own fields, checked for type before anything is collected or
  // sent (agent-protocol.md: linkedId a string, tag a JSON object). Their
  // sizes (256 characters, 16 KiB) are the server's to judge: it counts
  // characters as it stores them, and its 400 reaches get() as an ArgusError.
  function checkIdentifyOptions(options) {
    var linkedId = options.linkedId;
    if (linkedId != null && typeof linkedId !== 'string') {
      return argusError('invalid_options', 'linkedId must be a string', 0);
    }
    var tag = options.tag;
    if (tag != null && (typeof tag !== 'object' || Array.isArray(tag))) {
      return argusError('invalid_options', 'tag must be a JSON object', 0);
    }
    return null;
  }

  function checkOptions(options) {
    if (!options || typeof options.publicKey !== 'string' || !options.publicKey) {
      return argusError('invalid_options', 'publicKey (or siteKey) is required', 0);
    }
    return null;
  }

  // A copy of the options with siteKey (the Noxtica name) accepted for publicKey.
  function normalizeOptions(options) {
    var out = {};
    if (options && typeof options === 'object') {
      for (var k in options) {
        if (Object.prototype.hasOwnProperty.call(options, k)) out[k] = options[k];
      }
    }
    if (!out.publicKey && typeof out.siteKey === 'string') out.publicKey = out.siteKey;
    return out;
  }

  // checkOnce's result is also kept in localStorage, so that pages loaded within the
  // interval reuse it (timestamps from Date.now: they must hold across pages).
  var CHECK_STORAGE_PREFIX = '_argus_check:';

  function readCheck(key, interval) {
    try {
      var stored = JSON.parse(window.localStorage.getItem(key) || 'null');
      if (stored && typeof stored.at === 'number' && stored.result && Date.now() - stored.at >= 0 &&
          Date.now() - stored.at < interval) return stored;
    } catch (e) { /* unavailable storage: no cache */ }
    return null;
  }

  function writeCheck(key, at, result) {
    try {
      window.localStorage.setItem(key, JSON.stringify({ at: at, result: result }));
    } catch (e) { /* unavailable storage: memory only */ }
  }

  // The Noxtica-style client (spec §6): one identification per interval;
  // calls within the interval get the cached result. score and risk_level
  // are read from the answer when the server includes them, else null.
  function Client(options) {
    this._agent = new Agent(options);
    this._interval = options.interval >= 0 ? options.interval : DEFAULT_CHECK_INTERVAL_MS;
    this._storageKey = CHECK_STORAGE_PREFIX + options.publicKey + '|' + this._agent._endpoint;
    this._pending = null;
    this._result = null;
    this._at = -Infinity;
  }

  Client.prototype.checkOnce = function (options) {
    var self = this;
    if (this._result && Date.now() - this._at < this._interval) return Promise.resolve(this._result);
    if (this._pending) return this._pending;
    var stored = readCheck(this._storageKey, this._interval);
    if (stored) {
      this._result = stored.result;
      this._at = stored.at;
      return Promise.resolve(stored.result);
    }
    this._pending = this._agent._identify(options).then(function (r) {
      var raw = r.raw;
      var data = raw.products && raw.products.identification && raw.products.identification.data;
      var src = (data && data.result) || raw;
      var risk = src.risk || raw.risk || {};
      var out = {
        fingerprintId: r.result.visitorId,
        visitorId: r.result.visitorId,
        requestId: r.result.requestId,
        score: firstDefined(src.score, risk.score),
        risk_level: firstDefined(src.risk_level, src.riskLevel, risk.level, risk.riskLevel),
        sealedResult: r.result.sealedResult != null ? r.result.sealedResult : null
      };
      self._result = out;
      self._at = Date.now();
      self._pending = null;
      writeCheck(self._storageKey, self._at, out);
      return out;
    }, function (e) {
      self._pending = null;
      throw e;
    });
    return this._pending;
  };

  function firstDefined() {
    for (var i = 0; i < arguments.length; i++) {
      if (arguments[i] !== undefined && arguments[i] !== null) return arguments[i];
    }
    return null;
  }

  var Argus = {
    version: AGENT_VERSION,
    load: function (options) {
      options = normalizeOptions(options);
      var problem = checkOptions(options);
      if (problem) return Promise.reject(problem);
      var agent = new Agent(options);
      agent._collect(); // warm up: the first get() usually finds it done
      return Promise.resolve(agent);
    },
    createClient: function (options) {
      options = normalizeOptions(options);
      var problem = checkOptions(options);
      if (problem) throw problem;
      return new Client(options);
    }
  };

  window.Argus = Argus;

  // <script data-site-key="pk_…" data-auto-init>: one checkOnce() as soon as the script runs.
  function autoInit(el) {
    if (!el || !el.hasAttribute || !el.hasAttribute('data-auto-init')) return;
    var key = el.getAttribute('data-site-key') || el.getAttribute('data-public-key');
    var options = { publicKey: key };
    var endpoint = el.getAttribute('data-endpoint');
    if (endpoint) options.endpoint = endpoint;
    var interval = parseInt(el.getAttribute('data-interval') || '', 10);
    if (interval >= 0) options.interval = interval;
    function fire(name, detail) {
      try {
        window.dispatchEvent(new CustomEvent(name, { detail: detail }));
      } catch (e) { /* no CustomEvent: the promise still settles */ }
    }
    try {
      Argus.client = Argus.createClient(options);
      Argus.ready = Argus.client.checkOnce();
    } catch (e) {
      Argus.ready = Promise.reject(e);
    }
    Argus.ready.then(function (r) { fire('argus:result', r); }, function (e) { fire('argus:error', e); });
  }
  autoInit(SCRIPT_ELEMENT);
