  // screenFrame: the available screen area (what taskbars/docks leave),
  // pixelDepth and orientation. Headless and VM setups often have
  // avail == full size at 0,0.
  registerSource('screenFrame', function () {
    var s = window.screen || {};
    var orientation = null;
    try { orientation = s.orientation ? String(s.orientation.type) : null; } catch (e) { orientation = null; }
    return {
      availWidth: toInt(s.availWidth),
      availHeight: toInt(s.availHeight),
      availLeft: toInt(s.availLeft),
      availTop: toInt(s.availTop),
      pixelDepth: toInt(s.pixelDepth),
      orientation: orientation,
      isExtended: toBoolOrNull(s.isExtended)
    };
  });
