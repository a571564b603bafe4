  // screen: {width, height, colorDepth} as integers, pixelRatio as a number.
  registerSource('screen', function () {
    var s = window.screen || {};
    return {
      width: toInt(s.width),
      height: toInt(s.height),
      colorDepth: toInt(s.colorDepth),
      pixelRatio: toNumber(window.devicePixelRatio)
    };
  });
