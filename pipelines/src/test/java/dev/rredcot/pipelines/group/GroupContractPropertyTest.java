package dev.rredcot.pipelines.group;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.in;

import dev.rredcot.pipelines.RolloutMutations;
import dev.rredcot.pipelines.TestRollouts;
import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.ingest.ParseRollouts;
import dev.rredcot.pipelines.ingest.RolloutContract;
import dev.rredcot.pipelines.record.RawRecord;
import dev.rredcot.pipelines.record.RawRecordCoder;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.RecordDecodingException;
import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Random mutations of valid groups (field values of one member, the bytes of one member, a shared
 * field of one member, a second content under one id, exact redeliveries) through ParseRollouts and
 * GroupRollouts: every record is credited unchanged or dead-lettered, a group whose valid members
 * break a cross-record invariant is never credited, and nothing throws.
 */
@Tag("slow")
@ExtendWith(TestPipelineExtension.class)
class GroupContractPropertyTest {
  private static final long SEED = 20261201L;
  private static final int GROUPS = 48;

  /** A record as sent, with the verdict of the contract of one record on it. */
  private record Sent(int offset, byte[] bytes, Rollout decoded, boolean valid) {}

  @Test
  void mutatedGroupsAreCreditedUnchangedOrDeadLetteredNeverThrown(TestPipeline pipeline) {
    Random random = new Random(SEED);
    List<RolloutMutations.Mutation> fieldMutations = RolloutMutations.fieldMutations(random);
    List<Consumer<Rollout>> sharedMutations = RolloutMutations.sharedFieldMutations(random);
    List<List<byte[]>> arrivals = new ArrayList<>();
    Set<String> sharedFieldBroken = new HashSet<>();
    for (int g = 0; g < GROUPS; g++) {
      String groupId = "pg" + g;
      int groupSize = 2 + random.nextInt(3);
      List<Rollout> members = new ArrayList<>();
      for (int k = 0; k < groupSize; k++) {
        members.add(TestRollouts.rollout(groupId, k, groupSize, random.nextBoolean() ? 1.0 : 0.0));
      }
      List<byte[]> records = new ArrayList<>();
      members.forEach(m -> records.add(TestRollouts.CODEC.encode(m)));
      int victim = random.nextInt(groupSize);
      switch (random.nextInt(6)) {
        case 0 -> {} // a clean group
        case 1 -> {
          int count = 1 + random.nextInt(2);
          for (int i = 0; i < count; i++) {
            fieldMutations
                .get(random.nextInt(fieldMutations.size()))
                .apply()
                .accept(members.get(victim));
          }
          records.set(victim, TestRollouts.CODEC.encode(members.get(victim)));
        }
        case 2 -> records.set(victim, RolloutMutations.mutateBytes(random, records.get(victim)));
        case 3 -> {
          sharedMutations.get(random.nextInt(sharedMutations.size())).accept(members.get(victim));
          records.set(victim, TestRollouts.CODEC.encode(members.get(victim)));
          sharedFieldBroken.add(groupId);
        }
        case 4 -> {
          // A second content under the id of a member other than the last, sent before the last
          // member: both contents are then in the group before it can be complete (a copy that
          // completes the group is the one exception to credited-or-dead, tested in
          // GroupRolloutsTest).
          int other = random.nextInt(groupSize - 1);
          Rollout copy = Rollout.newBuilder(members.get(other)).build();
          copy.setReward(1.0 - copy.getReward());
          copy.setText(copy.getReward() == 1.0 ? "12+30=42\nA: 42\n" : "12+30=41\nA: 41\n");
          records.add(random.nextInt(groupSize), TestRollouts.CODEC.encode(copy));
        }
        default -> {
          // Exact redeliveries, anywhere (also after the group is complete).
          int copies = 1 + random.nextInt(2);
          for (int i = 0; i < copies; i++) {
            byte[] copy = records.get(random.nextInt(records.size())).clone();
            records.add(random.nextInt(records.size() + 1), copy);
          }
        }
      }
      arrivals.add(records);
    }
    List<Sent> sent = interleave(random, arrivals);
    Map<String, Set<String>> expectedCredited = expectedCredited(sent);
    Set<Integer> expectedParseFailures = new TreeSet<>();
    Set<String> expectedGroupFailures = new TreeSet<>();
    for (Sent s : sent) {
      if (!s.valid()) {
        expectedParseFailures.add(s.offset());
      } else if (!expectedCredited.containsKey(s.decoded().getGroupId())) {
        expectedGroupFailures.add(identity(s.decoded()));
      }
    }
    // The seed must exercise every kind of outcome, and the groups broken on a shared field by a
    // value each record accepts must be among the uncredited ones.
    int brokenOnSharedField = 0;
    for (String groupId : sharedFieldBroken) {
      long validMembers =
          sent.stream()
              .filter(s -> s.valid() && s.decoded().getGroupId().equals(groupId))
              .map(s -> s.decoded().getRolloutId())
              .distinct()
              .count();
      if (validMembers >= 2) {
        brokenOnSharedField++;
        assertThat(groupId, expectedCredited.containsKey(groupId), equalTo(false));
      }
    }
    assertThat(brokenOnSharedField, greaterThan(3));
    assertThat(expectedParseFailures.size(), greaterThan(5));
    assertThat(expectedGroupFailures.size(), greaterThan(10));
    assertThat(expectedCredited.size(), greaterThan(10));

    TestStream.Builder<RawRecord> stream = TestStream.create(RawRecordCoder.of());
    for (Sent s : sent) {
      stream = stream.addElements(RawRecord.of(new byte[0], s.bytes(), "rollouts", 0, s.offset()));
    }
    WithFailures.Result<PCollection<Rollout>, DeadLetter> parsed =
        pipeline.apply(stream.advanceWatermarkToInfinity()).apply(ParseRollouts.create());
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> grouped =
        parsed.output().apply(GroupRollouts.of(3_600_000L, 3_600_000L));

    Map<String, String> validContent = new HashMap<>();
    sent.stream().filter(Sent::valid).forEach(s -> validContent.put(identity(s.decoded()), ""));
    PAssert.that(grouped.output())
        .satisfies(
            groups -> {
              Map<String, Set<String>> credited = new TreeMap<>();
              for (TraceGroup group : groups) {
                Set<String> ids = new TreeSet<>();
                for (TraceCredit trace : group.traces()) {
                  Rollout rollout = trace.rollout();
                  // Unchanged: the very content of a record that was sent and valid.
                  assertThat(identity(rollout), in(validContent.keySet()));
                  ids.add(rollout.getRolloutId());
                }
                assertThat(credited.put(group.groupId(), ids), equalTo(null));
              }
              assertThat(credited, equalTo(expectedCredited));
              return null;
            });
    PAssert.that(parsed.failures())
        .satisfies(
            letters -> {
              Set<Integer> offsets = new TreeSet<>();
              letters.forEach(l -> offsets.add(Math.toIntExact(l.getSourceOffset())));
              assertThat(offsets, equalTo(expectedParseFailures));
              return null;
            });
    PAssert.that(grouped.failures())
        .satisfies(
            letters -> {
              Set<String> dead = new TreeSet<>();
              for (DeadLetter letter : letters) {
                assertThat(letter.getReason().toString(), in(GroupContract.REASONS));
                dead.add(identity(TestRollouts.CODEC.decode(DeadLetters.valueBytes(letter))));
              }
              assertThat(dead, equalTo(expectedGroupFailures));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }

  /** The records of all groups in one arrival order that keeps each group's own order. */
  private static List<Sent> interleave(Random random, List<List<byte[]>> arrivals) {
    RolloutContract contract = RolloutContract.defaults();
    List<Integer> turns = new ArrayList<>();
    for (int g = 0; g < arrivals.size(); g++) {
      turns.addAll(Collections.nCopies(arrivals.get(g).size(), g));
    }
    Collections.shuffle(turns, random);
    int[] next = new int[arrivals.size()];
    List<Sent> sent = new ArrayList<>();
    for (int g : turns) {
      byte[] bytes = arrivals.get(g).get(next[g]++);
      Rollout decoded;
      try {
        decoded = TestRollouts.CODEC.decode(bytes);
      } catch (RecordDecodingException e) {
        decoded = null;
      }
      boolean valid = decoded != null && contract.firstViolation(decoded).isEmpty();
      sent.add(new Sent(sent.size(), bytes, decoded, valid));
    }
    return sent;
  }

  /**
   * Group id to the ids it must credit: every distinct valid member when the valid members keep the
   * cross-record contract; groups that break it are absent (nothing credited).
   */
  private static Map<String, Set<String>> expectedCredited(List<Sent> sent) {
    Map<String, List<Rollout>> valid = new TreeMap<>();
    for (Sent s : sent) {
      if (s.valid()) {
        valid.computeIfAbsent(s.decoded().getGroupId(), g -> new ArrayList<>()).add(s.decoded());
      }
    }
    Map<String, Set<String>> expected = new TreeMap<>();
    valid.forEach(
        (groupId, members) -> {
          boolean consistent = true;
          for (Rollout a : members) {
            for (Rollout b : members) {
              boolean sameId = a.getRolloutId().equals(b.getRolloutId());
              consistent &=
                  GroupContract.disagreement(a, b).isEmpty()
                      && (!sameId || identity(a).equals(identity(b)))
                      && (sameId || a.getSampleIndex() != b.getSampleIndex());
            }
          }
          if (consistent) {
            Set<String> ids = new TreeSet<>();
            members.forEach(m -> ids.add(m.getRolloutId()));
            expected.put(groupId, ids);
          }
        });
    return expected;
  }

  private static String identity(Rollout rollout) {
    return rollout.getRolloutId() + "@" + GroupContract.fingerprint(rollout);
  }
}
