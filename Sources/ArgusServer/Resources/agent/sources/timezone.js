  // timezone: the IANA time zone name ("Europe/Berlin").
  registerSource('timezone', function () {
    if (typeof Intl === 'undefined' || !Intl.DateTimeFormat) return null;
    return toStringOrNull(new Intl.DateTimeFormat().resolvedOptions().timeZone);
  });
