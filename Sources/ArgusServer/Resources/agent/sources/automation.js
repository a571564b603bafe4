  // automation: traces left by automation frameworks and by tools that
  // patch browser APIs to hide them:
  //   globals            window/document properties that drivers inject
  //                      (ChromeDriver's cdc_..., Selenium, PhantomJS,
  //                      Nightmare, Playwright, Cypress, ...)
  //   documentAttributes webdriver-ish attributes on <html>
  //   outer/inner sizes  headless windows often report outer 0x0
  //   webdriverDescriptor where navigator.webdriver lives and whether its
  //                      getter is still native
  //   navigatorOwnProps  own properties of navigator (normally none: patches
  //                      add them)
  //   tamperedFunctions  native APIs whose source text is not "[native
  //                      code]" under their own name, has a prototype, or
  //                      differs from a pristine realm's Function#toString
  //   headlessUA         "HeadlessChrome" in the user agent
  //   chromeObject       window.chrome present (Chromium UAs without it are
  //                      suspicious)

  var ARGUS_AUTOMATION_NAME = /^(\$?cdc_|\$wdc_|\$chrome_asyncScriptInfo|__webdriver|__selenium|_selenium|__fxdriver|__driver_|_Selenium_IDE|calledSelenium|_WEBDRIVER_ELEM_CACHE|webdriver$|__lastWatir|callPhantom$|_phantom$|phantom$|__nightmare$|nightmare$|domAutomation|__playwright|__pw_|__pwInitScripts|playwright$|__puppeteer|puppeteer$|Cypress$|__cypress|_cypress|awesomium$|geb$|emit$|spawn$|__coverage__$|wdioElectron)/;

  function argusAutomationNames(obj) {
    var out = [];
    var names;
    try { names = Object.getOwnPropertyNames(obj); } catch (e) { return out; }
    for (var i = 0; i < names.length; i++) {
      if (ARGUS_AUTOMATION_NAME.test(names[i])) out.push(names[i]);
    }
    return out;
  }

  function argusProtoGetter(proto, prop) {
    try {
      var d = proto && Object.getOwnPropertyDescriptor(proto, prop);
      return d ? d.get || d.value : null;
    } catch (e) {
      return null;
    }
  }

  function argusPristineToString() {
    var root = document.body || document.documentElement;
    if (!root) return null;
    var frame = document.createElement('iframe');
    frame.style.cssText = 'display:none!important';
    frame.setAttribute('aria-hidden', 'true');
    root.appendChild(frame);
    try {
      var w = frame.contentWindow;
      return w && w.Function && w.Function.prototype.toString;
    } catch (e) {
      return null;
    } finally {
      root.removeChild(frame);
    }
  }

  function argusTamperedFunctions() {
    var P = window;
    var checks = [
      ['Function.prototype.toString', Function.prototype.toString, 'toString'],
      ['Permissions.query', argusProtoGetter(P.Permissions && P.Permissions.prototype, 'query'), 'query'],
      ['HTMLCanvasElement.toDataURL', argusProtoGetter(P.HTMLCanvasElement && P.HTMLCanvasElement.prototype, 'toDataURL'), 'toDataURL'],
      ['HTMLCanvasElement.getContext', argusProtoGetter(P.HTMLCanvasElement && P.HTMLCanvasElement.prototype, 'getContext'), 'getContext'],
      ['CanvasRenderingContext2D.getImageData', argusProtoGetter(P.CanvasRenderingContext2D && P.CanvasRenderingContext2D.prototype, 'getImageData'), 'getImageData'],
      ['WebGLRenderingContext.getParameter', argusProtoGetter(P.WebGLRenderingContext && P.WebGLRenderingContext.prototype, 'getParameter'), 'getParameter'],
      ['WebGL2RenderingContext.getParameter', argusProtoGetter(P.WebGL2RenderingContext && P.WebGL2RenderingContext.prototype, 'getParameter'), 'getParameter'],
      ['AudioBuffer.getChannelData', argusProtoGetter(P.AudioBuffer && P.AudioBuffer.prototype, 'getChannelData'), 'getChannelData'],
      ['Date.getTimezoneOffset', Date.prototype.getTimezoneOffset, 'getTimezoneOffset'],
      ['Intl.DateTimeFormat.resolvedOptions', typeof Intl !== 'undefined' ? Intl.DateTimeFormat.prototype.resolvedOptions : null, 'resolvedOptions'],
      ['Navigator.webdriver', argusProtoGetter(P.Navigator && P.Navigator.prototype, 'webdriver'), 'webdriver'],
      ['Navigator.userAgent', argusProtoGetter(P.Navigator && P.Navigator.prototype, 'userAgent'), 'userAgent'],
      ['Navigator.platform', argusProtoGetter(P.Navigator && P.Navigator.prototype, 'platform'), 'platform'],
      ['Navigator.languages', argusProtoGetter(P.Navigator && P.Navigator.prototype, 'languages'), 'languages'],
      ['Navigator.plugins', argusProtoGetter(P.Navigator && P.Navigator.prototype, 'plugins'), 'plugins'],
      ['Navigator.hardwareConcurrency', argusProtoGetter(P.Navigator && P.Navigator.prototype, 'hardwareConcurrency'), 'hardwareConcurrency'],
      ['Screen.width', argusProtoGetter(P.Screen && P.Screen.prototype, 'width'), 'width'],
      ['Screen.height', argusProtoGetter(P.Screen && P.Screen.prototype, 'height'), 'height'],
      ['HTMLElement.offsetWidth', argusProtoGetter(P.HTMLElement && P.HTMLElement.prototype, 'offsetWidth'), 'offsetWidth'],
      ['Document.hasFocus', argusProtoGetter(P.Document && P.Document.prototype, 'hasFocus'), 'hasFocus']
    ];
    var localToString = Function.prototype.toString;
    var pristine = null;
    try { pristine = argusPristineToString(); } catch (e) { pristine = null; }
    var nativeText = /\{\s*\[native code\]\s*\}\s*$/;
    var tampered = [];
    for (var i = 0; i < checks.length; i++) {
      var label = checks[i][0];
      var fn = checks[i][1];
      if (typeof fn !== 'function') continue;
      var bad = false;
      try {
        var text = localToString.call(fn);
        if (!nativeText.test(text) || text.indexOf(checks[i][2]) === -1) bad = true;
        if (hasOwn(fn, 'prototype')) bad = true;
        if (pristine && pristine.call(fn) !== text) bad = true;
      } catch (e) {
        bad = true;
      }
      if (bad) tampered.push(label);
    }
    return tampered;
  }

  function argusWebdriverDescriptor() {
    var own = false;
    try { own = !!Object.getOwnPropertyDescriptor(navigator, 'webdriver'); } catch (e) { own = false; }
    var proto = window.Navigator && window.Navigator.prototype;
    var d = null;
    try { d = proto && Object.getOwnPropertyDescriptor(proto, 'webdriver'); } catch (e) { d = null; }
    var getter = 'missing';
    if (d && typeof d.get === 'function') {
      var text = '';
      try { text = Function.prototype.toString.call(d.get); } catch (e) { text = ''; }
      getter = /\[native code\]/.test(text) ? 'native' : 'patched';
    } else if (d) {
      getter = 'value';
    }
    var illegalInvocation = null;
    if (d && typeof d.get === 'function') {
      try {
        d.get.call({});
        illegalInvocation = false; // a native getter throws on a foreign receiver
      } catch (e) {
        illegalInvocation = true;
      }
    }
    return {
      ownProperty: own,
      onPrototype: !!d,
      getter: getter,
      throwsOnForeignThis: illegalInvocation,
      enumerable: d ? !!d.enumerable : null,
      configurable: d ? !!d.configurable : null,
      inNavigator: 'webdriver' in navigator
    };
  }

  registerSource('automation', function () {
    var attrs = [];
    try {
      var el = document.documentElement;
      ['webdriver', 'selenium', 'driver'].forEach(function (a) {
        if (el && el.getAttribute(a) !== null) attrs.push(a);
      });
    } catch (e) { /* ignore */ }
    var navOwn = [];
    try { navOwn = Object.getOwnPropertyNames(navigator); } catch (e) { navOwn = []; }
    var ua = String(navigator.userAgent || '');
    return {
      globals: argusAutomationNames(window).concat(document ? argusAutomationNames(document) : []),
      documentAttributes: attrs,
      outerWidth: toInt(window.outerWidth),
      outerHeight: toInt(window.outerHeight),
      innerWidth: toInt(window.innerWidth),
      innerHeight: toInt(window.innerHeight),
      webdriverDescriptor: argusWebdriverDescriptor(),
      navigatorOwnProps: navOwn.slice(0, 30),
      tamperedFunctions: argusTamperedFunctions(),
      headlessUA: /HeadlessChrome/.test(ua),
      chromeObject: typeof window.chrome === 'object' && window.chrome !== null
    };
  });
