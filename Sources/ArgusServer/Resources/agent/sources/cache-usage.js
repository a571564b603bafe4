  // cacheUsage: [before, afterFirst, afterSecond], the Cache API usage this
  // origin is charged (navigator.storage.estimate().usageDetails.caches)
  // before and after the agent stores two entries in a cache of its own,
  // which it deletes again. The entries' URLs have equal lengths and their
  // bodies are 1 and 2 bytes long, so only the body differs by one byte.
  // How the browser counts them tells its storage backend apart (Chromium
  // counts caches on disk in 256-byte blocks, caches in memory - incognito -
  // to the byte); the server judges (Detectors/Incognito.swift).
  // Each collection has a cache of its own (`_argus_probe_<id>`): a page
  // collecting in another tab at the same moment never deletes this one's
  // cache under it (their entries still move the origin's usage: the
  // server reads a disturbed probe as no evidence, not as incognito).
  var CACHE_PROBE_PREFIX = '_argus_probe_';

  registerSource('cacheUsage', function (ctx) {
    var storage = navigator.storage;
    var cacheStorage;
    try {
      cacheStorage = window.caches; // throws in opaque origins (sandboxed frames)
    } catch (e) {
      return null;
    }
    if (!cacheStorage || !storage || typeof storage.estimate !== 'function') return null;

    function usage() {
      return storage.estimate().then(function (e) {
        var details = e && e.usageDetails;
        return toNumber(details && details.caches) || 0; // the key is absent while nothing is cached
      });
    }

    // Fresh URLs each time (equal lengths), so that entries a closed page
    // left in the cache are never replaced; the delete below removes them.
    var id = (Math.random().toString(36).slice(2) + '00000000').slice(0, 8);
    var name = CACHE_PROBE_PREFIX + id;
    var base = location.origin + '/' + name + '/';
    var readings = [];
    var cache = null;
    var probe = Promise.all([cacheStorage.open(name), usage()])
      .then(function (r) { cache = r[0]; readings.push(r[1]); return cache.put(new Request(base + '1'), new Response('1')); })
      .then(usage)
      .then(function (u) { readings.push(u); return cache.put(new Request(base + '2'), new Response('22')); })
      .then(usage)
      .then(function (u) { readings.push(u); return readings; });
    // The cache is deleted without waiting (a few ms less in the collection),
    // when the probe settles or, if it outlives its budget, when the
    // collection ends.
    var cleaned = false;
    function cleanUp() {
      if (cleaned) return;
      cleaned = true;
      cache = null; // the browser frees a deleted cache once no page holds it
      cacheStorage.delete(name).then(null, function () {});
    }
    if (ctx && typeof ctx.onDispose === 'function') ctx.onDispose(cleanUp);
    return probe.then(function (r) {
      cleanUp();
      return r;
    }, function (e) {
      cleanUp();
      throw e;
    });
    // Usually 15-30 ms; the first Cache Storage use of a brand-new browser profile
    // creates its backend on disk and has been seen to take 530 ms on a busy machine.
  }, { budgetMs: 400 });
