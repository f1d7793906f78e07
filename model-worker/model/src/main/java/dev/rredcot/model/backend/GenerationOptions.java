package dev.rredcot.model.backend;

import java.util.Objects;

/**
 * Sampling settings for {@link Policy#generate}.
 *
 * @param temperature softmax temperature; 0 means greedy (argmax)
 * @param topP nucleus mass in (0, 1]; 1 disables nucleus filtering
 * @param maxTokens most tokens generated per sequence (forced prefix not counted)
 * @param seed seed of the sampler (per call, so results are reproducible)
 * @param useKvCache reuse keys/values of earlier positions (true) or re-run the whole sequence at
 *     every step (false, for the benchmark and as a test oracle)
 * @param answerCue a line starting with this text is the answer line; its line end stops the
 *     sequence
 * @param lineEnd the text that ends a line (the task family's, a newline by default)
 */
public record GenerationOptions(
    double temperature,
    double topP,
    int maxTokens,
    long seed,
    boolean useKvCache,
    String answerCue,
    String lineEnd) {

  /** Validates. */
  public GenerationOptions {
    if (!(temperature >= 0)) {
      throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
    }
    if (maxTokens <= 0) {
      throw new IllegalArgumentException("maxTokens must be positive, got " + maxTokens);
    }
    Objects.requireNonNull(answerCue, "answerCue");
    Objects.requireNonNull(lineEnd, "lineEnd");
    if (lineEnd.isEmpty()) {
      throw new IllegalArgumentException("lineEnd must not be empty");
    }
  }

  /**
   * Starts a builder: temperature 1, topP 1, maxTokens 96, seed 0, KV cache on, cue "A: ", lines
   * ended by a newline.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder for {@link GenerationOptions}. */
  public static final class Builder {
    private double temperature = 1.0;
    private double topP = 1.0;
    private int maxTokens = 96;
    private long seed;
    private boolean useKvCache = true;
    private String answerCue = "A: ";
    private String lineEnd = "\n";

    private Builder() {}

    /** Softmax temperature (0 = greedy). */
    public Builder optTemperature(double temperature) {
      this.temperature = temperature;
      return this;
    }

    /** Nucleus mass. */
    public Builder optTopP(double topP) {
      this.topP = topP;
      return this;
    }

    /** Most generated tokens per sequence. */
    public Builder optMaxTokens(int maxTokens) {
      this.maxTokens = maxTokens;
      return this;
    }

    /** Sampler seed. */
    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Whether to use the KV cache. */
    public Builder optUseKvCache(boolean useKvCache) {
      this.useKvCache = useKvCache;
      return this;
    }

    /** Answer cue that marks the final line. */
    public Builder optAnswerCue(String answerCue) {
      this.answerCue = answerCue;
      return this;
    }

    /** The text that ends a line ({@code TaskFamily.lineEnd()}). */
    public Builder optLineEnd(String lineEnd) {
      this.lineEnd = lineEnd;
      return this;
    }

    /** Validates and builds. */
    public GenerationOptions build() {
      return new GenerationOptions(
          temperature, topP, maxTokens, seed, useKvCache, answerCue, lineEnd);
    }
  }
}
