  // osCpu: navigator.oscpu (Firefox only), e.g. "Linux x86_64".
  registerSource('osCpu', function () {
    return toStringOrNull(navigator.oscpu);
  });
