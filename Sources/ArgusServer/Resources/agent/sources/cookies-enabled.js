  // cookiesEnabled: whether a first-party cookie can actually be written.
  registerSource('cookiesEnabled', function () {
    if (!navigator.cookieEnabled) return false;
    try {
      var name = '_argus_cookietest';
      document.cookie = name + '=1; path=/; SameSite=Lax';
      var ok = document.cookie.indexOf(name + '=1') !== -1;
      document.cookie = name + '=; path=/; max-age=0; SameSite=Lax';
      return ok;
    } catch (e) {
      return false;
    }
  });
