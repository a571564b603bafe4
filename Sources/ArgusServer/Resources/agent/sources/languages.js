  // languages: the preferred languages, most preferred first.
  registerSource('languages', function () {
    var list = navigator.languages;
    if (list && list.length) return listOf(list).map(String);
    var one = navigator.language || navigator.userLanguage || navigator.browserLanguage;
    return one ? [String(one)] : [];
  });
