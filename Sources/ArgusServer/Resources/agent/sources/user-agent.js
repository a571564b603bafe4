  // userAgent: the User-Agent string.
  registerSource('userAgent', function () {
    return toStringOrNull(navigator.userAgent);
  });
