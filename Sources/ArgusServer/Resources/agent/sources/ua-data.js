  // uaData: User-Agent Client Hints (Chromium, secure contexts only), with
  // the high-entropy values; null where unsupported.
  registerSource('uaData', function () {
    var d = navigator.userAgentData;
    if (!d) return null;
    function brandList(list) {
      return listOf(list).map(function (b) { return { brand: String(b.brand), version: String(b.version) }; });
    }
    var base = {
      brands: brandList(d.brands),
      mobile: toBoolOrNull(d.mobile),
      platform: toStringOrNull(d.platform)
    };
    if (typeof d.getHighEntropyValues !== 'function') return base;
    return d.getHighEntropyValues(['architecture', 'bitness', 'model', 'platformVersion',
      'fullVersionList', 'wow64', 'formFactors']).then(function (h) {
      base.platformVersion = toStringOrNull(h.platformVersion);
      base.architecture = toStringOrNull(h.architecture);
      base.bitness = toStringOrNull(h.bitness);
      base.model = toStringOrNull(h.model);
      base.wow64 = toBoolOrNull(h.wow64);
      base.formFactors = h.formFactors ? listOf(h.formFactors).map(String) : null;
      base.fullVersionList = h.fullVersionList ? brandList(h.fullVersionList) : null;
      return base;
    }, function () {
      // The high-entropy values were refused (a policy, a detached frame):
      // the low-entropy ones above still stand.
      return base;
    });
  });
