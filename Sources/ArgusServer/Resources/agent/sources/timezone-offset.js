  // timezoneOffset: Date#getTimezoneOffset() in standard (non-DST) time, in
  // minutes, sign as JavaScript gives it (Berlin: -60). Using the standard
  // offset keeps the value stable across daylight-saving changes.
  registerSource('timezoneOffset', function () {
    var year = new Date().getFullYear();
    var jan = new Date(year, 0, 1).getTimezoneOffset();
    var jul = new Date(year, 6, 1).getTimezoneOffset();
    return toInt(Math.max(jan, jul));
  });
