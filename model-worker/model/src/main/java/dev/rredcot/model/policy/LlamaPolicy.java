package dev.rredcot.model.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.BankRequest;
import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.backend.TorchEngine;
import dev.rredcot.model.backend.TraceScore;
import dev.rredcot.model.backend.ValueRequest;
import dev.rredcot.model.backend.llama.LlamaCausalLm;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A Llama-family model ({@link LlamaCausalLm}) as the trained policy: scoring, values and
 * generation are the model's own, {@link #trainStep} is the built-in policy's step ({@link
 * PolicyTraining}: the decoupled PPO objective, Adam with global gradient-norm clipping) over the
 * model's forward pass and parameters, and {@link #save} writes it into the checkpoint store as a
 * Hugging Face directory. It owns the model and closes it.
 */
public final class LlamaPolicy implements TrainablePolicy {

  private final LlamaCausalLm model;
  private final PolicyTraining training;
  private final Set<BackendCapability> capabilities;

  /** The trained policy over {@code model}, with fresh Adam moments; takes ownership of it. */
  public LlamaPolicy(LlamaCausalLm model) {
    this.model = Objects.requireNonNull(model, "model");
    this.training = new PolicyTraining(new Network());
    EnumSet<BackendCapability> declared = EnumSet.copyOf(model.capabilities());
    declared.add(BackendCapability.TRAINING);
    this.capabilities = Set.copyOf(declared);
  }

  /**
   * Loads checkpoint {@code checkpoint} of a store ({@link LlamaCausalLm#load(Checkpoint)}:
   * verified against its manifest) as that policy version.
   */
  public static LlamaPolicy load(Checkpoint checkpoint) throws IOException {
    return new LlamaPolicy(LlamaCausalLm.load(checkpoint));
  }

  /** The model this policy trains. */
  public LlamaCausalLm model() {
    return model;
  }

  /**
   * One step of the decoupled PPO objective ({@link Policy#trainStep} defines it) under the model's
   * lock and the JVM-wide gradient lock.
   *
   * @throws NonFiniteStepException when the loss or gradient norm of the first update is not
   *     finite; the weights are then unchanged
   */
  @Override
  public TrainStepResult trainStep(List<TrainExample> batch, PolicyUpdateOptions options) {
    return training.trainStep(
        batch, options, step -> model.exclusively(() -> TorchEngine.exclusiveGradients(step)));
  }

  @Override
  public Checkpoint save(
      CheckpointStore store, long version, Long parentVersion, Map<String, Double> metrics)
      throws IOException {
    return model.save(store, version, parentVersion, metrics);
  }

  @Override
  public String description() {
    return model.description();
  }

  @Override
  public long version() {
    return model.version();
  }

  @Override
  public Set<BackendCapability> capabilities() {
    return capabilities;
  }

  @Override
  public Tokenizer tokenizer() {
    return model.tokenizer();
  }

  @Override
  public int maxContext() {
    return model.maxContext();
  }

  @Override
  public int contextLength(String prompt, int traceTokens) {
    return model.contextLength(prompt, traceTokens);
  }

  @Override
  public List<float[]> logProbs(List<ScoreRequest> batch) {
    return model.logProbs(batch);
  }

  @Override
  public List<TraceScore> score(List<ScoreRequest> batch) {
    return model.score(batch);
  }

  @Override
  public List<double[]> answerValues(List<ValueRequest> batch, boolean reuseKvCache) {
    return model.answerValues(batch, reuseKvCache);
  }

  @Override
  public List<double[]> bankValues(List<BankRequest> batch, boolean reuseKvCache) {
    return model.bankValues(batch, reuseKvCache);
  }

  @Override
  public List<Sample> generate(List<GenerationRequest> requests, GenerationOptions options) {
    return model.generate(requests, options);
  }

  @Override
  public List<double[]> gradientTimesInput(List<ValueRequest> batch) {
    return model.gradientTimesInput(batch);
  }

  @Override
  public long forwardTokens() {
    return model.forwardTokens();
  }

  @Override
  public void close() {
    model.exclusively(
        () -> {
          training.close();
          return null;
        });
    model.close();
  }

  /** The model as {@link PolicyTraining} trains it: left-padded batches, every parameter. */
  private final class Network implements TrainableNetwork {
    @Override
    public int[] context(String prompt, int[] trace) {
      return model.sequence(prompt, trace);
    }

    @Override
    public int maxContext() {
      return model.maxContext();
    }

    @Override
    public int padId() {
      return model.tokenizer().padId();
    }

    @Override
    public NDArray logits(NDManager manager, PaddedBatch batch) {
      return model.logits(
          manager,
          batch.tokenIdValues(padId()),
          batch.positionValues(),
          batch.realTokenMask(),
          batch.rows(),
          batch.width());
    }

    @Override
    public Map<String, NDArray> parameters() {
      return model.parameters();
    }

    @Override
    public NDManager parameterManager() {
      return model.parameterManager();
    }
  }
}
