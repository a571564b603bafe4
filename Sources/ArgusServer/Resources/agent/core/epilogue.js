})(
  typeof window !== 'undefined' ? window : this,
  typeof document !== 'undefined' ? document : undefined,
  typeof navigator !== 'undefined' ? navigator : {}
);
