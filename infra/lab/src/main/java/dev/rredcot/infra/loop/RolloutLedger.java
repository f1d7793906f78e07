package dev.rredcot.infra.loop;

import dev.rredcot.model.trainer.TrainerCore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every rollout id of a loop run at one moment and what became of it: from the topics ({@link
 * TopicAudit}) and the trainer's trained- and stale-rollouts logs in the checkpoint store.
 *
 * @param produced distinct ids on {@code rollouts}
 * @param credited distinct ids on {@code credited-rollouts}
 * @param trainedCounts id to the number of lines it has in the trained-rollouts log
 * @param trainedVersion id to the policy version of its first trained-log line
 * @param staleIds ids in the stale-rollouts log
 * @param dead id to {@code stage<TAB>reason} of its first dead letter
 * @param unaccounted produced ids neither trained, stale nor dead-lettered (yet)
 */
public record RolloutLedger(
    Set<String> produced,
    Set<String> credited,
    Map<String, Integer> trainedCounts,
    Map<String, Long> trainedVersion,
    Set<String> staleIds,
    Map<String, String> dead,
    Set<String> unaccounted) {

  /**
   * What became of the produced ids, each counted once: trained before stale before dead-lettered,
   * so {@code produced = trained + stale + deadLetters + unaccounted}.
   *
   * @param produced distinct ids on {@code rollouts}
   * @param trained produced ids in the trained-rollouts log
   * @param stale produced ids dropped for staleness and not trained
   * @param deadLetters produced ids with a dead letter, neither trained nor stale
   * @param unaccounted produced ids with none of these: in flight, or lost when the loop has ended
   * @param deadLettersByReason those dead letters by {@code stage/reason}
   */
  public record Outcomes(
      int produced,
      int trained,
      int stale,
      int deadLetters,
      int unaccounted,
      Map<String, Integer> deadLettersByReason) {}

  /** The ledger now: the audit's ids and the trainer's logs under {@code store}. */
  public static RolloutLedger read(TopicAudit audit, Path store) {
    Set<String> produced = audit.produced();
    Map<String, Integer> trainedCounts = new LinkedHashMap<>();
    Map<String, Long> trainedVersion = new LinkedHashMap<>();
    for (String[] line : logLines(store.resolve(TrainerCore.TRAINED_ROLLOUTS_FILE))) {
      trainedCounts.merge(line[1], 1, Integer::sum);
      trainedVersion.putIfAbsent(line[1], Long.parseLong(line[0]));
    }
    Set<String> stale = new LinkedHashSet<>();
    for (String[] line : logLines(store.resolve(TrainerCore.STALE_ROLLOUTS_FILE))) {
      stale.add(line[1]);
    }
    Map<String, String> dead = audit.dead();
    Set<String> unaccounted = new LinkedHashSet<>();
    for (String id : produced) {
      if (!trainedCounts.containsKey(id) && !stale.contains(id) && !dead.containsKey(id)) {
        unaccounted.add(id);
      }
    }
    return new RolloutLedger(
        produced, audit.credited(), trainedCounts, trainedVersion, stale, dead, unaccounted);
  }

  /** Distinct ids in the trained-rollouts log under {@code store} (no topic read). */
  public static int trainedCount(Path store) {
    Set<String> ids = new LinkedHashSet<>();
    for (String[] line : logLines(store.resolve(TrainerCore.TRAINED_ROLLOUTS_FILE))) {
      ids.add(line[1]);
    }
    return ids.size();
  }

  /** Produced ids trained, stale or dead-lettered. */
  public int accounted() {
    return produced.size() - unaccounted.size();
  }

  /** Ids listed more than once in the trained-rollouts log. */
  public int trainedTwice() {
    return (int) trainedCounts.values().stream().filter(count -> count > 1).count();
  }

  /** Each produced id's outcome, counted once. */
  public Outcomes outcomes() {
    int trained = 0;
    int stale = 0;
    int deadLetters = 0;
    Map<String, Integer> deadByReason = new TreeMap<>();
    for (String id : produced) {
      if (trainedCounts.containsKey(id)) {
        trained++;
      } else if (staleIds.contains(id)) {
        stale++;
      } else if (dead.containsKey(id)) {
        deadLetters++;
        deadByReason.merge(dead.get(id).replace('\t', '/'), 1, Integer::sum);
      }
    }
    return new Outcomes(
        produced.size(), trained, stale, deadLetters, unaccounted.size(), deadByReason);
  }

  /** The complete data lines of a trained- or stale-rollouts log (header and torn line skipped). */
  private static List<String[]> logLines(Path file) {
    List<String[]> lines = new ArrayList<>();
    if (!Files.isRegularFile(file)) {
      return lines;
    }
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return lines;
    }
    int end = text.lastIndexOf('\n');
    if (end < 0) {
      return lines;
    }
    for (String line : text.substring(0, end).split("\n")) {
      String[] columns = line.split("\t");
      if (columns.length == 4 && !columns[0].equals("policy_version")) {
        lines.add(columns);
      }
    }
    return lines;
  }
}
