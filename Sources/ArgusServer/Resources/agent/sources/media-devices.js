  // mediaDevices: how many media inputs/outputs of each kind the browser
  // lists (no labels: those need a permission). Headless browsers and
  // servers often list none.
  registerSource('mediaDevices', function () {
    var md = navigator.mediaDevices;
    if (!md || typeof md.enumerateDevices !== 'function') return null;
    return md.enumerateDevices().then(function (devices) {
      var counts = { audioinput: 0, audiooutput: 0, videoinput: 0 };
      listOf(devices).forEach(function (d) {
        counts[d.kind] = (counts[d.kind] || 0) + 1;
      });
      return counts;
    });
  });
