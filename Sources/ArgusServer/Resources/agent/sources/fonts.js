  // fonts: the installed fonts among a list of common Windows, macOS, Linux
  // and Office families, MEASURED: a text is laid out in "Font, fallback"
  // for three generic fallbacks; a font counts as installed when, for any
  // fallback, the box differs from the fallback alone. All boxes are laid
  // out at once, so the page pays for a single layout.

  var ARGUS_FONT_CANDIDATES = [
    // Windows
    'Arial', 'Arial Black', 'Arial Narrow', 'Bahnschrift', 'Calibri', 'Cambria', 'Cambria Math',
    'Candara', 'Comic Sans MS', 'Consolas', 'Constantia', 'Corbel', 'Courier New', 'Ebrima',
    'Franklin Gothic Medium', 'Gabriola', 'Gadugi', 'Georgia', 'HoloLens MDL2 Assets', 'Impact',
    'Ink Free', 'Javanese Text', 'Leelawadee UI', 'Lucida Console', 'Lucida Sans Unicode',
    'Malgun Gothic', 'Marlett', 'Microsoft Himalaya', 'Microsoft JhengHei', 'Microsoft New Tai Lue',
    'Microsoft PhagsPa', 'Microsoft Sans Serif', 'Microsoft Tai Le', 'Microsoft YaHei',
    'Microsoft Yi Baiti', 'MingLiU-ExtB', 'Mongolian Baiti', 'MS Gothic', 'MV Boli', 'Myanmar Text',
    'Nirmala UI', 'Palatino Linotype', 'Segoe Fluent Icons', 'Segoe MDL2 Assets', 'Segoe Print',
    'Segoe Script', 'Segoe UI', 'Segoe UI Emoji', 'Segoe UI Symbol', 'SimSun', 'Sitka Text',
    'Sylfaen', 'Symbol', 'Tahoma', 'Times New Roman', 'Trebuchet MS', 'Verdana', 'Webdings',
    'Wingdings', 'Yu Gothic',
    // Office and other common add-ons
    'Agency FB', 'Book Antiqua', 'Bookman Old Style', 'Century', 'Century Gothic', 'Garamond',
    'Goudy Old Style', 'Haettenschweiler', 'Lucida Bright', 'Lucida Calligraphy', 'Lucida Handwriting',
    'Monotype Corsiva', 'Perpetua', 'Rockwell', 'Tw Cen MT', 'Wide Latin', 'Aptos',
    // macOS / iOS
    'American Typewriter', 'Andale Mono', 'Apple Chancery', 'Apple Color Emoji', 'Apple SD Gothic Neo',
    'Arial Hebrew', 'Avenir', 'Avenir Next', 'Baskerville', 'Big Caslon', 'Chalkboard', 'Chalkboard SE',
    'Cochin', 'Copperplate', 'Didot', 'Futura', 'Geneva', 'Gill Sans', 'Helvetica', 'Helvetica Neue',
    'Herculanum', 'Hiragino Sans', 'Hoefler Text', 'Lucida Grande', 'Marker Felt', 'Menlo', 'Monaco',
    'Noteworthy', 'Optima', 'Papyrus', 'PingFang SC', 'Skia', 'Snell Roundhand', 'Zapfino',
    // Linux, Android, open fonts
    'Bitstream Vera Sans', 'Cantarell', 'DejaVu Sans', 'DejaVu Sans Mono', 'DejaVu Serif',
    'Droid Sans', 'Droid Sans Mono', 'Fira Code', 'Fira Sans', 'FreeMono', 'FreeSans', 'FreeSerif',
    'Liberation Mono', 'Liberation Sans', 'Liberation Serif', 'Nimbus Roman', 'Nimbus Sans',
    'Noto Color Emoji', 'Noto Mono', 'Noto Sans', 'Noto Sans CJK SC', 'Noto Serif', 'Open Sans',
    'Roboto', 'Roboto Mono', 'Source Code Pro', 'Ubuntu', 'Ubuntu Mono', 'URW Bookman', 'Lato'
  ];

  registerSource('fonts', function () {
    var root = document && (document.body || document.documentElement);
    if (!root) return null;
    var bases = ['monospace', 'sans-serif', 'serif'];
    var text = 'mmMwWLliI0fiflO&1@#';
    var box = document.createElement('div');
    box.setAttribute('aria-hidden', 'true');
    box.style.cssText = 'position:absolute!important;left:-9999px!important;top:0!important;' +
      'visibility:hidden!important;overflow:hidden!important;width:auto!important;height:auto!important;' +
      'contain:layout style!important;pointer-events:none!important;';
    function span(family) {
      var s = document.createElement('span');
      s.style.cssText = 'position:absolute!important;left:0!important;top:0!important;' +
        'font-size:64px!important;font-style:normal!important;font-weight:normal!important;' +
        'font-variant:normal!important;letter-spacing:normal!important;word-spacing:normal!important;' +
        'line-height:normal!important;text-transform:none!important;white-space:nowrap!important;' +
        'font-family:' + family + '!important;';
      s.textContent = text;
      box.appendChild(s);
      return s;
    }
    var baseSpans = bases.map(function (b) { return span(b); });
    var fontSpans = ARGUS_FONT_CANDIDATES.map(function (font) {
      var quoted = "'" + font.replace(/'/g, '') + "'";
      return bases.map(function (b) { return span(quoted + ',' + b); });
    });
    root.appendChild(box);
    try {
      var baseSizes = baseSpans.map(function (s) { return [s.offsetWidth, s.offsetHeight]; });
      var found = [];
      for (var i = 0; i < fontSpans.length; i++) {
        for (var j = 0; j < bases.length; j++) {
          var s = fontSpans[i][j];
          if (s.offsetWidth !== baseSizes[j][0] || s.offsetHeight !== baseSizes[j][1]) {
            found.push(ARGUS_FONT_CANDIDATES[i]);
            break;
          }
        }
      }
      return found;
    } finally {
      root.removeChild(box);
    }
  });
