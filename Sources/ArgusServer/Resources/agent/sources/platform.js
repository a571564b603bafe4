  // platform: navigator.platform ("Win32", "MacIntel", "Linux x86_64", ...).
  registerSource('platform', function () {
    return toStringOrNull(navigator.platform);
  });
