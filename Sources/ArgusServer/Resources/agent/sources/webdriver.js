  // webdriver: navigator.webdriver (true when driven by WebDriver/CDP automation).
  registerSource('webdriver', function () {
    var w = navigator.webdriver;
    return w === undefined || w === null ? null : !!w;
  });
