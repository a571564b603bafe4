  // doNotTrack: the DNT setting as the browser reports it ("1", "0",
  // "unspecified") or null.
  registerSource('doNotTrack', function () {
    var v = navigator.doNotTrack;
    if (v == null) v = window.doNotTrack;
    if (v == null) v = navigator.msDoNotTrack;
    return toStringOrNull(v);
  });
