public enum _ArgusCorePlaceholder {}
