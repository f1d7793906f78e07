package dev.rredcot.pipelines;

import dev.rredcot.pipelines.record.RawRecord;
import dev.rredcot.schemas.RecordCodec;
import dev.rredcot.schemas.Rollout;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Rollouts for tests: a valid default that each test changes in the one field it is about. */
public final class TestRollouts {
  public static final RecordCodec<Rollout> CODEC = RecordCodec.of(Rollout.class);

  private TestRollouts() {}

  /** A valid rollout of {@code groupId} with one token per character of {@code text}. */
  public static Rollout.Builder rollout(
      String groupId, int sampleIndex, int groupSize, double reward, String text) {
    List<Integer> tokens = new ArrayList<>();
    List<Float> logProbs = new ArrayList<>();
    for (int i = 0; i < text.length(); i++) {
      tokens.add((int) text.charAt(i) % 32);
      logProbs.add(-0.5f);
    }
    return Rollout.newBuilder()
        .setRolloutId(groupId + "-r" + sampleIndex)
        .setPromptId(groupId + "-prompt")
        .setGroupId(groupId)
        .setSampleIndex(sampleIndex)
        .setGroupSize(groupSize)
        .setPolicyVersion(3L)
        .setPromptText("Q: 12+30=?\n")
        .setTokenIds(tokens)
        .setText(text)
        .setLogProbs(logProbs)
        .setReferenceAnswer("42")
        .setReward(reward)
        .setCreatedAtMs(Instant.ofEpochMilli(1_700_000_000_000L));
  }

  /**
   * A valid rollout with a short arithmetic trace whose verified reward is {@code reward}: the
   * right answer for reward 1, a wrong one otherwise (ingest re-verifies the reward).
   */
  public static Rollout rollout(String groupId, int sampleIndex, int groupSize, double reward) {
    String text = reward == 1.0 ? "12+30=42\nA: 42\n" : "12+30=41\nA: 41\n";
    return rollout(groupId, sampleIndex, groupSize, reward, text).build();
  }

  /** The rollout encoded as it would be on the input topic, at the given offset. */
  public static RawRecord raw(Rollout rollout, long offset) {
    return RawRecord.of(
        rollout.getGroupId().getBytes(java.nio.charset.StandardCharsets.UTF_8),
        CODEC.encode(rollout),
        "rollouts",
        0,
        offset);
  }
}
