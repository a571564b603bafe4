  // pageState: focus, visibility, history length, framing and secure
  // context. Automated sessions often run unfocused with a history of 1.
  registerSource('pageState', function () {
    var framed = null;
    try { framed = window.self !== window.top; } catch (e) { framed = true; }
    var focus = null;
    try { focus = document.hasFocus(); } catch (e) { focus = null; }
    return {
      hasFocus: focus,
      visibilityState: toStringOrNull(document.visibilityState),
      historyLength: toInt(window.history && window.history.length),
      framed: framed,
      secureContext: toBoolOrNull(window.isSecureContext)
    };
  });
