  // intlOptions: calendar, numbering system and hour cycle of the default
  // Intl formats.
  registerSource('intlOptions', function () {
    if (typeof Intl === 'undefined' || !Intl.DateTimeFormat) return null;
    var o = new Intl.DateTimeFormat(undefined, { hour: 'numeric' }).resolvedOptions();
    return {
      calendar: toStringOrNull(o.calendar),
      numberingSystem: toStringOrNull(o.numberingSystem),
      hourCycle: toStringOrNull(o.hourCycle)
    };
  });
