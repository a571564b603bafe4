  // touch: whether TouchEvent can be created and ontouchstart exists (with
  // maxTouchPoints this tells real touch devices from emulation).
  registerSource('touch', function () {
    var touchEvent = false;
    try {
      document.createEvent('TouchEvent');
      touchEvent = true;
    } catch (e) {
      touchEvent = false;
    }
    return { touchEvent: touchEvent, touchStart: 'ontouchstart' in window };
  });
