  // mimeTypes: types in navigator.mimeTypes.
  registerSource('mimeTypes', function () {
    return listOf(navigator.mimeTypes).map(function (m) { return String(m.type); });
  });
