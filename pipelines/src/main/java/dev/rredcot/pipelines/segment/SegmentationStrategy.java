package dev.rredcot.pipelines.segment;

import java.util.Locale;

/** How a chain of thought is cut into segments (METHOD.md §1); the name is the option value. */
public enum SegmentationStrategy {
  /** One segment over the whole trace: plain GRPO. */
  SINGLE(false, false),
  /** Cut after every newline and before every cue word. */
  KEYWORD(true, false),
  /** Cut every {@code fixedTokens} tokens. */
  FIXED(false, false),
  /** Start from single tokens and merge the lowest-entropy adjacent pairs. */
  ENTROPY(false, true),
  /** Keyword split, then entropy merge down to the target count (the paper's choice). */
  HYBRID(true, true);

  private final boolean needsText;
  private final boolean needsEntropies;

  SegmentationStrategy(boolean needsText, boolean needsEntropies) {
    this.needsText = needsText;
    this.needsEntropies = needsEntropies;
  }

  /** Whether the strategy reads the per-token text. */
  public boolean needsText() {
    return needsText;
  }

  /** Whether the strategy reads per-token entropies. */
  public boolean needsEntropies() {
    return needsEntropies;
  }

  /** The lower-case option value, e.g. {@code hybrid}. */
  public String optionValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses an option value; the error lists the valid ones. */
  public static SegmentationStrategy fromOption(String value) {
    for (SegmentationStrategy strategy : values()) {
      if (strategy.optionValue().equals(value)) {
        return strategy;
      }
    }
    throw new IllegalArgumentException(
        "unknown segmentation '" + value + "': use single, keyword, fixed, entropy or hybrid");
  }
}
