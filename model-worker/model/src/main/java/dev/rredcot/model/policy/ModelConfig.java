package dev.rredcot.model.policy;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Sizes of the decoder-only transformer; saved as {@code model-config.json} in every checkpoint.
 *
 * @param vocabSize number of token ids (from the tokenizer)
 * @param dModel width of the residual stream
 * @param heads attention heads; must divide {@code dModel}
 * @param layers transformer blocks
 * @param dFF hidden width of each MLP
 * @param maxContext longest sequence (bos + prompt + trace) the position table covers
 */
public record ModelConfig(
    @JsonProperty("vocabSize") int vocabSize,
    @JsonProperty("dModel") int dModel,
    @JsonProperty("heads") int heads,
    @JsonProperty("layers") int layers,
    @JsonProperty("dFF") int dFF,
    @JsonProperty("maxContext") int maxContext) {

  /** File name of the configuration inside a checkpoint directory. */
  public static final String FILE_NAME = "model-config.json";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Validates the sizes. */
  @JsonCreator
  public ModelConfig {
    requirePositive("vocabSize", vocabSize);
    requirePositive("dModel", dModel);
    requirePositive("heads", heads);
    requirePositive("layers", layers);
    requirePositive("dFF", dFF);
    requirePositive("maxContext", maxContext);
    if (dModel % heads != 0) {
      throw new IllegalArgumentException(
          "dModel (" + dModel + ") must be divisible by heads (" + heads + ")");
    }
  }

  /** Width of one attention head. */
  public int headDim() {
    return dModel / heads;
  }

  /** Number of trainable parameters of a model with these sizes (output head tied). */
  public long parameterCount() {
    long d = dModel;
    long perLayer = 4 * (d * d + d) + (d * dFF + dFF) + (dFF * d + d) + 4 * d;
    return (long) vocabSize * d + (long) maxContext * d + layers * perLayer + 2 * d;
  }

  /** Writes this configuration as JSON. */
  public void write(Path file) throws IOException {
    JSON.writeValue(file.toFile(), this);
  }

  /** Reads a configuration written by {@link #write}. */
  public static ModelConfig read(Path file) throws IOException {
    return JSON.readValue(file.toFile(), ModelConfig.class);
  }

  /** Starts a builder with the project defaults (about 0.8M parameters, context 128). */
  public static Builder builder() {
    return new Builder();
  }

  private static void requirePositive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
  }

  /** Builder for {@link ModelConfig}; {@code vocabSize} is required, the rest has defaults. */
  public static final class Builder {
    private int vocabSize = -1;
    private int dModel = 128;
    private int heads = 4;
    private int layers = 4;
    private int dFF = 512;
    private int maxContext = 128;

    private Builder() {}

    /** Vocabulary size, normally {@code tokenizer.vocabSize()}. */
    public Builder setVocabSize(int vocabSize) {
      this.vocabSize = vocabSize;
      return this;
    }

    /** Residual width (default 128). */
    public Builder optDModel(int dModel) {
      this.dModel = dModel;
      return this;
    }

    /** Attention heads (default 4). */
    public Builder optHeads(int heads) {
      this.heads = heads;
      return this;
    }

    /** Transformer blocks (default 4). */
    public Builder optLayers(int layers) {
      this.layers = layers;
      return this;
    }

    /** MLP hidden width (default 512). */
    public Builder optDFF(int dFF) {
      this.dFF = dFF;
      return this;
    }

    /** Longest sequence in tokens (default 128). */
    public Builder optMaxContext(int maxContext) {
      this.maxContext = maxContext;
      return this;
    }

    /** Validates and builds. */
    public ModelConfig build() {
      if (vocabSize <= 0) {
        throw new IllegalStateException("setVocabSize(...) is required");
      }
      return new ModelConfig(vocabSize, dModel, heads, layers, dFF, maxContext);
    }
  }
}
