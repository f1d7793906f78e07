package dev.rredcot.model.trainer;

import static dev.rredcot.model.trainer.TrainerFixtures.rollout;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.schemas.CreditedRollout;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the trainer's buffer collects credited records into complete groups and hands them out. */
class GroupBufferTest {

  private static List<String> ids(GroupBuffer.Group group) {
    return group.members().stream().map(CreditedRollout::getRolloutId).toList();
  }

  private static List<String> groupIds(List<GroupBuffer.Group> groups) {
    return groups.stream().map(GroupBuffer.Group::groupId).toList();
  }

  private static CreditedRollout credited(String prompt, int index, int groupCount, int credited) {
    CreditedRollout record = rollout(prompt, 0, index, groupCount);
    record.setCreditedCount(credited);
    return record;
  }

  @Test
  void aGroupIsReadyWhenAllItsMembersArrivedInAnyOrder() {
    GroupBuffer buffer = new GroupBuffer();
    buffer.add(rollout("p", 0, 2, 3));
    buffer.add(rollout("p", 0, 0, 3));
    assertEquals(0, buffer.readyCount());
    buffer.add(rollout("p", 0, 1, 3));
    assertEquals(1, buffer.readyCount());
    List<GroupBuffer.Group> taken = buffer.takeReady(1);
    assertEquals(List.of("p@v0#0/0", "p@v0#0/1", "p@v0#0/2"), ids(taken.get(0)), "sample order");
  }

  @Test
  void aGroupCompletesAtItsCreditedCountWhenTheCreditJobDroppedMembers() {
    GroupBuffer buffer = new GroupBuffer();
    buffer.add(credited("p", 0, 4, 2));
    assertEquals(0, buffer.readyCount());
    buffer.add(credited("p", 3, 4, 2));
    assertEquals(1, buffer.readyCount());
  }

  @Test
  void theExpectedMembersAreTheCreditedCountOrForOlderRecordsTheGroupCount() {
    assertEquals(3, GroupBuffer.expectedMembers(credited("p", 0, 4, 3)));
    assertEquals(4, GroupBuffer.expectedMembers(credited("p", 0, 4, 0)));
  }

  @Test
  void aMemberSentToDeadLettersCountsTowardsItsGroup() {
    GroupBuffer buffer = new GroupBuffer();
    buffer.add(rollout("p", 0, 0, 3));
    assertFalse(buffer.countRejected(rollout("p", 0, 1, 3)), "two of three");
    assertFalse(buffer.countRejected(rollout("p", 0, 1, 3)), "the same member counts once");
    buffer.add(rollout("p", 0, 2, 3));
    assertEquals(1, buffer.readyCount(), "two buffered and one dead letter make three");
    assertEquals(List.of("p@v0#0/0", "p@v0#0/2"), ids(buffer.takeReady(1).get(0)));
  }

  @Test
  void aDeadLetterThatCompletesAPendingGroupMakesItReady() {
    GroupBuffer buffer = new GroupBuffer();
    buffer.add(rollout("p", 0, 0, 2));
    assertTrue(buffer.countRejected(rollout("p", 0, 1, 2)));
    assertEquals(1, buffer.readyCount());
  }

  @Test
  void aDeadLetterOfAGroupNotYetBufferedIsRememberedForIt() {
    GroupBuffer buffer = new GroupBuffer();
    assertFalse(buffer.countRejected(rollout("p", 0, 0, 2)), "no group to complete");
    assertEquals(0, buffer.pendingCount());
    assertEquals(Map.of("p@v0#0", List.of("p@v0#0/0")), buffer.rejectedMembers());
    buffer.add(rollout("p", 0, 1, 2));
    assertEquals(1, buffer.readyCount());
  }

  @Test
  void aGroupWhoseEveryMemberWentToDeadLettersIsForgotten() {
    // Nothing of it will ever arrive, so remembering its members would only grow the progress
    // file with every such group.
    GroupBuffer buffer = new GroupBuffer();
    buffer.countRejected(rollout("p", 0, 0, 2));
    buffer.countRejected(rollout("p", 0, 1, 2));
    assertEquals(Map.of(), buffer.rejectedMembers());
    assertEquals(0, buffer.pendingCount());
    assertEquals(0, buffer.readyCount());
  }

  @Test
  void readyGroupsAreTakenInTheOrderTheyCompletedAtMostAskedFor() {
    GroupBuffer buffer = new GroupBuffer();
    buffer.add(rollout("a", 0, 0, 2));
    buffer.add(rollout("b", 0, 0, 2));
    buffer.add(rollout("c", 0, 0, 1));
    buffer.add(rollout("b", 0, 1, 2));
    buffer.add(rollout("a", 0, 1, 2));
    assertEquals(3, buffer.readyCount());
    assertEquals(List.of("c@v0#0", "b@v0#0"), groupIds(buffer.takeReady(2)));
    assertEquals(List.of("a@v0#0"), groupIds(buffer.takeReady(2)));
    assertTrue(buffer.takeReady(2).isEmpty());
  }

