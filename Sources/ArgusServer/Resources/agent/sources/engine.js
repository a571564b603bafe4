  // engine: facts of the JavaScript engine that a spoofed user agent does
  // not change: eval's source length (33 V8/JSC, 37 SpiderMonkey), the
  // stack-trace style, navigator.product/productSub, Firefox's buildID.
  registerSource('engine', function () {
    var stack = '';
    try { stack = String(new Error('x').stack || ''); } catch (e) { stack = ''; }
    var style = /^\s+at /m.test(stack) ? 'v8' : (/@/.test(stack) ? 'at-sign' : (stack ? 'other' : 'none'));
    return {
      evalLength: eval.toString().length,
      stackStyle: style,
      product: toStringOrNull(navigator.product),
      productSub: toStringOrNull(navigator.productSub),
      buildID: toStringOrNull(navigator.buildID)
    };
  });
