package dev.rredcot.pipelines.value;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.grpo.GroupStatistics;
import dev.rredcot.model.loading.CheckpointAnnouncement;
import dev.rredcot.model.testing.TinyPolicy;
import dev.rredcot.model.tokenizer.CharTokenizer;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.schemas.PolicyCheckpoint;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Tiny random policies in a temp checkpoint store and rollouts they can score, for tests. */
public final class TinyPolicies {
  public static final int MAX_CONTEXT = 96;
  public static final CharTokenizer TOKENIZER = TinyPolicy.TOKENIZER;
  public static final String PROMPT = "Q: 12+30-5\n";
  public static final String CORRECT = "12+30=42\n42-5=37\nA: 37\n";
  public static final String WRONG = "12+30=42\n42-5=38\nA: 38\n";

  private TinyPolicies() {}

  /** Saves a fresh random policy as {@code version} into the store at {@code root}. */
  public static Checkpoint save(Path root, long version, long seed) throws IOException {
    return TinyPolicy.save(root, version, MAX_CONTEXT, seed);
  }

  /** The announcement of a checkpoint, as the trainer publishes it. */
  public static PolicyCheckpoint announcement(Checkpoint checkpoint) {
    return CheckpointAnnouncement.of(checkpoint, Map.of());
  }

  public static ModelSettings settings(Path root) {
    return ModelSettings.builder().setCheckpointDir(root.toString()).optMcSamples(4).build();
  }

  /** A rollout of the arith task with char-tokenizer token ids. */
  public static Rollout.Builder rollout(String groupId, int index, int groupSize, String text) {
    int[] ids = TOKENIZER.encode(text);
    List<Integer> tokens = new ArrayList<>();
    List<Float> logProbs = new ArrayList<>();
    for (int id : ids) {
      tokens.add(id);
      logProbs.add(-1f);
    }
    return Rollout.newBuilder()
        .setRolloutId(groupId + "-r" + index)
        .setPromptId(groupId + "-p")
        .setGroupId(groupId)
        .setSampleIndex(index)
        .setGroupSize(groupSize)
        .setPolicyVersion(1L)
        .setPromptText(PROMPT)
        .setTokenIds(tokens)
        .setText(text)
        .setLogProbs(logProbs)
        .setReferenceAnswer("37")
        .setReferenceSolution(CORRECT)
        .setReward(text.equals(CORRECT) ? 1.0 : 0.0)
        .setCreatedAtMs(Instant.ofEpochMilli(1_700_000_000_000L));
  }

  /** A group of segmented traces (cut after every line). */
  public static TraceGroup group(String groupId, int groupSize, List<Rollout> rollouts) {
    List<TraceCredit> traces = new ArrayList<>();
    List<Double> rewards = new ArrayList<>();
    for (Rollout rollout : rollouts) {
      traces.add(TraceCredit.of(rollout).withSegments("keyword", lineBoundaries(rollout), 0));
      rewards.add(rollout.getReward());
    }
    return new TraceGroup(groupId, groupSize, true, GroupStatistics.of(rewards), traces);
  }

  public static int[] lineBoundaries(Rollout rollout) {
    List<Integer> cuts = new ArrayList<>();
    cuts.add(0);
    String text = rollout.getText();
    for (int i = 0; i < text.length() - 1; i++) {
      if (text.charAt(i) == '\n') {
        cuts.add(i + 1);
      }
    }
    cuts.add(rollout.getTokenIds().size());
    return cuts.stream().mapToInt(Integer::intValue).toArray();
  }
}
