  // storageQuota: the quota the browser grants this origin (bytes). Private
  // windows get a much smaller one than a normal profile.
  registerSource('storageQuota', function () {
    var storage = navigator.storage;
    if (storage && typeof storage.estimate === 'function') {
      return storage.estimate().then(function (e) { return toNumber(e && e.quota); });
    }
    var legacy = navigator.webkitTemporaryStorage;
    if (legacy && typeof legacy.queryUsageAndQuota === 'function') {
      return new Promise(function (resolve, reject) {
        legacy.queryUsageAndQuota(function (usage, quota) { resolve(toNumber(quota)); }, reject);
      });
    }
    return null;
  });
