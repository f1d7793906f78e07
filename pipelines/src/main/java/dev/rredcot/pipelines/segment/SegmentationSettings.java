package dev.rredcot.pipelines.segment;

import java.io.Serializable;
import java.util.List;

/**
 * Configuration of {@link Segmenter}: the strategy and its limits. Precedence when limits conflict:
 * exact coverage of the trace, then {@code maxSegments}, then {@code minTokens}, then {@code
 * maxTokens} (a cap on segment count can force a segment longer than {@code maxTokens}).
 */
public final class SegmentationSettings implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The cue words of METHOD.md §1. */
  public static final List<String> DEFAULT_CUE_WORDS =
      List.of("Wait", "Alternatively", "So", "Therefore", "Let me");

  private final SegmentationStrategy strategy;
  private final List<String> cueWords;
  private final int fixedTokens;
  private final int targetSegments;
  private final double mergeEntropyThreshold;
  private final int minTokens;
  private final int maxTokens;
  private final int maxSegments;

  private SegmentationSettings(Builder builder) {
    this.strategy = builder.strategy;
    this.cueWords = List.copyOf(builder.cueWords);
    this.fixedTokens = builder.fixedTokens;
    this.targetSegments = builder.targetSegments;
    this.mergeEntropyThreshold = builder.mergeEntropyThreshold;
    this.minTokens = builder.minTokens;
    this.maxTokens = builder.maxTokens;
    this.maxSegments = builder.maxSegments;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Single-segment settings (GRPO). */
  public static SegmentationSettings single() {
    return builder().setStrategy(SegmentationStrategy.SINGLE).build();
  }

  public SegmentationStrategy strategy() {
    return strategy;
  }

  public List<String> cueWords() {
    return cueWords;
  }

  public int fixedTokens() {
    return fixedTokens;
  }

  /** Segment count the entropy merge stops at. */
  public int targetSegments() {
    return targetSegments;
  }

  /** The entropy merge also stops when no adjacent pair's summed entropy (nats) is below this. */
  public double mergeEntropyThreshold() {
    return mergeEntropyThreshold;
  }

  public int minTokens() {
    return minTokens;
  }

  /** Longest segment in tokens; 0 means no limit. */
  public int maxTokens() {
    return maxTokens;
  }

  public int maxSegments() {
    return maxSegments;
  }

  /** Builder: {@code setStrategy} is required, everything else optional. */
  public static final class Builder {
    private SegmentationStrategy strategy;
    private List<String> cueWords = DEFAULT_CUE_WORDS;
    private int fixedTokens = 32;
    private int targetSegments = 8;
    private double mergeEntropyThreshold = Double.POSITIVE_INFINITY;
    private int minTokens = 1;
    private int maxTokens = 0;
    private int maxSegments = 64;

    public Builder setStrategy(SegmentationStrategy value) {
      this.strategy = value;
      return this;
    }

    public Builder optCueWords(List<String> value) {
      this.cueWords = value;
      return this;
    }

    public Builder optFixedTokens(int value) {
      this.fixedTokens = value;
      return this;
    }

    public Builder optTargetSegments(int value) {
      this.targetSegments = value;
      return this;
    }

    public Builder optMergeEntropyThreshold(double value) {
      this.mergeEntropyThreshold = value;
      return this;
    }

    public Builder optMinTokens(int value) {
      this.minTokens = value;
      return this;
    }

    public Builder optMaxTokens(int value) {
      this.maxTokens = value;
      return this;
    }

    public Builder optMaxSegments(int value) {
      this.maxSegments = value;
      return this;
    }

    /** Validates and builds; the message says which setting to change. */
    public SegmentationSettings build() {
      if (strategy == null) {
        throw new IllegalArgumentException("segmentation strategy is required");
      }
      require(fixedTokens >= 1, "fixedTokens must be >= 1, got " + fixedTokens);
      require(targetSegments >= 1, "targetSegments must be >= 1, got " + targetSegments);
      require(minTokens >= 1, "minTokens must be >= 1, got " + minTokens);
      require(
          maxTokens == 0 || maxTokens >= minTokens,
          "maxTokens must be 0 (no limit) or >= minTokens (" + minTokens + "), got " + maxTokens);
      require(maxSegments >= 1, "maxSegments must be >= 1, got " + maxSegments);
      require(
          targetSegments <= maxSegments,
          "targetSegments (" + targetSegments + ") must be <= maxSegments (" + maxSegments + ")");
      require(!Double.isNaN(mergeEntropyThreshold), "mergeEntropyThreshold must not be NaN");
      for (String cue : cueWords) {
        require(cue != null && !cue.isBlank(), "cue words must be non-blank, got " + cueWords);
      }
      return new SegmentationSettings(this);
    }

    private static void require(boolean condition, String message) {
      if (!condition) {
        throw new IllegalArgumentException(message);
      }
    }
  }
}
