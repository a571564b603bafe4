  // storageApis: which client storage APIs work. A disabled localStorage,
  // a missing serviceWorker (Firefox private windows) or WebSQL presence
  // tell browsers and modes apart.
  registerSource('storageApis', function () {
    function works(name) {
      try {
        var s = window[name];
        if (!s) return false;
        var key = '_argus_probe';
        s.setItem(key, '1');
        s.removeItem(key);
        return true;
      } catch (e) {
        return false;
      }
    }
    var idb = false;
    try { idb = !!window.indexedDB; } catch (e) { idb = false; }
    return {
      localStorage: works('localStorage'),
      sessionStorage: works('sessionStorage'),
      indexedDB: idb,
      openDatabase: typeof window.openDatabase === 'function',
      serviceWorker: 'serviceWorker' in navigator,
      cacheStorage: 'caches' in window
    };
  });
