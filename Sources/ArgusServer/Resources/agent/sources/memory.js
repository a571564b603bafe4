  // jsHeapSizeLimit: performance.memory.jsHeapSizeLimit (Chromium), which
  // follows the device's memory and the browser build.
  registerSource('jsHeapSizeLimit', function () {
    var m = window.performance && window.performance.memory;
    return m ? toNumber(m.jsHeapSizeLimit) : null;
  });
