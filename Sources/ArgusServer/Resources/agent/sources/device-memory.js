  // deviceMemory: approximate RAM in GiB (Chromium, secure contexts), rounded
  // by the browser to a power of two.
  registerSource('deviceMemory', function () {
    return toNumber(navigator.deviceMemory);
  });