  @Test
  void takingAGroupForgetsItAndItsDeadLetteredMembers() {
    GroupBuffer buffer = new GroupBuffer();
    buffer.add(rollout("p", 0, 0, 2));
    buffer.countRejected(rollout("p", 0, 1, 2));
    buffer.add(rollout("q", 0, 0, 2));
    buffer.takeReady(1);
    assertEquals(1, buffer.pendingCount(), "q still waits");
    assertEquals(0, buffer.readyCount());
    assertEquals(Map.of(), buffer.rejectedMembers());
    assertNull(buffer.buffered("p@v0#0", 0));
  }

  @Test
  void discardingAGroupForgetsItCompleteOrNot() {
    GroupBuffer buffer = new GroupBuffer();
    buffer.add(rollout("done", 0, 0, 1));
    buffer.add(rollout("waiting", 0, 0, 3));
    buffer.countRejected(rollout("waiting", 0, 1, 3));
    buffer.discard("done@v0#0");
    buffer.discard("waiting@v0#0");
    assertEquals(0, buffer.pendingCount());
    assertEquals(0, buffer.readyCount());
    assertEquals(Map.of(), buffer.rejectedMembers());
    assertEquals(List.of(), buffer.encodedRecords());
  }

  @Test
  void pendingGroupsListsEveryBufferedGroupInArrivalOrderWithItsBehaviourVersion() {
    GroupBuffer buffer = new GroupBuffer();
    buffer.add(rollout("new", 3, 1, 2));
    buffer.add(rollout("old", 1, 0, 1));
    buffer.add(rollout("new", 3, 0, 2));
    List<GroupBuffer.Group> pending = buffer.pendingGroups();
    assertEquals(List.of("new@v3#0", "old@v1#0"), groupIds(pending));
    assertEquals(List.of("new@v3#0/0", "new@v3#0/1"), ids(pending.get(0)));
    assertEquals(3, pending.get(0).behaviourVersion());
    assertEquals(1, pending.get(1).behaviourVersion());
    assertEquals(2, buffer.pendingCount(), "listing takes nothing out");
  }

  @Test
  void findsTheRecordBufferedAtAGroupAndSampleIndex() {
    GroupBuffer buffer = new GroupBuffer();
    CreditedRollout record = rollout("p", 0, 1, 3);
    buffer.add(record);
    assertSame(record, buffer.buffered("p@v0#0", 1));
    assertNull(buffer.buffered("p@v0#0", 0));
    assertNull(buffer.buffered("q@v0#0", 1));
  }

  @Test
  void aRecordExpectingAnotherMemberCountThanItsPendingGroupDisagreesWithIt() {
    GroupBuffer buffer = new GroupBuffer();
    assertTrue(buffer.disagreement(credited("p", 0, 4, 3)).isEmpty(), "no group yet");
    buffer.add(credited("p", 0, 4, 3));
    assertTrue(buffer.disagreement(credited("p", 1, 4, 3)).isEmpty());
    assertEquals(
        new Rejection(
            "malformed-credited-rollout",
            "creditedCount/groupCount 2/4 differs from its group's 3"),
        buffer.disagreement(credited("p", 1, 4, 2)).orElseThrow());
  }

  @Test
  void aRestoredBufferFormsTheSameBatches() {
    // Ready groups are written first in their ready order, then the incomplete ones.
    GroupBuffer buffer = new GroupBuffer();
    buffer.add(rollout("waiting", 0, 0, 3));
    buffer.add(rollout("b", 0, 0, 2));
    buffer.add(rollout("a", 0, 0, 1));
    buffer.countRejected(rollout("b", 0, 1, 2));
    buffer.countRejected(rollout("waiting", 0, 2, 3));
    GroupBuffer restored = GroupBuffer.restore(buffer.encodedRecords(), buffer.rejectedMembers());
    assertEquals(buffer.encodedRecords(), restored.encodedRecords());
    assertEquals(buffer.rejectedMembers(), restored.rejectedMembers());
    assertEquals(List.of("a@v0#0", "b@v0#0"), groupIds(restored.takeReady(2)));
    restored.add(rollout("waiting", 0, 1, 3));
    assertEquals(List.of("waiting@v0#0"), groupIds(restored.takeReady(2)), "its dead letter kept");
  }
}
