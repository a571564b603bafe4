  // audio: a number from an offline audio rendering. A triangle wave through
  // a dynamics compressor; the sum of absolute sample values over a window
  // differs with the audio stack (CPU, OS, browser build).
  registerSource('audio', function () {
    var Ctx = window.OfflineAudioContext || window.webkitOfflineAudioContext;
    if (!Ctx) return null;
    var length = 5000;
    var ac = new Ctx(1, length, 44100);
    var osc = ac.createOscillator();
    osc.type = 'triangle';
    osc.frequency.value = 10000;
    var comp = ac.createDynamicsCompressor();
    comp.threshold.value = -50;
    comp.knee.value = 40;
    comp.ratio.value = 12;
    comp.attack.value = 0;
    comp.release.value = 0.25;
    osc.connect(comp);
    comp.connect(ac.destination);
    osc.start(0);
    return new Promise(function (resolve, reject) {
      // Both the event and the promise report the rendering; the first one
      // settles. Reading the samples runs in a callback, outside the
      // collector's guard: a throw there rejects instead of escaping to the page.
      function sum(buffer) {
        try {
          var data = buffer.getChannelData(0);
          var total = 0;
          for (var i = 4500; i < length; i++) total += Math.abs(data[i]);
          resolve(total);
        } catch (e) {
          reject(e);
        }
      }
      ac.oncomplete = function (ev) { sum(ev.renderedBuffer); };
      var p = ac.startRendering();
      if (p && typeof p.then === 'function') p.then(sum, reject);
    });
  });
