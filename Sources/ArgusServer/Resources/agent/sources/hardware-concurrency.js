  // hardwareConcurrency: logical processors, an integer.
  registerSource('hardwareConcurrency', function () {
    return toInt(navigator.hardwareConcurrency);
  });
