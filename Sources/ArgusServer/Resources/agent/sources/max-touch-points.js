  // maxTouchPoints: simultaneous touch contacts the device supports.
  registerSource('maxTouchPoints', function () {
    var n = navigator.maxTouchPoints;
    if (n === undefined) n = navigator.msMaxTouchPoints;
    return toInt(n);
  });
