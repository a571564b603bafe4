  // vendorFlavors: vendor-specific globals present (tells Chrome, Edge,
  // Brave, Yandex, Opera, Samsung, UC, Safari ... apart, whatever the UA says).
  registerSource('vendorFlavors', function () {
    var keys = ['chrome', 'safari', '__crWeb', '__gCrWeb', 'yandex', '__yb', '__ybro', '__firefox__',
      '__edgeTrackingPreventionStatistics', 'webkit', 'oprt', 'opr', 'samsungAr', 'ucweb', 'UCShellJava',
      'puffinDevice'];
    var out = [];
    for (var i = 0; i < keys.length; i++) {
      try {
        if (window[keys[i]] && typeof window[keys[i]] === 'object') out.push(keys[i]);
      } catch (e) { /* ignore */ }
    }
    if (navigator.brave) out.push('brave');
    return out;
  });
