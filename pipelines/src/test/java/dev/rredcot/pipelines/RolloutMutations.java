package dev.rredcot.pipelines;

import dev.rredcot.schemas.Rollout;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/** Random mutations of a rollout's field values and of its encoded bytes, for property tests. */
public final class RolloutMutations {
  private RolloutMutations() {}

  /** Mutations of one field; {@code alwaysInvalid} ones break the contract whatever the rest. */
  public record Mutation(boolean alwaysInvalid, Consumer<Rollout> apply) {}

  /** The field mutations, drawing their values from {@code random}. */
  public static List<Mutation> fieldMutations(Random random) {
    float[] floats = {Float.NaN, Float.POSITIVE_INFINITY, -1e30f, 1e30f, -0f, 3f};
    String[] strings = {"", " ", "x", "A: 42\n", "12+30=42\nA: 42\n", "ü\u0000\uD800", "42"};
    return List.of(
        new Mutation(true, r -> setAt(random, r.getLogProbs(), Float.NaN)),
        new Mutation(false, r -> setAt(random, r.getLogProbs(), pick(random, floats))),
        new Mutation(false, r -> setAt(random, r.getEntropies(), pick(random, floats))),
        new Mutation(false, r -> r.setEntropies(null)),
        new Mutation(false, r -> truncate(random, r.getTokenIds())),
        new Mutation(false, r -> truncate(random, r.getLogProbs())),
        new Mutation(false, r -> truncate(random, r.getEntropies())),
        new Mutation(
            false, r -> setAt(random, r.getTokenIds(), random.nextInt() >> random.nextInt(32))),
        new Mutation(true, r -> r.setGroupSize(-1 - random.nextInt(1000))),
        new Mutation(false, r -> r.setGroupSize(random.nextInt(3000))),
        new Mutation(false, r -> r.setSampleIndex(random.nextInt(20) - 5)),
        new Mutation(true, r -> r.setPolicyVersion(-1 - random.nextInt(1000))),
        new Mutation(false, r -> r.setPolicyVersion(random.nextLong())),
        new Mutation(true, r -> r.setRolloutId("")),
        new Mutation(false, r -> r.setGroupId(pick(random, strings))),
        new Mutation(false, r -> r.setPromptText(pick(random, strings))),
        new Mutation(false, r -> r.setText(pick(random, strings))),
        new Mutation(false, r -> r.setReferenceAnswer(pick(random, strings))),
        new Mutation(
            false, r -> r.setTaskFamily(pick(random, new String[] {"arith", "countdown", "?"}))),
        new Mutation(true, r -> r.setReward(Double.NaN)),
        new Mutation(false, r -> r.setReward(1.0 - r.getReward())),
        new Mutation(
            false, r -> r.setReward(pick(random, new Double[] {-1.0, 2.0, 1e308, 0.0, 1.0}))));
  }

  /**
   * Fields that members of a group share, mutated to a value the contract of one record accepts:
   * only the group can tell that they are wrong.
   */
  public static List<Consumer<Rollout>> sharedFieldMutations(Random random) {
    return List.of(
        r -> r.setPolicyVersion(r.getPolicyVersion() + 1 + random.nextInt(5)),
        r -> r.setPromptId(r.getPromptId() + "-other"),
        r -> r.setPromptText(r.getPromptText() + " "),
        r -> r.setTaskFamily("countdown".equals(r.getTaskFamily()) ? "arith" : "countdown"),
        r -> r.setReferenceAnswer(r.getReferenceAnswer() + "0"),
        r -> r.setGroupSize(r.getGroupSize() + 1 + random.nextInt(3)));
  }

  /** The encoded bytes with one of: a flipped bit, a cut tail, a random byte, or a random run. */
  public static byte[] mutateBytes(Random random, byte[] bytes) {
    byte[] copy = bytes.clone();
    switch (random.nextInt(4)) {
      case 0 -> {
        int i = random.nextInt(copy.length);
        copy[i] = (byte) (copy[i] ^ (1 << random.nextInt(8)));
        return copy;
      }
      case 1 -> {
        return java.util.Arrays.copyOf(copy, random.nextInt(copy.length));
      }
      case 2 -> {
        copy[random.nextInt(copy.length)] = (byte) random.nextInt(256);
        return copy;
      }
      default -> {
        int from = random.nextInt(copy.length);
        int to = Math.min(copy.length, from + 1 + random.nextInt(16));
        for (int i = from; i < to; i++) {
          copy[i] = (byte) random.nextInt(256);
        }
        return copy;
      }
    }
  }

  private static <T> T pick(Random random, T[] values) {
    return values[random.nextInt(values.length)];
  }

  private static float pick(Random random, float[] values) {
    return values[random.nextInt(values.length)];
  }

  private static <T> void setAt(Random random, List<T> list, T value) {
    if (list != null && !list.isEmpty()) {
      list.set(random.nextInt(list.size()), value);
    }
  }

  private static <T> void truncate(Random random, List<T> list) {
    if (list != null && !list.isEmpty()) {
      list.subList(random.nextInt(list.size()), list.size()).clear();
    }
  }
}
