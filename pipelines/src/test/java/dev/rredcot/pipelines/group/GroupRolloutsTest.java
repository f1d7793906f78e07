package dev.rredcot.pipelines.group;

import static dev.rredcot.pipelines.TestRollouts.rollout;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import dev.rredcot.model.grpo.GroupStatistics;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Rollout;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class GroupRolloutsTest {
  private static final long TIMEOUT_MS = 10_000;
  private static final long MARKER_TTL_MS = 60_000;

  private static TestStream.Builder<Rollout> stream() {
    return TestStream.create(AvroCoder.of(Rollout.class));
  }

  private static WithFailures.Result<PCollection<TraceGroup>, DeadLetter> group(
      TestPipeline pipeline, TestStream<Rollout> input) {
    return pipeline.apply(input).apply(GroupRollouts.of(TIMEOUT_MS, MARKER_TTL_MS));
  }

  private static TraceGroup expected(
      String groupId, int groupSize, boolean complete, Rollout... rollouts) {
    List<Rollout> all = List.of(rollouts);
    return new TraceGroup(
        groupId,
        groupSize,
        complete,
        GroupStatistics.of(all.stream().map(Rollout::getReward).collect(Collectors.toList())),
        all.stream().map(TraceCredit::of).collect(Collectors.toList()));
  }

  private static PAssert.IterableAssert<DeadLetter> assertSingleDeadLetter(
      PCollection<DeadLetter> failures, String reason, String rolloutId) {
    return PAssert.that(failures)
        .satisfies(
            letters -> {
              List<DeadLetter> all = new java.util.ArrayList<>();
              letters.forEach(all::add);
              assertThat(all.size(), equalTo(1));
              assertThat(all.get(0).getStage(), equalTo("GroupRollouts"));
              assertThat(all.get(0).getReason(), equalTo(reason));
              Rollout original =
                  dev.rredcot.pipelines.TestRollouts.CODEC.decode(
                      dev.rredcot.pipelines.deadletter.DeadLetters.valueBytes(all.get(0)));
              assertThat(original.getRolloutId(), equalTo(rolloutId));
              return null;
            });
  }

  @Test
  void emitsCompleteGroupWhenAllSamplesArrive(TestPipeline pipeline) {
    Rollout first = rollout("g1", 1, 2, 1.0);
    Rollout second = rollout("g1", 0, 2, 0.0);
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        group(pipeline, stream().addElements(first, second).advanceWatermarkToInfinity());
    // Traces come out ordered by sample index.
    PAssert.that(result.output()).containsInAnyOrder(expected("g1", 2, true, second, first));
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  void emitsPartialGroupAfterTimeoutAndRejectsLaterSamples(TestPipeline pipeline) {
    // The timeout fires before the second sample: the group is credited with one sample, and the
    // straggler is late.
    Rollout first = rollout("g1", 0, 2, 1.0);
    Rollout straggler = rollout("g1", 1, 2, 0.0);
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        group(
            pipeline,
            stream()
                .addElements(first)
                .advanceProcessingTime(Duration.millis(TIMEOUT_MS + 1))
                .addElements(straggler)
                .advanceWatermarkToInfinity());
    PAssert.that(result.output()).containsInAnyOrder(expected("g1", 2, false, first));
    assertSingleDeadLetter(result.failures(), "late-rollout", straggler.getRolloutId());
    pipeline.run().waitUntilFinish();
  }

  @Test
  void keepsWaitingBeforeTimeout(TestPipeline pipeline) {
    // Processing time advances, but less than the timeout: the straggler still completes the group.
    Rollout first = rollout("g1", 0, 2, 1.0);
    Rollout second = rollout("g1", 1, 2, 0.0);
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        group(
            pipeline,
            stream()
                .addElements(first)
                .advanceProcessingTime(Duration.millis(TIMEOUT_MS - 1))
                .addElements(second)
                .advanceWatermarkToInfinity());
    PAssert.that(result.output()).containsInAnyOrder(expected("g1", 2, true, first, second));
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  void flushesIncompleteGroupAtEndOfInput(TestPipeline pipeline) {
    Rollout first = rollout("g1", 0, 3, 1.0);
    Rollout second = rollout("g1", 2, 3, 0.0);
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        group(pipeline, stream().addElements(first, second).advanceWatermarkToInfinity());
    PAssert.that(result.output()).containsInAnyOrder(expected("g1", 3, false, first, second));
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  void lateRolloutAfterCompleteGroupBecomesDeadLetter(TestPipeline pipeline) {
    Rollout first = rollout("g1", 0, 2, 1.0);
    Rollout second = rollout("g1", 1, 2, 0.0);
    Rollout late = Rollout.newBuilder(second).setRolloutId("g1-retry").build();
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        group(
            pipeline,
            stream().addElements(first, second).addElements(late).advanceWatermarkToInfinity());
    PAssert.that(result.output()).containsInAnyOrder(expected("g1", 2, true, first, second));
    assertSingleDeadLetter(result.failures(), "late-rollout", "g1-retry");
    pipeline.run().waitUntilFinish();
  }

  @Test
  void ignoresDuplicateRolloutId(TestPipeline pipeline) {
    Rollout first = rollout("g1", 0, 2, 1.0);
    Rollout second = rollout("g1", 1, 2, 0.0);
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        group(
            pipeline,
            stream()
                .addElements(first)
                .addElements(first)
                .addElements(second)
                .advanceWatermarkToInfinity());
    PAssert.that(result.output()).containsInAnyOrder(expected("g1", 2, true, first, second));
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  /** One cross-record case: the second member of a group of three, changed to break it. */
  private record Case(String reason, String field, UnaryOperator<Rollout> second) {}

  private static List<Case> cases() {
    return List.of(
        new Case(
            "rollout-id-conflict",
            "rolloutId",
            r -> rollout("g", 0, 3, 0.0)), // the id of sample 0 with another trace and reward
        new Case(
            "duplicate-sample-index",
            "sampleIndex",
            r -> Rollout.newBuilder(rollout("g", 0, 3, 1.0)).setRolloutId("g-other").build()),
        new Case("group-size-mismatch", "groupSize", r -> with(r, b -> b.setGroupSize(4))),
        new Case("prompt-id-mismatch", "promptId", r -> with(r, b -> b.setPromptId("g-other"))),
        new Case(
            "prompt-text-mismatch", "promptText", r -> with(r, b -> b.setPromptText("Q: 1+1=?\n"))),
        new Case(
            "task-family-mismatch", "taskFamily", r -> with(r, b -> b.setTaskFamily("countdown"))),
        new Case(
            "reference-answer-mismatch",
            "referenceAnswer",
            r -> with(r, b -> b.setReferenceAnswer("41"))),
        new Case(
            "policy-version-mismatch", "policyVersion", r -> with(r, b -> b.setPolicyVersion(4L))));
  }

  private static Rollout with(
      Rollout rollout, java.util.function.Consumer<Rollout.Builder> change) {
    Rollout.Builder builder = Rollout.newBuilder(rollout);
    change.accept(builder);
    return builder.build();
  }

  /** The members of case {@code c}'s group, renamed into a group of its own, in arrival order. */
  private static List<Rollout> members(Case c) {
    String groupId = "g-" + c.reason();
    List<Rollout> members =
        List.of(
            rollout("g", 0, 3, 1.0),
            c.second().apply(rollout("g", 1, 3, 0.0)),
            rollout("g", 2, 3, 1.0));
    return members.stream()
        .map(
            r ->
                Rollout.newBuilder(r)
                    .setGroupId(groupId)
                    .setRolloutId(r.getRolloutId().toString().replaceFirst("^g", groupId))
                    .setPromptId(r.getPromptId().toString().replaceFirst("^g", groupId))
                    .build())
        .collect(Collectors.toList());
  }

  @Test
  void everyCrossRecordReasonButLateRolloutHasACase() {
    List<String> covered = cases().stream().map(Case::reason).collect(Collectors.toList());
    List<String> expected = new java.util.ArrayList<>(GroupContract.REASONS);
    expected.remove(GroupContract.LATE_ROLLOUT);
    assertThat(covered, equalTo(expected));
  }

  @Test
  void aGroupBreakingACrossRecordInvariantIsDeadLetteredMemberByMember(TestPipeline pipeline) {
    // Every case in one run, each in a group of its own, next to a good group that is credited.
    TestStream.Builder<Rollout> input = stream();
    Map<String, String> reasonOfGroup = new HashMap<>();
    Map<String, String> fieldOfGroup = new HashMap<>();
    for (Case c : cases()) {
      for (Rollout member : members(c)) {
        input = input.addElements(member);
        reasonOfGroup.put(member.getGroupId().toString(), c.reason());
        fieldOfGroup.put(member.getGroupId().toString(), c.field());
      }
    }
    Rollout good0 = rollout("good", 0, 2, 1.0);
    Rollout good1 = rollout("good", 1, 2, 0.0);
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        group(pipeline, input.addElements(good0, good1).advanceWatermarkToInfinity());
    PAssert.that(result.output()).containsInAnyOrder(expected("good", 2, true, good0, good1));
    PAssert.that(result.failures())
        .satisfies(
            letters -> {
              Map<String, Integer> lettersOfGroup = new HashMap<>();
              for (DeadLetter letter : letters) {
                Rollout original =
                    dev.rredcot.pipelines.TestRollouts.CODEC.decode(
                        dev.rredcot.pipelines.deadletter.DeadLetters.valueBytes(letter));
                String groupId = original.getGroupId().toString();
                lettersOfGroup.merge(groupId, 1, Integer::sum);
                assertThat(letter.getStage().toString(), equalTo(GroupRollouts.STAGE));
                assertThat(
                    groupId, letter.getReason().toString(), equalTo(reasonOfGroup.get(groupId)));
                assertThat(
                    letter.getErrorMessage().toString(),
                    startsWith(fieldOfGroup.get(groupId) + " "));
              }
              // All three records of each broken group, the two before the break included.
              Map<String, Integer> expectedCounts = new HashMap<>();
              reasonOfGroup.keySet().forEach(g -> expectedCounts.put(g, 3));
              assertThat(lettersOfGroup, equalTo(expectedCounts));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }

  @Test
  void aRolloutOfADeadLetteredGroupIsDeadLetteredToo(TestPipeline pipeline) {
    // The break comes before the group is complete; the member after it does not revive it, even
    // after the group's timeout.
    Rollout first = rollout("g1", 0, 2, 1.0);
    Rollout otherVersion = with(rollout("g1", 1, 2, 0.0), b -> b.setPolicyVersion(9L));
    Rollout again = rollout("g1", 1, 2, 0.0);
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        group(
            pipeline,
            stream()
                .addElements(first, otherVersion)
                .advanceProcessingTime(Duration.millis(TIMEOUT_MS + 1))
                .addElements(again)
                .advanceWatermarkToInfinity());
    PAssert.that(result.output()).empty();
    PAssert.that(result.failures())
        .satisfies(
            letters -> {
              List<String> reasons = new java.util.ArrayList<>();
              letters.forEach(l -> reasons.add(l.getReason().toString()));
              assertThat(reasons, equalTo(Collections.nCopies(3, "policy-version-mismatch")));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }

  @Test
  void aRedeliveryAfterCreditIsIgnoredAndAConflictingCopyIsADeadLetter(TestPipeline pipeline) {
    Rollout first = rollout("g1", 0, 2, 1.0);
    Rollout second = rollout("g1", 1, 2, 0.0);
    // A copy made later (createdAtMs differs) of the same content is the same rollout.
    Rollout redelivered =
        with(first, b -> b.setCreatedAtMs(java.time.Instant.ofEpochMilli(1_800_000_000_000L)));
    Rollout conflicting = with(second, b -> b.setPolicyVersion(4L));
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        group(
            pipeline,
            stream()
                .addElements(first, second)
                .addElements(redelivered, conflicting)
                .advanceWatermarkToInfinity());
    PAssert.that(result.output()).containsInAnyOrder(expected("g1", 2, true, first, second));
    assertSingleDeadLetter(result.failures(), "rollout-id-conflict", second.getRolloutId());
    pipeline.run().waitUntilFinish();
  }

  @Test
  void forgetsEmittedGroupAfterMarkerExpiry(TestPipeline pipeline) {
    // State cleanup: once the emitted marker expires, the same group id starts a fresh group
    // instead of being rejected as late.
    Rollout first = rollout("g1", 0, 2, 1.0);
    Rollout second = rollout("g1", 1, 2, 0.0);
    Rollout again0 = Rollout.newBuilder(first).setRolloutId("g1-next-0").setReward(0.0).build();
    Rollout again1 = Rollout.newBuilder(second).setRolloutId("g1-next-1").build();
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        group(
            pipeline,
            stream()
                .addElements(first, second)
                .advanceProcessingTime(Duration.millis(MARKER_TTL_MS + 1))
                .addElements(again0, again1)
                .advanceWatermarkToInfinity());
    PAssert.that(result.output())
        .containsInAnyOrder(
            expected("g1", 2, true, first, second), expected("g1", 2, true, again0, again1));
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  void theCapIsSplitOverShardsAndTheirPartsAddUpToIt() {
    for (long cap : new long[] {1, 3, 4, 63, 64, 65, 100, 10_000}) {
      OpenGroupAdmission admission = new OpenGroupAdmission(TIMEOUT_MS, cap, null, null);
      int shards = OpenGroupAdmission.shards(cap);
      long total = 0;
      for (int shard = 0; shard < shards; shard++) {
        assertThat(admission.shardCap(shard) >= 1, equalTo(true));
        total += admission.shardCap(shard);
      }
      assertThat(total, equalTo(cap));
    }
  }

  @Test
  void aFloodOfDistinctGroupsPastTheCapIsDeadLetteredAndGoodGroupsAreStillCredited(
      TestPipeline pipeline) {
    // Cap 4 (four shards of one group each). A group opens, then 200 distinct single-member groups
    // flood in: only one per free shard is admitted, the rest are too-many-open-groups dead
    // letters. The group that was open before the flood still completes during it; once the
    // admitted flood groups time out (grouping) and age out (admission), new groups are credited.
    long cap = 4;
    int shards = OpenGroupAdmission.shards(cap);
    Rollout openFirst = rollout("open-before", 0, 2, 1.0);
    Rollout openSecond = rollout("open-before", 1, 2, 0.0);
    Rollout[] flood = new Rollout[200];
    java.util.Set<Integer> floodShards = new java.util.HashSet<>();
    for (int i = 0; i < flood.length; i++) {
      flood[i] = rollout("flood-" + i, 0, 4, 1.0);
      floodShards.add(OpenGroupAdmission.shardOf("flood-" + i, shards));
    }
    floodShards.remove(OpenGroupAdmission.shardOf("open-before", shards));
    int floodAdmitted = floodShards.size();
    TestStream.Builder<Rollout> events =
        stream()
            .addElements(openFirst)
            .addElements(flood[0], java.util.Arrays.copyOfRange(flood, 1, flood.length))
            .addElements(openSecond)
            // One tick (and the grouping timeout of the flood groups), then a second tick.
            .advanceProcessingTime(Duration.millis(TIMEOUT_MS + 1))
            .advanceProcessingTime(Duration.millis(TIMEOUT_MS + 1));
    List<String> good = new java.util.ArrayList<>();
    for (int g = 0; g < 8; g++) {
      events = events.addElements(rollout("good-" + g, 0, 2, 1.0), rollout("good-" + g, 1, 2, 0.0));
      good.add("good-" + g);
    }
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        pipeline
            .apply(events.advanceWatermarkToInfinity())
            .apply(GroupRollouts.of(TIMEOUT_MS, MARKER_TTL_MS).withMaxOpenGroups(cap));
    PAssert.that(result.output())
        .satisfies(
            groups -> {
              List<String> complete = new java.util.ArrayList<>();
              int partialFlood = 0;
              for (TraceGroup group : groups) {
                if (group.complete()) {
                  complete.add(group.groupId());
                } else {
                  assertThat(group.groupId(), startsWith("flood-"));
                  assertThat(group.traces().size(), equalTo(1));
                  partialFlood++;
                }
              }
              List<String> expectedComplete = new java.util.ArrayList<>(good);
              expectedComplete.add("open-before");
              Collections.sort(complete);
              Collections.sort(expectedComplete);
              assertThat(complete, equalTo(expectedComplete));
              // Only the admitted flood groups ever held grouping state.
              assertThat(partialFlood, equalTo(floodAdmitted));
              return null;
            });
    PAssert.that(result.failures())
        .satisfies(
            letters -> {
              int count = 0;
              for (DeadLetter letter : letters) {
                count++;
                assertThat(letter.getStage(), equalTo("GroupRollouts"));
                assertThat(letter.getReason(), equalTo(GroupRollouts.TOO_MANY_OPEN_GROUPS));
                Rollout original =
                    dev.rredcot.pipelines.TestRollouts.CODEC.decode(
                        dev.rredcot.pipelines.deadletter.DeadLetters.valueBytes(letter));
                assertThat(original.getGroupId(), startsWith("flood-"));
              }
              assertThat(count, equalTo(flood.length - floodAdmitted));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }
}
