  // ---- talking to the server ----
  // text/plain keeps the cross-origin POST a "simple" request (no preflight);
  // the body is JSON all the same.

  var MAX_URL_CHARS = 8000;

  function argusError(code, message, status) {
    var e = new Error(message || code);
    e.name = 'ArgusError';
    e.code = code;
    e.status = status || 0;
    return e;
  }

  // Seconds a 429's Retry-After asks for (delay-seconds only), or null.
  function retryAfterSeconds(value) {
    var s = typeof value === 'string' ? value.trim() : '';
    return /^[0-9]{1,6}$/.test(s) ? parseInt(s, 10) : null;
  }

  function httpPost(url, text, timeoutMs) {
    if (typeof window.fetch === 'function') {
      var controller = typeof AbortController !== 'undefined' ? new AbortController() : null;
      var timedOut = false;
      var timer = setTimeout(function () {
        timedOut = true;
        if (controller) controller.abort();
      }, timeoutMs);
      var request = window.fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
        body: text,
        credentials: 'omit',
        cache: 'no-store',
        signal: controller ? controller.signal : undefined
      }).then(function (res) {
        return res.text().then(function (body) {
          return { status: res.status, body: body, retryAfter: res.headers.get('Retry-After') };
        });
      });
      return new Promise(function (resolve, reject) {
        // Without AbortController the request cannot be stopped: the answer
        // is given up on at the deadline, and this timer is cleared if the
        // request settles first.
        var giveUp = controller ? null : setTimeout(function () {
          if (timedOut) reject(argusError('timeout', 'request timed out', 0));
        }, timeoutMs + 1);
        function settled() {
          clearTimeout(timer);
          if (giveUp) clearTimeout(giveUp);
        }
        request.then(function (r) {
          settled();
          if (timedOut) return;
          resolve(r);
        }, function (e) {
          settled();
          if (timedOut) reject(argusError('timeout', 'request timed out', 0));
          else reject(argusError('network_error', errorMessage(e), 0));
        });
      });
    }
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open('POST', url, true);
      xhr.setRequestHeader('Content-Type', 'text/plain;charset=UTF-8');
      xhr.timeout = timeoutMs;
      xhr.onload = function () {
        resolve({ status: xhr.status, body: xhr.responseText, retryAfter: xhr.getResponseHeader('Retry-After') });
      };
      xhr.onerror = function () { reject(argusError('network_error', 'network error', 0)); };
      xhr.ontimeout = function () { reject(argusError('timeout', 'request timed out', 0)); };
      xhr.onabort = function () { reject(argusError('network_error', 'request aborted', 0)); };
      xhr.send(text);
    });
  }

  function parseJSON(text) {
    try {
      return JSON.parse(text);
    } catch (e) {
      return undefined;
    }
  }

  // POST /v1/identify; resolves the parsed JSON of a 2xx answer, rejects an
  // ArgusError {code, status, message} otherwise.
  function postIdentify(endpoint, body, timeoutMs) {
    return httpPost(endpoint + '/v1/identify', JSON.stringify(body), timeoutMs).then(function (r) {
      var json = parseJSON(r.body);
      if (r.status < 200 || r.status > 299) {
        var err = json && json.error;
        var e = err && typeof err === 'object'
          ? argusError(String(err.code || 'http_' + r.status), String(err.message || 'HTTP ' + r.status), r.status)
          : argusError('http_' + r.status, 'HTTP ' + r.status, r.status);
        if (r.status === 429) e.retryAfter = retryAfterSeconds(r.retryAfter);
        throw e;
      }
      if (!json || typeof json !== 'object') {
        throw argusError('bad_response', 'the server answered with something other than a JSON object', r.status);
      }
      return json;
    });
  }

  // Both answer forms -> {token, result, raw}. The open client response
  // (proxy integrations) nests the result under products.identification.
  function readIdentifyResponse(json) {
    var token = null;
    var src = json;
    var products = json.products;
    var data = products && products.identification && products.identification.data;
    if (data && typeof data === 'object') {
      token = data.visitorToken || null;
      src = data.result || {};
    } else {
      token = json.token || null;
    }
    var result = {
      visitorId: src.visitorId != null ? src.visitorId : null,
      requestId: json.requestId != null ? json.requestId : (src.requestId != null ? src.requestId : null),
      visitorFound: !!src.visitorFound,
      confidence: src.confidence != null ? src.confidence : null
    };
    if (json.sealedResult != null) result.sealedResult = json.sealedResult;
    if (!result.visitorId || !result.requestId) {
      throw argusError('bad_response', 'the answer lacks visitorId or requestId', 200);
    }
    return { token: typeof token === 'string' ? token : null, result: result, raw: json };
  }

  function clampString(v, max) {
    return typeof v === 'string' && v.length > max ? v.slice(0, max) : v;
  }
