  // speechVoices: the speech-synthesis voices installed (count, how many are
  // local, the default's language, a hash of the list). Chromium loads the
  // list lazily, so wait briefly for "voiceschanged".
  registerSource('speechVoices', function () {
    var synth = window.speechSynthesis;
    if (!synth || typeof synth.getVoices !== 'function') return null;
    function summary(voices) {
      var list = listOf(voices);
      var def = null;
      var local = 0;
      var keys = list.map(function (v) {
        if (v['default'] && !def) def = String(v.lang);
        if (v.localService) local++;
        return v.name + '|' + v.lang + '|' + (v.localService ? 1 : 0);
      });
      return { count: list.length, local: local, defaultLang: def, hash: list.length ? hashValue(keys) : null };
    }
    var voices = synth.getVoices();
    if (voices && voices.length) return summary(voices);
    return new Promise(function (resolve) {
      var done = false;
      var timer = null;
      function finish() {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        try { synth.removeEventListener('voiceschanged', finish); } catch (e) { /* ignore */ }
        resolve(summary(synth.getVoices()));
      }
      try { synth.addEventListener('voiceschanged', finish); } catch (e) { /* ignore */ }
      timer = setTimeout(finish, 60);
    });
  });
