  // mediaQueries: user preferences and display capabilities that CSS media
  // queries expose (each null when no listed value matches).
  registerSource('mediaQueries', function () {
    function pick(feature, values) {
      for (var i = 0; i < values.length; i++) {
        if (matchMediaSafe('(' + feature + ': ' + values[i] + ')')) return values[i];
      }
      return null;
    }
    var monochrome = null;
    if (matchMediaSafe('(monochrome)') || matchMediaSafe('(monochrome: 0)')) {
      monochrome = 0;
      for (var bits = 1; bits <= 32; bits++) {
        if (!matchMediaSafe('(min-monochrome: ' + bits + ')')) break;
        monochrome = bits;
      }
    }
    return {
      colorGamut: pick('color-gamut', ['rec2020', 'p3', 'srgb']),
      contrast: pick('prefers-contrast', ['no-preference', 'more', 'less', 'custom']),
      reducedMotion: pick('prefers-reduced-motion', ['no-preference', 'reduce']),
      reducedTransparency: pick('prefers-reduced-transparency', ['no-preference', 'reduce']),
      dynamicRange: pick('dynamic-range', ['high', 'standard']),
      forcedColors: pick('forced-colors', ['none', 'active']),
      invertedColors: pick('inverted-colors', ['none', 'inverted']),
      monochrome: monochrome,
      prefersColorScheme: pick('prefers-color-scheme', ['light', 'dark']),
      pointer: pick('pointer', ['fine', 'coarse', 'none']),
      anyPointer: pick('any-pointer', ['fine', 'coarse', 'none']),
      hover: pick('hover', ['hover', 'none']),
      anyHover: pick('any-hover', ['hover', 'none']),
      displayMode: pick('display-mode', ['browser', 'standalone', 'minimal-ui', 'fullscreen'])
    };
  });
