  // connection: Network Information (Chromium): effective type, RTT,
  // downlink, save-data. Volatile, so not an identity signal; useful for
  // spotting datacenter browsers.
  registerSource('connection', function () {
    var c = navigator.connection || navigator.mozConnection || navigator.webkitConnection;
    if (!c) return null;
    return {
      effectiveType: toStringOrNull(c.effectiveType),
      type: toStringOrNull(c.type),
      rtt: toNumber(c.rtt),
      downlink: toNumber(c.downlink),
      saveData: toBoolOrNull(c.saveData)
    };
  });
