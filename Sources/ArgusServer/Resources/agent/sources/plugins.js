  // plugins: names of navigator.plugins (modern browsers list a fixed set of
  // PDF viewers; headless builds historically listed none).
  registerSource('plugins', function () {
    return listOf(navigator.plugins).map(function (p) { return String(p.name); });
  });
