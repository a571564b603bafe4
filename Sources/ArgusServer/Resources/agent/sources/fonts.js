  // fonts: the installed fonts among a list of common Windows, macOS, Linux
  // and Office families, MEASURED: a text is laid out in "Font, fallback"
  // for three generic fallbacks; a font counts as installed when, for any
  // fallback, the box differs from the fallback alone. All boxes are laid
  // out at once, so the page pays for a single layout.

  // Each family not installed costs a font lookup (on Linux an IPC round
  // trip to fontconfig, about 1 ms on a cold browser), so the list keeps to
  // families that vary between machines of one OS (versions, Office, language
  // packs, optional packages) plus a few per OS as markers.
  var ARGUS_FONT_CANDIDATES = [
    // Windows (version markers: Bahnschrift 10/1709+, Ink Free 10/1803+, Segoe Fluent Icons 11)
    'Arial', 'Arial Narrow', 'Bahnschrift', 'Calibri', 'Cambria', 'Candara', 'Comic Sans MS', 'Consolas',
    'Courier New', 'Ebrima', 'Franklin Gothic Medium', 'Gabriola', 'Georgia', 'Impact', 'Ink Free',
    'Leelawadee UI', 'Lucida Console', 'Lucida Sans Unicode', 'Malgun Gothic', 'Microsoft Sans Serif',
    'Microsoft YaHei', 'MingLiU-ExtB', 'MS Gothic', 'MV Boli', 'Nirmala UI', 'Palatino Linotype',
    'Segoe Fluent Icons', 'Segoe MDL2 Assets', 'Segoe UI', 'Segoe UI Emoji', 'SimSun', 'Sitka Text',
    'Sylfaen', 'Tahoma', 'Times New Roman', 'Trebuchet MS', 'Verdana', 'Yu Gothic',
    // Microsoft Office and other add-ons
    'Agency FB', 'Aptos', 'Book Antiqua', 'Bookman Old Style', 'Century Gothic', 'Garamond',
    'Haettenschweiler', 'Lucida Handwriting', 'Monotype Corsiva', 'Rockwell', 'Tw Cen MT',
    // macOS / iOS
    'American Typewriter', 'Andale Mono', 'Apple Chancery', 'Avenir', 'Baskerville', 'Chalkboard SE',
    'Copperplate', 'Didot', 'Futura', 'Geneva', 'Gill Sans', 'Helvetica', 'Helvetica Neue',
    'Hiragino Sans', 'Hoefler Text', 'Lucida Grande', 'Menlo', 'Monaco', 'Optima', 'Papyrus',
    'PingFang SC', 'Skia', 'Zapfino',
    // Linux, Android, open fonts
    'Bitstream Vera Sans', 'Cantarell', 'DejaVu Sans', 'DejaVu Sans Mono', 'DejaVu Serif', 'Droid Sans',
    'Fira Code', 'Fira Sans', 'FreeMono', 'FreeSans', 'Lato', 'Liberation Mono', 'Liberation Sans',
    'Liberation Serif', 'Nimbus Sans', 'Noto Color Emoji', 'Noto Sans', 'Noto Sans CJK SC', 'Noto Serif',
    'Open Sans', 'Roboto', 'Roboto Mono', 'Source Code Pro', 'Ubuntu', 'Ubuntu Mono'
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
