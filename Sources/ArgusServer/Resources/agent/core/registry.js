  // ---- the source registry ----
  // A source is a function (ctx) -> JSON value | Promise of one. Each file in
  // sources/ registers one; the component takes the source's name. Sources
  // start in registration order, so the asynchronous ones come first in
  // manifest.txt and run while the synchronous ones occupy the main thread.

  var DEFAULT_SOURCE_BUDGET_MS = 200;
  var SOURCES = [];

  function registerSource(name, fn, options) {
    var budget = (options && options.budgetMs) || DEFAULT_SOURCE_BUDGET_MS;
    for (var i = 0; i < SOURCES.length; i++) {
      if (SOURCES[i].name === name) {
        SOURCES[i] = { name: name, fn: fn, budget: budget };
        return;
      }
    }
    SOURCES.push({ name: name, fn: fn, budget: budget });
  }
