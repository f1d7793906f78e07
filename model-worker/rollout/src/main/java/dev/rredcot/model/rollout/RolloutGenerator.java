package dev.rredcot.model.rollout;

import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.task.TaskFamily;
import dev.rredcot.model.task.Verification;
import dev.rredcot.schemas.Prompt;
import dev.rredcot.schemas.Rollout;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The rollout worker's logic without Kafka: samples a GRPO group of G traces for every prompt in
 * one batched generation call, verifies each with the prompt's task family and turns it into a
 * {@link Rollout} with stable ids ({@link RolloutIds}), behaviour log-probs and entropies. The
 * policy is any backend that generates: the worker's trained {@code Policy}, or a fixed model
 * directory ({@code produce-rollouts --model}), whose version the rollouts carry.
 *
 * <p>The sampler seed of a batch is derived from its first group id and the policy version, so
 * re-sampling the same batch with the same policy (a retry) gives the same traces under the same
 * ids.
 */
public final class RolloutGenerator {

  private final Map<String, TaskFamily> families;
  private final int groupSize;
  private final double temperature;
  private final int maxTokens;
  private final Supplier<Instant> clock;

  /**
   * Creates a generator.
   *
   * @param families task families by {@link TaskFamily#name()}; a prompt of another family is
   *     rejected
   * @param groupSize G, traces per prompt (at least 2: GRPO needs a group baseline)
   * @param temperature sampling temperature (positive)
   * @param maxTokens most tokens per trace
   * @param clock source of {@code createdAtMs}
   */
  public RolloutGenerator(
      List<TaskFamily> families,
      int groupSize,
      double temperature,
      int maxTokens,
      Supplier<Instant> clock) {
    if (groupSize < 2) {
      throw new IllegalArgumentException("groupSize must be >= 2, got " + groupSize);
    }
    if (!(temperature > 0) || maxTokens <= 0) {
      throw new IllegalArgumentException(
          "temperature and maxTokens must be positive, got " + temperature + ", " + maxTokens);
    }
    this.families = new HashMap<>();
    for (TaskFamily family : families) {
      this.families.put(family.name(), family);
    }
    this.groupSize = groupSize;
    this.temperature = temperature;
    this.maxTokens = maxTokens;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** G, traces per prompt. */
  public int groupSize() {
    return groupSize;
  }

  /**
   * Samples, verifies and packs G rollouts for each prompt, with {@code policy}.
   *
   * @throws dev.rredcot.model.backend.UnsupportedCapabilityException when {@code policy} does not
   *     generate
   */
  public GeneratedBatch generate(PolicyBackend policy, List<Prompt> prompts) {
    long version = policy.version();
    List<Prompt> served = new ArrayList<>();
    List<GeneratedBatch.Rejected> rejected = new ArrayList<>();
    Map<String, List<Prompt>> byFamily = new HashMap<>();
    for (Prompt prompt : prompts) {
      String problem = check(prompt);
      if (problem != null) {
        rejected.add(new GeneratedBatch.Rejected(prompt, problem));
      } else {
        served.add(prompt);
        byFamily.computeIfAbsent(prompt.getTaskFamily(), f -> new ArrayList<>()).add(prompt);
      }
    }
    List<Rollout> rollouts = new ArrayList<>();
    if (served.isEmpty()) {
      return new GeneratedBatch(version, rollouts, rejected);
    }
    String firstGroupId = RolloutIds.groupId(served.get(0).getId(), attempt(served.get(0)));
    // Families may differ in answer cue; one generate call per cue keeps the stop rule right.
    Map<String, List<Sample>> samplesByFamily = new HashMap<>();
    for (Map.Entry<String, List<Prompt>> entry : byFamily.entrySet()) {
      TaskFamily family = families.get(entry.getKey());
      List<GenerationRequest> familyRequests = new ArrayList<>();
      for (Prompt prompt : entry.getValue()) {
        for (int g = 0; g < groupSize; g++) {
          familyRequests.add(GenerationRequest.of(prompt.getText()));
        }
      }
      GenerationOptions options =
          GenerationOptions.builder()
              .optTemperature(temperature)
              .optMaxTokens(maxTokens)
              .optSeed((firstGroupId + "|" + version + "|" + entry.getKey()).hashCode())
              .optAnswerCue(family.answerCue())
              .optLineEnd(family.lineEnd())
              .build();
      samplesByFamily.put(
          entry.getKey(), new ArrayList<>(policy.generate(familyRequests, options)));
    }
    Map<String, Integer> nextSample = new HashMap<>();
    Instant createdAt = clock.get();
    for (Prompt prompt : served) {
      TaskFamily family = families.get(prompt.getTaskFamily());
      List<Sample> familySamples = samplesByFamily.get(prompt.getTaskFamily());
      int at = nextSample.getOrDefault(prompt.getTaskFamily(), 0);
      nextSample.put(prompt.getTaskFamily(), at + groupSize);
      RolloutRecords.Group group =
          new RolloutRecords.Group(
              RolloutIds.groupId(prompt.getId(), attempt(prompt)),
              groupSize,
              version,
              prompt.getTaskFamily(),
              prompt.getId(),
              prompt.getText(),
              prompt.getReferenceAnswer(),
              prompt.getReferenceSolution(),
              createdAt);
      for (int g = 0; g < groupSize; g++) {
        Sample sample = familySamples.get(at + g);
        Verification verification = family.verifyAnswer(prompt.getReferenceAnswer(), sample.text());
        rollouts.add(RolloutRecords.of(group, g, sample, verification));
      }
    }
    return new GeneratedBatch(version, rollouts, rejected);
  }

  /** The round of a prompt from its metadata (0 when absent). */
  static int attempt(Prompt prompt) {
    String value = prompt.getMetadata().get(RolloutIds.ATTEMPT_METADATA_KEY);
    return value == null ? 0 : Integer.parseInt(value);
  }

  private String check(Prompt prompt) {
    if (!families.containsKey(prompt.getTaskFamily())) {
      return "unknown task family '"
          + prompt.getTaskFamily()
          + "' (this worker knows "
          + families.keySet()
          + ")";
    }
    String value = prompt.getMetadata().get(RolloutIds.ATTEMPT_METADATA_KEY);
    if (value != null) {
      try {
        if (Integer.parseInt(value) < 0) {
          return "metadata attempt must be >= 0, got " + value;
        }
      } catch (NumberFormatException e) {
        return "metadata attempt is not an integer: '" + value + "'";
      }
    }
    return null;
  }
}
