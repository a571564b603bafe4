  // permissions: the state ("granted" | "denied" | "prompt") of a few
  // permissions, null where the name is unsupported. notificationApi is
  // Notification.permission; it disagreeing with the query (denied vs
  // prompt) is typical of headless Chrome.
  registerSource('permissions', function (ctx) {
    var names = ['notifications', 'geolocation', 'camera', 'microphone', 'midi', 'clipboard-read',
      'clipboard-write', 'persistent-storage', 'background-sync', 'accelerometer', 'storage-access'];
    var out = {};
    try {
      out.notificationApi = typeof Notification !== 'undefined' ? String(Notification.permission) : null;
    } catch (e) {
      out.notificationApi = null;
    }
    var perms = navigator.permissions;
    if (!perms || typeof perms.query !== 'function') {
      names.forEach(function (n) { out[n] = null; });
      return out;
    }
    return Promise.all(names.map(function (name) {
      var q;
      try {
        q = perms.query({ name: name });
      } catch (e) {
        q = Promise.reject(e);
      }
      return ctx.within(Promise.resolve(q).then(function (s) { return s ? String(s.state) : null; }), 150, null)
        .then(function (state) { out[name] = state; });
    })).then(function () { return out; });
  });
