  // intlLocale: the locale Intl formats with, plus its calendar and
  // numbering system. It can disagree with `languages` when one of them is
  // spoofed.
  registerSource('intlLocale', function () {
    if (typeof Intl === 'undefined' || !Intl.DateTimeFormat) return null;
    return toStringOrNull(new Intl.DateTimeFormat().resolvedOptions().locale);
  });
